from datetime import timedelta

import pytest
from django.utils import timezone

from subscriptions import tasks
from subscriptions.models import Subscriber

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def test_send_confirmation_sends_to_a_pending_subscriber(newsroom, mailoutbox):
    subscriber = SubscriberFactory(pending=True)
    assert tasks.send_confirmation(subscriber.pk) is True
    assert [message.to for message in mailoutbox] == [[subscriber.email]]


@pytest.mark.parametrize("state", [{}, {"unsubscribed": True}])
def test_send_confirmation_skips_who_is_no_longer_pending(newsroom, mailoutbox, state):
    subscriber = SubscriberFactory(**state)
    assert tasks.send_confirmation(subscriber.pk) is False
    assert mailoutbox == []


def test_send_confirmation_skips_a_purged_sign_up(newsroom, mailoutbox):
    assert tasks.send_confirmation(987654) is False
    assert mailoutbox == []


def test_send_confirmation_retries_on_connection_errors():
    assert OSError in tasks.send_confirmation.autoretry_for
    assert tasks.send_confirmation.max_retries == 5


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
