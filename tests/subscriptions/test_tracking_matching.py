"""Provider events find their own ledger row: by the provider's message id and the recipient, or by the
row named in the event's metadata. Sends go through anymail's real Mailgun, Postmark and Amazon SES
backends to mock APIs on loopback; events come back over HTTP to the tracking webhook."""

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from django.utils import timezone

from pressroom.newsroom.services import publish_release
from subscriptions import mailings
from subscriptions.models import Delivery, Mailing, Subscriber
from tests.factories import ReleaseFactory
from tests.mockprovider import Fault, MockProvider

pytestmark = pytest.mark.django_db

BASIC = "hook:secret-pass"
SIGNING_KEY = "whsec-signing-key"


def auth_header(auth=BASIC):
    return "Basic " + base64.b64encode(auth.encode()).decode()


def subscriber(email):
    return Subscriber.objects.create(
        email=email, status=Subscriber.Status.ACTIVE, language="nb", confirmed_at=timezone.now()
    )


def publish_and_send(release):
    publish_release(release=release)
    mailing = mailings.prepare_mailing(Mailing.objects.get(release=release).pk)
    for _ in range(20):
        if not mailings.send_batches(mailing.pk, time_budget=30).more_now:
            return mailing
    raise AssertionError("the mailing never ran out of work")


def row_of(mailing, email):
    return Delivery.objects.get(mailing=mailing, subscriber__email=email)


# Mailgun: one message id for a whole batch


def mailgun_event(event, recipient, *, message_id, severity=None, metadata=None):
    token = uuid.uuid4().hex
    timestamp = str(int(time.time()))
    signature = hmac.new(SIGNING_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    data = {"event": event, "recipient": recipient, "timestamp": time.time(), "id": uuid.uuid4().hex,
            "message": {"headers": {"message-id": message_id.strip("<>")}}}  # fmt: skip
    if severity:
        data["severity"] = severity
    if metadata:
        data["user-variables"] = metadata
    return {"signature": {"token": token, "timestamp": timestamp, "signature": signature}, "event-data": data}


def post_mailgun(client, payload):
    return client.post(
        "/anymail/mailgun/tracking/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth_header(),
    )


@pytest.fixture
def mailgun():
    with MockProvider() as mock:
        anymail = {
            "MAILGUN_API_KEY": "key-test",
            "MAILGUN_API_URL": mock.api_url,
            "MAILGUN_SENDER_DOMAIN": "mg.example.org",
            "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
            "WEBHOOK_SECRET": BASIC,
            "REQUESTS_TIMEOUT": 2,
        }
        with override_settings(
            EMAIL_BACKEND="anymail.backends.mailgun.EmailBackend",
            EMAIL_WEBHOOK_PROVIDER="mailgun",
            ANYMAIL=anymail,
            MAILING_RETRY_BASE_SECONDS=0,
        ):
            yield mock


def test_a_bounce_for_an_unknown_recipient_with_a_batchs_message_id_changes_no_row(client, mailgun):
    for i in range(3):
        subscriber(f"s{i}@example.org")
    mailing = publish_and_send(ReleaseFactory())
    [batch_id] = set(Delivery.objects.filter(mailing=mailing).values_list("message_id", flat=True))
    assert batch_id

    response = post_mailgun(
        client, mailgun_event("failed", "stranger@example.org", message_id=batch_id, severity="permanent")
    )

    assert response.status_code == 200
    assert list(Delivery.objects.filter(mailing=mailing).values_list("event", flat=True)) == ["", "", ""]
    assert set(Subscriber.objects.values_list("status", flat=True)) == {Subscriber.Status.ACTIVE}


def test_a_bounce_in_a_batch_lands_on_its_recipients_row_only(client, mailgun):
    for i in range(3):
        subscriber(f"s{i}@example.org")
    mailing = publish_and_send(ReleaseFactory())
    batch_id = row_of(mailing, "s1@example.org").message_id

    post_mailgun(client, mailgun_event("failed", "S1@example.org", message_id=batch_id, severity="permanent"))

    events = dict(Delivery.objects.filter(mailing=mailing).values_list("subscriber__email", "event"))
    assert events == {"s0@example.org": "", "s1@example.org": "bounced", "s2@example.org": ""}


def test_an_event_for_an_uncertain_row_settles_it(client, mailgun):
    for i in range(3):
        subscriber(f"s{i}@example.org")
    release = ReleaseFactory()
    mailgun.fail_next(Fault(drop_after_accept=True))
    mailing = publish_and_send(release)
    assert set(Delivery.objects.filter(mailing=mailing).values_list("status", flat=True)) == {"uncertain"}
    delivered, bounced = row_of(mailing, "s0@example.org"), row_of(mailing, "s1@example.org")

    # The answer with Mailgun's message id was lost; the events name the row in their metadata.
    for row, event, severity in ((delivered, "delivered", None), (bounced, "failed", "permanent")):
        payload = mailgun_event(
            event,
            row.subscriber.email,
            message_id="<20261201.abc@mg.example.org>",
            severity=severity,
            metadata={"pressroom_delivery": str(row.pk)},
        )
        assert post_mailgun(client, payload).status_code == 200

    delivered.refresh_from_db()
    bounced.refresh_from_db()
    assert (delivered.status, delivered.event) == (Delivery.Status.SENT, "delivered")
    assert delivered.message_id == "<20261201.abc@mg.example.org>"
    assert delivered.sent_at is not None
    assert (bounced.status, bounced.event) == (Delivery.Status.SENT, "bounced")
    assert row_of(mailing, "s2@example.org").status == Delivery.Status.UNCERTAIN


def test_metadata_naming_another_recipients_row_changes_nothing(client, mailgun):
    subscriber("a@example.org")
    subscriber("b@example.org")
    mailgun.fail_next(Fault(drop_after_accept=True))
    mailing = publish_and_send(ReleaseFactory())
    row_a = row_of(mailing, "a@example.org")

    payload = mailgun_event(
        "delivered", "b@example.org", message_id="<x@mg>", metadata={"pressroom_delivery": str(row_a.pk)}
    )
    post_mailgun(client, payload)

    row_a.refresh_from_db()
    assert (row_a.status, row_a.event) == (Delivery.Status.UNCERTAIN, "")


# Postmark and Amazon SES: one message per recipient, each with the provider's own id


class FakeAPI:
    """Postmark's /email and Amazon SES v2's outbound-emails on loopback: each message gets an id."""

    def __init__(self):
        self.ids = {}  # recipient -> the id the provider gave its message
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path.startswith("/email"):
                    to = body["To"]
                    message_id = str(uuid.uuid4())
                    answer = {"To": to, "SubmittedAt": "2026-12-01T00:00:00Z", "MessageID": message_id,
                              "ErrorCode": 0, "Message": "OK"}  # fmt: skip
                else:  # SES v2 SendEmail
                    to = body["Destination"]["ToAddresses"][0]
                    message_id = f"0102019-{uuid.uuid4()}-000000"
                    answer = {"MessageId": message_id}
                fake.ids[to] = message_id
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_api():
    api = FakeAPI()
    yield api
    api.close()


def postmark_bounce(message_id, recipient):
    return {"RecordType": "Bounce", "ID": 4323372036854775807, "Type": "HardBounce", "TypeCode": 1,
            "MessageID": message_id, "Email": recipient, "BouncedAt": "2026-12-01T10:00:00Z",
            "Description": "The server was unable to deliver your message"}  # fmt: skip


def ses_bounce(message_id, recipient):
    bounce = {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "feedbackId": "f-1",
        "timestamp": "2026-12-01T10:00:00.000Z",
        "bouncedRecipients": [{"emailAddress": recipient}],
    }
    mail = {"messageId": message_id, "destination": [recipient], "timestamp": "2026-12-01T09:59:00.000Z"}
    ses_event = {"eventType": "Bounce", "bounce": bounce, "mail": mail}
    sns_id = str(uuid.uuid4())
    body = {"Type": "Notification", "MessageId": sns_id, "TopicArn": "arn:aws:sns:eu-west-1:1:ses",
            "Message": json.dumps(ses_event), "Timestamp": "2026-12-01T10:00:01.000Z"}  # fmt: skip
    return body, {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification", "HTTP_X_AMZ_SNS_MESSAGE_ID": sns_id}


def provider_settings(name, url):
    if name == "postmark":
        return {
            "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
            "ANYMAIL": {
                "POSTMARK_SERVER_TOKEN": "token",
                "POSTMARK_API_URL": f"{url}/",
                "WEBHOOK_SECRET": BASIC,
            },
        }
    return {
        "EMAIL_BACKEND": "anymail.backends.amazon_ses.EmailBackend",
        "ANYMAIL": {
            "AMAZON_SES_SESSION_PARAMS": {
                "aws_access_key_id": "AKIDEXAMPLE",
                "aws_secret_access_key": "secret",
                "region_name": "eu-west-1",
            },
            "AMAZON_SES_CLIENT_PARAMS": {"endpoint_url": url},
            "WEBHOOK_SECRET": BASIC,
        },
    }


@pytest.mark.parametrize("provider", ["postmark", "amazon_ses"])
def test_one_by_one_sends_record_the_providers_id_and_its_bounce_finds_the_row(client, fake_api, provider):
    alice, bob = subscriber("alice@example.org"), subscriber("bob@example.org")
    with override_settings(EMAIL_WEBHOOK_PROVIDER=provider, **provider_settings(provider, fake_api.url)):
        mailing = publish_and_send(ReleaseFactory())
        rows = {email: row_of(mailing, email) for email in (alice.email, bob.email)}
        assert {email: row.message_id for email, row in rows.items()} == fake_api.ids
        assert {row.status for row in rows.values()} == {Delivery.Status.SENT}

        message_id = fake_api.ids[bob.email]
        if provider == "postmark":
            body, headers = postmark_bounce(message_id, bob.email), {}
        else:
            body, headers = ses_bounce(message_id, bob.email)
        response = client.post(
            f"/anymail/{provider}/tracking/",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=auth_header(),
            **headers,
        )

    assert response.status_code == 200
    assert row_of(mailing, bob.email).event == "bounced"
    assert row_of(mailing, alice.email).event == ""
    bob.refresh_from_db()
    assert bob.status == Subscriber.Status.BOUNCED
