"""The outbox of the pressroom's own emails to named people: embargoed pre-sends to journalists and
correction notices.

The discipline is the release mailings' (subscriptions/mailings.py): the row exists before any send; a
sender claims a batch of due rows (SKIP LOCKED on PostgreSQL), marks each row handed over just before its
message goes to the provider, and writes the result back. A crash leaves a row that says what is known:
claimed but not handed over (certainly not sent: queued again by `sweep`) or handed over without an answer
(perhaps sent: marked uncertain, re-sent only when an editor says so). Press lists and correction notices
are small next to a subscriber mailing, so each message goes out on its own over one reused connection.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import OutboxRow

log = logging.getLogger(__name__)

Status = OutboxRow.Status
BATCH_SIZE = 50


@dataclass
class Progress:
    sent: int = 0
    more_now: bool = False
    retry_in: float | None = None


def claim(rows, size=BATCH_SIZE, now=None):
    """Claim up to SIZE due rows of the queryset ROWS; return the claim id, or None if none is due."""
    now = now or timezone.now()
    with transaction.atomic():
        due = rows.filter(status=Status.QUEUED).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )
        if settings.USING_POSTGRES:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by("id").values_list("id", flat=True)[:size])
        if not ids:
            return None
        claim_id = uuid.uuid4()
        rows.model.objects.filter(id__in=ids).update(
            status=Status.SENDING,
            claim=claim_id,
            claimed_at=now,
            handed_over_at=None,
            attempts=F("attempts") + 1,
        )
    return claim_id


def send_claimed(model, claim_id, build, connection):
    """Send every row held by CLAIM_ID, one message each; return (sent, stop, retry_in).

    BUILD(row) returns the row's message, or None when the row is no longer sendable (it is skipped).
    After a temporary or uncertain error the rest of the batch goes back to the queue untouched: the
    connection is refusing or gone.
    """
    from subscriptions.mailings import TransientError, UncertainError, backoff, classify

    rows = list(model.objects.filter(claim=claim_id, status=Status.SENDING).order_by("id"))
    sent = 0
    for index, row in enumerate(rows):
        message = build(row)
        if message is None:
            model.objects.filter(pk=row.pk, claim=claim_id).update(status=Status.SKIPPED, claim=None)
            continue
        message.connection = connection
        if not model.objects.filter(pk=row.pk, claim=claim_id, status=Status.SENDING).update(
            handed_over_at=timezone.now()
        ):
            continue  # the sweeper took it back in the meantime
        try:
            message.send()
        except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded
            error = classify(exc)
            held = model.objects.filter(pk=row.pk, claim=claim_id)
            if isinstance(error, TransientError):
                _requeue(held, str(error), error.retry_after or backoff(row.attempts))
            elif isinstance(error, UncertainError):
                held.update(status=Status.UNCERTAIN, error=str(error))
            else:
                held.update(status=Status.FAILED, error=str(error))
            if isinstance(error, TransientError | UncertainError):
                later = [later_row.pk for later_row in rows[index + 1 :]]
                _requeue(
                    model.objects.filter(pk__in=later, claim=claim_id), "not sent: an earlier one failed", 0
                )
                return sent, True, error.retry_after if isinstance(error, TransientError) else None
            continue
        model.objects.filter(pk=row.pk, claim=claim_id).update(
            status=Status.SENT, sent_at=timezone.now(), message_id=_message_id(message)[:200], error=""
        )
        sent += 1
    return sent, False, None


def _message_id(message):
    status = getattr(message, "anymail_status", None)
    return (
        status.message_id if status and isinstance(status.message_id, str) else None
    ) or message.extra_headers.get("Message-ID", "")


def _requeue(rows, error, delay):
    """Queue ROWS again after DELAY seconds, or fail those that have had every attempt."""
    rows.filter(attempts__gte=settings.MAILING_MAX_ATTEMPTS).update(
        status=Status.FAILED, error=f"gave up after {settings.MAILING_MAX_ATTEMPTS} attempts: {error}"
    )
    rows.filter(status=Status.SENDING).update(
        status=Status.QUEUED,
        claim=None,
        handed_over_at=None,
        error=error,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )


def run(rows, build, time_budget=None):
    """Claim and send batches of ROWS (a queryset of one outbox) until none is due or the budget is spent."""
    time_budget = settings.MAILING_TASK_SECONDS if time_budget is None else time_budget
    deadline = time.monotonic() + time_budget
    progress = Progress()
    connection = None
    try:
        while True:
            if time.monotonic() >= deadline:
                progress.more_now = True
                return progress
            claim_id = claim(rows)
            if claim_id is None:
                progress.retry_in = _next_retry(rows)
                return progress
            if connection is None:
                connection = get_connection(fail_silently=False)
                connection.open()
            sent, stop, retry_in = send_claimed(rows.model, claim_id, build, connection)
            progress.sent += sent
            if stop:
                connection.close()
                connection = None
                progress.retry_in = max(retry_in or _next_retry(rows) or 0.5, 0.5)
                return progress
    finally:
        if connection is not None:
            connection.close()


def _next_retry(rows):
    """Seconds until the next queued row of ROWS is due, or None when nothing is queued."""
    next_at = (
        rows.filter(status=Status.QUEUED)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if next_at is None:
        return 0.5 if rows.filter(status=Status.QUEUED).exists() else None
    return max((next_at - timezone.now()).total_seconds(), 0.5)


def sweep(model, now=None):
    """Recover the rows of MODEL that a lost worker left claimed; return (requeued, uncertain)."""
    lease = (now or timezone.now()) - timedelta(seconds=settings.MAILING_LEASE_SECONDS)
    stale = model.objects.filter(status=Status.SENDING, claimed_at__lt=lease)
    requeued = stale.filter(handed_over_at__isnull=True).update(
        status=Status.QUEUED, claim=None, next_attempt_at=None
    )
    uncertain = stale.filter(handed_over_at__isnull=False).update(
        status=Status.UNCERTAIN, error="no answer recorded (worker lost)"
    )
    return requeued, uncertain


def recover(model, *, parent, started, task, now=None):
    """The periodic sweep of one outbox: recover claimed rows (sweep), then queue TASK again for every
    PARENT (the row's foreign key) whose rows are due and that started (the STARTED lookup) longer than
    MAILING_STALL_SECONDS ago: its task was lost. Returns counts."""
    from django.db.models import Q

    now = now or timezone.now()
    requeued, uncertain = sweep(model, now)
    stalled = now - timedelta(seconds=settings.MAILING_STALL_SECONDS)
    due = (
        model.objects.filter(status=Status.QUEUED, **{f"{started}__lt": stalled})
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .values_list(f"{parent}_id", flat=True)
        .distinct()
    )
    kicked = 0
    for parent_id in due:
        task.delay(parent_id)
        kicked += 1
    return {"requeued": requeued, "uncertain": uncertain, "kicked": kicked}


def retry(rows, status):
    """Queue the FAILED or UNCERTAIN rows of ROWS again (an editor's decision); return how many."""
    return rows.filter(status=status).update(
        status=Status.QUEUED, claim=None, handed_over_at=None, next_attempt_at=None, attempts=0
    )


def counts(rows):
    """{status: count} for ROWS, every status present."""
    from django.db.models import Count

    found = dict(rows.order_by().values_list("status").annotate(n=Count("id")))
    return {status: found.get(status, 0) for status in Status.values}
