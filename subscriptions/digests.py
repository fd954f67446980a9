"""Daily and weekly digests: one per subscriber per period, listing the releases they have not had."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation

from pressroom.newsroom.models import Release

from . import emails
from .models import Delivery, Digest, Subscriber

log = logging.getLogger(__name__)

PERIODS = {Subscriber.Frequency.DAILY: timedelta(days=1), Subscriber.Frequency.WEEKLY: timedelta(days=7)}
# However long ago a subscriber's last digest was, a digest reaches back at most this far.
LONGEST_LOOKBACK = PERIODS[Subscriber.Frequency.WEEKLY]


def period(frequency, now=None):
    """The period a digest run covers, half-open [start, end): it ends at the latest DIGEST_HOUR (local
    time) at or before NOW. A release published at DIGEST_HOUR itself belongs to the next period, so it
    is in one digest, not two."""
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


def owed_since(subscriber, start, end):
    """From when SUBSCRIBER is owed releases in the digest ending at END: since their last digest (or
    since they left "immediately"), at most one week back; since START when nothing says otherwise."""
    since = subscriber.digest_covered_until or start
    return max(since, end - LONGEST_LOOKBACK)


def send_digests(*, frequency, now=None, chunk=500):
    """Build and send the digests of one period. Safe to run again: the period's digests exist once."""
    start, end = period(frequency, now)
    subscribers = (
        Subscriber.objects.active().filter(frequency=frequency).prefetch_related("topics").order_by("pk")
    )
    candidates = list(
        Release.objects.published(now=end)
        .filter(published_at__gte=end - LONGEST_LOOKBACK, published_at__lt=end)
        .prefetch_related("topics")
    )
    counts = {"sent": 0, "empty": 0, "skipped": 0, "failed": 0}
    if candidates:
        last_pk = 0
        connection = get_connection(fail_silently=False)
        with connection:
            while True:
                batch = list(subscribers.filter(pk__gt=last_pk)[:chunk])
                if not batch:
                    break
                last_pk = batch[-1].pk
                for subscriber in batch:
                    since = owed_since(subscriber, start, end)
                    owed = [release for release in candidates if release.published_at >= since]
                    outcome = _send_one(subscriber, frequency, start, end, owed, connection)
                    counts[outcome] += 1
    # Everyone of this frequency is covered up to END now, whether their digest had anything or not.
    subscribers.filter(Q(digest_covered_until__isnull=True) | Q(digest_covered_until__lt=end)).update(
        digest_covered_until=end
    )
    log.info("%s digests for %s–%s: %s", frequency, start, end, counts)
    return counts


def send_catch_up(*, subscriber_id, frequency, since, until):
    """The releases a subscriber who left FREQUENCY for "immediately" was still owed: those published in
    [SINCE, UNTIL), in one digest of that frequency (once: the period starts at SINCE)."""
    subscriber = Subscriber.objects.active().filter(pk=subscriber_id).prefetch_related("topics").first()
    if subscriber is None:
        return "skipped"
    candidates = list(
        Release.objects.published(now=until)
        .filter(published_at__gte=since, published_at__lt=until)
        .prefetch_related("topics")
    )
    with get_connection(fail_silently=False) as connection:
        return _send_one(subscriber, frequency, since, until, candidates, connection)


def already_had(subscriber, candidates):
    """The ids of CANDIDATES that SUBSCRIBER has or will have another way: a delivery of its mailing
    that is sent, on its way or perhaps sent, or another digest that is not failed."""
    delivered = Delivery.objects.filter(subscriber=subscriber, mailing__release__in=candidates).exclude(
        status__in=[Delivery.Status.FAILED, Delivery.Status.SKIPPED]
    )
    in_digests = Digest.releases.through.objects.filter(
        digest__subscriber=subscriber, release__in=candidates
    ).exclude(digest__status=Digest.Status.FAILED)
    return set(delivered.values_list("mailing__release_id", flat=True)) | set(
        in_digests.values_list("release_id", flat=True)
    )


def _send_one(subscriber, frequency, start, end, candidates, connection):
    matching = releases_for(subscriber, candidates)
    had = already_had(subscriber, matching) if matching else set()
    releases = [release for release in matching if release.pk not in had]
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
