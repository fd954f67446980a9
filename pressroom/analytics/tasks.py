from celery import shared_task

from . import counts


@shared_task
def flush_analytics():
    return counts.flush()


@shared_task
def purge_analytics():
    return counts.purge()
