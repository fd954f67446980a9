"""Privacy-first analytics: aggregate counts per release and day, nothing about any visitor.

`CountingMiddleware` counts views of public release pages and downloads of their files; the press kit
view counts its downloads. No cookie is set, and no address, user agent or referrer is stored: a view is
one added to a number. Counts are gathered in the process for up to ANALYTICS_PUSH_SECONDS (1), then
go to a Redis hash (HINCRBYs in one round trip, no database write in the request), and `flush()`, run by
a periodic task, adds them to `ReleaseStat` rows. Requests from obvious robots are
not counted.

Email numbers (sent, delivered, bounces, complaints, unsubscribes) are not copied anywhere: they are
counted from the mailings' Delivery ledger when an editor looks. `purge()` deletes rows older than
ANALYTICS_RETENTION_DAYS.
"""

import atexit
import logging
import os
import re
import threading
from collections import Counter, defaultdict
from datetime import date, timedelta

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from pressroom.newsroom.models import Attachment, Release
from pressroom.ops import redisclient
from pressroom.ops.redisclient import _client, client  # noqa: F401 - _client: its cache is cleared by tests

from .models import ReleaseStat

log = logging.getLogger(__name__)

Metric = ReleaseStat.Metric
ROBOTS = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|facebookexternalhit|preview|monitor|headless|curl/|wget/|python-requests|httpx",
    re.IGNORECASE,
)


def key(name):
    return redisclient.key(f"analytics:{name}")


def is_robot(request):
    return bool(ROBOTS.search(request.headers.get("User-Agent", "")))


def count(metric, *, release_id=None, attachment_id=None, request=None):
    """Add one to METRIC of a release (or of an attachment's release) for today. Never raises."""
    if request is not None and is_robot(request):
        return
    subject = f"r:{release_id}" if release_id is not None else f"a:{attachment_id}"
    field = f"{subject}:{timezone.localdate().isoformat()}:{metric}"
    if settings.ANALYTICS_PUSH_SECONDS > 0 or not push({field: 1}):
        _buffer.add({field: 1})


def push(counts):
    """Add COUNTS ({field: n}) to the pending hash in Redis, in one round trip. Never raises; returns
    whether they were recorded."""
    try:
        with client().pipeline(transaction=False) as pipe:
            for field, n in counts.items():
                pipe.hincrby(key("pending"), field, n)
            pipe.execute()
    except redis.RedisError as exc:
        # Statistics are not worth a failed page: the page is served, the counts wait in this process.
        log.warning(
            "analytics: %d counts not recorded yet (kept for the next push): %s", sum(counts.values()), exc
        )
        return False
    return True


class _Buffer:
    """Counts gathered in this process and pushed to Redis ANALYTICS_PUSH_SECONDS after the first of
    them, so that a page view costs no round trip of its own. A process killed outright loses at most
    that long's counts; one that exits normally pushes them first. While Redis cannot be reached the
    counts wait here (at most MAX_FIELDS releases × days × metrics) and are pushed once it answers."""

    MAX_FIELDS = 10_000

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.counts, self.timer = Counter(), None

    def add(self, counts):
        with self.lock:
            for field, n in counts.items():
                if field in self.counts or len(self.counts) < self.MAX_FIELDS:
                    self.counts[field] += n
            if self.timer is None:
                self.timer = threading.Timer(max(settings.ANALYTICS_PUSH_SECONDS, 1), self.push)
                self.timer.daemon = True
                self.timer.start()

    def push(self):
        with self.lock:
            counts = self.counts
            if self.timer is not None:
                self.timer.cancel()
            self.reset()
        if counts and not push(counts):
            self.add(counts)


_buffer = _Buffer()
atexit.register(_buffer.push)
# A forked child (a worker process) starts with no counts and no timer of its parent's.
os.register_at_fork(after_in_child=_buffer.reset)


class CountingMiddleware:
    """Counts GETs of public release pages (also those served by the page cache, which keeps the
    release's id with the page) and of their files, after they are served."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method != "GET" or response.status_code != 200:
            return response
        release_id = getattr(response, "release_id", None)
        match = request.resolver_match
        if release_id is not None:
            count(Metric.VIEW, release_id=release_id, request=request)
        elif (
            match is not None
            and match.namespace == "pressroom"
            and match.url_name == "attachment"
            and response.get("Cache-Control", "").startswith("public")
        ):
            # Staff downloading a file of an unpublished release (private responses) are not counted.
            count(Metric.DOWNLOAD, attachment_id=match.kwargs["pk"], request=request)
        return response


def flush():
    """Move the pending counts from Redis into ReleaseStat rows; return how many rows were touched."""
    r = client()
    lock = key("flush-lock")
    if not r.set(lock, "1", nx=True, ex=300):
        return 0
    try:
        flushing = key("flushing")
        # Counts left by a flush that failed half-way are added first; new ones wait for the next flush.
        if not r.exists(flushing):
            try:
                r.rename(key("pending"), flushing)
            except redis.ResponseError:
                return 0  # nothing pending
        totals = parse(r.hgetall(flushing))
        touched = add(totals)
        r.delete(flushing)
        return touched
    finally:
        r.delete(lock)


def parse(fields):
    """{(release_id, day, metric): n} from the Redis hash; attachments resolved to their releases."""
    counts = defaultdict(int)
    by_attachment = defaultdict(int)
    for field, value in fields.items():
        try:
            kind, pk, day, metric = field.decode().split(":")
            pk, day, value = int(pk), date.fromisoformat(day), int(value)
        except ValueError:
            continue
        if metric not in Metric.values:
            continue
        if kind == "r":
            counts[(pk, day, metric)] += value
        elif kind == "a":
            by_attachment[(pk, day, metric)] += value
    releases = dict(
        Attachment.objects.filter(pk__in={pk for pk, _day, _metric in by_attachment}).values_list(
            "pk", "release_id"
        )
    )
    for (attachment_id, day, metric), value in by_attachment.items():
        if attachment_id in releases:
            counts[(releases[attachment_id], day, metric)] += value
    return dict(counts)


def add(totals):
    """Add TOTALS to the ReleaseStat rows (created when missing). Releases deleted since are skipped."""
    existing = set(
        Release.objects.filter(pk__in={pk for pk, _day, _metric in totals}).values_list("pk", flat=True)
    )
    touched = 0
    with transaction.atomic():
        for (release_id, day, metric), value in sorted(totals.items()):
            if release_id not in existing:
                continue
            rows = ReleaseStat.objects.filter(release_id=release_id, day=day, metric=metric)
            if not rows.update(count=F("count") + value):
                try:
                    with transaction.atomic():
                        ReleaseStat.objects.create(release_id=release_id, day=day, metric=metric, count=value)
                except IntegrityError:
                    rows.update(count=F("count") + value)
            touched += 1
    return touched


def purge(now=None):
    """Delete the rows older than the retention period; return how many."""
    cutoff = timezone.localdate(now or timezone.now()) - timedelta(days=settings.ANALYTICS_RETENTION_DAYS)
    deleted, _detail = ReleaseStat.objects.filter(day__lt=cutoff).delete()
    return deleted


# What the admin shows


def daily(release, days, today=None):
    """[(day, {metric: count})] for the last DAYS days of RELEASE, oldest first, missing days as zeros."""
    today = today or timezone.localdate()
    start = today - timedelta(days=days - 1)
    found = defaultdict(dict)
    for day, metric, value in ReleaseStat.objects.filter(release=release, day__gte=start).values_list(
        "day", "metric", "count"
    ):
        found[day][metric] = value
    return [
        (start + timedelta(days=n), {m: found[start + timedelta(days=n)].get(m, 0) for m in Metric.values})
        for n in range(days)
    ]


def totals(release_ids, since):
    """{release_id: {metric: count}} since the day SINCE."""
    result = {pk: dict.fromkeys(Metric.values, 0) for pk in release_ids}
    rows = (
        ReleaseStat.objects.filter(release_id__in=release_ids, day__gte=since)
        .values_list("release_id", "metric")
        .annotate(n=Sum("count"))
        .order_by()
    )
    for release_id, metric, value in rows:
        result[release_id][metric] = value
    return result


EMAIL_COLUMNS = ("sent", "delivered", "bounced", "complained", "unsubscribed")


def email_counts(release_ids):
    """{release_id: {sent, delivered, bounced, complained, unsubscribed}} from the Delivery ledger.

    An unsubscribe counts for a release when the provider reported it for its email, or when the
    recipient unsubscribed after its email and before receiving another one.
    """
    from subscriptions.models import Delivery, Subscriber

    sent = Delivery.Status.SENT
    later_email = Delivery.objects.filter(
        subscriber=OuterRef("subscriber"),
        status=sent,
        sent_at__gt=OuterRef("sent_at"),
        sent_at__lte=OuterRef("subscriber__unsubscribed_at"),
    )
    left_after = Q(
        subscriber__status=Subscriber.Status.UNSUBSCRIBED, subscriber__unsubscribed_at__gte=F("sent_at")
    ) & ~Q(Exists(later_email))
    rows = (
        Delivery.objects.filter(mailing__kind="release", mailing__release_id__in=release_ids, status=sent)
        .values("mailing__release_id")
        .annotate(
            sent=Count("id"),
            delivered=Count("id", filter=Q(event="delivered")),
            bounced=Count("id", filter=Q(event="bounced")),
            complained=Count("id", filter=Q(event="complained")),
            unsubscribed=Count("id", filter=Q(event="unsubscribed") | left_after),
        )
        .order_by()
    )
    result = {pk: dict.fromkeys(EMAIL_COLUMNS, 0) for pk in release_ids}
    for row in rows:
        result[row["mailing__release_id"]] = {column: row[column] for column in EMAIL_COLUMNS}
    return result
