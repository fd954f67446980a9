"""Provider webhooks through anymail's real Mailgun endpoint: authenticated, each event handled once."""

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
from django.test import override_settings
from django.utils import timezone

from subscriptions.models import Delivery, Mailing, Subscriber, TrackingEvent
from tests.factories import ReleaseFactory

pytestmark = pytest.mark.django_db

SIGNING_KEY = "whsec-signing-key"
BASIC = "hook:secret-pass"
ANYMAIL = {"MAILGUN_API_KEY": "key", "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": BASIC}


def mailgun_event(event, recipient, *, message_id="<m1@mock>", severity=None, token=None, key=SIGNING_KEY):
    token = token or uuid.uuid4().hex
    timestamp = str(int(time.time()))
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    data = {"event": event, "recipient": recipient, "timestamp": time.time(), "id": uuid.uuid4().hex,
            "message": {"headers": {"message-id": message_id.strip("<>")}}}  # fmt: skip
    if severity:
        data["severity"] = severity
    return {"signature": {"token": token, "timestamp": timestamp, "signature": signature}, "event-data": data}


def post(client, payload, auth=BASIC):
    return client.post(
        "/anymail/mailgun/tracking/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(auth.encode()).decode(),
    )


@pytest.fixture
def reader():
    return Subscriber.objects.create(email="reader@example.org", status=Subscriber.Status.ACTIVE)


@pytest.fixture
def delivery(reader):
    mailing = Mailing.objects.create(release=ReleaseFactory(published=True), status=Mailing.Status.SENDING)
    return Delivery.objects.create(
        mailing=mailing, subscriber=reader, status=Delivery.Status.SENT, message_id="<m1@mock>"
    )


@override_settings(ANYMAIL=ANYMAIL)
@pytest.mark.parametrize(
    ("event", "severity", "status"),
    [
        ("failed", "permanent", "bounced"),
        ("complained", None, "complained"),
        ("unsubscribed", None, "unsubscribed"),
    ],
)
def test_bounces_complaints_and_unsubscribes_stop_mail_to_the_subscriber(
    client, reader, delivery, event, severity, status
):
    queued = Delivery.objects.create(
        mailing=Mailing.objects.create(release=ReleaseFactory(published=True), status=Mailing.Status.SENDING),
        subscriber=reader,
    )
    response = post(client, mailgun_event(event, reader.email, severity=severity))

    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.status == status
    delivery.refresh_from_db()
    assert delivery.event == status
    queued.refresh_from_db()
    assert queued.status == Delivery.Status.SKIPPED


@override_settings(ANYMAIL=ANYMAIL)
def test_delivered_updates_the_ledger(client, reader, delivery):
    assert post(client, mailgun_event("delivered", reader.email)).status_code == 200
    delivery.refresh_from_db()
    assert delivery.event == "delivered"
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE


@override_settings(ANYMAIL=ANYMAIL)
def test_a_replayed_event_is_handled_once(client, reader, delivery):
    payload = mailgun_event("failed", reader.email, severity="permanent")
    assert post(client, payload).status_code == 200
    Subscriber.objects.filter(pk=reader.pk).update(status=Subscriber.Status.ACTIVE)  # an editor reactivates

    assert post(client, payload).status_code == 200  # the provider retries the same event

    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE
    assert TrackingEvent.objects.count() == 1


@override_settings(ANYMAIL=ANYMAIL)
def test_a_wrong_signature_or_password_is_refused(client, reader, delivery):
    assert post(client, mailgun_event("complained", reader.email, key="wrong")).status_code == 400
    assert post(client, mailgun_event("complained", reader.email), auth="hook:wrong").status_code == 400
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE
    assert not TrackingEvent.objects.exists()


@override_settings(ANYMAIL=ANYMAIL)
def test_an_unknown_recipient_is_recorded_and_ignored(client):
    assert post(client, mailgun_event("complained", "nobody@example.org")).status_code == 200
    assert TrackingEvent.objects.get().recipient == "nobody@example.org"
    assert timezone.now()
