"""What the press app does when the newsroom's content changes (press kits are rebuilt) and when a
subscriber is erased (their address leaves the correction notices)."""

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from pressroom.newsroom.models import Attachment, Release, VideoLink
from subscriptions.models import email_hash
from subscriptions.signals import subscriber_erased

from . import tasks
from .models import CorrectionNotice, PressKit

# Rebuild when what goes into a kit changes. The check runs after the commit, so an editor's save of a
# release and its attachments queues builds that find one current kit and stop.


def queue_build(release_id):
    # Robust: a broker that is down must not turn the editor's committed save into a server error.
    transaction.on_commit(lambda: tasks.build_presskit.delay(release_id), robust=True)


@receiver(post_save, sender=Release, dispatch_uid="presskit-release-saved")
def release_saved(sender, instance, raw=False, **kwargs):
    if not raw and instance.is_public:
        queue_build(instance.pk)


@receiver(post_save, sender=Attachment, dispatch_uid="presskit-attachment-saved")
@receiver(post_delete, sender=Attachment, dispatch_uid="presskit-attachment-deleted")
@receiver(post_save, sender=VideoLink, dispatch_uid="presskit-video-link-saved")
@receiver(post_delete, sender=VideoLink, dispatch_uid="presskit-video-link-deleted")
def attachment_changed(sender, instance, raw=False, **kwargs):
    if not raw and instance.release_id:
        queue_build(instance.release_id)


@receiver(post_delete, sender=PressKit, dispatch_uid="presskit-file-deleted")
def kit_deleted(sender, instance, **kwargs):
    name = instance.file.name
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


@receiver(subscriber_erased, dispatch_uid="press-subscriber-erased")
def subscriber_erased_from_notices(sender, subscriber, **kwargs):
    """The erased subscriber's notices keep their count but not the address: it becomes the address's
    hash (unique per address, as the once-per-recipient constraint needs). One not sent yet never is:
    its ledger row goes with the address (subscriptions.services.erase_subscriber)."""
    notices = CorrectionNotice.objects.filter(
        Q(subscriber_id=subscriber.pk) | Q(email__iexact=subscriber.email, journalist__isnull=True)
    )
    notices.update(email=f"{email_hash(subscriber.email)}@erased.invalid", subscriber=None)
