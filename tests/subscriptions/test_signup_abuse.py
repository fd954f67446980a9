"""Sign-up abuse: form stamps expire and are used once, X-Forwarded-For counts only from trusted proxies,
a refusal says how long is left, and refusals are counted rather than logged one by one."""

import ipaddress
import logging
import re
import time

import pytest
from django.core import mail
from django.test import Client

from pressroom.ops import ratelimit
from subscriptions.forms import make_stamp
from subscriptions.models import Subscriber
from tests.clock import Clock

from .conftest import signup_data

pytestmark = pytest.mark.django_db

STAMP = re.compile(r'name="stamp" value="([^"]+)"')


@pytest.fixture
def limits(settings):
    settings.SUBSCRIPTIONS_SIGNUP_LIMIT_PER_IP = 3
    settings.SUBSCRIPTIONS_SIGNUP_IP_WINDOW = 600
    settings.SUBSCRIPTIONS_SIGNUP_LIMIT_PER_ADDRESS = 2
    settings.SUBSCRIPTIONS_SIGNUP_ADDRESS_WINDOW = 3600
    settings.SUBSCRIPTIONS_RESEND_INTERVAL = 0
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 0
    return settings


@pytest.fixture
def behind_proxies(limits):
    limits.SUBSCRIPTIONS_TRUST_X_FORWARDED_FOR = True
    limits.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")]
    return limits


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ratelimit, "time", clock)
    return clock


def post(client, data, **extra):
    return client.post("/subscribe/", data, **extra)


def test_a_form_is_sent_once_with_each_address(client, newsroom, limits, django_capture_on_commit_callbacks):
    stamp = STAMP.search(client.get("/subscribe/").content.decode())[1]

    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, {"email": "forste@example.no", "stamp": stamp})
        again = post(client, {"email": "Forste@example.no", "stamp": stamp})

    assert "Check your inbox" in first.content.decode()
    assert [message.to for message in mail.outbox] == [["forste@example.no"]]
    # The replay is shown the form again, as sent, with a new stamp: a person presses once more.
    assert again.status_code == 200
    page = again.content.decode()
    assert "This form has already been sent or is too old" in page
    assert 'value="Forste@example.no"' in page
    fresh = STAMP.search(page)[1]
    assert fresh != stamp
    assert Subscriber.objects.count() == 1


def test_the_box_on_a_cached_page_works_for_every_visitor_at_the_first_press(
    client, newsroom, limits, django_capture_on_commit_callbacks
):
    """The box on a public page is cached for everyone for a minute, stamp and all."""
    stamp = STAMP.search(client.get("/").content.decode())[1]
    assert STAMP.search(client.get("/").content.decode())[1] == stamp

    with django_capture_on_commit_callbacks(execute=True):
        for number, address in enumerate(["en@example.no", "to@example.no", "tre@example.no"], start=1):
            visitor = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=f"192.0.2.{number}")
            response = post(visitor, {"email": address, "stamp": stamp})
            assert "Check your inbox" in response.content.decode(), address

    emails = {"en@example.no", "to@example.no", "tre@example.no"}
    assert set(Subscriber.objects.values_list("email", flat=True)) == emails
    assert sorted(message.to[0] for message in mail.outbox) == sorted(emails)


def test_a_form_older_than_a_day_is_not_accepted(
    client, newsroom, limits, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        stale = post(
            client, {"email": "gammel@example.no", "stamp": make_stamp(time.time() - 24 * 3600 - 60)}
        )
        fresh = post(client, {"email": "fersk@example.no", "stamp": make_stamp(time.time() - 23 * 3600)})

    assert "This form has already been sent or is too old" in stale.content.decode()
    assert "Check your inbox" in fresh.content.decode()
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["fersk@example.no"]
    assert [message.to for message in mail.outbox] == [["fersk@example.no"]]


def test_a_forwarded_address_from_a_client_that_is_not_a_proxy_is_ignored(newsroom, behind_proxies):
    """Reaching the app past the proxy, a visitor cannot pick a new address for every post."""
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.5")

    statuses = [
        post(visitor, signup_data(f"r{n}@example.no"), HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(5)
    ]

    assert statuses == [200, 200, 200, 429, 429]
    assert Subscriber.objects.count() == 3


def test_the_visitor_is_the_last_hop_that_is_not_a_trusted_proxy(newsroom, behind_proxies):
    """Behind two proxies: what the visitor wrote before its own address is ignored, and two visitors
    behind the same proxies are counted apart."""
    proxy = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.0.0.1")

    def from_visitor(visitor, n):
        chain = f"192.0.2.{n}, {visitor}, 10.0.0.2"  # the first hop is whatever the visitor sent
        return post(
            proxy, signup_data(f"{visitor.replace(':', '-')}-{n}@example.no"), HTTP_X_FORWARDED_FOR=chain
        ).status_code

    assert [from_visitor("198.51.100.7", n) for n in range(5)] == [200, 200, 200, 429, 429]
    assert from_visitor("198.51.100.8", 0) == 200
    assert from_visitor("2001:db8::8", 0) == 200
    assert Subscriber.objects.count() == 5


def test_the_forwarded_address_is_ignored_when_not_behind_a_proxy(newsroom, limits):
    limits.SUBSCRIPTIONS_TRUST_X_FORWARDED_FOR = False
    proxy = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.0.0.1")

    statuses = [
        post(proxy, signup_data(f"i{n}@example.no"), HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]


def test_retry_after_says_the_time_left_in_the_window(client, newsroom, limits, clock):
    for n in range(3):
        assert post(client, signup_data(f"v{n}@example.no")).status_code == 200
    clock.now += 250

    response = post(client, signup_data("v9@example.no"))

    assert response.status_code == 429
    assert response["Retry-After"] == "350"
    clock.now += 300
    assert post(client, signup_data("v9@example.no"))["Retry-After"] == "50"


def test_retry_after_for_one_address_says_the_time_left_in_its_window(newsroom, limits, clock):
    for n in range(2):
        visitor = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=f"198.51.100.{n}")
        assert post(visitor, signup_data("samme@example.no")).status_code == 200
    clock.now += 1000

    visitor = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.9")
    response = post(visitor, signup_data("samme@example.no"))

    assert response.status_code == 429
    assert response["Retry-After"] == "2600"


def test_refusals_are_counted_not_logged_one_by_one(client, newsroom, limits, clock, caplog):
    caplog.set_level(logging.INFO)
    for n in range(3):
        post(client, signup_data(f"l{n}@example.no"))

    statuses = [post(client, signup_data(f"x{n}@example.no")).status_code for n in range(20)]
    clock.now += 600
    post(client, signup_data("neste@example.no"))

    assert statuses == [429] * 20
    assert [record for record in caplog.records if record.name == "django.request"] == []
    lines = [record.getMessage() for record in caplog.records if record.name == "pressroom.ops.ratelimit"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("Rate limit signup-ip is refusing requests")
    assert "(20 in the window before)" in lines[1]
