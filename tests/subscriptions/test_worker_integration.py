"""A sign-up's confirmation email is sent by a real Celery worker process, over the real Redis broker,
to an SMTP server on loopback."""

import pytest
from django.test import Client

from subscriptions.models import Subscriber
from tests.integration import celery_worker, smtp_sink

from .conftest import link_in, signup_data

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_worker_sends_the_confirmation_over_smtp(newsroom, queued_tasks):
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    with (
        smtp_sink() as sink,
        celery_worker(
            {
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(sink.port),
                "EMAIL_USE_TLS": "false",
            }
        ) as worker,
    ):
        response = browser.post("/subscribe/", signup_data("kari@bø.no"))
        assert response.status_code == 200
        try:
            [message] = sink.wait_for(1, timeout=30)
        except AssertionError:
            pytest.fail(f"No email from the worker. Its log:\n{worker.log}")
    assert "subscriptions.tasks.send_mailing" in worker.log

    assert sink.envelopes == [("pressroom@localhost", ["kari@xn--b-5ga.no"])]
    assert message["To"] == "kari@xn--b-5ga.no"
    assert message["Subject"] == (
        "Confirm your subscription to press releases from Integrerings- og mangfoldsdirektoratet"
    )
    assert "List-Unsubscribe" not in message
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    path = link_in(text, "confirm")
    assert f'href="http://testserver{path}"' in html

    # The link in the email the worker sent works here.
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    assert browser.post(path).status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE
