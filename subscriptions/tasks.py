from celery import shared_task


@shared_task
def purge_stale_signups():
    return 0
