"""Thin tasks over presskit.py (pre-sends and correction notices are sent by the delivery ledger,
subscriptions/mailings.py); each takes ids and is idempotent."""

from celery import shared_task

from . import presskit


@shared_task
def build_presskit(release_id):
    kit = presskit.build(release_id)
    return kit.file.name if kit else None
