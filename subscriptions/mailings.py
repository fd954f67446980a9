"""The delivery ledger: every email the system sends goes through here.

A Mailing is one email to its recipients, of one kind (kinds.py): a release, a digest's content, a
confirmation, an embargoed pre-send, a correction notice. Its Delivery rows, one per recipient, are
written before anything is sent: a release's set-wise by `prepare_mailing` once the publishing transaction
has created the Mailing, the others' by whoever creates them. Sender tasks then loop: claim a batch of
queued rows (row locks, SKIP LOCKED on PostgreSQL), mark them handed over, call the provider once per
batch (or once per recipient over one connection for SMTP), and write the result back. A crash leaves rows
in a state that says exactly what is known: claimed but never handed over (safe to queue again) or handed
over without an answer (uncertain: re-sent only when an editor says so). `sweep` recovers both, and
mailings whose tasks were lost.
"""

import contextlib
import logging
import random
import smtplib
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Count, DateTimeField, Exists, F, Func, Min, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import kinds, providers, senders, smtp
from .models import Delivery, DeliveryTally, Mailing, Subscriber

log = logging.getLogger(__name__)

ACTIVE_MAILING = (Mailing.Status.PREPARING, Mailing.Status.SENDING)


def audience(release):
    """Who gets RELEASE straight away: active, matching subscribers who want every release at once."""
    return Subscriber.objects.for_release(release).filter(frequency=Subscriber.Frequency.IMMEDIATELY)


def prepare_mailing(mailing_id):
    """Write the ledger of a release's MAILING set-wise; the task then starts the senders. Idempotent.
    A mailing of another kind had its rows written by whoever made it: it is only counted (a digest
    run that stopped before it was)."""
    mailing = Mailing.objects.select_related("release").get(pk=mailing_id)
    if mailing.status != Mailing.Status.PREPARING:
        return mailing
    if mailing.kind != Mailing.Kind.RELEASE:
        now = timezone.now()
        Mailing.objects.filter(pk=mailing.pk, status=Mailing.Status.PREPARING).update(
            status=Mailing.Status.SENDING,
            recipients=Delivery.objects.filter(mailing=mailing).count(),
            prepared_at=now,
            last_activity_at=now,
        )
        mailing.refresh_from_db()
        return mailing
    subscribers_sql, params = audience(mailing.release).order_by().values(sid=F("pk")).query.sql_with_params()
    table = Delivery._meta.db_table
    with transaction.atomic():
        with db_connection.cursor() as cursor:
            # INSERT ... SELECT: the list of recipients never passes through Python. `WHERE true`
            # keeps SQLite's parser from reading ON CONFLICT as part of the SELECT.
            # The SQL is Django's own compilation of the audience queryset; values are parameters.
            cursor.execute(
                f"INSERT INTO {table} ({ROW_COLUMNS}) "  # noqa: S608
                f"SELECT %s, audience.sid, {QUEUED_ROW} FROM ({subscribers_sql}) AS audience "
                "WHERE true ON CONFLICT (mailing_id, subscriber_id) DO NOTHING",
                [mailing.pk, *params],
            )
        recipients = Delivery.objects.filter(mailing=mailing).count()
        now = timezone.now()
        Mailing.objects.filter(pk=mailing.pk, status=Mailing.Status.PREPARING).update(
            status=Mailing.Status.SENDING, recipients=recipients, prepared_at=now, last_activity_at=now
        )
    compact(mailing.pk)  # SQLite's triggers wrote a tally per row
    log.info("mailing %s prepared: %s recipients", mailing.pk, recipients)
    mailing.refresh_from_db()
    return mailing


# A queued ledger row written in SQL: after its mailing and subscriber, the columns' starting values.
ROW_COLUMNS = "mailing_id, subscriber_id, email, status, attempts, message_id, event, error, claimed_by"
QUEUED_ROW = f"'', '{Delivery.Status.QUEUED}', 0, '', '', '', ''"


def insert_rows(mailing_id, subscriber_ids, step=2000):
    """Queued rows of MAILING_ID for SUBSCRIBER_IDS, set-wise; those already there are kept."""
    table = Delivery._meta.db_table
    with db_connection.cursor() as cursor:
        for first in range(0, len(subscriber_ids), step):
            part = subscriber_ids[first : first + step]
            cursor.execute(
                f"INSERT INTO {table} ({ROW_COLUMNS}) "  # noqa: S608 - values are parameters
                f"VALUES {', '.join([f'(%s, %s, {QUEUED_ROW})'] * len(part))} "
                "ON CONFLICT (mailing_id, subscriber_id) DO NOTHING",
                [value for pk in part for value in (mailing_id, pk)],
            )


def write(kind, *, recipients, release=None):
    """Write a mailing of KIND with a ledger row for each of RECIPIENTS, (subscriber id, None) or (None,
    address) pairs, ready to send; return the mailing and its rows in the same order. The caller starts
    its senders once this is committed (tasks.start_sending)."""
    now = timezone.now()
    mailing = Mailing.objects.create(
        kind=kind,
        release=release,
        status=Mailing.Status.SENDING,
        recipients=len(recipients),
        prepared_at=now,
        last_activity_at=now,
    )
    rows = Delivery.objects.bulk_create(
        [Delivery(mailing=mailing, subscriber_id=pk, email=email or "") for pk, email in recipients],
        batch_size=1000,
    )
    return mailing, rows


# Claiming and sending


def claim_batch(mailing_id, size, now=None, audience=Subscriber.Status.ACTIVE):
    """Claim up to SIZE queued rows of a mailing; return the claim id, or None when none is due. A row
    whose subscriber no longer has the AUDIENCE status (left the list, confirmed meanwhile) is skipped.

    On PostgreSQL the rows are locked with SKIP LOCKED so that concurrent senders take different rows.
    SQLite has no row locks; there the transaction is IMMEDIATE (see settings), so claims are
    serialized by the database's write lock and a second claimer sees the rows already taken.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = Delivery.objects.filter(mailing_id=mailing_id, status=Delivery.Status.QUEUED).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )
        if settings.USING_POSTGRES:
            # Lock the ledger rows only: the subscriber rows are read, and unsubscribing must not wait.
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(due.order_by("id").values_list("id", "subscriber__status")[:size])
        if not rows:
            return None
        claim = uuid.uuid4()
        Delivery.objects.filter(id__in=[i for i, status in rows if status in (audience, None)]).update(
            status=Delivery.Status.SENDING,
            claim=claim,
            claimed_at=now,
            claimed_by=senders.identity(),
            claimed_during=_server_started() if settings.USING_POSTGRES else None,
            handed_over_at=None,
            attempts=F("attempts") + 1,
        )
        # Whoever left since the ledger was written is skipped, not sent to. (Read with the claim, this
        # costs a join per batch; a second UPDATE over a subquery cost a fifth of the claim's time.)
        if gone := [i for i, status in rows if status not in (audience, None)]:
            Delivery.objects.filter(id__in=gone).update(status=Delivery.Status.SKIPPED, claim=None)
        Mailing.objects.filter(pk=mailing_id).update(last_activity_at=now)
    return claim


def _rows(deliveries):
    """DELIVERIES as the rows builders take: (id, address, subscriber token or None, subscriber id or
    None), the address a subscriber's own or, for anyone else, the row's."""
    return list(
        deliveries.annotate(address=Coalesce("subscriber__email", "email"))
        .order_by("id")
        .values_list("id", "address", "subscriber__token", "subscriber_id")
    )


def hand_over(claim):
    """Mark the claimed rows as handed to the provider; return them as rows (see _rows).

    Rows that the sweeper took back in the meantime are no longer ours and are not returned.
    """
    held = Delivery.objects.filter(claim=claim, status=Delivery.Status.SENDING)
    held.filter(handed_over_at__isnull=True).update(handed_over_at=timezone.now())
    return _rows(held.filter(handed_over_at__isnull=False))


def batched(provider, builder):
    """True when BUILDER's messages go to PROVIDER's batch API, one call for many recipients."""
    return provider.batch and hasattr(builder, "batch")


class OneByOne:
    """The ledger's side of sending a claim's messages one at a time (SMTP, or an HTTP call per message):
    each row is handed over just before its message goes, so that a sender that dies leaves uncertain only
    what was in flight (one message; two over a pipelined SMTP connection, where the next message's
    commands go out with this one's content), and the rest of its claim is queued again.

    The messages sent since the last hand-over are written back in the same statement that hands over
    the next row: one statement per message. On PostgreSQL that statement's commit does not wait for the
    disk (synchronous_commit off for it alone): a WAL flush per message would cost more than the message
    (1.25 ms against 0.3 ms over SMTP on this machine). A sender that dies loses nothing by it, as its
    commits are the server's; only a crash of the database server itself can lose the last fraction of a
    second of them, and then `recover` counts every row of a claim made before the server started as
    uncertain rather than queuing any again. The claim, the final write-back of each claim and every
    other write stay synchronous.
    """

    def __init__(self, claim):
        self.claim = claim
        self.sent = {}  # id -> message id, sent and not written back yet

    def rows(self, rows):
        """ROWS, each handed over as it is taken; rows the sweeper took back in the meantime are left."""
        for row in rows:
            if self._write(hand_over=row[0]):
                yield row

    def flush(self):
        """Write back what was sent since the last hand-over."""
        if self.sent:
            _mark_sent_one_by_one(self.claim, self.sent, timezone.now())
            self.sent = {}

    def _write(self, hand_over):
        """One statement, by the claim's index and the rows' ids: the rows in SELF.SENT marked sent (a
        late answer settles a row the sweeper made uncertain too), HAND_OVER marked handed over if it is
        still this claim's and waiting. Returns whether HAND_OVER was."""
        now = Delivery._meta.get_field("sent_at").get_db_prep_value(timezone.now(), db_connection)
        claim = Delivery._meta.get_field("claim").get_db_prep_value(self.claim, db_connection)
        sent = list(self.sent.items())
        set_sent = ""
        params = []
        if sent:
            ids = ", ".join(["%s"] * len(sent))
            set_sent = (
                f"status = CASE WHEN id IN ({ids}) THEN %s ELSE status END, "
                f"sent_at = CASE WHEN id IN ({ids}) THEN %s ELSE sent_at END, "
                f"error = CASE WHEN id IN ({ids}) THEN '' ELSE error END, "
                f"message_id = CASE id {' '.join(['WHEN %s THEN %s'] * len(sent))} ELSE message_id END, "
            )
            row_ids = [row_id for row_id, _message_id in sent]
            params += [*row_ids, Delivery.Status.SENT.value, *row_ids, now, *row_ids]
            params += [value for row_id, message_id in sent for value in (row_id, message_id[:200])]
        # The commit does not wait for the disk on PostgreSQL (see the class's docstring).
        asynchronous = (
            " AND (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL"
            if db_connection.vendor == "postgresql"
            else ""
        )
        sql = (
            f"UPDATE {Delivery._meta.db_table} SET {set_sent}"  # noqa: S608 - names are ours, values parameters
            f"handed_over_at = CASE WHEN id = %s AND status = %s AND handed_over_at IS NULL THEN %s "
            f"ELSE handed_over_at END "
            f"WHERE claim = %s AND id IN ({', '.join(['%s'] * (len(sent) + 1))}){asynchronous} "
            f"RETURNING id, handed_over_at = %s"
        )
        params += [
            hand_over, Delivery.Status.SENDING.value, now,
            claim, *(row_id for row_id, _message_id in sent), hand_over,
            now,
        ]  # fmt: skip
        self.sent = {}
        return any(row_id == hand_over and handed for row_id, handed in _execute_prepared(sql, params))


def _execute_prepared(sql, params):
    """Run SQL and return its rows; on PostgreSQL as a statement prepared once per connection, its values
    bound on the server. Django's cursors bind on the client, which costs the server a parse and a plan
    of every statement: for the statement sent per message (OneByOne), 2.5 times the CPU in the database
    and in the worker (0.25 against 0.10 ms in the server, 0.10 against 0.04 ms in the worker, measured
    side by side on this machine's PostgreSQL 15)."""
    if db_connection.vendor != "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    import psycopg

    db_connection.ensure_connection()
    # Prepared once per connection: settings give PostgreSQL connections a prepare threshold.
    with db_connection.wrap_database_errors, psycopg.Cursor(db_connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall()


@dataclass
class Outcome:
    """What a provider call told us, per ledger row id."""

    sent: dict = field(default_factory=dict)  # id -> provider message id
    failed: dict = field(default_factory=dict)  # id -> error (permanent)
    retry: dict = field(default_factory=dict)  # id -> error (not handed over, or refused for now)
    uncertain: dict = field(default_factory=dict)  # id -> error (may have been accepted)
    retry_after: float | None = None
    # The connection is gone or refusing: what was not handed over waits, and sending starts anew.
    broken: bool = False


class TransientError(Exception):
    """The provider refused for now (429, 5xx) or could not be reached: nothing was accepted."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


class UncertainError(Exception):
    """The request may have reached the provider, but its answer was lost."""


class PermanentError(Exception):
    """The provider refused the message for good (4xx other than 429)."""


def classify(exc):
    """Turn a backend exception into TransientError, UncertainError or PermanentError."""
    import requests
    from anymail.exceptions import AnymailRequestsAPIError

    if isinstance(exc, AnymailRequestsAPIError) and getattr(exc, "status_code", None):
        status = exc.status_code
        if status == 429 or status >= 500:
            return TransientError(f"HTTP {status}", retry_after=_retry_after(exc.response))
        return PermanentError(f"HTTP {status}: {str(exc)[:500]}")
    if isinstance(exc, requests.ConnectTimeout) or _never_connected(exc):
        return TransientError(f"could not connect: {exc.__class__.__name__}")
    if isinstance(exc, requests.RequestException):
        return UncertainError(f"answer lost: {exc.__class__.__name__}: {str(exc)[:300]}")
    if isinstance(exc, smtp.LostBeforeContent):
        # Nothing of the message went out (a server closing an idle or full connection): at once, anew.
        return TransientError(f"connection lost before sending: {exc}", retry_after=0)
    if isinstance(exc, smtplib.SMTPResponseException):
        if 400 <= exc.smtp_code < 500:
            return TransientError(f"SMTP {exc.smtp_code}")
        return PermanentError(f"SMTP {exc.smtp_code}: {exc.smtp_error[:300]!r}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        if all(400 <= code < 500 for code, _reply in exc.recipients.values()):
            # 4xx: refused for now (greylisting, a full mailbox, a rate limit).
            return TransientError(f"recipient refused for now: {exc.recipients!r}"[:500])
        return PermanentError(f"recipient refused: {exc.recipients!r}"[:500])
    if isinstance(exc, ConnectionRefusedError | smtplib.SMTPConnectError):
        return TransientError(f"could not connect: {exc}")
    if isinstance(exc, OSError | smtplib.SMTPException):
        return UncertainError(f"answer lost: {exc.__class__.__name__}: {exc}")
    return PermanentError(f"{exc.__class__.__name__}: {str(exc)[:500]}")


def _never_connected(exc):
    """True when the request failed before a connection was made (nothing was sent)."""
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    seen = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NewConnectionError | ConnectTimeoutError | ConnectionRefusedError):
            return True
        stack.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        stack.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
    return False


def _retry_after(response):
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return min(float(value), settings.MAILING_RETRY_MAX_SECONDS) if value else None
    except ValueError:
        return None


def send_rows(rows, message_builder, provider, connection, ledger=None):
    """Send to ROWS through CONNECTION; return an Outcome. Never raises for provider errors.

    Messages sent one by one are handed over and written back through LEDGER (a OneByOne) as they go,
    when there is one: the Outcome then holds their sent rows too, already written.
    """
    if hasattr(message_builder, "split"):
        return _send_parts(message_builder.split(rows), provider, connection, ledger)
    outcome = Outcome()
    if batched(provider, message_builder):
        message = message_builder.batch(rows, provider, connection)
        message.merge_metadata = {
            email: {providers.DELIVERY_METADATA: str(row_id)} for row_id, email, *_ in rows
        }
        try:
            message.send()
        except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded
            error = classify(exc)
            _record_all(outcome, rows, error)
            outcome.broken = not isinstance(error, PermanentError)
            return outcome
        statuses = message.anymail_status.recipients
        for row_id, email, _token, _pk in rows:
            status = statuses.get(email)
            if status is None or status.status in ("queued", "sent", "scheduled", "unknown"):
                outcome.sent[row_id] = (status.message_id if status else "") or ""
            else:
                outcome.failed[row_id] = f"provider status: {status.status}"
        return outcome
    going = ledger.rows(rows) if ledger else rows
    if smtp.takes_bytes(connection):
        results = smtp.deliver(connection, going, message_builder)
    else:
        results = _one_by_one(going, message_builder, connection)
    position = {row[0]: index for index, row in enumerate(rows)}
    with contextlib.closing(results):
        for row_id, message_id, exc in results:
            if exc is None:
                outcome.sent[row_id] = message_id
                if ledger:
                    ledger.sent[row_id] = message_id
                continue
            error = classify(exc)
            _record(outcome, row_id, error)
            if isinstance(error, TransientError | UncertainError) and not isinstance(
                exc, smtplib.SMTPRecipientsRefused
            ):
                # The connection is gone or refusing (a recipient refused for now is theirs alone): the
                # rest of the batch was never handed over.
                for later_id, *_rest in rows[position[row_id] + 1 :]:
                    outcome.retry[later_id] = "not sent: an earlier message in the batch failed"
                outcome.broken = True
                break
    return outcome


def _send_parts(parts, provider, connection, ledger=None):
    """Send each (message builder, rows) of PARTS (a mailing whose recipients get different messages,
    e.g. by language): one Outcome for all. After a part that broke the connection, the rest wait."""
    outcome = Outcome()
    for index, (builder, rows) in enumerate(parts):
        part = send_rows(rows, builder, provider, connection, ledger)
        for name in ("sent", "failed", "retry", "uncertain"):
            getattr(outcome, name).update(getattr(part, name))
        if part.retry_after is not None:
            outcome.retry_after = part.retry_after
        if part.broken:
            outcome.broken = True
            for _builder, later in parts[index + 1 :]:
                for row_id, *_rest in later:
                    outcome.retry[row_id] = "not sent: an earlier message in the batch failed"
            break
    return outcome


def _one_by_one(rows, message_builder, connection):
    """(row id, Message-ID, exception or None) for each row, each message built and sent by Django."""
    for row in rows:
        row_id, email = row[0], row[1]
        try:
            message = message_builder.single(row, connection)
            message.connection = connection
            message.metadata = {providers.DELIVERY_METADATA: str(row_id)}
            message.send()
        except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded
            yield row_id, "", exc
        else:
            yield row_id, providers.message_id(message, email), None


def _record(outcome, row_id, error):
    if isinstance(error, TransientError):
        outcome.retry[row_id] = str(error)
        outcome.retry_after = error.retry_after
    elif isinstance(error, UncertainError):
        outcome.uncertain[row_id] = str(error)
    else:
        outcome.failed[row_id] = str(error)


def _record_all(outcome, rows, error):
    for row_id, *_rest in rows:
        _record(outcome, row_id, error)


def write_back(claim, outcome, now=None):
    """Record an Outcome in the ledger. Rows are matched by claim, so a late answer still counts."""
    now = now or timezone.now()
    held = Delivery.objects.filter(claim=claim)
    with transaction.atomic():
        message_ids = set(outcome.sent.values())
        if len(message_ids) == 1:
            # A batch API call: one message id for the whole batch.
            held.filter(id__in=list(outcome.sent)).update(
                status=Delivery.Status.SENT, message_id=message_ids.pop()[:200], sent_at=now, error=""
            )
        elif message_ids:
            _mark_sent_one_by_one(claim, outcome.sent, now)
        for row_id, error in outcome.failed.items():
            held.filter(id=row_id).update(status=Delivery.Status.FAILED, error=error)
        for row_id, error in outcome.uncertain.items():
            held.filter(id=row_id).update(status=Delivery.Status.UNCERTAIN, error=error)
        if outcome.retry:
            _requeue(held.filter(id__in=list(outcome.retry)), next(iter(outcome.retry.values())), now,
                     outcome.retry_after)  # fmt: skip


def _mark_sent_one_by_one(claim, sent, now, chunk=500):
    """Record messages sent one per recipient (SMTP), each with its own message id.

    One UPDATE per chunk rather than one per row: a statement per row took longer than the SMTP
    conversation itself (0.8 ms a row, against 0.4 ms for sendmail on loopback; this takes 0.1 ms a
    row). The VALUES list is a CTE read by a correlated subquery, which PostgreSQL and SQLite both
    accept; every value is a parameter, prepared by its field.
    """
    table = Delivery._meta.db_table
    claim = Delivery._meta.get_field("claim").get_db_prep_value(claim, db_connection)
    now = Delivery._meta.get_field("sent_at").get_db_prep_value(now, db_connection)
    rows = [(row_id, message_id[:200]) for row_id, message_id in sent.items()]
    with db_connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            cursor.execute(
                f"WITH sent (id, message_id) AS (VALUES {', '.join(['(%s, %s)'] * len(part))}) "  # noqa: S608
                f"UPDATE {table} SET status = %s, sent_at = %s, error = '', "
                f"message_id = (SELECT sent.message_id FROM sent WHERE sent.id = {table}.id) "
                f"WHERE claim = %s AND id IN (SELECT sent.id FROM sent)",
                [*(value for row in part for value in row), Delivery.Status.SENT, now, claim],
            )


def _requeue(rows, error, now, retry_after=None):
    """Queue ROWS again after a backoff, or fail those that have had every attempt."""
    rows.filter(attempts__gte=settings.MAILING_MAX_ATTEMPTS).update(
        status=Delivery.Status.FAILED,
        error=f"gave up after {settings.MAILING_MAX_ATTEMPTS} attempts: {error}",
    )
    for attempts in rows.filter(status=Delivery.Status.SENDING).values_list("attempts", flat=True).distinct():
        delay = retry_after if retry_after is not None else backoff(attempts)
        rows.filter(status=Delivery.Status.SENDING, attempts=attempts).update(
            status=Delivery.Status.QUEUED,
            claim=None,
            handed_over_at=None,
            error=error,
            next_attempt_at=now + timedelta(seconds=delay),
        )


def backoff(attempts):
    """Exponential backoff with jitter: 2, 4, 8 … seconds, capped."""
    base = min(
        settings.MAILING_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.MAILING_RETRY_MAX_SECONDS
    )
    return base * random.uniform(0.8, 1.2)


@dataclass
class Progress:
    more_now: bool = False
    retry_in: float | None = None


def send_batches(mailing_id, time_budget=None):
    """Claim and send batches of a mailing, of any kind, until none is due, it is paused or its content
    withdrawn, or the budget is spent."""
    time_budget = settings.MAILING_TASK_SECONDS if time_budget is None else time_budget
    senders.beat()
    recover_gone(mailing_id)
    deadline = time.monotonic() + time_budget
    provider = providers.current()
    mailing = Mailing.objects.select_related("release").filter(pk=mailing_id).first()
    if mailing is None:
        return Progress()
    kind = kinds.get(mailing.kind)
    builder = None
    connection = None
    try:
        while True:
            status = Mailing.objects.filter(pk=mailing_id).values_list("status", flat=True).first()
            if status != Mailing.Status.SENDING:
                return Progress()
            if not kind.current(mailing):
                withdraw(mailing_id, kind)
                return Progress()
            if time.monotonic() >= deadline:
                return Progress(more_now=True)
            started = time.monotonic()
            claim = claim_batch(mailing_id, provider.batch_size, audience=kind.audience)
            if claim is None:
                return _idle(mailing_id)
            if builder is None:
                builder = kind.builder(mailing)
            if connection is None:
                connection = _open_connection(claim)
                if connection is None:
                    return _idle(mailing_id)
            if batched(provider, builder):
                rows = hand_over(claim)
                outcome = send_rows(rows, builder, provider, connection) if rows else Outcome()
                write_back(claim, outcome)
            else:
                ledger = OneByOne(claim)
                rows = _rows(Delivery.objects.filter(claim=claim, status=Delivery.Status.SENDING))
                outcome = send_rows(rows, builder, provider, connection, ledger)
                ledger.flush()
                write_back(claim, replace(outcome, sent={}))
            if kind.sent and outcome.sent:
                kind.sent(list(outcome.sent), timezone.now())
            if outcome.broken:
                # A refusing or vanished server: what this claim has not handed over waits with the
                # refused, and sending starts over with a fresh connection.
                not_sent = Delivery.objects.filter(
                    claim=claim, status=Delivery.Status.SENDING, handed_over_at__isnull=True
                )
                _requeue(not_sent, "not sent: an earlier message in the batch failed", timezone.now(),
                         outcome.retry_after)  # fmt: skip
                connection.close()
                connection = None
            _throttle(len(rows), started)
    finally:
        if connection is not None:
            connection.close()


def _open_connection(claim):
    """A connection to the email backend, or None when it cannot be opened: the claim's rows (nothing
    of them handed over) then wait for a retry."""
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:  # noqa: BLE001 - classified: the server is down or refusing
        error = classify(exc)
        log.warning("cannot open a connection to send: %s", error)
        rows = Delivery.objects.filter(
            claim=claim, status=Delivery.Status.SENDING, handed_over_at__isnull=True
        )
        _requeue(rows, f"not sent: {error}", timezone.now(), getattr(error, "retry_after", None))
        return None
    return connection


def withdraw(mailing_id, kind):
    """The mailing's content may no longer go out. A release unpublished while it was being sent waits,
    paused, for an editor to resume it once it is public again; any other kind skips what it has not
    sent (a withdrawn pre-send, a correction of a release taken down, a digest of releases gone)."""
    if kind.withdrawn == kinds.PAUSE:
        Mailing.objects.filter(pk=mailing_id, status=Mailing.Status.SENDING).update(
            status=Mailing.Status.PAUSED
        )
        return
    Delivery.objects.filter(mailing_id=mailing_id, status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.SKIPPED, error="not sent: its content was withdrawn"
    )
    if not Delivery.objects.filter(mailing_id=mailing_id, status=Delivery.Status.SENDING).exists():
        finish(mailing_id)


def _throttle(count, started):
    """Keep under MAILING_RATE_LIMIT recipients per second across all sender tasks of a mailing."""
    if not settings.MAILING_RATE_LIMIT:
        return
    per_task = settings.MAILING_RATE_LIMIT / settings.MAILING_PARALLELISM
    wait = count / per_task - (time.monotonic() - started)
    if wait > 0:
        time.sleep(wait)


def _idle(mailing_id):
    """Nothing is due now: finish the mailing, or say when the next retry is due."""
    now = timezone.now()
    pending = Delivery.objects.filter(
        mailing_id=mailing_id, status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
    ).aggregate(
        queued=Count("id", filter=Q(status=Delivery.Status.QUEUED)),
        sending=Count("id", filter=Q(status=Delivery.Status.SENDING)),
        next_at=Min("next_attempt_at", filter=Q(status=Delivery.Status.QUEUED)),
    )
    if pending["queued"]:
        wait = (pending["next_at"] - now).total_seconds() if pending["next_at"] else 0
        return Progress(retry_in=max(wait, 0.5))
    if not pending["sending"]:
        finish(mailing_id, now)
    return Progress()


def finish(mailing_id, now=None):
    """Mark the mailing done, in the same statement that finds nothing of it queued or in flight: rows
    added in the meantime (a digest catch-up joining a mailing of the same content) keep it sending."""
    pending = Delivery.objects.filter(
        mailing_id=OuterRef("pk"), status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
    )
    if (
        Mailing.objects.filter(pk=mailing_id, status=Mailing.Status.SENDING)
        .exclude(Exists(pending))
        .update(status=Mailing.Status.DONE, finished_at=now or timezone.now())
    ):
        compact(mailing_id)


# Recovery


def recover_gone(mailing_id):
    """Rows of MAILING_ID claimed by sender processes that are gone (their heartbeat stopped): queued again
    if they were never handed over, uncertain if they were. Returns (requeued, uncertain)."""
    sending = Delivery.objects.filter(mailing_id=mailing_id, status=Delivery.Status.SENDING).exclude(
        claimed_by=""
    )
    dead = senders.gone(set(sending.values_list("claimed_by", flat=True).distinct()))
    if not dead:
        return 0, 0
    rows = sending.filter(claimed_by__in=dead)
    uncertain = _restarted_under(rows)
    requeued = rows.filter(handed_over_at__isnull=True).update(
        status=Delivery.Status.QUEUED, claim=None, claimed_by="", next_attempt_at=None
    )
    uncertain += rows.filter(handed_over_at__isnull=False).update(
        status=Delivery.Status.UNCERTAIN, error="no answer recorded (the sender stopped)"
    )
    if requeued or uncertain:
        log.warning(
            "mailing %s: %s rows of stopped senders queued again, %s uncertain",
            mailing_id,
            requeued,
            uncertain,
        )
    return requeued, uncertain


def _server_started():
    """When the PostgreSQL server last started, as an expression the database evaluates."""
    return Func(function="pg_postmaster_start_time", output_field=DateTimeField())


def _restarted_under(rows):
    """Mark uncertain the unanswered ROWS claimed before the database server last started, and return
    how many: its last asynchronous hand-overs (OneByOne) may be lost with it, so that a row without a
    hand-over mark may still have been sent. (Only PostgreSQL commits them asynchronously.)"""
    if not settings.USING_POSTGRES:
        return 0
    return (
        rows.filter(claimed_during__isnull=False)
        .exclude(claimed_during=_server_started())
        .update(
            status=Delivery.Status.UNCERTAIN,
            error="no answer recorded (the database server restarted while it was being sent)",
        )
    )


def sweep(now=None, *, restart=False):
    """Recover what crashes left behind; return counts of what was done, and the mailings to prepare
    ("to_prepare") and to start sending ("to_start") again, which the sweeping task queues. With
    RESTART (a worker has just started) every mailing with rows due is started, not only stalled ones:
    the sender slots keep that from adding senders."""
    now = now or timezone.now()
    lease = now - timedelta(seconds=settings.MAILING_LEASE_SECONDS)
    stalled = now - timedelta(seconds=settings.MAILING_STALL_SECONDS)
    expired = Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=lease)
    lost_marks = _restarted_under(expired)
    # Claimed but never handed over: nothing was sent, queue again.
    requeued = expired.filter(handed_over_at__isnull=True).update(
        status=Delivery.Status.QUEUED, claim=None, next_attempt_at=None
    )
    # Handed over with no answer recorded: the provider may have it. Keep the claim so a late
    # answer is still written back.
    uncertain = lost_marks + expired.filter(handed_over_at__isnull=False).update(
        status=Delivery.Status.UNCERTAIN, error="no answer recorded (worker lost)"
    )
    # Claims of senders whose heartbeat stopped, without waiting for the lease.
    for mailing_id in Mailing.objects.filter(status=Mailing.Status.SENDING).values_list("pk", flat=True):
        gone_requeued, gone_uncertain = recover_gone(mailing_id)
        requeued, uncertain = requeued + gone_requeued, uncertain + gone_uncertain
        # A sender writes a tally per message over SMTP: a minute's worth is folded here.
        compact(mailing_id)
    to_prepare = list(
        Mailing.objects.filter(status=Mailing.Status.PREPARING, created_at__lt=stalled).values_list(
            "pk", flat=True
        )
    )
    to_start = []
    idle = Mailing.objects.filter(status=Mailing.Status.SENDING)
    if not restart:
        idle = idle.filter(Q(last_activity_at__lt=stalled) | Q(last_activity_at__isnull=True))
    for mailing_id in idle.values_list("pk", flat=True):
        if Delivery.objects.filter(mailing_id=mailing_id, status=Delivery.Status.QUEUED).exists():
            Mailing.objects.filter(pk=mailing_id).update(last_activity_at=now)
            to_start.append(mailing_id)
        elif not Delivery.objects.filter(mailing_id=mailing_id, status=Delivery.Status.SENDING).exists():
            finish(mailing_id, now)
    return {
        "requeued": requeued,
        "uncertain": uncertain,
        "prepared": len(to_prepare),
        "kicked": len(to_start),
        "to_prepare": to_prepare,
        "to_start": to_start,
    }


def counts(mailing_id):
    """{status: rows} of a mailing's ledger, exact, from its tallies (DeliveryTally) rather than by
    counting its rows: a few rows to add up instead of up to a million."""
    return {
        status: n
        for status, n in DeliveryTally.objects.filter(mailing_id=mailing_id)
        .values_list("status")
        .annotate(total=Sum("n"))
        .order_by()
        if n
    }


def compact(mailing_id):
    """Fold a mailing's tallies into one row per status. The rows folded are exactly those this
    statement deletes, so tallies written meanwhile by senders are kept, and are not counted twice."""
    table = DeliveryTally._meta.db_table
    with transaction.atomic(), db_connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE mailing_id = %s RETURNING status, n", [mailing_id])  # noqa: S608
        totals = {}
        for status, n in cursor.fetchall():
            totals[status] = totals.get(status, 0) + n
        DeliveryTally.objects.bulk_create(
            DeliveryTally(mailing_id=mailing_id, status=status, n=n) for status, n in totals.items() if n
        )


def progress(mailing):
    """Counts for the editors' live progress panel."""
    by_status = counts(mailing.pk)
    events = dict(
        Delivery.objects.filter(mailing=mailing)
        .exclude(event="")
        .values_list("event")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "mailing": mailing.pk,
        "status": mailing.status,
        "status_label": mailing.get_status_display(),
        "recipients": mailing.recipients,
        **{status: by_status.get(status, 0) for status in Delivery.Status.values},
        "bounced": events.get("bounced", 0),
        "complained": events.get("complained", 0),
        "unsubscribed": Subscriber.objects.filter(
            status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at__gte=mailing.created_at
        ).count(),
    }
