"""Deployment checks (`manage.py check --deploy`): mail is really sent, and provider events are
authenticated."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from . import provider_webhooks


def register_deploy_checks():
    register(check_mail_backend, Tags.security, deploy=True)
    register(check_provider_webhooks, Tags.security, deploy=True)


def check_mail_backend(app_configs, **kwargs):
    if settings.EMAIL_BACKEND == "pressroom.demo.devmail.EmailBackend":
        return [
            Error(
                "EMAIL_BACKEND is the demo's mailbox: mail is kept on disk and never sent.",
                hint="Set EMAIL_BACKEND to django.core.mail.backends.smtp.EmailBackend or an anymail "
                "backend such as anymail.backends.mailgun.EmailBackend.",
                id="pressroom.E001",
            )
        ]
    return []


def check_provider_webhooks(app_configs, **kwargs):
    provider = provider_webhooks.configured_provider()
    if not provider:
        return []
    if provider not in provider_webhooks.TRACKING_VIEWS:
        return [
            Error(
                f"EMAIL_WEBHOOK_PROVIDER is {provider!r}, which has no anymail tracking webhook.",
                hint="Name one of: " + ", ".join(sorted(provider_webhooks.TRACKING_VIEWS)) + ".",
                id="pressroom.E002",
            )
        ]
    missing = provider_webhooks.missing_authentication(provider)
    if missing:
        return [
            Error(
                f"The {provider} tracking webhook is not authenticated: {', '.join(missing)} not set. Until "
                "it is, the webhook refuses every event; without it anyone could unsubscribe or bounce "
                "any subscriber.",
                hint="Set " + " and ".join(missing) + " (anymail's documentation: 'Securing webhooks').",
                id="pressroom.E003",
            )
        ]
    return []
