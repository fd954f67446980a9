"""Daily and weekly digests as mailings of the one ledger.

A digest run plans: for every subscriber of the frequency it works out the releases they are owed
(matching their language and topics, published since what their last digest covered, and not had
another way), groups the subscribers whose digest has the same content (same language, same releases),
and writes one mailing per content with a ledger row per subscriber. The senders then send each like a
release mailing: one batch API call per 1,000 recipients with merge data, or pipelined over SMTP; with
the same retries, hand-over per message, write-back and sweeps. So a digest run costs about what a
mailing costs, and a crash, a dropped connection or a provider's 429 loses and repeats nothing.

Periods are half-open, [start, end), ending at DIGEST_HOUR: a release published at DIGEST_HOUR itself is
in the next period's digest, once. `Subscriber.digest_covered_until` says up to when a subscriber's
digests have covered the archive, so that a change of frequency neither repeats nor drops a release.
Planning is idempotent: run again (a redelivered task), it finds the same mailings and writes no row
twice, and a release already in a subscriber's digest or mailing is never planned for them again.
"""

import hashlib
import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from pressroom.newsroom.models import Release

from . import emails, kinds
from .models import Delivery, Mailing, Subscriber
from .release_email import PersonalMessage

log = logging.getLogger(__name__)

PERIODS = {Subscriber.Frequency.DAILY: timedelta(days=1), Subscriber.Frequency.WEEKLY: timedelta(days=7)}
# However long ago a subscriber's last digest was, a digest reaches back at most this far.
LONGEST_LOOKBACK = PERIODS[Subscriber.Frequency.WEEKLY]
# Deliveries that mean a subscriber has (or may have, or will have) a release: all but these.
NOT_HAD = (Delivery.Status.FAILED, Delivery.Status.SKIPPED)


def period(frequency, now=None):
    """The period a digest run covers, half-open [start, end): it ends at the latest DIGEST_HOUR (local
    time) at or before NOW. A release published at DIGEST_HOUR itself belongs to the next period, so it
    is in one digest, not two."""
    local = timezone.localtime(now or timezone.now())
    end = local.replace(hour=settings.DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if end > local:
        end -= timedelta(days=1)
    return end - PERIODS[frequency], end


def owed_since(subscriber, start, end):
    """From when SUBSCRIBER is owed releases in the digest ending at END: since their last digest (or
    since they left "immediately"), at most one week back; since START when nothing says otherwise."""
    since = subscriber.digest_covered_until or start
    return max(since, end - LONGEST_LOOKBACK)


def plan(*, frequency, now=None, chunk=2000):
    """Write the digests of the period ending before NOW into the ledger; return the ids of their
    mailings, ready to send."""
    start, end = period(frequency, now)
    candidates = _candidates(since=end - LONGEST_LOOKBACK, until=end)
    subscribers = Subscriber.objects.active().filter(frequency=frequency).order_by("pk")
    planned = set()
    if candidates:
        last_pk = 0
        while True:
            part = list(subscribers.filter(pk__gt=last_pk)[:chunk])
            if not part:
                break
            last_pk = part[-1].pk
            owed = {s.pk: (s.language, owed_since(s, start, end)) for s in part}
            planned |= _write(frequency, start, end, candidates, owed)
    # Everyone of this frequency is covered up to END now, whether their digest had anything or not.
    subscribers.filter(Q(digest_covered_until__isnull=True) | Q(digest_covered_until__lt=end)).update(
        digest_covered_until=end
    )
    ready = [_ready(mailing_id) for mailing_id in sorted(planned)]
    log.info("%s digests for %s–%s: %s mailings", frequency, start, end, len(ready))
    return ready


def plan_catch_up(*, subscriber, frequency, since, until):
    """The digest owed to a subscriber who leaves FREQUENCY for "immediately": the releases published in
    [SINCE, UNTIL) they have not had, in one digest whose period starts at SINCE. Returns its mailing's
    id, or None when nothing is owed."""
    candidates = _candidates(since=since, until=until)
    planned = _write(frequency, since, until, candidates, {subscriber.pk: (subscriber.language, since)})
    return _ready(planned.pop()) if planned else None


def _candidates(*, since, until):
    """Releases published in [SINCE, UNTIL) that are public now, with their topic ids."""
    releases = list(
        Release.objects.published()
        .filter(published_at__gte=since, published_at__lt=until)
        .prefetch_related("topics")
        .order_by("published_at", "pk")
    )
    for release in releases:
        release.topic_ids = {topic.pk for topic in release.topics.all()}
    return releases


def _write(frequency, start, end, candidates, owed):
    """Group the subscribers of OWED ({id: (language, since)}) by the content of their digest, write a
    ledger row for each into its content's mailing; return the ids of the mailings written to."""
    ids = list(owed)
    topics = defaultdict(set)
    for subscriber_id, topic_id in Subscriber.topics.through.objects.filter(
        subscriber_id__in=ids
    ).values_list("subscriber_id", "topic_id"):
        topics[subscriber_id].add(topic_id)
    had = already_had(ids, [release.pk for release in candidates])
    groups = defaultdict(list)
    for subscriber_id, (language, since) in owed.items():
        wanted = topics.get(subscriber_id)
        content = tuple(
            release.pk
            for release in candidates
            if release.published_at >= since
            and release.language == language
            and (not wanted or wanted & release.topic_ids)
            and release.pk not in had[subscriber_id]
        )
        if content:
            groups[language, content].append(subscriber_id)
    written = set()
    for (language, content), subscriber_ids in groups.items():
        with transaction.atomic():
            mailing = _mailing(frequency, start, end, language, content)
            Delivery.objects.bulk_create(
                [Delivery(mailing=mailing, subscriber_id=pk) for pk in subscriber_ids],
                batch_size=1000,
                ignore_conflicts=True,
            )
        written.add(mailing.pk)
    return written


def _mailing(frequency, start, end, language, content):
    key = hashlib.sha256(f"{language}:{','.join(map(str, content))}".encode()).hexdigest()
    mailing, created = Mailing.objects.get_or_create(
        kind=Mailing.Kind.DIGEST,
        frequency=frequency,
        period_start=start,
        content_key=key,
        defaults={"period_end": end, "language": language, "status": Mailing.Status.PREPARING},
    )
    if created:
        mailing.releases.set(content)
    return mailing


def _ready(mailing_id):
    """Count a planned mailing's rows and let its senders start (again, if it was done)."""
    now = timezone.now()
    Mailing.objects.filter(pk=mailing_id).exclude(status=Mailing.Status.CANCELLED).update(
        status=Mailing.Status.SENDING,
        recipients=Delivery.objects.filter(mailing_id=mailing_id).count(),
        prepared_at=now,
        last_activity_at=now,
        finished_at=None,
    )
    return mailing_id


def already_had(subscriber_ids, release_ids):
    """{subscriber id: ids of RELEASE_IDS they have or will have another way}: a release mailing's row
    or a digest's that is sent, on its way or perhaps sent."""
    had = defaultdict(set)
    if not release_ids:
        return had
    mine = Delivery.objects.filter(subscriber_id__in=subscriber_ids).exclude(status__in=NOT_HAD)
    by_mailing = mine.filter(
        mailing__kind=Mailing.Kind.RELEASE, mailing__release_id__in=release_ids
    ).values_list("subscriber_id", "mailing__release_id")
    by_digest = mine.filter(mailing__kind=Mailing.Kind.DIGEST, mailing__releases__in=release_ids).values_list(
        "subscriber_id", "mailing__releases"
    )
    for subscriber_id, release_id in [*by_mailing, *by_digest]:
        if release_id in release_ids:
            had[subscriber_id].add(release_id)
    return had


class DigestMessage(PersonalMessage):
    """A digest's content rendered once in its language, with each subscriber's links put in per
    recipient or by the provider's merge fields. Only releases still public are listed."""

    def __init__(self, mailing):
        releases = list(
            Release.objects.published().filter(digest_mailings=mailing).order_by("published_at", "pk")
        )
        context = {
            "releases": [(release, settings.SITE_URL + release.get_absolute_url()) for release in releases],
            "frequency": mailing.frequency,
            "language": mailing.language,
            **self.placeholders(),
        }
        with translation.override(mailing.language):
            super().__init__(*emails.render("digest", context))


def _public(mailing):
    return Release.objects.published().filter(digest_mailings=mailing).exists()


KIND = kinds.Kind(builder=DigestMessage, current=_public, withdrawn=kinds.SKIP)
