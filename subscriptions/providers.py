"""What each email backend can do for a mailing: batch sends with merge fields, or one message each.

The release is rendered once per language with placeholders where the per-recipient links go. For a
provider with batch sending, the placeholders become that provider's merge fields and one API call
carries a whole batch (anymail's `merge_data` and `merge_headers`). For everything else (SMTP, Postmark
and Amazon SES without stored templates) the placeholders are replaced per recipient and the messages
go out one by one over one reused connection.
"""

from dataclasses import dataclass, field

from django.conf import settings

# Placeholders that survive HTML escaping and CSS inlining untouched.
PLACEHOLDER = "PRESSROOMMERGE{}END"
MERGE_FIELDS = ("unsubscribe_url", "manage_url")


@dataclass(frozen=True)
class Provider:
    name: str
    batch: bool
    batch_size: int
    merge_field: str = ""  # a format string for one merge field in the provider's syntax
    esp_extra: dict = field(default_factory=dict)

    def merge_value(self, name):
        return self.merge_field.format(name)


PROVIDERS = {
    "anymail.backends.mailgun.EmailBackend": Provider("mailgun", True, 1000, "%recipient.{}%"),
    "anymail.backends.sendgrid.EmailBackend": Provider(
        "sendgrid", True, 1000, "-{}-", {"merge_field_format": "-{}-"}
    ),
    "anymail.backends.brevo.EmailBackend": Provider("brevo", True, 1000, "{{{{ params.{} }}}}"),
    "anymail.backends.sendinblue.EmailBackend": Provider("brevo", True, 1000, "{{{{ params.{} }}}}"),
    "anymail.backends.postmark.EmailBackend": Provider("postmark", False, 100),
    "anymail.backends.amazon_ses.EmailBackend": Provider("amazon_ses", False, 50),
}
SINGLE = Provider("single", False, 100)


def current():
    """The provider profile for settings.EMAIL_BACKEND; batch size overridable by MAILING_BATCH_SIZE."""
    provider = PROVIDERS.get(settings.EMAIL_BACKEND, SINGLE)
    if settings.MAILING_BATCH_SIZE:
        provider = Provider(
            provider.name,
            provider.batch,
            settings.MAILING_BATCH_SIZE,
            provider.merge_field,
            provider.esp_extra,
        )
    return provider


# The ledger row a message belongs to, sent as anymail metadata (per recipient in a batch). Providers send
# it back with every tracking event, so an event finds its row even when the answer to the send was lost
# and no provider message id was recorded (an uncertain row).
DELIVERY_METADATA = "pressroom_delivery"


def message_id(message, email):
    """The id the provider gave MESSAGE for EMAIL (anymail's status after send), which is what its
    tracking events carry; for backends without one (SMTP), the message's own Message-ID."""
    status = getattr(message, "anymail_status", None)
    recipient = status.recipients.get(email) if status is not None else None
    if recipient is not None and recipient.message_id:
        return str(recipient.message_id)
    return message.extra_headers.get("Message-ID", "")
