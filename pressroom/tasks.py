from celery import shared_task

from . import services


@shared_task(acks_late=True)
def publish_due_releases():
    return services.publish_due_releases()


@shared_task
def deliver_webhook(delivery_id):
    from . import webhooks

    retry_in = webhooks.deliver(delivery_id)
    if retry_in is not None:
        deliver_webhook.apply_async((delivery_id,), countdown=retry_in)


@shared_task
def sweep_webhooks():
    from . import webhooks

    return webhooks.sweep()
