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


def run_digests(frequency, now=None):
    """A digest run as the task and its senders make it, here: the period planned into the ledger and
    each of its mailings sent until nothing of it is due now. Returns the ids of the mailings planned."""
    from subscriptions import digests

    planned = digests.plan(frequency=frequency, now=now)
    for mailing_id in planned:
        send_due(mailing_id)
    return planned


def send_due(*mailing_ids, at=None):
    """What the senders do for MAILING_IDS (all that have rows due, if none is named) once AT has come
    (now, if not given): the rows whose retry is due by then go out. Time passes by moving their retry
    time to now, not by waiting."""
    from django.utils import timezone

    from subscriptions import mailings
    from subscriptions.models import Delivery, Mailing

    queued = Delivery.objects.filter(status=Delivery.Status.QUEUED)
    if mailing_ids:
        queued = queued.filter(mailing_id__in=mailing_ids)
    if at is not None:
        queued.filter(next_attempt_at__lte=at).update(next_attempt_at=timezone.now())
    ids = mailing_ids or set(queued.values_list("mailing_id", flat=True))
    for mailing_id in ids:
        Mailing.objects.filter(pk=mailing_id, status=Mailing.Status.DONE).update(
            status=Mailing.Status.SENDING
        )
        mailings.send_batches(mailing_id, time_budget=30)


def digest_rows():
    """The ledger rows of every digest, with their subscribers."""
    from subscriptions.models import Delivery, Mailing

    return Delivery.objects.filter(mailing__kind=Mailing.Kind.DIGEST).select_related("subscriber")
