"""Provider tracking webhooks (bounces, complaints, unsubscribes, deliveries): /anymail/<provider>/tracking/.

Only the configured provider's endpoint answers (EMAIL_WEBHOOK_PROVIDER, by default the provider of
EMAIL_BACKEND); every other address is a 404. It answers only when its authentication is configured: the
basic auth secret (ANYMAIL_WEBHOOK_SECRET) and, for providers that sign their events, the signing key.
Without them anyone could unsubscribe or bounce any subscriber, so `check --deploy` names what is missing
(pressroom/checks.py) and the endpoint refuses every event until it is set. A body the provider's parser
cannot read is a 400, not a 500 (which providers retry).
"""

import json

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure
from anymail.utils import get_anymail_setting
from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt

# Each provider's signing key, as anymail names it: (anymail's name for the provider, setting).
SIGNING_KEYS = {
    "mailgun": ("Mailgun", "webhook_signing_key"),
    "sendgrid": ("SendGrid", "tracking_webhook_verification_key"),
    "mailersend": ("MailerSend", "signing_secret"),
    "mailtrap": ("Mailtrap", "tracking_secret"),
    "mandrill": ("Mandrill", "webhook_key"),
    "postal": ("Postal", "webhook_key"),
    "resend": ("Resend", "signing_secret"),
}
# What a provider's parser raises on a body it cannot read: empty, not JSON, not the expected shape.
MALFORMED = (ValueError, KeyError, TypeError, AttributeError, IndexError, AnymailError)


def tracking_views():
    """anymail's tracking view class of each provider, by the name in its address."""
    views = {}
    for pattern in anymail_urls.urlpatterns:
        if pattern.name and pattern.name.endswith("_tracking_webhook"):
            views[pattern.name.removesuffix("_tracking_webhook")] = pattern.callback.view_class
    return views


TRACKING_VIEWS = tracking_views()


def configured_provider():
    return settings.EMAIL_WEBHOOK_PROVIDER


def missing_authentication(provider):
    """The settings (as environment variables) that PROVIDER's endpoint needs and does not have."""
    missing = []
    if not get_anymail_setting("webhook_secret", default=None):
        missing.append("ANYMAIL_WEBHOOK_SECRET")
    if provider in SIGNING_KEYS:
        esp_name, name = SIGNING_KEYS[provider]
        if not get_anymail_setting(name, esp_name=esp_name, default=None):
            missing.append(f"ANYMAIL_{esp_name.upper()}_{name.upper()}")
    return missing


class MalformedIsBadRequest:
    """Turns a parser's error on an unreadable body into anymail's validation failure, a 400."""

    def run_validators(self, request):
        try:
            super().run_validators(request)
        except AnymailWebhookValidationFailure:
            raise
        except MALFORMED as exc:
            raise AnymailWebhookValidationFailure(f"Unreadable {self.esp_name} webhook body") from exc

    def parse_events(self, request):
        try:
            return list(super().parse_events(request))
        except MALFORMED as exc:
            raise AnymailWebhookValidationFailure(f"Unreadable {self.esp_name} webhook body") from exc


_views = {}


def _view(provider):
    if provider not in _views:
        view_class = TRACKING_VIEWS[provider]
        _views[provider] = type(view_class.__name__, (MalformedIsBadRequest, view_class), {}).as_view()
    return _views[provider]


@csrf_exempt
def tracking(request, provider):
    if provider != configured_provider() or provider not in TRACKING_VIEWS:
        raise Http404
    if missing_authentication(provider):
        response = HttpResponse(
            json.dumps({"error": "Webhook authentication is not configured."}),
            status=401,
            content_type="application/json",
        )
        response["WWW-Authenticate"] = 'Basic realm="Anymail WEBHOOK_SECRET"'
        return response
    return _view(provider)(request)
