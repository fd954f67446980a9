from datetime import timedelta

import pytest
from django.utils import timezone

from pressroom.newsroom import services, tasks
from pressroom.newsroom.models import Release
from subscriptions.models import Mailing
from tests.factories import ReleaseFactory

pytestmark = pytest.mark.django_db


def test_publish_now_makes_a_draft_public():
    release = ReleaseFactory()
    before = timezone.now()

    result = services.publish_release(release=release)

    release.refresh_from_db()
    assert result.status == release.status == Release.Status.PUBLISHED
    assert before <= release.published_at <= timezone.now()
    assert release.first_published_at == release.published_at
    assert list(Release.objects.published()) == [release]
    assert Mailing.objects.filter(release=release).count() == 1


def test_schedule_in_the_future_keeps_it_hidden_until_then():
    release = ReleaseFactory()
    at = timezone.now() + timedelta(days=2)

    services.publish_release(release=release, at=at)

    release.refresh_from_db()
    assert release.status == Release.Status.SCHEDULED
    assert release.published_at == at
    assert release.first_published_at is None
    assert not release.is_public
    assert not Release.objects.published().exists()
    assert Release.objects.published(now=at).get() == release
    assert not Mailing.objects.exists()


def test_rescheduling_moves_the_time():
    release = ReleaseFactory(scheduled=True)
    later = timezone.now() + timedelta(days=5)

    services.publish_release(release=release, at=later)

    release.refresh_from_db()
    assert (release.status, release.published_at) == (Release.Status.SCHEDULED, later)


def test_a_time_in_the_past_publishes_now():
    release = ReleaseFactory()
    before = timezone.now()

    services.publish_release(release=release, at=before - timedelta(days=1))

    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED
    assert release.published_at >= before


def test_publishing_twice_changes_nothing(django_capture_on_commit_callbacks):
    release = ReleaseFactory()
    services.publish_release(release=release)
    release.refresh_from_db()
    published_at, updated_at = release.published_at, release.updated_at

    with django_capture_on_commit_callbacks() as callbacks:
        services.publish_release(release=release)

    release.refresh_from_db()
    assert release.published_at == published_at
    assert release.updated_at == updated_at
    assert callbacks == []
    assert Mailing.objects.filter(release=release).count() == 1


def test_publish_now_on_a_scheduled_release_brings_it_forward():
    release = ReleaseFactory(scheduled=True)
    before = timezone.now()

    services.publish_release(release=release)

    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED
    assert before <= release.published_at <= timezone.now()


def test_due_scheduled_release_is_published_by_the_task_with_its_time_kept():
    due = ReleaseFactory(scheduled=True)
    scheduled_for = timezone.now() - timedelta(minutes=3)
    Release.objects.filter(pk=due.pk).update(published_at=scheduled_for)
    future = ReleaseFactory(scheduled=True)
    draft = ReleaseFactory()

    assert tasks.publish_due_releases() == 1

    due.refresh_from_db()
    assert due.status == Release.Status.PUBLISHED
    assert due.published_at == scheduled_for
    assert due.first_published_at == scheduled_for
    assert Mailing.objects.filter(release=due).count() == 1
    future.refresh_from_db()
    draft.refresh_from_db()
    assert future.status == Release.Status.SCHEDULED
    assert draft.status == Release.Status.DRAFT
    assert tasks.publish_due_releases() == 0
    assert Mailing.objects.count() == 1


def test_unpublish_takes_a_release_off_the_public_surfaces():
    release = ReleaseFactory(published=True)
    first_published_at, slug = release.first_published_at, release.slug

    services.unpublish_release(release=release)

    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT
    assert not release.is_public
    assert not Release.objects.published().exists()
    assert release.first_published_at == first_published_at
    assert release.slug == slug


def test_unpublishing_a_scheduled_release_cancels_it():
    release = ReleaseFactory(scheduled=True)

    services.unpublish_release(release=release)
    Release.objects.filter(pk=release.pk).update(published_at=timezone.now() - timedelta(minutes=1))

    assert tasks.publish_due_releases() == 0
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT
    assert not Release.objects.published().exists()


def test_republishing_keeps_the_first_publication_time_and_sends_no_second_mailing():
    release = services.publish_release(release=ReleaseFactory())
    first = release.first_published_at
    services.unpublish_release(release=release)

    services.publish_release(release=release)

    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED
    assert release.first_published_at == first
    assert release.published_at > first
    assert Mailing.objects.filter(release=release).count() == 1
