from celery import shared_task

from . import webhooks


@shared_task
def deliver_webhook(delivery_id):
    retry_in = webhooks.deliver(delivery_id)
    if retry_in is not None:
        deliver_webhook.apply_async((delivery_id,), countdown=retry_in)


@shared_task
def sweep_webhooks():
    """Queue again the deliveries whose task was lost; return how many."""
    ids = webhooks.recover()
    for pk in ids:
        deliver_webhook.delay(pk)
    return len(ids)
