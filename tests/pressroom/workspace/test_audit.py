"""The audit log: who published, scheduled, unpublished, sent, resent, approved, exported, imported,
erased or logged in, written where each happens; readable in the admin, never changed; pruned."""

import io
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from pressroom.newsroom import services
from pressroom.portability import archive
from pressroom.press.models import Journalist, PressList
from pressroom.workspace import audit, roles, tasks
from pressroom.workspace.models import AuditEntry
from subscriptions import services as subscription_services
from subscriptions.models import Delivery, Mailing
from tests.factories import ReleaseFactory
from tests.subscriptions.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action


def entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def test_publishing_scheduling_and_unpublishing_in_the_admin_are_recorded_with_who_and_what(client_for):
    client = client_for(roles.PUBLISHER, "ingrid")
    release = ReleaseFactory(title="Ny rapport")
    view = lambda name: reverse(f"admin:newsroom_release_{name}", args=[release.pk])  # noqa: E731
    later = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    client.post(view("schedule"), {"publish_at": later, "confirm": "1"})
    client.post(view("unpublish"), {"confirm": "1"})
    client.post(view("publish"), {"confirm": "1"})
    client.post(view("unpublish"), {"confirm": "1"})

    recorded = list(AuditEntry.objects.exclude(action=Action.LOGIN).order_by("pk"))
    assert [e.action for e in recorded] == [
        Action.SCHEDULE,
        Action.UNPUBLISH,
        Action.PUBLISH,
        Action.UNPUBLISH,
    ]
    for entry in recorded:
        assert (entry.username, entry.user.username) == ("ingrid", "ingrid")
        assert (entry.object_type, entry.object_id, entry.object_repr) == (
            "newsroom.release", str(release.pk), "Ny rapport",
        )  # fmt: skip
    assert "at" in recorded[0].details
    assert recorded[3].details == {"was_public": True}


def test_the_scheduler_publishing_is_recorded_without_a_user():
    release = ReleaseFactory(scheduled=True)
    ReleaseFactory._meta.model.objects.filter(pk=release.pk).update(published_at=timezone.now())
    services.publish_due_releases()
    entry = AuditEntry.objects.get(action=Action.PUBLISH)
    assert (entry.user, entry.username) == (None, "")


def test_sending_a_presend_and_a_correction_notice_and_resending_are_recorded(
    client_for, django_capture_on_commit_callbacks
):
    client = client_for(roles.PUBLISHER, "per")
    scheduled = ReleaseFactory(scheduled=True, language="en")
    press_list = PressList.objects.create(name="Politics")
    press_list.members.add(Journalist.objects.create(name="Ola", email="ola@nrk.no"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:press_presend_add"),
            {"release": scheduled.pk, "press_list": press_list.pk, "confirm": "1"},
        )
    published = ReleaseFactory(published=True, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:press_correction_add"),
            {"release": published.pk, "kind": "correction", "note": "Fixed.", "notify": "on", "confirm": "1"},
        )

    sends = entries(Action.SEND)
    assert [(e.details["kind"], e.details["recipients"], e.username) for e in sends] == [
        ("presend", 1, "per"),
        ("correction", 0, "per"),
    ]

    mailing = Mailing.objects.create(kind=Mailing.Kind.RELEASE, release=published, status=Mailing.Status.DONE)
    Delivery.objects.create(mailing=mailing, subscriber=SubscriberFactory(), status=Delivery.Status.FAILED)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(
            reverse("admin:subscriptions_mailing_changelist"),
            {"action": "retry_failed", ACTION_CHECKBOX_NAME: [mailing.pk], "index": "0"},
        )
    (resend,) = entries(Action.RESEND)
    assert (resend.username, resend.object_type, resend.details) == (
        "per", "subscriptions.mailing", {"status": "failed", "recipients": 1},
    )  # fmt: skip


def test_erasing_a_subscriber_is_recorded_without_their_address(client_for):
    client = client_for(roles.ADMINISTRATOR, "admin")
    subscriber = SubscriberFactory(email="slett.meg@example.no")
    client.post(
        reverse("admin:subscriptions_subscriber_changelist"),
        {"action": "erase", ACTION_CHECKBOX_NAME: [subscriber.pk], "index": "0", "confirm": "yes"},
    )
    (entry,) = entries(Action.ERASE)
    assert entry.username == "admin"
    assert entry.details == {"subscriber": subscriber.pk, "reason": "erased"}
    assert "slett.meg" not in str(entry.__dict__)


def test_exports_and_imports_are_recorded(client_for, tmp_path):
    client = client_for(roles.ADMINISTRATOR, "admin")
    chosen = [subscriber.pk for subscriber in SubscriberFactory.create_batch(2)]
    response = client.post(
        reverse("admin:subscriptions_subscriber_changelist"),
        {"action": "export_csv", ACTION_CHECKBOX_NAME: chosen, "index": "0"},
    )
    b"".join(response.streaming_content)
    call_command("export_subscribers", "--output", str(tmp_path / "s.csv"), stderr=io.StringIO())
    archive.export_newsroom(tmp_path / "newsroom.zip")
    subscription_services.import_subscribers(
        rows=[(2, {"email": "ny@example.no", "language": "nb", "topics": ""})], source="list.csv"
    )

    exports = entries(Action.EXPORT)
    assert sorted((e.username, e.details["kind"]) for e in exports) == [
        ("", "newsroom"), ("", "subscribers"), ("admin", "subscribers"),
    ]  # fmt: skip
    assert next(e for e in exports if e.username == "admin").details["count"] == 2
    (imported,) = entries(Action.IMPORT)
    assert imported.details["imported"] == 1
    assert imported.details["source"] == "list.csv"


def test_a_login_is_recorded(client, django_user_model):
    django_user_model.objects.create_user("kari", password="pw-for-tests-1", is_staff=True)
    assert client.login(username="kari", password="pw-for-tests-1")
    (entry,) = entries(Action.LOGIN)
    assert entry.username == "kari"


def test_entries_are_never_changed_or_deleted_one_by_one():
    entry = audit.write(Action.EXPORT, details={"kind": "test"})
    entry.details = {"kind": "forged"}
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(details={})
    entry.refresh_from_db()
    assert entry.details == {"kind": "test"}


def test_an_entry_outlives_its_user(member):
    user = member(roles.PUBLISHER, "leaver")
    audit.write(Action.PUBLISH, user=user)
    user.delete()
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.username) == (None, "leaver")


def test_the_admin_shows_and_filters_the_log_but_offers_no_change(client_for):
    client = client_for(roles.ADMINISTRATOR, "admin")
    release = ReleaseFactory(title="Synlig i loggen")
    services.publish_release(release=release)
    audit.write(Action.EXPORT, details={"kind": "newsroom"})
    changelist = reverse("admin:workspace_auditentry_changelist")

    page = client.get(changelist)
    assert page.status_code == 200
    assert "Synlig i loggen" in page.content.decode()
    filtered = client.get(changelist, {"action": "export"})
    assert [e.action for e in filtered.context["cl"].result_list] == [Action.EXPORT]
    assert page.context["has_add_permission"] is False
    assert page.context["action_form"] is None  # no bulk delete

    entry = AuditEntry.objects.get(action=Action.PUBLISH)
    assert client.get(reverse("admin:workspace_auditentry_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:workspace_auditentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    detail = client.post(reverse("admin:workspace_auditentry_change", args=[entry.pk]), {"action": "login"})
    assert detail.status_code == 403
    entry.refresh_from_db()
    assert entry.action == Action.PUBLISH


def test_who_may_not_read_the_log_gets_403(client_for):
    client = client_for(roles.PUBLISHER)
    assert client.get(reverse("admin:workspace_auditentry_changelist")).status_code == 403


def test_pruning_keeps_what_is_younger_than_the_retention(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old, young = audit.write(Action.EXPORT), audit.write(Action.EXPORT)
    # Age one entry past the retention (the log's own update() refuses: this is the test's clock).
    QuerySet.update(AuditEntry.objects.filter(pk=old.pk), at=timezone.now() - timedelta(days=31))

    assert tasks.prune_audit_log() == 1
    assert list(AuditEntry.objects.all()) == [young]


def test_pruning_runs_daily_from_the_beat_schedule(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "pressroom.workspace.tasks.prune_audit_log" in tasks_scheduled
