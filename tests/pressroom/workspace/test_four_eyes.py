"""The four-eyes rule (REVIEW_FOUR_EYES): someone other than a release's last editor approves it before it
is published or scheduled; an edit after the approval voids it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pressroom.newsroom import services
from pressroom.newsroom.models import Release
from pressroom.workspace import roles
from pressroom.workspace.models import AuditEntry
from tests.factories import ReleaseFactory
from tests.pressroom.newsroom.test_admin import change_url, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def four_eyes(settings):
    settings.REVIEW_FOUR_EYES = True


@pytest.fixture
def people(member):
    return (
        member(roles.CONTRIBUTOR, "writer"),
        member(roles.EDITOR, "approver"),
        member(roles.PUBLISHER, "boss"),
    )


def edited_by(user, **kwargs):
    release = ReleaseFactory(**kwargs)
    services.record_edit(release=release, user=user)
    release.refresh_from_db()
    return release


def test_an_unapproved_release_is_neither_published_nor_scheduled(people):
    writer, _approver, boss = people
    release = edited_by(writer)

    with pytest.raises(services.NotApproved):
        services.publish_release(release=release, user=boss)
    with pytest.raises(services.NotApproved):
        services.publish_release(release=release, at=timezone.now() + timedelta(days=1), user=boss)

    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT
    assert not AuditEntry.objects.filter(action__in=["publish", "schedule"]).exists()


def test_approved_by_someone_else_it_may_go_out(people):
    writer, approver, boss = people
    release = edited_by(writer)

    services.approve_release(release=release, user=approver)
    services.publish_release(release=release, user=boss)

    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED
    assert (release.approved_by, release.last_edited_by) == (approver, writer)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.APPROVE)
    assert (entry.user, entry.object_id) == (approver, str(release.pk))


def test_nobody_approves_their_own_edit(people):
    _writer, approver, _boss = people
    release = edited_by(approver)
    with pytest.raises(services.OwnEdit):
        services.approve_release(release=release, user=approver)
    release.refresh_from_db()
    assert release.approved_at is None


def test_the_last_editor_cannot_publish_what_another_approved_before_their_edit(people):
    writer, approver, boss = people
    release = edited_by(writer)
    services.approve_release(release=release, user=approver)

    services.record_edit(release=release, user=boss)  # the publisher changes it after the approval

    release.refresh_from_db()
    assert (release.approved_by, release.approved_at) == (None, None)
    with pytest.raises(services.NotApproved):
        services.publish_release(release=release, user=boss)


def test_editing_an_approved_scheduled_release_takes_it_off_the_schedule(people):
    writer, approver, boss = people
    release = edited_by(writer)
    services.approve_release(release=release, user=approver)
    services.publish_release(release=release, at=timezone.now() + timedelta(days=1), user=boss)

    assert services.record_edit(release=release, user=writer) is True

    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT


def test_a_due_scheduled_release_is_published_by_the_scheduler(people):
    writer, approver, boss = people
    release = edited_by(writer)
    services.approve_release(release=release, user=approver)
    services.publish_release(release=release, at=timezone.now() + timedelta(seconds=1), user=boss)
    Release.objects.filter(pk=release.pk).update(published_at=timezone.now() - timedelta(seconds=1))

    assert services.publish_due_releases() == 1
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED


def test_without_the_rule_an_unapproved_release_is_published(settings, people):
    settings.REVIEW_FOUR_EYES = False
    writer, _approver, boss = people
    release = edited_by(writer)
    services.publish_release(release=release, user=boss)
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED


def test_in_the_admin_an_edit_voids_the_approval_and_the_confirmation_says_so(client_for, people):
    writer, approver, _boss = people
    release = edited_by(writer)
    services.approve_release(release=release, user=approver)
    client = client_for(roles.PUBLISHER, "publisher")

    client.post(change_url(release), form_data(title="Edited after approval"))
    release.refresh_from_db()
    assert release.last_edited_by.username == "publisher"
    assert release.approved_at is None

    page = client.get(reverse("admin:newsroom_release_publish", args=[release.pk]))
    assert "must be approved by someone other than its last editor" in page.content.decode()
    assert 'name="confirm"' not in page.content.decode()
    client.post(reverse("admin:newsroom_release_publish", args=[release.pk]), {"confirm": "1"})
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT


def test_saving_without_a_change_keeps_the_approval(client_for, people):
    writer, approver, _boss = people
    release = edited_by(writer, title="Same", lead="Ingress.", body="<p>Tekst.</p>")
    services.approve_release(release=release, user=approver)
    client = client_for(roles.PUBLISHER, "publisher")

    client.post(change_url(release), form_data(title="Same", slug=release.slug))

    release.refresh_from_db()
    assert release.approved_by == approver


def test_an_editor_approves_in_the_admin(client_for, people):
    writer, _approver, _boss = people
    release = edited_by(writer)
    client = client_for(roles.EDITOR, "second-pair-of-eyes")
    assert (
        reverse("admin:newsroom_release_approve", args=[release.pk])
        in client.get(change_url(release)).content.decode()
    )

    response = client.post(reverse("admin:newsroom_release_approve", args=[release.pk]))

    assert response.status_code == 302
    release.refresh_from_db()
    assert release.approved_by.username == "second-pair-of-eyes"
    assert release.approved_at is not None


def test_the_api_refuses_an_unapproved_release_with_409(member, client, people):
    from pressroom.api import auth as api_auth

    writer, _approver, boss = people
    release = edited_by(writer)
    _token, key = api_auth.create_token(user=boss, name="Intranet", scope="write")
    response = client.post(
        f"/api/v1/editor/releases/{release.pk}/publish/", "{}", content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )  # fmt: skip
    assert response.status_code == 409
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT
