"""A published release cannot be scheduled again, from any door: it would vanish from every public
surface until the new time and be announced to its subscribers a second time."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from pressroom.newsroom.models import Release
from subscriptions.models import Mailing
from tests.factories import ReleaseFactory

pytestmark = pytest.mark.django_db

LATER = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")


def unchanged(release):
    before = (release.status, release.published_at)
    release.refresh_from_db()
    return (release.status, release.published_at) == before


def test_the_schedule_page_refuses_a_published_release(admin_client):
    release = ReleaseFactory(published=True)

    response = admin_client.post(
        reverse("admin:newsroom_release_schedule", args=[release.pk]),
        {"publish_at": LATER},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert unchanged(release)
    assert release.status == Release.Status.PUBLISHED
    assert "already published" in response.content.decode()
    assert Release.objects.published().filter(pk=release.pk).exists()


def test_the_bulk_schedule_action_leaves_published_releases_alone(admin_client):
    published, draft = ReleaseFactory(published=True), ReleaseFactory()

    response = admin_client.post(
        "/admin/newsroom/release/",
        {
            "action": "schedule",
            ACTION_CHECKBOX_NAME: [published.pk, draft.pk],
            "confirm": "1",
            "publish_at": LATER,
        },
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert unchanged(published)
    draft.refresh_from_db()
    assert draft.status == Release.Status.SCHEDULED
    assert "already published" in response.content.decode()
    assert not Mailing.objects.filter(release=published).exists()


def test_the_command_refuses_to_schedule_a_published_release():
    release = ReleaseFactory(published=True)

    with pytest.raises(CommandError, match="already published"):
        call_command(
            "publish_release", release.slug, "--at", (timezone.now() + timedelta(days=1)).isoformat()
        )

    assert unchanged(release)
