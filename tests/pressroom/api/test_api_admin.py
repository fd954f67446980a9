"""The admin for API tokens and webhooks: the key is shown once and stored hashed; tokens are revoked."""

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from pressroom.api import auth as api_auth
from pressroom.api.models import ApiToken, WebhookDelivery, WebhookEndpoint
from tests.factories import NewsroomFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


@pytest.fixture
def superuser():
    return User.objects.create_superuser("admin", "admin@imdi.no", "pw")


def logged_in(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_creating_a_token_shows_the_key_once_and_stores_its_hash(superuser):
    client = logged_in(superuser)

    response = client.post(
        "/admin/api/apitoken/add/", {"user": superuser.pk, "name": "Intranett", "scope": "write"}
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = re.search(
        r'id="api-token-key" type="text" readonly value="(prs_[^"]+)"', response.content.decode()
    )[1]
    token = ApiToken.objects.get()
    assert (token.name, token.scope, token.user) == ("Intranett", "write", superuser)
    assert token.key_hash == api_auth.hash_key(key)
    assert key.startswith(token.prefix)
    # The key is not in the database, and the change page does not show it.
    assert key not in token.key_hash
    assert key not in client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    # It works.
    assert Client().get("/api/v1/editor/releases/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_an_editor_creates_tokens_for_themselves_only(superuser):
    editor = User.objects.create_user("redaktor", "r@imdi.no", "pw", is_staff=True)
    editor.user_permissions.add(*Permission.objects.filter(codename__endswith="apitoken"))
    api_auth.create_token(user=superuser, name="Admin's")
    client = logged_in(editor)

    client.post("/admin/api/apitoken/add/", {"user": superuser.pk, "name": "Mitt", "scope": "read"})

    assert ApiToken.objects.get(name="Mitt").user == editor
    listing = client.get("/admin/api/apitoken/").content.decode()
    assert "Mitt" in listing
    assert "Admin&#x27;s" not in listing and "Admin's" not in listing


def test_revoking_tokens_from_the_list(superuser):
    token, key = api_auth.create_token(user=superuser, name="Gammel")
    client = logged_in(superuser)

    response = client.post(
        "/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )

    assert "1 token revoked." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/v1/editor/releases/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_registering_a_webhook_with_chosen_events(superuser):
    client = logged_in(superuser)

    response = client.get("/admin/api/webhookendpoint/add/")
    secret = re.search(r'name="secret"[^>]*value="([^"]+)"', response.content.decode())[1]
    response = client.post(
        "/admin/api/webhookendpoint/add/",
        {"url": "https://intranett.imdi.no/hook", "events": ["release.published"], "is_active": "on",
         "secret": secret},
    )  # fmt: skip

    assert response.status_code == 302, response.content
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["release.published"]
    assert endpoint.secret == secret and len(secret) >= 40


def test_the_delivery_log_is_read_only_and_failed_deliveries_can_be_retried(
    superuser, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/closed", is_active=False)
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="release.published", payload={}, status="failed", attempts=8
    )
    client = logged_in(superuser)

    assert client.get(f"/admin/api/webhookdelivery/{delivery.pk}/change/").status_code == 200
    assert client.get("/admin/api/webhookdelivery/add/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/api/webhookdelivery/", {"action": "retry", "_selected_action": [delivery.pk]}
        )

    assert response.status_code == 302
    delivery.refresh_from_db()
    # Queued again and attempted: the endpoint is inactive, so it fails at once without a request.
    assert (delivery.status, delivery.attempts, delivery.error) == (
        "failed",
        1,
        "The webhook was deactivated.",
    )
