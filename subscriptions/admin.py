"""Editors' view of subscribers (counts, export, erase), of mailings (live progress, pause, resume,
cancel, retry of failed rows, the decision to resend uncertain ones, and test sends) and of digests
(retry of failed ones, the decision to resend uncertain ones)."""

import contextlib

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from pressroom.newsroom.models import Release
from pressroom.ops import accountability
from pressroom.ops.estimates import EstimatedCountPaginator

from . import export, languages, mailings, services
from .addresses import normalize_email
from .models import Delivery, DeliveryTally, Mailing, Subscriber, Suppression, email_hash
from .release_email import send_test

CONSENT_FIELDS = [
    "consent_at",
    "consent_method",
    "consent_text_version",
    "consent_source",
    "consent_note",
]

HISTORY_FIELDS = [
    "created_at",
    "confirmation_sent_at",
    "confirmed_at",
    "unsubscribed_at",
    "unsubscribe_method",
    "updated_at",
]


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "language", "topic_list", "frequency", "created_at", "confirmed_at"]
    list_filter = [
        "status",
        "language",
        "frequency",
        "all_topics",
        # All topics, not only those in use: "only those in use" reads every subscriber on each page view.
        "topics",
        "consent_method",
        # A filter by period rather than a date hierarchy, whose years are a DISTINCT over every row.
        "created_at",
    ]
    search_fields = ["email"]
    # A million subscribers: no second count of the whole table, and the planner's estimate for the first.
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50  # as the release list: rendering the rows is most of the page's time
    actions = ["export_csv", "unsubscribe_selected", "erase"]
    filter_horizontal = ["topics"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "email",
                    "status",
                    "language",
                    "norwegian",
                    "english",
                    "all_topics",
                    "topics",
                    "frequency",
                ]
            },
        ),
        (_("Consent"), {"fields": CONSENT_FIELDS}),
        (_("History"), {"fields": HISTORY_FIELDS}),
    ]
    # Editors change what a subscriber receives; who they are, their status and their consent are records.
    readonly_fields = [
        "email",
        "status",
        "all_topics",
        *CONSENT_FIELDS,
        *HISTORY_FIELDS,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("topics")

    @admin.display(description=_("topics"))
    def topic_list(self, subscriber):
        if subscriber.all_topics:
            return _("All topics")
        return ", ".join(topic.name for topic in subscriber.topics.all())

    def has_add_permission(self, request):
        # Every subscriber comes through a sign-up or an import, so that each has a consent record.
        return False

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Find "kari@bø.no" although it is stored with its domain in IDNA form.
        with contextlib.suppress(ValidationError):
            queryset |= self.model.objects.filter(email__iexact=normalize_email(search_term))
        return queryset, may_have_duplicates

    def changelist_view(self, request, extra_context=None):
        counts = Subscriber.objects.status_counts()
        summary = " · ".join(f"{label}: {counts.get(value, 0)}" for value, label in Subscriber.Status.choices)
        extra_context = {"subtitle": summary, **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra_context)

    def save_model(self, request, obj, form, change):
        services.update_preferences(
            subscriber=obj,
            language=form.cleaned_data["language"],
            releases=languages.chosen(
                norwegian=form.cleaned_data.get("norwegian"), english=form.cleaned_data.get("english")
            ),
            topics=list(form.cleaned_data["topics"]),
            frequency=form.cleaned_data["frequency"],
        )

    def save_related(self, request, form, formsets, change):
        """Topics were set by update_preferences (which also keeps all_topics right)."""

    def delete_model(self, request, obj):
        # Deleting is erasing: a suppression is kept so that no import brings the address back.
        services.erase_subscriber(subscriber=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for subscriber in queryset:
            services.erase_subscriber(subscriber=subscriber, user=request.user)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Export selected subscribers as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        accountability.record(
            accountability.EXPORT, user=request.user, kind="subscribers", count=queryset.count()
        )
        response = StreamingHttpResponse(export.stream(queryset), content_type="text/csv; charset=utf-8")
        filename = f"subscribers-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @admin.action(description=_("Unsubscribe selected subscribers"), permissions=["change"])
    def unsubscribe_selected(self, request, queryset):
        done = sum(
            services.unsubscribe(subscriber=subscriber, how=Subscriber.UnsubscribeMethod.ADMIN)
            for subscriber in queryset
        )
        self.message_user(
            request,
            ngettext("%(count)d subscriber unsubscribed.", "%(count)d subscribers unsubscribed.", done)
            % {"count": done},
            messages.SUCCESS,
        )

    @admin.action(description=_("Erase selected subscribers (personal data removed)"), permissions=["delete"])
    def erase(self, request, queryset):
        if request.POST.get("confirm") == "yes":
            count = 0
            for subscriber in queryset:
                services.erase_subscriber(subscriber=subscriber, user=request.user)
                count += 1
            self.message_user(
                request,
                ngettext(
                    "%(count)d subscriber erased; the address is suppressed.",
                    "%(count)d subscribers erased; their addresses are suppressed.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Erase subscribers?"),
            "subscribers": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "subscriptions/admin_erase.html", context)


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email_hash", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email_hash"]

    def get_search_results(self, request, queryset, search_term):
        """Search by address: only its hash is stored."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if "@" in search_term:
            with contextlib.suppress(ValidationError):
                queryset |= self.model.objects.filter(email_hash=email_hash(normalize_email(search_term)))
        return queryset, may_have_duplicates

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Lifting a suppression lets an erased address be imported again: a superuser's decision.
        return request.user.is_superuser


def _tally(status):
    """A mailing's rows in STATUS, added up from its tallies rather than counted row by row."""
    total = (
        DeliveryTally.objects.filter(mailing=OuterRef("pk"), status=status)
        .values("mailing")
        .annotate(total=Sum("n"))
        .values("total")
    )
    return Coalesce(Subquery(total), 0)


@admin.register(Mailing)
class MailingAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "kind",
        "status",
        "recipients",
        "sent",
        "failed",
        "uncertain",
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", "status", "created_at"]
    search_fields = ["release__title"]
    list_select_related = ["release"]
    # The status is shown (and kept current) by the live progress panel above the form.
    fields = readonly_fields = [
        "kind", "release", "audience", "frequency", "language", "period_start", "period_end", "releases",
        "recipients", "created_at", "prepared_at", "finished_at", "last_activity_at",
    ]  # fmt: skip
    actions = ["pause", "resume", "cancel", "retry_failed", "resend_uncertain"]
    change_form_template = "admin/subscriptions/mailing/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_sent=_tally(Delivery.Status.SENT),
                n_failed=_tally(Delivery.Status.FAILED),
                n_uncertain=_tally(Delivery.Status.UNCERTAIN),
            )
        )

    def has_add_permission(self, request):
        return False  # mailings are created by publishing, digest runs, sign-ups and the press

    def get_object(self, request, object_id, from_field=None):
        # A mailing's page shows its counts in the progress panel; the list's per-row counts would read
        # every delivery of the mailing once more (a million, for a mailing to everyone).
        try:
            return Mailing.objects.get(pk=Mailing._meta.pk.to_python(object_id))
        except (Mailing.DoesNotExist, ValidationError, ValueError):
            return None

    def has_change_permission(self, request, obj=None):
        # "Change" is the right to steer mailings (the actions); a mailing's own page has nothing to edit.
        return obj is None and super().has_change_permission(request)

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
            path(
                "test/<int:release_id>/",
                self.admin_site.admin_view(self.send_test_view),
                name="subscriptions_mailing_send_test",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request, pk):
        if not self.has_view_permission(request):
            return JsonResponse({"error": "forbidden"}, status=403)
        mailing = get_object_or_404(Mailing, pk=pk)
        return JsonResponse(mailings.progress(mailing))

    def send_test_view(self, request, release_id):
        """Send a release's email to the editor's own address, as subscribers would get it."""
        release = get_object_or_404(Release, pk=release_id)
        if not self.admin_site.get_model_admin(Release).has_change_permission(request, release):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        back = HttpResponseRedirect(reverse("admin:newsroom_release_change", args=[release.pk]))
        if not request.user.email:
            self.message_user(
                request, _("Your user has no email address: add one to receive test sends."), messages.ERROR
            )
            return back
        try:
            send_test(release=release, to=request.user.email)
        except Exception as exc:  # noqa: BLE001 - the editor sees why the provider refused
            self.message_user(
                request, _("The test could not be sent: %(error)s") % {"error": exc}, messages.ERROR
            )
        else:
            self.message_user(
                request, _("A test was sent to %(email)s.") % {"email": request.user.email}, messages.SUCCESS
            )
        return back

    def change_view(self, request, object_id, form_url="", extra_context=None):
        mailing = get_object_or_404(Mailing, pk=object_id)
        extra_context = {**(extra_context or {}), "progress": mailings.progress(mailing)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _each(self, request, queryset, action, done_message):
        for mailing in queryset:
            action(mailing=mailing)
        self.message_user(request, done_message, messages.SUCCESS)

    @admin.action(description=_("Pause the selected mailings"), permissions=["change"])
    def pause(self, request, queryset):
        self._each(request, queryset, services.pause, _("Paused."))

    @admin.action(description=_("Resume the selected mailings"), permissions=["change"])
    def resume(self, request, queryset):
        self._each(request, queryset, services.resume, _("Resumed."))

    @admin.action(
        description=_("Cancel the selected mailings (nothing more is sent)"), permissions=["change"]
    )
    def cancel(self, request, queryset):
        self._each(request, queryset, services.cancel, _("Cancelled."))

    @admin.action(description=_("Retry failed recipients"), permissions=["change"])
    def retry_failed(self, request, queryset):
        count = sum(
            services.retry_rows(mailing=m, status=Delivery.Status.FAILED, user=request.user) for m in queryset
        )
        self.message_user(
            request, ngettext("%d recipient queued again.", "%d recipients queued again.", count) % count
        )

    @admin.action(
        description=_("Resend to uncertain recipients (they may get it twice)"), permissions=["change"]
    )
    def resend_uncertain(self, request, queryset):
        count = sum(
            services.retry_rows(mailing=m, status=Delivery.Status.UNCERTAIN, user=request.user)
            for m in queryset
        )
        self.message_user(
            request, ngettext("%d recipient queued again.", "%d recipients queued again.", count) % count
        )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "email", "mailing", "status", "attempts", "sent_at", "event", "error"]
    list_filter = ["mailing__kind", "status", "event"]
    search_fields = ["subscriber__email", "email", "message_id"]
    paginator = EstimatedCountPaginator
    list_select_related = ["subscriber", "mailing__release"]
    raw_id_fields = ["mailing", "subscriber"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
