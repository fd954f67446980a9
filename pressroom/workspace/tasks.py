from celery import shared_task

from . import audit


@shared_task
def prune_audit_log():
    return audit.prune()
