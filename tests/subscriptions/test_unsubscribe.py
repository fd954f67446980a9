from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from subscriptions import emails
from subscriptions.models import Subscriber

from .conftest import csrf_token_in
from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber(newsroom):
    return SubscriberFactory()


def url(subscriber):
    return f"/subscribe/u/{subscriber.token}/"


def test_the_headers_point_to_the_one_click_url(subscriber):
    headers = emails.unsubscribe_headers(subscriber)
    assert headers == {
        "List-Unsubscribe": f"<http://testserver/subscribe/u/{subscriber.token}/>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert subscriber.email not in headers["List-Unsubscribe"]


def test_rfc8058_one_click_post_without_cookies_or_csrf_unsubscribes(subscriber):
    mail_program = Client(enforce_csrf_checks=True)
    assert len(mail_program.cookies) == 0
    response = mail_program.post(
        url(subscriber), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "Location" not in response
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_method == Subscriber.UnsubscribeMethod.ONE_CLICK
    assert subscriber.unsubscribed_at is not None


def test_one_click_also_works_as_multipart(subscriber):
    response = Client(enforce_csrf_checks=True).post(url(subscriber), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_one_click_twice_is_harmless_and_keeps_the_first_time(subscriber):
    client = Client(enforce_csrf_checks=True)
    client.post(url(subscriber), {"List-Unsubscribe": "One-Click"})
    subscriber.refresh_from_db()
    first = subscriber.unsubscribed_at
    assert client.post(url(subscriber), {"List-Unsubscribe": "One-Click"}).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at == first


def test_one_click_with_an_unknown_token_is_404(newsroom):
    response = Client(enforce_csrf_checks=True).post(
        "/subscribe/u/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/", {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 404


def test_a_post_without_the_one_click_body_needs_csrf(subscriber):
    response = Client(enforce_csrf_checks=True).post(url(subscriber), {"List-Unsubscribe": "Something"})
    assert response.status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_get_shows_a_button_and_changes_nothing(client, subscriber):
    before = Subscriber.objects.values().get(pk=subscriber.pk)
    for _ in range(2):
        response = client.get(url(subscriber))
        assert response.status_code == 200
        body = response.content.decode()
        assert '<button type="submit">Unsubscribe</button>' in body
        assert "/subscribe/manage/" in body
    assert client.head(url(subscriber)).status_code == 200
    assert Subscriber.objects.values().get(pk=subscriber.pk) == before


def test_the_page_button_unsubscribes_and_offers_undo(subscriber, settings):
    settings.SUBSCRIPTIONS_UNDO_DAYS = 30
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    token = csrf_token_in(browser.get(url(subscriber)))
    response = browser.post(url(subscriber), {"csrfmiddlewaretoken": token})
    assert response.status_code == 200
    body = response.content.decode()
    assert "You are unsubscribed" in body
    assert f'action="/subscribe/u/{subscriber.token}/undo/"' in body
    assert "Undo: subscribe me again" in body
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_method == Subscriber.UnsubscribeMethod.PAGE

    undone = browser.post(f"/subscribe/u/{subscriber.token}/undo/", {"csrfmiddlewaretoken": token})
    assert undone.status_code == 200
    assert "You are subscribed again" in undone.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.unsubscribed_at is None
    assert mail.outbox == []


def test_undo_after_the_window_needs_a_new_sign_up(client, newsroom, settings):
    settings.SUBSCRIPTIONS_UNDO_DAYS = 30
    subscriber = SubscriberFactory(unsubscribed=True, unsubscribed_at=timezone.now() - timedelta(days=31))
    page = client.get(url(subscriber)).content.decode()
    assert "Undo" not in page
    assert 'href="/subscribe/"' in page
    response = client.post(f"/subscribe/u/{subscriber.token}/undo/")
    assert response.status_code == 400
    assert "too long since you unsubscribed" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_undo_is_not_a_way_around_double_opt_in(client, newsroom):
    """Someone who never confirmed cannot become active through undo."""
    subscriber = SubscriberFactory(unsubscribed=True, confirmed_at=None)
    assert client.post(f"/subscribe/u/{subscriber.token}/undo/").status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_get_on_undo_changes_nothing(client, newsroom):
    subscriber = SubscriberFactory(unsubscribed=True)
    response = client.get(f"/subscribe/u/{subscriber.token}/undo/")
    assert response.status_code == 302
    assert response["Location"] == f"/subscribe/u/{subscriber.token}/"
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


@pytest.mark.parametrize("token", ["unknown-token-1234567890", "short", "a" * 65, "%00" * 20, "ÆØÅ" * 10])
def test_an_unknown_token_gets_a_clear_404_page(client, newsroom, token):
    for response in (client.get(f"/subscribe/u/{token}/"), client.post(f"/subscribe/u/{token}/")):
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()


def test_the_unsubscribe_url_does_not_expire_or_need_a_signature(client, newsroom):
    old = SubscriberFactory(created_at=timezone.now() - timedelta(days=2000))
    assert client.get(url(old)).status_code == 200


def test_a_rotated_token_voids_the_unsubscribe_url(client, subscriber):
    old_url = url(subscriber)
    subscriber.rotate_token()
    subscriber.save()
    assert client.get(old_url).status_code == 404


def test_one_click_is_a_unique_index_lookup_and_one_update(subscriber):
    """The one-click URL must stay fast under a mail provider's burst: no scans, no extra work."""
    client = Client(enforce_csrf_checks=True)
    with CaptureQueriesContext(connection) as captured:
        assert client.post(url(subscriber), {"List-Unsubscribe": "One-Click"}).status_code == 200
    statements = [query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"]]
    assert [sql.split()[0] for sql in statements] == ["SELECT", "SELECT", "UPDATE"]
    assert f'WHERE "subscriptions_subscriber"."token" = \'{subscriber.token}\'' in statements[0]
    assert "ORDER BY" not in statements[0]
    assert f'WHERE "subscriptions_subscriber"."id" = {subscriber.pk}' in statements[1]
    assert Subscriber._meta.get_field("token").unique
