"""Provider tracking events (anymail's `tracking` signal): bounces and complaints suppress the subscriber,
unsubscribes unsubscribe, deliveries update the ledger. Each event is handled once, by its id."""

import hashlib
import logging

from anymail.signals import tracking
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.dispatch import receiver
from django.utils import timezone

from . import providers
from .models import Delivery, Subscriber, TrackingEvent

log = logging.getLogger(__name__)

SUBSCRIBER_STATUS = {
    "bounced": Subscriber.Status.BOUNCED,
    "complained": Subscriber.Status.COMPLAINED,
    "unsubscribed": Subscriber.Status.UNSUBSCRIBED,
}
LEDGER_EVENTS = {"delivered", "bounced", "complained", "unsubscribed", "rejected", "failed"}
# Events that show the provider had the message, and those that show it refused it: either settles a row
# whose send had no answer (uncertain).
PROVIDER_HAD_IT = {
    "sent",
    "delivered",
    "deferred",
    "bounced",
    "complained",
    "unsubscribed",
    "opened",
    "clicked",
}
PROVIDER_REFUSED = {"rejected", "failed"}


def event_key(event, esp_name):
    """The provider's event id, or, for providers that send none, a hash of what identifies the event."""
    if event.event_id:
        return f"{esp_name}:{event.event_id}"[:200]
    raw = f"{esp_name}|{event.event_type}|{event.message_id}|{event.recipient}|{event.timestamp}"
    return f"{esp_name}:h:{hashlib.sha256(raw.encode()).hexdigest()}"


@receiver(tracking, dispatch_uid="pressroom-tracking")
def handle_tracking(sender, event, esp_name, **kwargs):
    record_event(event=event, esp_name=esp_name)


def record_event(*, event, esp_name):
    """Apply one tracking event; return False if it had been handled before."""
    recipient = (event.recipient or "").strip()
    try:
        with transaction.atomic():
            TrackingEvent.objects.create(
                event_id=event_key(event, esp_name), event_type=event.event_type, recipient=recipient[:254]
            )
            subscriber = Subscriber.objects.filter(email__iexact=recipient).first() if recipient else None
            if subscriber is not None and event.event_type in SUBSCRIBER_STATUS:
                _suppress(subscriber, SUBSCRIBER_STATUS[event.event_type])
            if event.event_type in LEDGER_EVENTS | PROVIDER_HAD_IT:
                _update_ledger(event, recipient)
    except IntegrityError:
        return False
    return True


def deliveries_for(event, recipient):
    """The ledger rows EVENT is about: the recipient's row with the provider's message id, or the row
    named in the event's metadata (which an uncertain row, with no message id, is found by)."""
    match = Q()
    if event.message_id:
        match |= Q(message_id=str(event.message_id)[:200])
    delivery = str((event.metadata or {}).get(providers.DELIVERY_METADATA, ""))
    if delivery.isdigit():
        match |= Q(pk=int(delivery))
    if not recipient or not match:
        return Delivery.objects.none()
    # A batch shares one message id: only the row of this recipient is the event's.
    return Delivery.objects.alias(email_lower=Lower("subscriber__email")).filter(
        match, email_lower=recipient.lower()
    )


def _update_ledger(event, recipient):
    rows = deliveries_for(event, recipient)
    # Opens and clicks settle an uncertain row but are not kept as the row's last event.
    recorded = event.event_type in LEDGER_EVENTS
    if not (rows.update(event=event.event_type) if recorded else rows.exists()):
        log.warning(
            "tracking event %s (message %s) matches no delivery; nothing changed",
            event.event_type,
            event.message_id,
        )
        return
    uncertain = rows.filter(status=Delivery.Status.UNCERTAIN)
    if event.message_id:
        uncertain.filter(message_id="").update(message_id=str(event.message_id)[:200])
    when = event.timestamp or timezone.now()
    if event.event_type in PROVIDER_REFUSED:
        uncertain.update(status=Delivery.Status.FAILED, error=f"the provider reported it {event.event_type}")
    elif event.event_type in PROVIDER_HAD_IT:
        uncertain.update(status=Delivery.Status.SENT, sent_at=when, error="")


def _suppress(subscriber, status):
    """Stop mail to SUBSCRIBER now: every batch claimed from here on skips them."""
    from . import services

    if status == Subscriber.Status.UNSUBSCRIBED:
        services.unsubscribe(subscriber=subscriber, how="provider")
    else:
        Subscriber.objects.filter(pk=subscriber.pk).update(
            status=status, unsubscribed_at=timezone.now(), updated_at=timezone.now()
        )
    Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.SKIPPED, error=f"subscriber {status}"
    )
