"""Suppressed addresses: bounced and complained ones stay blocked against the sign-up form and imports and
are never purged; an erasure leaves only a hash everywhere, and the person may come back by themselves."""

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from pressroom.press.models import Correction, CorrectionNotice
from subscriptions import tasks
from subscriptions.models import Delivery, Mailing, Subscriber, Suppression, TrackingEvent, email_hash
from tests.factories import ReleaseFactory

from .conftest import link_in, signup_data
from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/subscriptions/subscriber/"


@pytest.fixture
def post_signup(client, newsroom, django_capture_on_commit_callbacks):
    def post(email):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/subscribe/", signup_data(email))

    return post


@pytest.fixture
def editor(admin_user, newsroom):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    return client


def erase(editor, subscriber):
    data = {"action": "erase", "_selected_action": [str(subscriber.pk)], "confirm": "yes"}
    assert editor.post(CHANGELIST, data).status_code == 302


def troubled(status, email):
    """A subscriber whose mail bounced or drew a complaint, with the delivery that says so."""
    subscriber = SubscriberFactory(email=email, status=status)
    mailing = Mailing.objects.create(release=ReleaseFactory(published=True), status=Mailing.Status.DONE)
    Delivery.objects.create(
        mailing=mailing, subscriber=subscriber, status=Delivery.Status.SENT, message_id="<m@x>", event=status
    )
    return subscriber


@pytest.mark.parametrize("status", [Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED])
def test_a_bounced_or_complained_address_typed_into_the_sign_up_form_stays_suppressed(post_signup, status):
    subscriber = troubled(status, "plaget@example.no")
    before = Subscriber.objects.values().get(pk=subscriber.pk)

    response = post_signup("Plaget@Example.no")

    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    assert mail.outbox == []
    assert Subscriber.objects.values().get(pk=subscriber.pk) == before
    assert Delivery.objects.get(subscriber=subscriber).event == status


@pytest.mark.parametrize("status", [Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED])
def test_the_purge_never_deletes_a_bounced_or_complained_address(post_signup, settings, status):
    subscriber = troubled(status, "plaget@example.no")
    post_signup("plaget@example.no")  # a stranger types it in
    settings.SUBSCRIPTIONS_PENDING_MAX_DAYS = 0  # and the sign-ups' time to be confirmed is over

    tasks.purge_stale_signups()

    subscriber.refresh_from_db()
    assert subscriber.status == status
    assert Delivery.objects.filter(subscriber=subscriber, event=status).exists()


def test_a_pending_row_with_a_bounce_in_its_history_is_not_purged(settings):
    subscriber = troubled(Subscriber.Status.BOUNCED, "gammel@example.no")
    Subscriber.objects.filter(pk=subscriber.pk).update(status=Subscriber.Status.PENDING)
    settings.SUBSCRIPTIONS_PENDING_MAX_DAYS = 0

    tasks.purge_stale_signups()

    assert Subscriber.objects.filter(pk=subscriber.pk).exists()


def test_an_erased_person_who_signs_up_again_and_confirms_is_welcome_back(client, editor, post_signup):
    erase(editor, SubscriberFactory(email="tilbake@example.no"))

    response = post_signup("Tilbake@example.no")

    assert "Check your inbox" in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["Tilbake@example.no"]
    confirm = link_in(message.body, "confirm")
    assert client.post(confirm).status_code == 200
    subscriber = Subscriber.objects.get(email__iexact="tilbake@example.no")
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert not Suppression.objects.filter(email_hash=email_hash("tilbake@example.no")).exists()


def test_an_erased_address_is_not_brought_back_by_an_import_until_its_owner_confirms(tmp_path, editor):
    erase(editor, SubscriberFactory(email="borte@example.no"))
    path = tmp_path / "list.csv"
    path.write_text("email\nborte@example.no\n")

    call_command(
        "import_subscribers", str(path), "--confirmed", "--consent-note", "fair", stdout=io.StringIO()
    )

    assert not Subscriber.objects.filter(email="borte@example.no").exists()


@pytest.mark.parametrize("status", [Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED])
def test_erasing_a_bounced_or_complained_address_keeps_it_blocked_against_sign_up(
    editor, post_signup, status
):
    erase(editor, troubled(status, "plaget@example.no"))

    post_signup("plaget@example.no")

    assert mail.outbox == []
    assert not Subscriber.objects.exists()
    assert Suppression.objects.get().reason == status


def test_erase_removes_the_address_from_correction_notices_and_tracking_events(editor):
    subscriber = SubscriberFactory(email="Slett.Meg@example.no")
    correction = Correction.objects.create(release=ReleaseFactory(published=True), note="Fix.")
    ledger = Mailing.objects.create(kind=Mailing.Kind.CORRECTION, status=Mailing.Status.SENDING)
    sent = CorrectionNotice.objects.create(
        correction=correction, email="slett.meg@example.no", subscriber=subscriber,
        delivery=Delivery.objects.create(mailing=ledger, subscriber=subscriber, status=Delivery.Status.SENT),
    )  # fmt: skip
    queued = CorrectionNotice.objects.create(
        correction=Correction.objects.create(release=ReleaseFactory(published=True), note="Fix 2."),
        email="slett.meg@example.no",
        subscriber=subscriber,
        delivery=Delivery.objects.create(mailing=ledger, email="slett.meg@example.no"),
    )
    kept = CorrectionNotice.objects.create(correction=correction, email="andre@example.no")
    TrackingEvent.objects.create(
        event_id="mailgun:1", event_type="delivered", recipient="slett.meg@EXAMPLE.no"
    )
    TrackingEvent.objects.create(event_id="mailgun:2", event_type="delivered", recipient="andre@example.no")

    erase(editor, subscriber)

    hashed = f"{email_hash('slett.meg@example.no')}@erased.invalid"
    sent.refresh_from_db()
    queued.refresh_from_db()
    # The notices keep their count, not the address; the ledger rows that held it are gone with it, so
    # the one not sent yet never is.
    assert (sent.email, queued.email) == (hashed, hashed)
    assert sent.delivery is None and queued.delivery is None
    assert not Delivery.objects.filter(email__iexact="slett.meg@example.no").exists()
    assert CorrectionNotice.objects.get(pk=kept.pk).email == "andre@example.no"
    assert sorted(TrackingEvent.objects.values_list("recipient", flat=True)) == ["", "andre@example.no"]
    stored = [str(row) for model in (CorrectionNotice, TrackingEvent) for row in model.objects.values()]
    assert not any("slett.meg" in row.lower() for row in stored)
