from datetime import timedelta

import pytest
from django.utils import timezone

from subscriptions import confirmations, tasks
from subscriptions.models import Delivery, Subscriber

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def send_confirmation(subscriber_id):
    """A confirmation written into the ledger and its mailing sent, as sign-up and the senders do."""
    mailing = confirmations.write([subscriber_id])
    tasks.send_mailing(mailing.pk)
    return mailing.deliveries.get()


def test_a_confirmation_goes_to_a_pending_subscriber_once(newsroom, mailoutbox):
    subscriber = SubscriberFactory(pending=True)
    row = send_confirmation(subscriber.pk)
    tasks.send_mailing(row.mailing_id)  # a task delivered twice
    assert [message.to for message in mailoutbox] == [[subscriber.email]]
    assert row.status == Delivery.Status.SENT
    subscriber.refresh_from_db()
    assert subscriber.confirmation_sent_at is not None


@pytest.mark.parametrize("state", [{}, {"unsubscribed": True}])
def test_a_confirmation_skips_who_is_no_longer_pending(newsroom, mailoutbox, state):
    subscriber = SubscriberFactory(**state)
    assert send_confirmation(subscriber.pk).status == Delivery.Status.SKIPPED
    assert mailoutbox == []


def test_a_confirmation_of_a_purged_sign_up_goes_with_it(newsroom, mailoutbox):
    subscriber = SubscriberFactory(pending=True)
    mailing = confirmations.write([subscriber.pk])
    subscriber.delete()
    tasks.send_mailing(mailing.pk)
    assert mailoutbox == [] and not mailing.deliveries.exists()


def test_purge_deletes_only_stale_pending_sign_ups(settings):
    settings.SUBSCRIPTIONS_PENDING_MAX_DAYS = 14
    old = timezone.now() - timedelta(days=15)
    recent = timezone.now() - timedelta(days=13)
    stale = SubscriberFactory(pending=True, consent_at=old)
    fresh = SubscriberFactory(pending=True, consent_at=recent)
    active_old = SubscriberFactory(consent_at=old)
    unsubscribed_old = SubscriberFactory(unsubscribed=True, consent_at=old)
    assert tasks.purge_stale_signups() == 1
    remaining = set(Subscriber.objects.values_list("pk", flat=True))
    assert remaining == {fresh.pk, active_old.pk, unsubscribed_old.pk}
    assert stale.pk not in remaining


def test_a_restarted_sign_up_gets_its_full_time(
    settings, newsroom, client, django_capture_on_commit_callbacks
):
    """consent_at is renewed by the new sign-up, although the row is years old."""
    from .conftest import signup_data

    settings.SUBSCRIPTIONS_PENDING_MAX_DAYS = 14
    subscriber = SubscriberFactory(unsubscribed=True, consent_at=timezone.now() - timedelta(days=900))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/subscribe/", signup_data(subscriber.email))
    assert tasks.purge_stale_signups() == 0
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_purge_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-stale-signups"]
    assert entry["task"] == "subscriptions.tasks.purge_stale_signups"
    assert tasks.purge_stale_signups.name == entry["task"]
