"""Thin tasks over mailings.py (the ledger every email goes through) and digests.py. Every one takes
ids and is idempotent; acks_late + reject_on_worker_lost (settings) mean a killed worker's task is
delivered again."""

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from . import digests, kinds, mailings, senders
from .models import Mailing, Subscriber


@shared_task
def purge_stale_signups():
    """Delete sign-ups never confirmed in time; return how many."""
    deleted, by_model = Subscriber.objects.stale_signups().delete()
    return by_model.get(Subscriber._meta.label, 0)


# Release mailings


def start_sending(mailing_id):
    """Queue the sender tasks of a mailing: as many as may run side by side."""
    kind = Mailing.objects.filter(pk=mailing_id).values_list("kind", flat=True).first()
    parallelism = kinds.get(kind).parallelism if kind else None
    for _ in range(parallelism or settings.MAILING_PARALLELISM):
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
def send_digests(frequency, now=None):
    """Plan the period's digests into the ledger, their senders starting as soon as a part is written
    (the planning of the rest overlaps the sending); return how many mailings."""
    planned = digests.plan(frequency=frequency, now=now, started=start_sending)
    for mailing_id in planned:
        start_sending(mailing_id)
    return len(planned)


@worker_ready.connect(dispatch_uid="subscriptions-resume-after-restart")
def resume_after_restart(sender=None, **kwargs):
    """A worker that starts picks up unfinished mailings at once, not at the next periodic sweep: what
    a stopped sender left claimed is recovered (its heartbeat has stopped) and sending restarts."""
    sweep_mailings.delay(restart=True)
