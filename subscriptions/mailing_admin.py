"""Editors' view of mailings: live progress, pause/resume/cancel, retry of failed rows, and the decision
to resend uncertain ones. Imported by subscriptions/admin.py."""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import mailings
from .models import Delivery, Mailing


@admin.register(Mailing)
class MailingAdmin(admin.ModelAdmin):
    list_display = [
        "release",
        "status",
        "recipients",
        "sent",
        "failed",
        "uncertain",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["release__title"]
    list_select_related = ["release"]
    # The status is shown (and kept current) by the live progress panel above the form.
    fields = readonly_fields = [
        "release", "audience", "recipients", "created_at", "prepared_at", "finished_at", "last_activity_at",
    ]  # fmt: skip
    actions = ["pause", "resume", "cancel", "retry_failed", "resend_uncertain"]
    change_form_template = "admin/subscriptions/mailing/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_sent=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SENT)),
                n_failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
                n_uncertain=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.UNCERTAIN)),
            )
        )

    def has_add_permission(self, request):
        return False  # mailings are created by publishing a release

    @admin.display(description=_("sent"), ordering="n_sent")
    def sent(self, obj):
        return obj.n_sent

    @admin.display(description=_("failed"), ordering="n_failed")
    def failed(self, obj):
        return obj.n_failed

    @admin.display(description=_("uncertain"), ordering="n_uncertain")
    def uncertain(self, obj):
        return obj.n_uncertain

    def get_urls(self):
        return [
            path(
                "<int:pk>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="subscriptions_mailing_progress",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request, pk):
        if not self.has_view_permission(request):
            return JsonResponse({"error": "forbidden"}, status=403)
        mailing = get_object_or_404(Mailing, pk=pk)
        return JsonResponse(mailings.progress(mailing))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        mailing = get_object_or_404(Mailing, pk=object_id)
        extra_context = {**(extra_context or {}), "progress": mailings.progress(mailing)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _each(self, request, queryset, action, done_message):
        for mailing in queryset:
            action(mailing=mailing)
        self.message_user(request, done_message, messages.SUCCESS)

    @admin.action(description=_("Pause the selected mailings"))
    def pause(self, request, queryset):
        self._each(request, queryset, mailings.pause, _("Paused."))

    @admin.action(description=_("Resume the selected mailings"))
    def resume(self, request, queryset):
        self._each(request, queryset, mailings.resume, _("Resumed."))

    @admin.action(description=_("Cancel the selected mailings (nothing more is sent)"))
    def cancel(self, request, queryset):
        self._each(request, queryset, mailings.cancel, _("Cancelled."))

    @admin.action(description=_("Retry failed recipients"))
    def retry_failed(self, request, queryset):
        count = sum(mailings.retry_rows(mailing=m, status=Delivery.Status.FAILED) for m in queryset)
        self.message_user(
            request, ngettext("%d recipient queued again.", "%d recipients queued again.", count) % count
        )

    @admin.action(description=_("Resend to uncertain recipients (they may get it twice)"))
    def resend_uncertain(self, request, queryset):
        count = sum(mailings.retry_rows(mailing=m, status=Delivery.Status.UNCERTAIN) for m in queryset)
        self.message_user(
            request, ngettext("%d recipient queued again.", "%d recipients queued again.", count) % count
        )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "mailing", "status", "attempts", "sent_at", "event", "error"]
    list_filter = ["status", "event"]
    search_fields = ["subscriber__email", "message_id"]
    list_select_related = ["subscriber", "mailing__release"]
    raw_id_fields = ["mailing", "subscriber"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
