"""Webhooks never call into the server's own network: internal URLs are refused when saved in the admin
and again at delivery, after DNS resolution; the admin shows an answer's status, never its body.

The editors' API cannot create webhooks (only the admin can), so the admin is the one place to save one.
"""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from pressroom.api.models import WebhookDelivery, WebhookEndpoint
from pressroom.newsroom import services
from tests.factories import NewsroomFactory, ReleaseFactory

pytestmark = pytest.mark.django_db

INTERNAL_URLS = [
    "http://127.0.0.1:8000/admin/",
    "http://localhost/hook",
    "http://LOCALHOST./hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:a00:1]/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://[fd00::1]/hook",
    "http://[fe80::1]/hook",
    "http://224.0.0.1/hook",
    "http://[ff02::1]/hook",
    "http://240.0.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::]/hook",
    "http://2130706433/hook",
    "http://0x7f.1/hook",
    "http://0177.0.0.1/hook",
    "http://127.1/hook",
]


class Receiver:
    """An HTTP server on 127.0.0.1 that records every request and answers with STATUS and BODY."""

    def __init__(self, status=200, body=b"ok"):
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(self.path)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


@pytest.fixture
def admin_client():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.create_superuser("admin", "admin@imdi.no", "pw"))
    return client


def add_webhook(client, url):
    return client.post(
        "/admin/api/webhookendpoint/add/",
        {"url": url, "events": ["release.published"], "is_active": "on", "secret": "s" * 40},
    )


@override_settings(OUTBOUND_ALLOWED_HOSTS=[])
@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_the_admin_refuses_a_webhook_to_an_internal_address(admin_client, url):
    response = add_webhook(admin_client, url)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["url"]
    assert not WebhookEndpoint.objects.exists()


@override_settings(OUTBOUND_ALLOWED_HOSTS=[])
def test_the_admin_says_why_an_internal_address_is_refused(admin_client):
    response = add_webhook(admin_client, "http://localhost:6379/")

    assert "localhost is an internal address (127.0.0.1)" in response.content.decode()
    assert "OUTBOUND_ALLOWED_HOSTS" in response.content.decode()


@override_settings(OUTBOUND_ALLOWED_HOSTS=[])
def test_the_admin_refuses_changing_a_webhook_to_an_internal_address(admin_client):
    endpoint = WebhookEndpoint.objects.create(url="https://93.184.215.14/hook")

    response = admin_client.post(
        f"/admin/api/webhookendpoint/{endpoint.pk}/change/",
        {
            "url": "http://10.1.2.3/hook",
            "events": ["release.published"],
            "is_active": "on",
            "secret": "s" * 40,
        },
    )

    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.url == "https://93.184.215.14/hook"


@override_settings(OUTBOUND_ALLOWED_HOSTS=[])
def test_the_admin_saves_a_webhook_to_a_public_address(admin_client):
    response = add_webhook(admin_client, "https://93.184.215.14/hook")

    assert response.status_code == 302
    assert WebhookEndpoint.objects.get().url == "https://93.184.215.14/hook"


@override_settings(OUTBOUND_ALLOWED_HOSTS=["127.0.0.1"])
def test_a_host_named_in_the_setting_may_be_internal(admin_client):
    response = add_webhook(admin_client, "http://127.0.0.1:8080/hook")

    assert response.status_code == 302
    assert WebhookEndpoint.objects.get().url == "http://127.0.0.1:8080/hook"


@override_settings(OUTBOUND_ALLOWED_HOSTS=[])
def test_a_webhook_saved_with_an_internal_address_is_not_contacted(
    receiver, admin_client, django_capture_on_commit_callbacks
):
    port = receiver.port
    urls = [
        f"http://127.0.0.1:{port}/hook",
        f"http://localhost:{port}/hook",
        f"http://2130706433:{port}/hook",
        f"http://0x7f.1:{port}/hook",
        f"http://[::ffff:127.0.0.1]:{port}/hook",
    ]
    # Saved directly, as rows from before the check or from a database restore would be.
    for url in urls:
        WebhookEndpoint.objects.create(url=url)

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_release(release=ReleaseFactory())

    assert receiver.requests == []
    deliveries = WebhookDelivery.objects.select_related("endpoint")
    assert sorted(delivery.endpoint.url for delivery in deliveries) == sorted(urls)
    for delivery in deliveries:
        assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 1, None)
        assert delivery.error.startswith("Refused: "), delivery.error
        assert "is an internal address (127.0.0.1)" in delivery.error

    # Retrying from the admin is refused again, without a request.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/api/webhookdelivery/",
            {"action": "retry", "_selected_action": [delivery.pk for delivery in deliveries]},
        )
    assert response.status_code == 302
    assert receiver.requests == []
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("failed", 1)}


@override_settings(OUTBOUND_ALLOWED_HOSTS=[])
def test_a_name_is_checked_again_when_it_resolves_at_delivery(
    receiver, admin_client, django_capture_on_commit_callbacks, monkeypatch
):
    """A name that did not resolve when saved (or resolved to a public address) and resolves to an internal
    one at delivery is refused: the address is checked after resolution, and that address is the one
    requests-hardened connects to."""
    real_getaddrinfo = socket.getaddrinfo
    answers = {"hooks.rebind.example": None}

    def getaddrinfo(host, *args, **kwargs):
        if host in answers:
            if answers[host] is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return real_getaddrinfo(answers[host], *args, **kwargs)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    response = add_webhook(admin_client, f"http://hooks.rebind.example:{receiver.port}/hook")
    assert response.status_code == 302, response.content
    answers["hooks.rebind.example"] = "127.0.0.1"

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_release(release=ReleaseFactory())

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert (
        delivery.error == "Refused: hooks.rebind.example is an internal address (127.0.0.1): not contacted."
    )


def test_the_admin_shows_the_status_of_an_answer_not_its_body(
    admin_client, django_capture_on_commit_callbacks
):
    receiver = Receiver(status=404, body=b"internal-service-banner 0123")
    try:
        WebhookEndpoint.objects.create(url=f"http://127.0.0.1:{receiver.port}/hook")
        with django_capture_on_commit_callbacks(execute=True):
            services.publish_release(release=ReleaseFactory())
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code, delivery.error) == ("failed", 404, "HTTP 404 Not Found")
    page = admin_client.get(f"/admin/api/webhookdelivery/{delivery.pk}/change/").content.decode()
    assert "404" in page
    assert "internal-service-banner" not in page
