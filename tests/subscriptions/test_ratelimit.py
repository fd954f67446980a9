import pytest
from django.core import mail
from django.test import Client

from pressroom.ops import ratelimit
from subscriptions.models import Subscriber

from .conftest import signup_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.SUBSCRIPTIONS_SIGNUP_LIMIT_PER_IP = 3
    settings.SUBSCRIPTIONS_SIGNUP_IP_WINDOW = 600
    settings.SUBSCRIPTIONS_SIGNUP_LIMIT_PER_ADDRESS = 2
    settings.SUBSCRIPTIONS_SIGNUP_ADDRESS_WINDOW = 3600
    settings.SUBSCRIPTIONS_RESEND_INTERVAL = 0
    return settings


def test_one_visitor_signing_up_many_addresses_is_throttled(client, newsroom, limits):
    statuses = [client.post("/subscribe/", signup_data(f"liste{n}@example.no")).status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert Subscriber.objects.count() == 3
    response = client.post("/subscribe/", signup_data("enda.en@example.no"))
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    body = response.content.decode()
    assert "Too many sign-ups" in body
    assert "Please wait a while and try again." in body
    assert 'role="alert"' in body


def test_another_visitor_is_not_throttled(client, newsroom, limits):
    for n in range(4):
        client.post("/subscribe/", signup_data(f"a{n}@example.no"))
    other = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="192.0.2.77")
    assert other.post("/subscribe/", signup_data("b@example.no")).status_code == 200


def test_one_address_signed_up_many_times_is_throttled(newsroom, limits, django_capture_on_commit_callbacks):
    statuses = []
    for n in range(4):
        # From a different address each time: the per-address limit holds anyway.
        visitor = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=f"198.51.100.{n}")
        with django_capture_on_commit_callbacks(execute=True):
            statuses.append(visitor.post("/subscribe/", signup_data("Offer@Example.no")).status_code)
    assert statuses == [200, 200, 429, 429]
    assert len(mail.outbox) == 2
    # Case does not get around it.
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.9")
    assert visitor.post("/subscribe/", signup_data("OFFER@example.NO")).status_code == 429


def test_bots_count_against_the_visitor_limit(client, newsroom, limits):
    for _ in range(3):
        client.post("/subscribe/", signup_data("bot@example.no", website="filled"))
    assert client.post("/subscribe/", signup_data("human@example.no")).status_code == 429


def test_behind_a_proxy_the_forwarded_address_is_the_visitor(newsroom, limits):
    limits.SUBSCRIPTIONS_TRUST_X_FORWARDED_FOR = True
    proxy = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.0.0.1")
    for n in range(3):
        proxy.post(
            "/subscribe/", signup_data(f"p{n}@example.no"), HTTP_X_FORWARDED_FOR=f"spoofed, 192.0.2.{n}"
        )
    assert (
        proxy.post("/subscribe/", signup_data("p9@example.no"), HTTP_X_FORWARDED_FOR="192.0.2.50").status_code
        == 200
    )
    assert Subscriber.objects.count() == 4


def test_counter_window_and_limit():
    assert [ratelimit.hit("test", "k", limit=2, window=60) for _ in range(4)] == [True, True, False, False]
    assert ratelimit.hit("test", "other", limit=2, window=60) is True
    assert ratelimit.hit("other-scope", "k", limit=2, window=60) is True


def test_an_unreachable_cache_lets_sign_ups_through(client, newsroom, limits, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(ratelimit.cache, "add", broken)
    assert client.post("/subscribe/", signup_data("nede@example.no")).status_code == 200
    assert Subscriber.objects.filter(email="nede@example.no").exists()
