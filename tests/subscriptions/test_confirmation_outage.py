"""Nothing a person asked for is lost to an outage: with the broker down a sign-up is still answered
"check your inbox", the confirmation's row is in the ledger, and it goes out once the broker is back
(the sweeper starts what nobody is sending), without a second request and only once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from pressroom.celery import app
from subscriptions import tasks
from subscriptions.models import Mailing, Subscriber

from .conftest import signup_data

pytestmark = pytest.mark.usefixtures("newsroom")


@pytest.fixture
def broker_down():
    """The broker refuses connections: what queuing a task meets while Redis is stopped."""
    saved = {
        name: app.conf[name]
        for name in ("task_always_eager", "broker_url", "broker_connection_retry", "task_publish_retry")
    }
    app.conf.update(
        task_always_eager=False,
        broker_url="redis://127.0.0.1:1/0",
        broker_connection_retry=False,
        task_publish_retry=False,
    )
    yield
    app.conf.update(saved)


def the_sweeper_finds_it_stalled():
    """Time passes: the confirmation's mailing has been idle longer than MAILING_STALL_SECONDS."""
    Mailing.objects.update(last_activity_at=timezone.now() - timedelta(minutes=10))


@pytest.mark.django_db(transaction=True)
def test_a_sign_up_while_the_broker_is_down_is_answered_and_confirmed_later(client, broker_down):
    response = client.post("/subscribe/", signup_data("kari@example.no"))

    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.PENDING
    assert Subscriber.objects.owed_confirmation().filter(pk=subscriber.pk).exists()
    assert mail.outbox == []

    app.conf.update(task_always_eager=True)  # the broker is back
    the_sweeper_finds_it_stalled()
    assert tasks.sweep_mailings()["kicked"] == 1  # the periodic sweep, once the broker is back
    assert [message.to for message in mail.outbox] == [["kari@example.no"]]

    the_sweeper_finds_it_stalled()
    assert tasks.sweep_mailings()["kicked"] == 0  # sent once, not again
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_signing_up_again_after_a_lost_confirmation_sends_it(client, broker_down):
    client.post("/subscribe/", signup_data("kari@example.no"))
    assert mail.outbox == []

    app.conf.update(task_always_eager=True)
    response = client.post("/subscribe/", signup_data("kari@example.no"))

    assert response.status_code == 200
    assert [message.to for message in mail.outbox] == [["kari@example.no"]]
