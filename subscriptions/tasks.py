"""Thin tasks over mailings.py, digests.py and emails.py. Every one takes ids and is idempotent;
acks_late + reject_on_worker_lost (settings) mean a killed worker's task is delivered again."""

import smtplib
from datetime import datetime, timedelta

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import digests, emails, mailings, senders
from .models import Mailing, Subscriber


@shared_task(autoretry_for=(OSError, smtplib.SMTPException), retry_backoff=30, max_retries=5)
def send_confirmation(subscriber_id):
    """Send the double opt-in email if it is still owed: not when the sign-up was confirmed, left or
    purged in the meantime, nor a second time for one request (a task queued twice, or by the sweep)."""
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.owed_confirmation().select_for_update().filter(pk=subscriber_id).first()
        )
        if subscriber is None:
            return False
        # Sent, then recorded: a failure rolls the record back and the retry (or the sweep) sends it.
        emails.send_confirmation(subscriber)
        Subscriber.objects.filter(pk=subscriber_id).update(confirmation_sent_at=timezone.now())
    return True


# How long after a sign-up the sweep still sends its confirmation: longer than a broker or worker outage
# lasts, short enough that an address the mail server refuses for good is not tried every minute for days.
CONFIRMATION_SWEEP_WINDOW = timedelta(hours=2)


@shared_task
def send_owed_confirmations():
    """Queue the confirmations whose task never left or was lost (the broker was down, a worker died);
    return how many. Those asked for within the last minute are still on their way."""
    now = timezone.now()
    owed = Subscriber.objects.owed_confirmation().filter(
        consent_at__lt=now - timedelta(minutes=1), consent_at__gte=now - CONFIRMATION_SWEEP_WINDOW
    )
    ids = list(owed.order_by("pk").values_list("pk", flat=True)[:1000])
    for subscriber_id in ids:
        send_confirmation.delay(subscriber_id)
    return len(ids)


@shared_task
def purge_stale_signups():
    """Delete sign-ups never confirmed in time; return how many."""
    deleted, by_model = Subscriber.objects.stale_signups().delete()
    return by_model.get(Subscriber._meta.label, 0)


# Release mailings


def start_sending(mailing_id):
    """Queue the sender tasks of a mailing: as many as may run side by side."""
    for _ in range(settings.MAILING_PARALLELISM):
        send_mailing.delay(mailing_id)


@shared_task
def prepare_mailing(mailing_id):
    if not Mailing.objects.filter(pk=mailing_id, status=Mailing.Status.PREPARING).exists():
        return  # prepared already (a redelivered task): its senders were started then
    if mailings.prepare_mailing(mailing_id).status == Mailing.Status.SENDING:
        start_sending(mailing_id)


@shared_task
def send_mailing(mailing_id):
    with senders.slot(mailing_id) as mine:
        if not mine:
            return  # as many senders as may work on this mailing are at work
        progress = mailings.send_batches(mailing_id)
    if progress.more_now:
        send_mailing.delay(mailing_id)
    elif progress.retry_in is not None:
        send_mailing.apply_async((mailing_id,), countdown=progress.retry_in)


@shared_task
def sweep_mailings(restart=False):
    """Recover what crashes left behind and restart what stalled (with RESTART, everything with rows
    due); return counts of what was done."""
    result = mailings.sweep(restart=restart)
    for mailing_id in result.pop("to_prepare"):
        prepare_mailing.delay(mailing_id)
    for mailing_id in result.pop("to_start"):
        start_sending(mailing_id)
    return result


@shared_task
def send_digests(frequency):
    return digests.send_digests(frequency=frequency)


@shared_task
def send_due_digests():
    """Send the digests waiting for a retry (every minute, and when an editor queues some again)."""
    result = digests.send_due()
    if result["more"]:
        send_due_digests.delay()
    return result


@shared_task
def send_catch_up_digest(subscriber_id, frequency, since, until):
    """The digest owed to a subscriber who has just left FREQUENCY for "immediately"."""
    return digests.send_catch_up(
        subscriber_id=subscriber_id,
        frequency=frequency,
        since=datetime.fromisoformat(since),
        until=datetime.fromisoformat(until),
    )


@worker_ready.connect(dispatch_uid="subscriptions-resume-after-restart")
def resume_after_restart(sender=None, **kwargs):
    """A worker that starts picks up unfinished mailings at once, not at the next periodic sweep: what
    a stopped sender left claimed is recovered (its heartbeat has stopped) and sending restarts."""
    sweep_mailings.delay(restart=True)
