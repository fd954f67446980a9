"""Daily and weekly digests: one per subscriber per period, listing the releases they have not had."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from pressroom.newsroom.models import Release

from . import emails
from .models import Delivery, Digest, Subscriber

log = logging.getLogger(__name__)

PERIODS = {Subscriber.Frequency.DAILY: timedelta(days=1), Subscriber.Frequency.WEEKLY: timedelta(days=7)}


def period(frequency, now=None):
    """The period a digest run covers: it ends at the latest DIGEST_HOUR (local time) before NOW."""
    local = timezone.localtime(now or timezone.now())
    end = local.replace(hour=settings.DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if end > local:
        end -= timedelta(days=1)
    return end - PERIODS[frequency], end


def releases_for(subscriber, candidates):
    """The candidate releases that match SUBSCRIBER's language and topics."""
    topic_ids = None if subscriber.all_topics else {t.pk for t in subscriber.topics.all()}
    return [
        release
        for release in candidates
        if release.language == subscriber.language
        and (topic_ids is None or topic_ids & {t.pk for t in release.topics.all()})
    ]


def send_digests(*, frequency, now=None, chunk=500):
    """Build and send the digests of one period. Safe to run again: the period's digests exist once."""
    start, end = period(frequency, now)
    candidates = list(
        Release.objects.published(now=end).filter(published_at__gte=start).prefetch_related("topics")
    )
    counts = {"sent": 0, "empty": 0, "skipped": 0, "failed": 0}
    if not candidates:
        return counts
    subscribers = (
        Subscriber.objects.active().filter(frequency=frequency).prefetch_related("topics").order_by("pk")
    )
    last_pk = 0
    connection = get_connection(fail_silently=False)
    with connection:
        while True:
            batch = list(subscribers.filter(pk__gt=last_pk)[:chunk])
            if not batch:
                break
            last_pk = batch[-1].pk
            for subscriber in batch:
                outcome = _send_one(subscriber, frequency, start, end, candidates, connection)
                counts[outcome] += 1
    log.info("%s digests for %s–%s: %s", frequency, start, end, counts)
    return counts


def _send_one(subscriber, frequency, start, end, candidates, connection):
    already_had = set(
        Delivery.objects.filter(
            subscriber=subscriber, status=Delivery.Status.SENT, mailing__release__in=candidates
        ).values_list("mailing__release_id", flat=True)
    )
    releases = [r for r in releases_for(subscriber, candidates) if r.pk not in already_had]
    if not releases:
        return "empty"
    try:
        with transaction.atomic():
            digest = Digest.objects.create(
                subscriber=subscriber, frequency=frequency, period_start=start, period_end=end
            )
            digest.releases.set(releases)
    except IntegrityError:
        return "skipped"  # this period's digest exists: sent, or left uncertain by a crash
    # Handed over before the send: a crash from here on leaves it uncertain, never sent twice.
    Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.UNCERTAIN)
    try:
        with translation.override(subscriber.language):
            emails.send_digest(subscriber, releases, frequency=frequency, connection=connection)
    except Exception as exc:  # noqa: BLE001 - recorded on the digest row
        Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.FAILED, error=str(exc)[:1000])
        return "failed"
    Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.SENT, sent_at=timezone.now())
    return "sent"
