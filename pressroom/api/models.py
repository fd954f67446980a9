"""The HTTP API's tokens and the outbound webhooks (pressroom/api/auth.py, pressroom/api/webhooks.py)."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from pressroom.newsroom.models import Release
from pressroom.ops import outbound


class ApiToken(models.Model):
    """A per-user key for the editors' API. Only a SHA-256 of the secret is stored; the admin shows the
    plaintext once, when the token is created."""

    class Scope(models.TextChoices):
        READ = "read", _("Read (drafts included)")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for, e.g. “Intranet”."))
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.READ)
    # The first characters of the key, so that editors can tell their tokens apart in the admin.
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self):
        return self.revoked_at is not None


def new_webhook_secret():
    import secrets

    return secrets.token_urlsafe(32)


def all_webhook_events():
    return [event.value for event in WebhookEndpoint.Event]


class WebhookEndpoint(models.Model):
    """A URL that receives a signed JSON POST when a release is published, updated or unpublished."""

    class Event(models.TextChoices):
        PUBLISHED = "release.published", _("Release published")
        UPDATED = "release.updated", _("Published release updated")
        UNPUBLISHED = "release.unpublished", _("Release unpublished")

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # The receiver needs it to check the signature, so it is stored as it is (not hashed).
    secret = models.CharField(_("signing secret"), max_length=100, default=new_webhook_secret)
    events = models.JSONField(_("events"), default=all_webhook_events)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["url"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self):
        return self.url

    def clean(self):
        try:
            outbound.check_url(self.url)
        except ValidationError as exc:
            raise ValidationError({"url": exc}) from None


class WebhookDelivery(models.Model):
    """One event for one endpoint: written in the transaction that caused the event, before any HTTP."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries"
    )
    # Sent as X-Pressroom-Delivery: receivers use it to ignore a delivery they have already handled.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(_("event"), max_length=30, choices=WebhookEndpoint.Event.choices)
    release = models.ForeignKey(
        Release, verbose_name=_("release"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="webhook_deliveries",
    )  # fmt: skip
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id} ({self.status})"
