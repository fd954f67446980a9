"""Publishing is checked on the server: whoever lacks the publish permission gets 403 on every path
(the change form's buttons, the confirmation views, the list's actions, the API, pre-sends and
corrections) and nothing changes."""

import json
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from pressroom.api import auth as api_auth
from pressroom.newsroom.models import Release
from pressroom.press.models import Correction, PreSend, PressList
from pressroom.workspace import roles
from pressroom.workspace.models import AuditEntry
from tests.factories import ReleaseFactory
from tests.pressroom.newsroom.test_admin import CHANGELIST, change_url, form_data

pytestmark = pytest.mark.django_db

LATER = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
NOT_PUBLISHING = [roles.CONTRIBUTOR, roles.EDITOR]


def state(release):
    release.refresh_from_db()
    return release.title, release.status, release.published_at


def admin_paths(release):
    """(method, url, data) of every admin request that publishes, schedules or unpublishes RELEASE."""
    view = lambda name: reverse(f"admin:newsroom_release_{name}", args=[release.pk])  # noqa: E731
    action = lambda name, **extra: {"action": name, ACTION_CHECKBOX_NAME: [release.pk], "index": "0", **extra}  # noqa: E731
    return [
        (change_url(release), form_data(title="Changed by someone who may not publish", _publish="1")),
        (change_url(release), form_data(title="Changed by someone who may not publish", _schedule="1")),
        (view("publish"), {"confirm": "1"}),
        (view("schedule"), {"confirm": "1", "publish_at": LATER}),
        (view("unpublish"), {"confirm": "1"}),
        (CHANGELIST, action("publish_now", confirm="1")),
        (CHANGELIST, action("schedule", confirm="1", publish_at=LATER)),
        (CHANGELIST, action("unpublish", confirm="1")),
    ]


@pytest.mark.parametrize("role", NOT_PUBLISHING)
@pytest.mark.parametrize("path", range(8))
@pytest.mark.parametrize("published", [False, True])
def test_who_may_not_publish_gets_403_on_every_admin_path_and_nothing_changes(
    client_for, role, path, published
):
    client = client_for(role)
    release = ReleaseFactory(published=published)
    before = state(release)
    url, data = admin_paths(release)[path]

    response = client.post(url, data)

    assert response.status_code == 403
    assert state(release) == before
    assert not AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).exists()


@pytest.mark.parametrize("role", NOT_PUBLISHING)
def test_who_may_not_publish_gets_403_on_the_confirmation_page_too(client_for, role):
    client = client_for(role)
    release = ReleaseFactory()
    for name in ("publish", "schedule", "unpublish"):
        assert client.get(reverse(f"admin:newsroom_release_{name}", args=[release.pk])).status_code == 403


@pytest.mark.parametrize("role", NOT_PUBLISHING)
def test_who_may_not_publish_sees_no_publishing_buttons(client_for, role):
    client = client_for(role)
    release = ReleaseFactory(published=True)
    html = client.get(change_url(release)).content.decode()
    assert 'name="_publish"' not in html
    assert reverse("admin:newsroom_release_unpublish", args=[release.pk]) not in html
    form = client.get(CHANGELIST).context["action_form"]  # None when no action is left
    actions = {name for name, _label in form.fields["action"].choices} if form else set()
    assert not {"publish_now", "schedule", "unpublish"} & actions


def test_a_publisher_goes_through(client_for):
    client = client_for(roles.PUBLISHER)
    release = ReleaseFactory()
    response = client.post(reverse("admin:newsroom_release_publish", args=[release.pk]), {"confirm": "1"})
    assert response.status_code == 302
    assert state(release)[1] == Release.Status.PUBLISHED


def test_a_contributor_may_still_save_a_draft(client_for):
    client = client_for(roles.CONTRIBUTOR)
    release = ReleaseFactory()
    response = client.post(change_url(release), form_data(title="Better title"))
    assert response.status_code == 302
    assert state(release)[:2] == ("Better title", Release.Status.DRAFT)


@pytest.mark.parametrize("endpoint", ["publish", "unpublish"])
@pytest.mark.parametrize("role", NOT_PUBLISHING)
def test_the_editors_api_refuses_publishing_to_who_may_not(member, client, role, endpoint):
    user = member(role)
    _token, key = api_auth.create_token(user=user, name="Intranet", scope="write")
    release = ReleaseFactory(published=endpoint == "unpublish")
    before = state(release)

    response = client.post(
        f"/api/v1/editor/releases/{release.pk}/{endpoint}/",
        json.dumps({}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )

    assert response.status_code == 403
    assert state(release) == before


def test_the_editors_api_lets_a_publisher_publish_and_records_it(member, client):
    user = member(roles.PUBLISHER)
    _token, key = api_auth.create_token(user=user, name="Intranet", scope="write")
    release = ReleaseFactory()
    response = client.post(
        f"/api/v1/editor/releases/{release.pk}/publish/", "{}", content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )  # fmt: skip
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PUBLISH)
    assert (entry.user, entry.object_id) == (user, str(release.pk))


@pytest.mark.parametrize("role", NOT_PUBLISHING)
def test_pre_sends_and_corrections_are_refused_to_who_may_not_publish(client_for, role):
    client = client_for(role)
    scheduled, published = ReleaseFactory(scheduled=True), ReleaseFactory(published=True)
    press_list = PressList.objects.create(name="Politics")

    for data in ({}, {"confirm": "1"}):
        presend = client.post(
            reverse("admin:press_presend_add"), {"release": scheduled.pk, "press_list": press_list.pk, **data}
        )
        correction = client.post(
            reverse("admin:press_correction_add"),
            {"release": published.pk, "kind": "correction", "note": "Fixed.", "notify": "on", **data},
        )
        assert (presend.status_code, correction.status_code) == (403, 403)
    assert not PreSend.objects.exists()
    assert not Correction.objects.exists()


def test_who_may_not_approve_gets_403(client_for):
    client = client_for(roles.CONTRIBUTOR)
    release = ReleaseFactory()
    response = client.post(reverse("admin:newsroom_release_approve", args=[release.pk]))
    assert response.status_code == 403
    release.refresh_from_db()
    assert release.approved_at is None
