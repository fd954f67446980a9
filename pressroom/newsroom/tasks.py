from celery import shared_task
from django.db import transaction
from django.db.models.signals import post_save

from . import services
from .models import Attachment


@shared_task(acks_late=True)
def publish_due_releases():
    return services.publish_due_releases()


@shared_task(acks_late=True)
def make_renditions(attachment_id):
    """Make an image's renditions, or a video's from its poster (Attachment.make_renditions); nothing if
    it is gone."""
    kinds = [Attachment.Kind.IMAGE, Attachment.Kind.VIDEO]
    attachment = Attachment.objects.filter(pk=attachment_id, kind__in=kinds).first()
    if attachment is not None:
        attachment.make_renditions()


def queue_renditions(sender, instance, **kwargs):
    """A new image, or one whose thumbnail choice changed, or a video whose poster changed, gets its
    renditions from the worker once the upload has committed."""
    if getattr(instance, "renditions_due", False):
        instance.renditions_due = False
        transaction.on_commit(lambda: make_renditions.delay(instance.pk), robust=True)


def connect_signals():
    post_save.connect(queue_renditions, sender=Attachment, dispatch_uid="newsroom.queue_renditions")
