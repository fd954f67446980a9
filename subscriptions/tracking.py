"""Provider tracking events (anymail's `tracking` signal): bounces and complaints suppress the subscriber,
unsubscribes unsubscribe, deliveries update the ledger. Each event is handled once, by its id."""

import hashlib
import logging

from anymail.signals import tracking
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from .models import Delivery, Subscriber, TrackingEvent

log = logging.getLogger(__name__)

SUBSCRIBER_STATUS = {
    "bounced": Subscriber.Status.BOUNCED,
    "complained": Subscriber.Status.COMPLAINED,
    "unsubscribed": Subscriber.Status.UNSUBSCRIBED,
}
LEDGER_EVENTS = {"delivered", "bounced", "complained", "unsubscribed", "rejected", "failed"}


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
            if event.event_type in LEDGER_EVENTS and event.message_id:
                rows = Delivery.objects.filter(message_id=event.message_id)
                if subscriber is not None:
                    rows = rows.filter(subscriber=subscriber)
                rows.update(event=event.event_type)
    except IntegrityError:
        return False
    return True


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
