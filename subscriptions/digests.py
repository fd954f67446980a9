"""Daily and weekly digests as mailings of the one ledger.

A digest run plans: for every subscriber of the frequency it works out the releases they are owed
(matching their language and topics, published since what their last digest covered, and not had
another way), groups the subscribers whose digest has the same content (same language, same releases),
and writes one mailing per content with a ledger row per subscriber. The senders then send each like a
release mailing: one batch API call per 1,000 recipients with merge data, or pipelined over SMTP; with
the same retries, hand-over per message, write-back and sweeps. So a digest run costs about what a
mailing costs, and a crash, a dropped connection or a provider's 429 loses and repeats nothing.

Periods are half-open, [start, end), ending at DIGEST_HOUR: a release published at DIGEST_HOUR itself is
in the next period's digest, once. A subscriber is owed what was published since the last run of their
frequency ended (DigestRun), or, after they change frequency, since the time `Subscriber.
digest_covered_until` says until the next run, so that a change of frequency neither repeats nor drops a
release, and a run writes one row for its period rather than one per subscriber.
Planning is idempotent: run again (a redelivered task), it finds the same mailings and writes no row
twice, and a release already in a subscriber's digest or mailing is never planned for them again.
"""

import hashlib
import logging
from collections import defaultdict
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from pressroom.newsroom.models import Release

from . import emails, kinds, languages, mailings
from .models import Delivery, DigestRun, Mailing, Subscriber
from .release_email import PersonalMessage

log = logging.getLogger(__name__)

PERIODS = {Subscriber.Frequency.DAILY: timedelta(days=1), Subscriber.Frequency.WEEKLY: timedelta(days=7)}
# However long ago a subscriber's last digest was, a digest reaches back at most this far.
LONGEST_LOOKBACK = PERIODS[Subscriber.Frequency.WEEKLY]
# Deliveries that mean a subscriber has (or may have, or will have) a release: all but these.
NOT_HAD = Delivery.NOT_HAD


class Owed(NamedTuple):
    """What a subscriber of a digest run is owed: from when, and which releases by language and topic."""

    language: str
    since: object
    all_topics: bool
    norwegian: bool
    english: bool


def period(frequency, now=None):
    """The period a digest run covers, half-open [start, end): it ends at the latest DIGEST_HOUR (local
    time) at or before NOW. A release published at DIGEST_HOUR itself belongs to the next period, so it
    is in one digest, not two."""
    local = timezone.localtime(now or timezone.now())
    end = local.replace(hour=settings.DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if end > local:
        end -= timedelta(days=1)
    return end - PERIODS[frequency], end


def owed_since(subscriber, frequency, now=None):
    """From when SUBSCRIBER, of FREQUENCY, is owed releases, as of NOW: since the time their own row says
    (they changed frequency since the last run), else since the last run of FREQUENCY ended (a run that
    did not happen drops nothing), else since the start of the period. A run reaches back at most a
    week (LONGEST_LOOKBACK) from its own end, whatever this says."""
    start, _end = period(frequency, now)
    return subscriber.digest_covered_until or last_run_end(frequency, now or timezone.now()) or start


def _since(covered_until, start, end, last_end):
    return max(covered_until or last_end or start, end - LONGEST_LOOKBACK)


def last_run_end(frequency, at):
    """The end of the period of the latest run of FREQUENCY that ended at or before AT, or None."""
    return (
        DigestRun.objects.filter(frequency=frequency, period_end__lte=at)
        .order_by("-period_end")
        .values_list("period_end", flat=True)
        .first()
    )


def plan(*, frequency, now=None, chunk=5000, started=None):
    """Write the digests of the period ending before NOW into the ledger; return the ids of their
    mailings, ready to send. With STARTED, each mailing is made ready and STARTED(mailing id) called as
    soon as a part of the subscribers is written to it, so that sending overlaps the planning of the
    rest (STARTED is called again for a mailing that later parts add rows to)."""
    start, end = period(frequency, now)
    last_end = last_run_end(frequency, end - timedelta(microseconds=1))  # not this period's own
    candidates = _candidates(since=end - LONGEST_LOOKBACK, until=end)
    subscribers = Subscriber.objects.active().filter(frequency=frequency).order_by("pk")
    planned = set()
    if candidates:
        last_pk = 0
        while True:
            fields = ("pk", "language", "digest_covered_until", "all_topics", "norwegian", "english")
            part = list(subscribers.filter(pk__gt=last_pk).values_list(*fields)[:chunk])
            if not part:
                break
            first_pk, last_pk = part[0][0], part[-1][0]
            owed = {
                pk: Owed(language, _since(covered, start, end, last_end), every, norwegian, english)
                for pk, language, covered, every, norwegian, english in part
            }
            with transaction.atomic():
                written = _write(frequency, start, end, candidates, owed)
                _cover(subscribers.filter(pk__gte=first_pk, pk__lte=last_pk), end)
            if started is not None:
                for mailing_id in written:
                    started(_ready(mailing_id, count=False))
            planned |= written
    with transaction.atomic():
        _cover(subscribers, end)
        DigestRun.objects.get_or_create(frequency=frequency, period_end=end)
    ready = [_ready(mailing_id) for mailing_id in sorted(planned)]
    log.info("%s digests for %s–%s: %s mailings", frequency, start, end, len(ready))
    return ready


def _cover(subscribers, end):
    """The own times of SUBSCRIBERS (set when they changed frequency) that this run, ending at END, has
    covered are cleared: from now on the run says. Only switchers have one, so this writes few rows."""
    subscribers.filter(digest_covered_until__lte=end).update(digest_covered_until=None)


def plan_catch_up(*, subscriber, frequency, since, until):
    """The digest owed to a subscriber who leaves FREQUENCY for "immediately": the releases published in
    [SINCE, UNTIL) they have not had, in one digest whose period starts at SINCE. Returns its mailing's
    id, or None when nothing is owed."""
    candidates = _candidates(since=since, until=until)
    owed = {
        subscriber.pk: Owed(
            subscriber.language, since, subscriber.all_topics, subscriber.norwegian, subscriber.english
        )
    }
    planned = _write(frequency, since, until, candidates, owed)
    return _ready(planned.pop()) if planned else None


def _candidates(*, since, until):
    """Releases published in [SINCE, UNTIL) that are public now, with their topic ids, the written
    standards of their other public Norwegian versions, and the ids of those versions and their own."""
    releases = list(
        Release.objects.published()
        .filter(published_at__gte=since, published_at__lt=until)
        .prefetch_related("topics")
        .order_by("published_at", "pk")
    )
    for release in releases:
        release.topic_ids = {topic.pk for topic in release.topics.all()}
        others = languages.other_norwegian(release)
        release.other_standards = set(others.values())
        release.versions = {release.pk, *others}  # with itself
    return releases


def _write(frequency, start, end, candidates, owed):
    """Group the subscribers of OWED ({id: Owed}) by the content of their digest (and the language of
    its chrome, theirs), write a ledger row for each into its content's mailing; return the ids of the
    mailings written to."""
    topics = defaultdict(set)
    choosers = [pk for pk, wants in owed.items() if not wants.all_topics]
    if choosers:
        for subscriber_id, topic_id in Subscriber.topics.through.objects.filter(
            subscriber_id__in=choosers
        ).values_list("subscriber_id", "topic_id"):
            topics[subscriber_id].add(topic_id)
    # Only releases some of them are owed can have reached them another way: usually just the period's.
    earliest = min(wants.since for wants in owed.values())
    recent = [release for release in candidates if release.published_at >= earliest]
    # A release counts as had when any of its versions was: each release once (languages.py).
    had = already_had(list(owed), list({pk for release in recent for pk in release.versions}))
    groups = defaultdict(list)
    for subscriber_id, wants in owed.items():
        wanted = topics.get(subscriber_id)
        content = tuple(
            release.pk
            for release in candidates
            if release.published_at >= wants.since
            and languages.gets(
                release,
                language=wants.language,
                norwegian=wants.norwegian,
                english=wants.english,
                other_standards=release.other_standards,
            )
            and (not wanted or wanted & release.topic_ids)
            and not had[subscriber_id] & release.versions
        )
        if content:
            groups[wants.language, content].append(subscriber_id)
    written = set()
    for (language, content), subscriber_ids in groups.items():
        with transaction.atomic():
            mailing = _mailing(frequency, start, end, language, content)
            mailings.insert_rows(mailing.pk, subscriber_ids)
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


def _ready(mailing_id, count=True):
    """Let a planned mailing's senders start (again, if it was done), with its rows COUNTed."""
    now = timezone.now()
    counted = {"recipients": Delivery.objects.filter(mailing_id=mailing_id).count()} if count else {}
    Mailing.objects.filter(pk=mailing_id).exclude(status=Mailing.Status.CANCELLED).update(
        status=Mailing.Status.SENDING, prepared_at=now, last_activity_at=now, finished_at=None, **counted
    )
    return mailing_id


def already_had(subscriber_ids, release_ids):
    """{subscriber id: ids of RELEASE_IDS they have or will have another way}: a release mailing's row
    or a digest's that is sent, on its way or perhaps sent."""
    had = defaultdict(set)
    if not release_ids or not subscriber_ids:
        return had
    # A range of ids reads the index as well as a list and costs the planner far less for thousands.
    mine = Delivery.objects.filter(
        subscriber_id__gte=min(subscriber_ids), subscriber_id__lte=max(subscriber_ids)
    ).exclude(status__in=NOT_HAD)
    by_mailing = mine.filter(
        mailing__kind=Mailing.Kind.RELEASE, mailing__release_id__in=release_ids
    ).values_list("subscriber_id", "mailing__release_id")
    by_digest = mine.filter(mailing__kind=Mailing.Kind.DIGEST, mailing__releases__in=release_ids).values_list(
        "subscriber_id", "mailing__releases"
    )
    wanted = set(subscriber_ids)
    for subscriber_id, release_id in [*by_mailing, *by_digest]:
        if release_id in release_ids and subscriber_id in wanted:
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
            super().__init__(*emails.render("digest", context), mailing.language)


def _public(mailing):
    return Release.objects.published().filter(digest_mailings=mailing).exists()


KIND = kinds.Kind(builder=DigestMessage, current=_public, withdrawn=kinds.SKIP)
