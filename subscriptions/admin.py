import contextlib

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import export, services
from .addresses import normalize_email
from .models import Subscriber, Suppression, email_hash

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
        ("topics", admin.RelatedOnlyFieldListFilter),
        "consent_method",
    ]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    actions = ["export_csv", "unsubscribe_selected", "erase"]
    filter_horizontal = ["topics"]
    fieldsets = [
        (None, {"fields": ["email", "status", "language", "all_topics", "topics", "frequency"]}),
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
        counts = dict(Subscriber.objects.values_list("status").annotate(n=Count("pk")).order_by())
        summary = " · ".join(f"{label}: {counts.get(value, 0)}" for value, label in Subscriber.Status.choices)
        extra_context = {"subtitle": summary, **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra_context)

    def save_model(self, request, obj, form, change):
        services.update_preferences(
            subscriber=obj,
            language=form.cleaned_data["language"],
            topics=list(form.cleaned_data["topics"]),
            frequency=form.cleaned_data["frequency"],
        )

    def save_related(self, request, form, formsets, change):
        """Topics were set by update_preferences (which also keeps all_topics right)."""

    def delete_model(self, request, obj):
        # Deleting is erasing: a suppression is kept so that no import brings the address back.
        services.erase_subscriber(subscriber=obj)

    def delete_queryset(self, request, queryset):
        for subscriber in queryset:
            services.erase_subscriber(subscriber=subscriber)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Export selected subscribers as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
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
                services.erase_subscriber(subscriber=subscriber)
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


from . import mailing_admin  # noqa: E402, F401 - registers the mailing admin
