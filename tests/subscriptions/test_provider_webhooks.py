"""Provider events are always authenticated: only the configured provider's tracking webhook answers, it
refuses every event until its secret (and signing key, where the provider signs) is set, and a body it
cannot read is a 400, never a 500. (Mailgun's signed events end to end: test_tracking.py.)"""

import base64
import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import override_settings

from subscriptions.models import Subscriber, TrackingEvent

pytestmark = pytest.mark.django_db

BASIC = "hook:secret-pass"
UNSUBSCRIBE = [{"event": "unsubscribe", "email": "x@example.com"}]
SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())
SENDGRID_PUBLIC_KEY = base64.b64encode(
    SENDGRID_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
MAILGUN_KEY = "mailgun-signing-key"
# Complete authentication for each provider: the basic auth secret, and the signing key of those that sign.
AUTHENTICATED = {
    "WEBHOOK_SECRET": BASIC,
    "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
    "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": SENDGRID_PUBLIC_KEY,
}


@pytest.fixture
def subscriber():
    return Subscriber.objects.create(email="x@example.com", status=Subscriber.Status.ACTIVE)


def post(client, provider, body, auth=None, **headers):
    if auth:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    body = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(f"/anymail/{provider}/tracking/", body, content_type="application/json", **headers)


def sendgrid_signature(body):
    timestamp = str(int(time.time()))
    signature = SENDGRID_KEY.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": base64.b64encode(signature).decode(),
        "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": timestamp,
    }


def test_a_forged_unsubscribe_to_a_provider_that_is_not_configured_is_not_found(client, subscriber):
    response = post(client, "sendgrid", UNSUBSCRIBE)

    assert response.status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert not TrackingEvent.objects.exists()


@pytest.mark.parametrize(
    ("provider", "anymail"),
    [
        ("sendgrid", {}),
        ("sendgrid", {"WEBHOOK_SECRET": BASIC}),  # SendGrid signs its events: the key is needed too
        ("postmark", {}),
        ("mailgun", {"WEBHOOK_SECRET": BASIC, "MAILGUN_API_KEY": "key"}),
    ],
)
def test_the_configured_provider_refuses_every_event_until_its_authentication_is_set(
    client, subscriber, provider, anymail
):
    events = {"sendgrid": UNSUBSCRIBE, "postmark": {"RecordType": "SpamComplaint", "Email": "x@example.com"},
              "mailgun": {"event-data": {"event": "unsubscribed", "recipient": "x@example.com"}}}  # fmt: skip
    with override_settings(EMAIL_WEBHOOK_PROVIDER=provider, ANYMAIL=anymail):
        response = post(client, provider, events[provider], auth=BASIC)

    assert response.status_code == 401
    assert response.json() == {"error": "Webhook authentication is not configured."}
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


@override_settings(EMAIL_WEBHOOK_PROVIDER="postmark", ANYMAIL=AUTHENTICATED)
def test_with_its_secret_the_provider_is_heard_and_without_it_refused(client, subscriber):
    complaint = {"RecordType": "SpamComplaint", "Email": "x@example.com", "ID": 42, "MessageID": "m-1"}

    assert post(client, "postmark", complaint).status_code == 400
    assert post(client, "postmark", complaint, auth="hook:wrong").status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE

    assert post(client, "postmark", complaint, auth=BASIC).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.COMPLAINED


@override_settings(EMAIL_WEBHOOK_PROVIDER="sendgrid", ANYMAIL=AUTHENTICATED)
def test_sendgrid_events_need_a_valid_signature(client, subscriber):
    body = json.dumps([{**UNSUBSCRIBE[0], "sg_event_id": "e-1", "timestamp": int(time.time())}]).encode()

    assert post(client, "sendgrid", body, auth=BASIC).status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE

    assert post(client, "sendgrid", body, auth=BASIC, **sendgrid_signature(body)).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


# Bodies no provider sends: not JSON, or not the JSON shape the provider's parser expects.
UNREADABLE = [b"", b"junk", b"[1]", b'"x"', b"null", b"\xff\xfe", b"[[]]"]
# The right shape with nothing in it: nothing happens, the answer may be a 200.
EMPTY = [b"{}", b"[]", b'{"Type": 1}', b'{"Type": "Notification"}']


@pytest.mark.parametrize("provider", ["amazon_ses", "mailgun", "postmark", "brevo", "sendgrid"])
@pytest.mark.parametrize("body", UNREADABLE + EMPTY, ids=[repr(body) for body in UNREADABLE + EMPTY])
@override_settings(ANYMAIL=AUTHENTICATED)
def test_an_empty_or_junk_body_is_never_a_server_error(client, subscriber, provider, body):
    headers = sendgrid_signature(body) if provider == "sendgrid" else {}
    if provider == "amazon_ses":
        headers |= {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification", "HTTP_X_AMZ_SNS_MESSAGE_ID": "1"}
    with override_settings(EMAIL_WEBHOOK_PROVIDER=provider):
        response = post(client, provider, body, auth=BASIC, **headers)

    if body in UNREADABLE:
        assert 400 <= response.status_code < 500
    else:
        assert response.status_code in (200, 400)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


@override_settings(ANYMAIL=AUTHENTICATED)
def test_a_signed_mailgun_event_without_its_data_is_a_client_error(client):
    timestamp, token = str(int(time.time())), "t" * 50
    signature = hmac.new(MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    for data in [None, "junk", [], 1]:
        body = {
            "signature": {"timestamp": timestamp, "token": token, "signature": signature},
            "event-data": data,
        }

        response = post(client, "mailgun", body, auth=BASIC)

        assert 400 <= response.status_code < 500, data
