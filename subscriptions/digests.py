"""Daily and weekly digests: one per subscriber per period, listing the releases they have not had.

A digest's row is written before it is sent and claimed (queued → uncertain) just before the hand-over,
so a crash leaves it uncertain, never sent twice. A transient error (the connection dropped or refused,
SMTP 4xx, a provider's 429 or 5xx) puts it back in the queue with a backoff, and send_due() sends it
again; a permanent one marks it failed. A dropped connection is reopened, so the rest of the run goes on.
"""

import contextlib
import logging
import smtplib
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.message import sanitize_address
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from pressroom.newsroom.models import Release

from . import emails, smtp
from .mailings import PermanentError, TransientError, UncertainError, backoff, classify
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
    counts = {"sent": 0, "empty": 0, "skipped": 0, "failed": 0, "queued": 0, "uncertain": 0}
    if candidates:
        last_pk = 0
        with Sender() as connection:
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
    with Sender() as connection:
        return _send_one(subscriber, frequency, since, until, candidates, connection)


def send_due(*, now=None, limit=500):
    """Send the queued digests whose time has come (a transient error's backoff is over, an editor queued
    them again, or a crash came between writing and sending them); return counts, with "more" when
    LIMIT were taken and others may be due."""
    now = now or timezone.now()
    due = list(
        Digest.objects.filter(status=Digest.Status.QUEUED, next_attempt_at__lte=now)
        .select_related("subscriber")
        .order_by("next_attempt_at", "pk")[:limit]
    )
    counts = Counter()
    with Sender() as connection:
        for digest in due:
            subscriber = digest.subscriber
            releases = list(Release.objects.published(now=now).filter(digests=digest))
            if subscriber.status != Subscriber.Status.ACTIVE or not releases:
                why = "the subscriber has left" if releases else "none of its releases is published now"
                Digest.objects.filter(pk=digest.pk, status=Digest.Status.QUEUED).update(
                    status=Digest.Status.FAILED, error=f"not sent: {why}", next_attempt_at=None
                )
                counts["failed"] += 1
                continue
            counts[_attempt(digest, subscriber, releases, connection)] += 1
    # Not while the server cannot be reached: the next minute's run tries again.
    counts["more"] = len(due) == limit and not connection.unreachable
    log.info("due digests: %s", dict(counts))
    return dict(counts)


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
            # Due at once: if this run dies before sending it, send_due() does.
            digest = Digest.objects.create(
                subscriber=subscriber,
                frequency=frequency,
                period_start=start,
                period_end=end,
                next_attempt_at=timezone.now(),
            )
            digest.releases.set(releases)
    except IntegrityError:
        return "skipped"  # this period's digest exists: sent, queued for a retry, failed or uncertain
    return _attempt(digest, subscriber, releases, connection)


def _attempt(digest, subscriber, releases, connection):
    """Claim DIGEST (still queued) and send it over CONNECTION, a Sender; record the outcome and return
    it: "sent", "queued" (to be retried), "failed", "uncertain", or "skipped" (another sender has it)."""
    if connection.unreachable:
        return "queued"  # the server could not be reached in this run: left for send_due()
    claimed = Digest.objects.filter(pk=digest.pk, status=Digest.Status.QUEUED).update(
        status=Digest.Status.UNCERTAIN, attempts=F("attempts") + 1, next_attempt_at=None
    )
    if not claimed:
        return "skipped"
    # Claimed before the send: a crash from here on leaves it uncertain, never sent twice.
    attempts = digest.attempts + 1
    row = Digest.objects.filter(pk=digest.pk)
    try:
        with translation.override(subscriber.language):
            message = emails.digest_message(subscriber, releases, frequency=digest.frequency)
    except Exception as exc:  # noqa: BLE001 - recorded on the digest row
        error = PermanentError(f"{exc.__class__.__name__}: {str(exc)[:500]}")
    else:
        error = connection.hand_over(message)
    if error is None:
        row.update(status=Digest.Status.SENT, sent_at=timezone.now(), error="")
        return "sent"
    if isinstance(error, TransientError) and attempts < settings.MAILING_MAX_ATTEMPTS:
        delay = error.retry_after if error.retry_after is not None else backoff(attempts)
        row.update(
            status=Digest.Status.QUEUED,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            error=str(error)[:1000],
        )
        return "queued"
    if isinstance(error, UncertainError):
        row.update(error=str(error)[:1000])  # it stays uncertain: an editor may resend it
        return "uncertain"
    if isinstance(error, TransientError):
        error = f"gave up after {attempts} attempts: {error}"
    row.update(status=Digest.Status.FAILED, error=str(error)[:1000])
    return "failed"


class Sender:
    """The connection a run of digests goes out on, one message at a time.

    With Django's SMTP backend the envelope (MAIL, RCPT) and the content (DATA) are sent as separate
    steps, so a failure before the content is known to have sent nothing: a connection found dropped
    then is reopened and the message sent on the new one, and the rest of the run goes on. Only a
    connection lost while the content was on its way leaves a digest uncertain. Once the server cannot
    be reached at all, the rest of the run is left queued for send_due() instead of tried one by one.
    """

    def __init__(self):
        self.backend = get_connection(fail_silently=False)
        self.unreachable = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._close()

    def hand_over(self, message):
        """Send MESSAGE; None, or the TransientError, UncertainError or PermanentError saying why not."""
        if not smtp.takes_bytes(self.backend):
            try:
                self.backend.send_messages([message])
            except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded
                error = classify(exc)
                if not isinstance(error, PermanentError):
                    self._reopen()
                return error
            return None
        return self._over_smtp(message, reopen=True)

    def _over_smtp(self, message, *, reopen):
        reused = self.backend.connection is not None
        try:
            if not reused:
                self.backend.open()
            server = self.backend.connection
            encoding = message.encoding or settings.DEFAULT_CHARSET
            sender = sanitize_address(message.from_email, encoding)
            content = message.message().as_bytes(linesep="\r\n")
        except Exception as exc:  # noqa: BLE001
            if isinstance(exc, OSError):
                self._close()
                self.unreachable = True
                return TransientError(f"could not connect: {exc.__class__.__name__}: {exc}")
            return PermanentError(f"{exc.__class__.__name__}: {str(exc)[:500]}")
        try:
            server.ehlo_or_helo_if_needed()
            options = [f"size={len(content)}"] if server.does_esmtp and server.has_extn("size") else []
            code, reply = server.mail(sender, options)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, sender)
            for recipient in message.recipients():
                address = sanitize_address(recipient, encoding)
                code, reply = server.rcpt(address)
                if code not in (250, 251):
                    raise smtplib.SMTPRecipientsRefused({address: (code, reply)})
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as refused:
            self._reset(refused)
            if reused and reopen and getattr(refused, "smtp_code", None) == 421:
                # The server closes this connection (too many messages on it, a restart): a new one.
                return self._over_smtp(message, reopen=False)
            return classify(refused)
        except OSError as exc:  # smtplib's SMTPServerDisconnected among them: nothing of MESSAGE went out
            self._close()
            if reused and reopen:
                log.info("SMTP connection lost between digests (%s); reopening", exc.__class__.__name__)
                return self._over_smtp(message, reopen=False)
            return TransientError(f"connection lost before sending: {exc.__class__.__name__}: {exc}")
        try:
            server.data(content)
        except smtplib.SMTPResponseException as refused:  # DATA or the content refused: not delivered
            self._reset(refused)
            return classify(refused)
        except OSError as exc:
            self._close()
            return UncertainError(f"connection lost while sending: {exc.__class__.__name__}: {exc}")
        return None

    def _reset(self, refused):
        """After a refusal: RSET, as smtplib's sendmail() does; a server that said 421 is closing."""
        if getattr(refused, "smtp_code", None) == 421:
            self._close()
            return
        try:
            self.backend.connection.rset()
        except OSError:
            self._close()

    def _close(self):
        with contextlib.suppress(Exception):
            self.backend.close()

    def _reopen(self):
        """A new connection after a connection-level error, kept open for the rest of the run (a backend
        left closed would open and close one per message)."""
        self._close()
        with contextlib.suppress(Exception):
            self.backend.open()
