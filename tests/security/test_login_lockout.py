"""The admin login throttle cannot be turned into a lockout: failures count per (username, address), with
growing waits, and the editor at an address they have logged in from gets in while someone else guesses."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pressroom.ops import login_throttle
from tests.clock import Clock

pytestmark = pytest.mark.django_db

PASSWORD = "korrekt-hest-batteri-stift"
EDITOR_ADDRESS = "192.0.2.10"
OUTSIDER_ADDRESS = "203.0.113.66"


@pytest.fixture
def editor(settings):
    settings.ADMIN_LOGIN_FAILURE_LIMIT = 5
    settings.ADMIN_LOGIN_FAILURE_WINDOW = 900
    return get_user_model().objects.create_user("redaktor", password=PASSWORD, is_staff=True)


def log_in(username, password, address):
    """A login through the admin's form from ADDRESS: (logged in, the page's text)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=address
    )
    logged_in = response.status_code == 302 and "_auth_user_id" in client.session
    return logged_in, response.content.decode()


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(login_throttle, "time", clock)
    return clock


def test_an_outsiders_failures_do_not_lock_the_editor_out_at_their_own_address(editor):
    assert log_in("redaktor", PASSWORD, EDITOR_ADDRESS)[0]  # the editor's usual address

    for attempt in range(12):
        assert not log_in("Redaktor", f"gjetning-{attempt}", OUTSIDER_ADDRESS)[0]
    logged_in, page = log_in("redaktor", PASSWORD, OUTSIDER_ADDRESS)
    assert not logged_in
    assert "Too many failed logins." in page

    assert log_in("redaktor", PASSWORD, EDITOR_ADDRESS)[0]


def test_failures_for_one_username_do_not_block_other_usernames_from_that_address(editor):
    colleague = get_user_model().objects.create_user("kollega", password=PASSWORD, is_staff=True)

    for attempt in range(8):
        assert not log_in("redaktor", f"gjetning-{attempt}", OUTSIDER_ADDRESS)[0]

    assert log_in(colleague.username, PASSWORD, OUTSIDER_ADDRESS)[0]


def test_the_wait_grows_with_every_further_failure_and_ends_with_a_login(editor, clock):
    """The editor's own typing mistakes at their usual address slow them down, growing each time."""
    assert log_in("redaktor", PASSWORD, EDITOR_ADDRESS)[0]
    for attempt in range(5):
        assert not log_in("redaktor", f"gjetning-{attempt}", EDITOR_ADDRESS)[0]

    waits = []
    for attempt in range(3):
        logged_in, page = log_in("redaktor", PASSWORD, EDITOR_ADDRESS)  # not even checked while waiting
        assert not logged_in
        waits.append(page.split("Wait up to ")[1].split(" minutes")[0])
        clock.now += 60 * 2**attempt + 1
        assert not log_in("redaktor", f"igjen-{attempt}", EDITOR_ADDRESS)[0]

    assert waits == ["1", "2", "4"]
    assert "Wait up to 8 minutes" in log_in("redaktor", PASSWORD, EDITOR_ADDRESS)[1]
    clock.now += 8 * 60 + 1
    assert log_in("redaktor", PASSWORD, EDITOR_ADDRESS)[0]
    # A login starts the count afresh: one more mistake is only a mistake.
    assert not log_in("redaktor", "skrivefeil", EDITOR_ADDRESS)[0]
    assert log_in("redaktor", PASSWORD, EDITOR_ADDRESS)[0]


def test_the_wait_is_at_most_the_window(editor, clock, settings):
    settings.ADMIN_LOGIN_FAILURE_WINDOW = 300
    assert log_in("redaktor", PASSWORD, EDITOR_ADDRESS)[0]
    for attempt in range(9):
        clock.now += 301
        assert not log_in("redaktor", f"gjetning-{attempt}", EDITOR_ADDRESS)[0]

    assert "Wait up to 5 minutes" in log_in("redaktor", PASSWORD, EDITOR_ADDRESS)[1]
