import smtplib

from celery import shared_task

from .models import Subscriber


@shared_task(autoretry_for=(OSError, smtplib.SMTPException), retry_backoff=30, max_retries=5)
def send_confirmation(subscriber_id):
    """Send the double opt-in email, unless the sign-up was confirmed, left or purged in the meantime."""
    from . import emails

    subscriber = Subscriber.objects.filter(pk=subscriber_id, status=Subscriber.Status.PENDING).first()
    if subscriber is None:
        return False
    emails.send_confirmation(subscriber)
    return True


@shared_task
def purge_stale_signups():
    from . import services

    return services.purge_stale_signups()


# Release mailings: thin tasks over subscriptions.mailings. Every one takes ids and is idempotent;
# acks_late + reject_on_worker_lost (settings) mean a killed worker's task is delivered again.


@shared_task
def prepare_mailing(mailing_id):
    from . import mailings

    mailings.prepare_mailing(mailing_id)


@shared_task
def send_mailing(mailing_id):
    from . import mailings

    progress = mailings.send_batches(mailing_id)
    if progress.more_now:
        send_mailing.delay(mailing_id)
    elif progress.retry_in is not None:
        send_mailing.apply_async((mailing_id,), countdown=progress.retry_in)


@shared_task
def sweep_mailings():
    from . import mailings

    return mailings.sweep()


@shared_task
def send_digests(frequency):
    from . import digests

    return digests.send_digests(frequency=frequency)
