"""Least privilege in the admin: every custom action says which permission it needs, and the server
checks it, so a staff member who may only look at mailings can neither see nor run pause, resume, cancel,
retry or resend."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User

from pressroom.newsroom.services import publish_release
from subscriptions import mailings
from subscriptions.models import Mailing
from tests.factories import ReleaseFactory
from tests.subscriptions.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

MAILING_ACTIONS = ["pause", "resume", "cancel", "retry_failed", "resend_uncertain"]


def staff_with(client, *codenames):
    user = User.objects.create_user("viewer", "viewer@example.no", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


@pytest.fixture
def sending_mailing():
    release = ReleaseFactory(language="en")
    SubscriberFactory(language="en")
    publish_release(release=release)
    return mailings.prepare_mailing(Mailing.objects.get(release=release).pk)


def test_every_custom_admin_action_declares_its_permissions():
    undeclared = [
        f"{type(model_admin).__name__}.{name}"
        for model_admin in admin.site._registry.values()
        for name in (model_admin.actions or [])
        if not isinstance(name, str) or not getattr(getattr(model_admin, name), "allowed_permissions", None)
    ]
    assert undeclared == []


def test_a_viewer_of_mailings_is_offered_no_action(client, sending_mailing):
    staff_with(client, "view_mailing")

    page = client.get("/admin/subscriptions/mailing/")

    assert page.status_code == 200
    for name in MAILING_ACTIONS:
        assert f'value="{name}"'.encode() not in page.content


@pytest.mark.parametrize("action", MAILING_ACTIONS)
def test_a_viewer_of_mailings_cannot_run_an_action(client, sending_mailing, action):
    staff_with(client, "view_mailing")

    client.post("/admin/subscriptions/mailing/", {"action": action, "_selected_action": [sending_mailing.pk]})

    sending_mailing.refresh_from_db()
    assert sending_mailing.status == Mailing.Status.SENDING


def test_the_right_to_change_mailings_lets_an_editor_cancel_one(client, sending_mailing):
    staff_with(client, "view_mailing", "change_mailing")

    client.post(
        "/admin/subscriptions/mailing/", {"action": "cancel", "_selected_action": [sending_mailing.pk]}
    )

    sending_mailing.refresh_from_db()
    assert sending_mailing.status == Mailing.Status.CANCELLED


def test_a_mailing_page_offers_no_save_button(client, sending_mailing):
    staff_with(client, "view_mailing", "change_mailing")

    page = client.get(f"/admin/subscriptions/mailing/{sending_mailing.pk}/change/")

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
