"""Writes to releases. The admin, the commands, the API and the tasks all call these."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pressroom.ops import accountability

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


class NotApproved(ValidationError):
    """Under the four-eyes rule (REVIEW_FOUR_EYES) a release goes out only once someone other than its
    last editor has approved it."""

    def __init__(self, release):
        super().__init__(
            _("“%(title)s” must be approved by someone other than its last editor before it is published.")
            % {"title": release.title},
            code="not_approved",
        )


class MissingCaptions(ValidationError):
    """Universal design: a video is public only with captions. A release with an uploaded video that has
    none is not published or scheduled until each video has its WebVTT file."""

    def __init__(self, release, videos=None):
        videos = release.videos_without_captions() if videos is None else videos
        super().__init__(
            _("“%(title)s” has a video without captions (%(videos)s). Add a WebVTT captions file to each "
              "video before publishing.")
            % {"title": release.title, "videos": ", ".join(f"“{video}”" for video in videos)},
            code="missing_captions",
        )  # fmt: skip


class OwnEdit(ValidationError):
    def __init__(self, release):
        super().__init__(
            _("You edited “%(title)s” last: someone else must approve it.") % {"title": release.title},
            code="own_edit",
        )


def needs_approval(release):
    """True when the four-eyes rule holds RELEASE back until it is approved."""
    return settings.REVIEW_FOUR_EYES and not release.is_approved


def record_edit(*, release, user):
    """Note that USER changed RELEASE's content: they are its last editor and any approval is void. Under
    the four-eyes rule a scheduled release goes back to draft: what goes out is what was approved.
    Returns True when it was taken off the schedule."""
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        release.last_edited_by = user
        release.approved_by = release.approved_at = None
        fields = ["last_edited_by", "approved_by", "approved_at"]
        unscheduled = settings.REVIEW_FOUR_EYES and release.status == Release.Status.SCHEDULED
        if unscheduled and not release.is_public:
            release.status = Release.Status.DRAFT
            fields.append("status")
        else:
            unscheduled = False
        release.save(update_fields=fields)
    return unscheduled


def approve_release(*, release, user):
    """Record that USER approved RELEASE as it is now. Nobody approves their own last edit."""
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        if release.last_edited_by_id is not None and release.last_edited_by_id == user.pk:
            raise OwnEdit(release)
        release.approved_by = user
        release.approved_at = timezone.now()
        release.save(update_fields=["approved_by", "approved_at"])
        accountability.record(accountability.APPROVE, user=user, target=release)
    return release


def publish_release(*, release, at=None, user=None):
    """Publish RELEASE now, or schedule it for AT when AT is in the future. USER: who does it (None: the
    scheduler), for the audit log.

    Idempotent: publishing a published release changes nothing and starts no second mailing. A
    scheduled release whose time has come is marked published with its scheduled time kept. Scheduling
    a published release raises AlreadyPublished and changes nothing; under the four-eyes rule, publishing
    or scheduling a release not approved since its last edit raises NotApproved; a release with a video
    without captions raises MissingCaptions.
    """
    now = timezone.now()
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        due = release.status == Release.Status.SCHEDULED and release.published_at <= now
        # A scheduled release was approved when it was scheduled (an edit since took it off the schedule).
        if release.status != Release.Status.PUBLISHED and not due and needs_approval(release):
            raise NotApproved(release)
        if (
            release.status != Release.Status.PUBLISHED
            and not due
            and (videos := release.videos_without_captions())
        ):
            raise MissingCaptions(release, videos)
        if at is not None and at > now:
            if release.status == Release.Status.PUBLISHED:
                raise AlreadyPublished(release)
            release.status = Release.Status.SCHEDULED
            release.published_at = at
            release.save(update_fields=["status", "published_at", "updated_at"])
            log.info("release %s scheduled for %s", release.pk, at.isoformat())
            accountability.record(accountability.SCHEDULE, user=user, target=release, at=at.isoformat())
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
        accountability.record(accountability.PUBLISH, user=user, target=release)
        # Mailings and webhooks are recorded by the receivers, inside this transaction.
        signals.release_published.send(sender=Release, release=release)
    return release


def unpublish_release(*, release, user=None):
    """Take RELEASE off every public surface (or off the schedule). Its address stays reserved."""
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        was_public = release.is_public
        if release.status != Release.Status.DRAFT:
            accountability.record(accountability.UNPUBLISH, user=user, target=release, was_public=was_public)
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
