"""Thin tasks over presend.py, corrections.py and presskit.py; each takes ids and is idempotent."""

from celery import shared_task

from . import corrections, outbox, presend, presskit
from .models import CorrectionNotice, PreSendRecipient


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
    _continue(send_presend, presend_id, presend.send_batches(presend_id))


@shared_task
def send_correction_notices(correction_id):
    _continue(send_correction_notices, correction_id, corrections.send_batches(correction_id))


@shared_task
def sweep_press_outboxes():
    """Recover copies a lost worker left claimed, and restart pre-sends and corrections whose task was
    lost."""
    return {
        "presend": outbox.recover(
            PreSendRecipient, parent="presend", started="presend__sent_at", task=send_presend
        ),
        "corrections": outbox.recover(
            CorrectionNotice,
            parent="correction",
            started="correction__created_at",
            task=send_correction_notices,
        ),  # fmt: skip
    }


@shared_task
def build_presskit(release_id):
    kit = presskit.build(release_id)
    return kit.file.name if kit else None
