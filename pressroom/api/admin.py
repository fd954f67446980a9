"""The admin for API tokens, webhooks and the webhook delivery log."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import auth as api_auth
from . import events
from .models import ApiToken, WebhookDelivery, WebhookEndpoint


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Editors create their own tokens; the key is shown once, on the page after "Save"."""

    list_display = ["name", "user", "scope", "prefix", "created_at", "last_used_at", "state"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    actions = ["revoke"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user")
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def get_fields(self, request, obj=None):
        fields = ["name", "scope"]
        if request.user.is_superuser:
            fields.insert(0, "user")
        return fields if obj is None else [*fields, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        # A token's owner and scope are what it was created for: make a new token to change them.
        return self.readonly_fields if obj is None else ["user", "scope", *self.readonly_fields]

    def get_changeform_initial_data(self, request):
        return {"user": request.user.pk}

    @admin.display(description=_("state"), ordering="revoked_at")
    def state(self, obj):
        return _("Revoked") if obj.is_revoked else _("Active")

    def save_model(self, request, obj, form, change):
        if not change:
            if not request.user.is_superuser or not obj.user_id:
                obj.user = request.user
            request._api_token_key, obj.prefix, obj.key_hash = api_auth.new_key()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        """Show the key now, on this response only: it is not stored and cannot be shown again."""
        context = {
            **self.admin_site.each_context(request),
            "title": _("Your new API token"),
            "opts": self.opts,
            "token": obj,
            "key": request._api_token_key,
            "changelist_url": reverse("admin:api_apitoken_changelist"),
            "docs_url": reverse("pressroom:api:docs"),
        }
        request.current_app = self.admin_site.name
        response = TemplateResponse(request, "api/token_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count},
            messages.SUCCESS,
        )


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"), choices=WebhookEndpoint.Event.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "is_active", "secret"]
        help_texts = {
            "secret": _(
                "The receiver checks the X-Pressroom-Signature header with it: HMAC-SHA256 of "
                "“timestamp.body”. See docs/api.md."
            ),
        }


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "description", "event_list", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]

    @admin.display(description=_("events"))
    def event_list(self, obj):
        labels = dict(WebhookEndpoint.Event.choices)
        return ", ".join(str(labels.get(event, event)) for event in obj.events) or "—"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only, with a retry for deliveries that gave up."""

    list_display = ["created_at", "event", "endpoint", "release", "status", "attempts", "response_code"]
    list_filter = ["status", "event", "endpoint"]
    list_select_related = ["endpoint", "release"]
    search_fields = ["release__title", "endpoint__url", "uuid"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    fields = [
        "uuid", "endpoint", "event", "release", "status", "attempts", "response_code", "error", "created_at",
        "last_attempt_at", "next_attempt_at", "delivered_at", "payload",
    ]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("api.change_webhookendpoint")

    @admin.action(description=_("Retry selected failed deliveries"), permissions=["retry"])
    def retry(self, request, queryset):
        count = events.retry_failed(queryset)
        self.message_user(
            request,
            ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
