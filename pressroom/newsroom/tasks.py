from celery import shared_task
from django.db import transaction
from django.db.models.signals import post_save

from . import services
from .models import Attachment, Contact, Newsroom


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


@shared_task(acks_late=True)
def make_brand_images():
    """Make the logo's and the cover's renditions (Newsroom.make_brand_images)."""
    newsroom = Newsroom.objects.filter(pk=1).first()
    if newsroom is not None:
        newsroom.make_brand_images()


@shared_task(acks_late=True)
def make_contact_photo(contact_id):
    """Make a contact photo's square rendition (Contact.make_photo_renditions); nothing if it is gone."""
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is not None:
        contact.make_photo_renditions()


def queue_brand_images(sender, instance, **kwargs):
    """A new or removed logo or cover gets its renditions from the worker once the upload has committed."""
    if getattr(instance, "brand_images_due", False):
        instance.brand_images_due = False
        transaction.on_commit(make_brand_images.delay, robust=True)


def queue_contact_photo(sender, instance, **kwargs):
    if getattr(instance, "photo_due", False):
        instance.photo_due = False
        transaction.on_commit(lambda: make_contact_photo.delay(instance.pk), robust=True)


def connect_signals():
    post_save.connect(queue_renditions, sender=Attachment, dispatch_uid="newsroom.queue_renditions")
    post_save.connect(queue_brand_images, sender=Newsroom, dispatch_uid="newsroom.queue_brand_images")
    post_save.connect(queue_contact_photo, sender=Contact, dispatch_uid="newsroom.queue_contact_photo")
