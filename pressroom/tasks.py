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


# Issue 9: embargoed pre-sends, correction notices, press kits and analytics. Thin tasks over
# presend.py, corrections.py, presskit.py and analytics.py; each takes ids and is idempotent.


def _continue(task, object_id, progress):
    """Queue TASK for OBJECT_ID again: at once if there is more to send now, later if a retry is due."""
    if progress.more_now:
        task.delay(object_id)
    elif progress.retry_in is not None and not task.app.conf.task_always_eager:
        # Run eagerly, the countdown would be ignored and the task would call itself at once, again and
        # again; the sweeper queues the retry instead.
        task.apply_async((object_id,), countdown=progress.retry_in)


@shared_task
def send_presend(presend_id):
    from . import presend

    _continue(send_presend, presend_id, presend.send_batches(presend_id))


@shared_task
def send_correction_notices(correction_id):
    from . import corrections

    _continue(send_correction_notices, correction_id, corrections.send_batches(correction_id))


@shared_task
def sweep_press_outboxes():
    from . import corrections, presend

    return {"presend": presend.sweep(), "corrections": corrections.sweep()}


@shared_task
def build_presskit(release_id):
    from . import presskit

    kit = presskit.build(release_id)
    return kit.file.name if kit else None


@shared_task
def flush_analytics():
    from . import analytics

    return analytics.flush()


@shared_task
def purge_analytics():
    from . import analytics

    return analytics.purge()
