"""Outbound webhooks against a real receiver on loopback: signatures, events, retries, the cap, the log."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from pressroom.api import events, tasks, webhooks
from pressroom.api.models import WebhookDelivery, WebhookEndpoint
from pressroom.newsroom import services
from tests.factories import AttachmentFactory, NewsroomFactory, ReleaseFactory
from tests.pressroom.api.api_helpers import api_client, editor, token_for

pytestmark = pytest.mark.django_db

SECRET = "test-secret-0123456789"


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers with the statuses queued."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        self.delay = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


@pytest.fixture
def endpoint(receiver):
    return WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET)


def expected_signature(secret, headers, body):
    """The receiver's side, written out from the documented scheme rather than with our own helper."""
    parts = dict(item.split("=", 1) for item in headers["X-Pressroom-Signature"].split(","))
    digest = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return parts, digest


def test_publishing_posts_a_signed_event_after_the_commit(
    receiver, endpoint, django_capture_on_commit_callbacks
):
    release = ReleaseFactory(title="Flere i arbeid")
    AttachmentFactory(release=release)

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_release(release=release)

    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/hook"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "Pressroom-Webhooks/1"
    assert headers["X-Pressroom-Event"] == "release.published"
    delivery = WebhookDelivery.objects.get()
    assert headers["X-Pressroom-Delivery"] == str(delivery.uuid)
    parts, digest = expected_signature(SECRET, headers, body)
    assert hmac.compare_digest(parts["v1"], digest)
    assert abs(int(parts["t"]) - time.time()) < 60
    assert webhooks.verify_signature(SECRET, headers["X-Pressroom-Signature"], body)
    assert not webhooks.verify_signature("another-secret", headers["X-Pressroom-Signature"], body)

    payload = json.loads(body)
    assert payload["event"] == "release.published"
    assert payload["release"]["id"] == release.pk
    assert payload["release"]["title"] == "Flere i arbeid"
    assert payload["release"]["url"] == f"http://testserver/releases/{release.slug}/"
    assert len(payload["release"]["attachments"]) == 1
    # The payload is the public API's representation of the release.
    assert payload["release"] == api_client().get(f"/api/v1/releases/{release.slug}/").json()

    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert (delivery.attempts, delivery.response_code, delivery.error) == (1, 200, "")
    assert delivery.release == release
    assert delivery.delivered_at is not None


def test_publishing_itself_makes_no_request(receiver, endpoint, django_capture_on_commit_callbacks):
    """The HTTP is the task's, after the commit: a slow or failing endpoint never holds up publishing."""
    receiver.delay = 5
    release = ReleaseFactory()

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=False):
        services.publish_release(release=release)

    assert time.monotonic() - started < 2
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PENDING, 0)


def test_nothing_is_recorded_or_sent_when_the_transaction_rolls_back(
    receiver, endpoint, django_capture_on_commit_callbacks
):
    release = ReleaseFactory()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.publish_release(release=release)
        raise RuntimeError("the editor's request failed later")

    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


def test_unpublishing_a_public_release_sends_release_unpublished(
    receiver, endpoint, django_capture_on_commit_callbacks
):
    release = ReleaseFactory(published=True)
    draft = ReleaseFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.unpublish_release(release=release)
        services.unpublish_release(release=draft)  # was never public: nothing to tell

    [request] = receiver.requests
    assert request["headers"]["X-Pressroom-Event"] == "release.unpublished"
    payload = json.loads(request["body"])
    assert payload["release"] == {
        "id": release.pk,
        "slug": release.slug,
        "title": release.title,
        "language": "nb",
    }


def test_updates_of_a_published_release_through_the_api_send_release_updated(
    receiver, endpoint, django_capture_on_commit_callbacks
):
    key = token_for(editor())[1]
    client = api_client(key)
    published = ReleaseFactory(published=True)
    draft = ReleaseFactory()

    with django_capture_on_commit_callbacks(execute=True):
        for release in (published, draft):
            response = client.patch(
                f"/api/v1/editor/releases/{release.pk}/",
                json.dumps({"lead": "Ny ingress"}),
                "application/json",
            )
            assert response.status_code == 200

    [request] = receiver.requests
    assert request["headers"]["X-Pressroom-Event"] == "release.updated"
    assert json.loads(request["body"])["release"]["lead"] == "Ny ingress"


def test_a_change_saved_in_the_admin_sends_release_updated(
    receiver, endpoint, django_capture_on_commit_callbacks
):
    admin = User.objects.create_superuser("admin", "admin@imdi.no", "pw")
    client = Client()
    client.force_login(admin)
    release = ReleaseFactory(published=True, title="Gammel tittel")
    form = {
        "title": "Ny tittel", "slug": release.slug, "kind": release.kind, "language": "nb", "lead": "",
        "body": "<p>Tekst</p>", "attachments-TOTAL_FORMS": "0", "attachments-INITIAL_FORMS": "0",
        "video_links-TOTAL_FORMS": "0",
        "video_links-INITIAL_FORMS": "0",
        "video_links-MIN_NUM_FORMS": "0",
        "video_links-MAX_NUM_FORMS": "1000",
        "release_contacts-TOTAL_FORMS": "0", "release_contacts-INITIAL_FORMS": "0",
    }  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/newsroom/release/{release.pk}/change/", form)

    assert response.status_code == 302, response.content
    [request] = receiver.requests
    assert request["headers"]["X-Pressroom-Event"] == "release.updated"
    assert json.loads(request["body"])["release"]["title"] == "Ny tittel"


def test_endpoints_get_only_the_events_they_chose(receiver, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(url=receiver.url + "?unpublished", events=["release.unpublished"])
    WebhookEndpoint.objects.create(url=receiver.url + "?inactive", is_active=False)
    WebhookEndpoint.objects.create(url=receiver.url + "?all")
    release = ReleaseFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_release(release=release)

    assert [request["path"] for request in receiver.requests] == ["/hook?all"]


@override_settings(WEBHOOK_MAX_ATTEMPTS=5)
def test_a_500_is_retried_until_delivered(receiver, endpoint, django_capture_on_commit_callbacks):
    receiver.statuses = [500, 503]
    release = ReleaseFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_release(release=release)

    assert len(receiver.requests) == 3
    # Every attempt of a delivery carries the same id and body, so a receiver can tell a repeat.
    assert len({request["headers"]["X-Pressroom-Delivery"] for request in receiver.requests}) == 1
    assert len({request["body"] for request in receiver.requests}) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 3, 200)
    assert delivery.error == ""


@override_settings(WEBHOOK_MAX_ATTEMPTS=3)
def test_it_gives_up_after_the_cap_and_logs_why(receiver, endpoint, django_capture_on_commit_callbacks):
    receiver.statuses = [500] * 10
    release = ReleaseFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_release(release=release)

    assert len(receiver.requests) == 3
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 3, 500)
    assert delivery.error.startswith("Gave up after 3 attempts. Last error: HTTP 500")
    assert delivery.delivered_at is None


@pytest.mark.parametrize("status", [400, 404, 410, 302])
def test_a_client_error_or_redirect_is_not_retried(
    receiver, endpoint, django_capture_on_commit_callbacks, status
):
    receiver.statuses = [status]

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_release(release=ReleaseFactory())

    assert len(receiver.requests) == 1  # a redirect is not followed either
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 1, status)
    assert delivery.error.startswith(f"HTTP {status}")


@override_settings(WEBHOOK_MAX_ATTEMPTS=2)
def test_an_endpoint_that_refuses_connections_is_retried_and_logged(django_capture_on_commit_callbacks):
    receiver = Receiver()
    url = receiver.url
    receiver.close()  # nothing listens on the port any more
    WebhookEndpoint.objects.create(url=url, secret=SECRET)

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_release(release=ReleaseFactory())

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 2, None)
    assert "Gave up after 2 attempts" in delivery.error
    assert "Connection refused" in delivery.error or "URLError" in delivery.error


@override_settings(WEBHOOK_MAX_ATTEMPTS=1, WEBHOOK_TIMEOUT=1)
def test_a_slow_endpoint_times_out(receiver, endpoint, django_capture_on_commit_callbacks):
    receiver.delay = 3

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_release(release=ReleaseFactory())

    assert time.monotonic() - started < 3
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert "timed out" in delivery.error


def test_the_next_attempt_is_scheduled_with_backoff(receiver, endpoint):
    receiver.statuses = [500]
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="release.published", payload={"x": 1})

    with override_settings(WEBHOOK_RETRY_BASE_SECONDS=30, WEBHOOK_MAX_ATTEMPTS=8):
        retry_in = webhooks.deliver(delivery.pk)

    delivery.refresh_from_db()
    assert retry_in == 30
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert timedelta(seconds=25) < delivery.next_attempt_at - timezone.now() <= timedelta(seconds=30)
    # A second worker holding the same task id finds nothing to do while it is not pending.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="delivered")
    assert webhooks.deliver(delivery.pk) is None
    assert len(receiver.requests) == 1


@override_settings(WEBHOOK_RETRY_BASE_SECONDS=30, WEBHOOK_RETRY_MAX_SECONDS=600)
def test_backoff_doubles_up_to_the_cap():
    assert [webhooks.backoff(attempts) for attempts in range(1, 8)] == [30, 60, 120, 240, 480, 600, 600]


def test_a_deactivated_endpoint_is_not_called(receiver, endpoint):
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="release.published", payload={})
    endpoint.is_active = False
    endpoint.save()

    assert webhooks.deliver(delivery.pk) is None

    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert receiver.requests == []


def test_the_sweeper_delivers_what_a_lost_worker_left(receiver, endpoint, django_capture_on_commit_callbacks):
    long_ago = timezone.now() - timedelta(hours=1)
    stuck = WebhookDelivery.objects.create(
        endpoint=endpoint, event="release.published", payload={"n": 1}, status="sending", attempts=1,
        last_attempt_at=long_ago,
    )  # fmt: skip
    lost = WebhookDelivery.objects.create(
        endpoint=endpoint, event="release.published", payload={"n": 2}, next_attempt_at=long_ago
    )
    recent = WebhookDelivery.objects.create(
        endpoint=endpoint, event="release.published", payload={"n": 3}, status="sending", attempts=1,
        last_attempt_at=timezone.now(),
    )  # fmt: skip

    assert tasks.sweep_webhooks() == 2

    stuck.refresh_from_db(), lost.refresh_from_db(), recent.refresh_from_db()
    assert (stuck.status, stuck.attempts) == ("delivered", 2)
    assert (lost.status, lost.attempts) == ("delivered", 1)
    assert recent.status == "sending"
    assert sorted(json.loads(request["body"])["n"] for request in receiver.requests) == [1, 2]


def test_failed_deliveries_can_be_retried(receiver, endpoint, django_capture_on_commit_callbacks):
    failed = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="release.published",
        payload={},
        status="failed",
        attempts=8,
        error="HTTP 500",
    )
    delivered = WebhookDelivery.objects.create(
        endpoint=endpoint, event="release.published", payload={}, status="delivered", attempts=1
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert events.retry_failed(WebhookDelivery.objects.all()) == 1

    failed.refresh_from_db(), delivered.refresh_from_db()
    assert (failed.status, failed.attempts, failed.error) == ("delivered", 1, "")
    assert delivered.attempts == 1
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    "header, body, now, valid",
    [
        (None, b'{"a":1}', 1_700_000_000, True),
        (None, b'{"a":2}', 1_700_000_000, False),  # another body
        (None, b'{"a":1}', 1_700_000_000 + 301, False),  # too old
        ("t=1700000000", b'{"a":1}', 1_700_000_000, False),
        ("garbage", b'{"a":1}', 1_700_000_000, False),
        ("t=x,v1=y", b'{"a":1}', 1_700_000_000, False),
    ],
)
def test_verify_signature(header, body, now, valid):
    header = header or webhooks.sign(SECRET, 1_700_000_000, b'{"a":1}')

    assert webhooks.verify_signature(SECRET, header, body, now=now) is valid
