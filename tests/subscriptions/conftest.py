import re
import time

import pytest
from django.test import Client

from pressroom.celery import app
from subscriptions.forms import make_stamp
from tests.factories import NewsroomFactory


@pytest.fixture
def client():
    """A browser asking for English: the assertions read the English source strings, which stay the same
    when the Norwegian catalog is filled in. (Pages from email links follow the subscriber's language.)"""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def newsroom(db):
    return NewsroomFactory()


def signup_data(email, **fields):
    """What the sign-up form posts, rendered a minute ago by a person (not a bot)."""
    return {"email": email, "stamp": make_stamp(time.time() - 60), "website": "", **fields}


HIDDEN_VALUES = re.compile(r'(name="(?:csrfmiddlewaretoken|stamp)" value=)"[^"]*"')


def without_form_secrets(html):
    """HTML with the per-request CSRF token and form stamp blanked out."""
    return HIDDEN_VALUES.sub(r'\1""', html)


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token_in(response):
    """The CSRF token of the first form in RESPONSE (the cookie came with it)."""
    match = CSRF_INPUT.search(response.content.decode())
    assert match, "no CSRF token in the page"
    return match.group(1)


def link_in(text, name):
    """The absolute URL of the subscription link NAME (confirm, manage, u) found in TEXT."""
    match = re.search(rf"http://testserver(/subscribe/{name}/[^/\s\"<]+/)", text)
    assert match, f"no {name} link in {text!r}"
    return match.group(1)


@pytest.fixture
def queued_tasks():
    """Tasks go to the broker, as in production, rather than running in this process."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = eager
