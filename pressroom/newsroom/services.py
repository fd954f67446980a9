"""Writes to releases. The admin, the commands, the API and the tasks all call these."""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import signals
from .models import Release, TranslationGroup

log = logging.getLogger(__name__)


class AlreadyPublished(ValidationError):
    """A published release cannot be scheduled: it would vanish from every public surface until the new
    time and be announced again. Unpublish it first."""

    def __init__(self, release):
        super().__init__(
            _("“%(title)s” is already published. Unpublish it before scheduling it again.")
            % {"title": release.title},
            code="already_published",
        )


def publish_release(*, release, at=None):
    """Publish RELEASE now, or schedule it for AT when AT is in the future.

    Idempotent: publishing a published release changes nothing and starts no second mailing. A
    scheduled release whose time has come is marked published with its scheduled time kept. Scheduling
    a published release raises AlreadyPublished and changes nothing.
    """
    now = timezone.now()
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        if at is not None and at > now:
            if release.status == Release.Status.PUBLISHED:
                raise AlreadyPublished(release)
            release.status = Release.Status.SCHEDULED
            release.published_at = at
            release.save(update_fields=["status", "published_at", "updated_at"])
            log.info("release %s scheduled for %s", release.pk, at.isoformat())
            return release
        if release.status == Release.Status.PUBLISHED:
            return release
        if (
            release.status != Release.Status.SCHEDULED
            or release.published_at is None
            or release.published_at > now
        ):
            release.published_at = now
        release.status = Release.Status.PUBLISHED
        release.first_published_at = release.first_published_at or release.published_at
        release.save(update_fields=["status", "published_at", "first_published_at", "updated_at"])
        log.info("release %s published", release.pk)
        # Mailings and webhooks are recorded by the receivers, inside this transaction.
        signals.release_published.send(sender=Release, release=release)
    return release


def unpublish_release(*, release):
    """Take RELEASE off every public surface. Its address stays reserved."""
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        was_public = release.is_public
        release.status = Release.Status.DRAFT
        release.save(update_fields=["status", "updated_at"])
        if was_public:
            signals.release_unpublished.send(sender=Release, release=release)
    return release


def publish_due_releases(now=None):
    """Mark scheduled releases whose time has come as published; return how many."""
    count = 0
    for pk in Release.objects.due(now).values_list("pk", flat=True):
        publish_release(release=Release(pk=pk))
        count += 1
    return count


def group_language_taken(*, release, language, group):
    """Whether GROUP already has a version in LANGUAGE other than RELEASE (None: no group)."""
    if group is None:
        return False
    return Release.objects.filter(translation_group=group, language=language).exclude(pk=release.pk).exists()


def set_version_of(*, release, original):
    """Put RELEASE (unsaved changes are kept; the caller saves it) in ORIGINAL's translation group, made
    for ORIGINAL if it has none. ORIGINAL None takes RELEASE out of its group. The admin and the
    editors' API call this; both check first that the group has no other version in RELEASE's language
    (the database refuses a second one)."""
    if original is None:
        release.translation_group = None
        return release
    with transaction.atomic():
        if original.translation_group_id is None:
            original.translation_group = TranslationGroup.objects.create()
            Release.objects.filter(pk=original.pk).update(translation_group=original.translation_group)
    release.translation_group = original.translation_group
    return release
