"""Release events for the webhook endpoints: recorded inside the transaction that causes them, delivered
by a task after it commits (webhooks.py does the HTTP).

The newsroom announces publication, updates and unpublication with its signals; the receivers here turn
each into one `WebhookDelivery` per endpoint that wants it.
"""

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from pressroom.newsroom import signals

from . import tasks
from .models import WebhookDelivery, WebhookEndpoint
from .representations import public_release_data, public_releases_queryset

Event = WebhookEndpoint.Event


def queue_event(event, release):
    """Record EVENT for RELEASE for every active endpoint that wants it, and deliver after the commit.

    Call it inside the transaction that changes the release: if that transaction rolls back, nothing is
    recorded and nothing is sent.
    """
    endpoints = [
        endpoint for endpoint in WebhookEndpoint.objects.filter(is_active=True) if event in endpoint.events
    ]
    if not endpoints:
        return []
    payload = build_payload(event, release)
    if payload is None:
        return []
    deliveries = [
        WebhookDelivery.objects.create(endpoint=endpoint, event=event, release_id=release.pk, payload=payload)
        for endpoint in endpoints
    ]
    ids = [delivery.pk for delivery in deliveries]
    # Robust: the change is committed by then; a broker that is down leaves the deliveries pending for
    # the sweeper instead of turning the editor's request into a server error.
    transaction.on_commit(lambda: _queue(ids), robust=True)
    return deliveries


def _queue(ids):
    for pk in ids:
        tasks.deliver_webhook.delay(pk)


def build_payload(event, release):
    """The event's JSON: the release as the public API shows it, or only its address once unpublished.

    None when a "published" or "updated" release is not public (an update of a scheduled release)."""
    data = {"event": event, "created_at": timezone.now().isoformat()}
    if event == Event.UNPUBLISHED:
        data["release"] = {
            "id": release.pk,
            "slug": release.slug,
            "title": release.title,
            "language": release.language,
        }
        return data
    public = public_releases_queryset().filter(pk=release.pk).first()
    if public is None:
        return None
    data["release"] = public_release_data(public)
    return data


def retry_failed(deliveries):
    """Give failed DELIVERIES a fresh set of attempts; return how many were queued."""
    failed = deliveries.filter(status=WebhookDelivery.Status.FAILED)
    ids = list(failed.values_list("pk", flat=True))
    WebhookDelivery.objects.filter(pk__in=ids, status=WebhookDelivery.Status.FAILED).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=None
    )
    transaction.on_commit(lambda: _queue(ids))
    return len(ids)


@receiver(signals.release_published, dispatch_uid="webhooks-published")
def on_published(sender, release, **kwargs):
    queue_event(Event.PUBLISHED, release)


@receiver(signals.release_updated, dispatch_uid="webhooks-updated")
def on_updated(sender, release, **kwargs):
    queue_event(Event.UPDATED, release)


@receiver(signals.release_unpublished, dispatch_uid="webhooks-unpublished")
def on_unpublished(sender, release, **kwargs):
    queue_event(Event.UNPUBLISHED, release)
