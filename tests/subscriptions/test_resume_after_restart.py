"""A worker that starts resumes an unfinished mailing by itself, within seconds, without waiting for the
periodic sweep: its start queues a sweep that recovers what stopped senders held and starts sending."""

import time

import pytest

from pressroom.newsroom.services import publish_release
from subscriptions import mailings
from subscriptions.models import Delivery, Mailing
from tests.factories import ReleaseFactory
from tests.integration import celery_worker

from .factories import SubscriberFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_starting_worker_finishes_a_mailing_whose_sender_was_killed(newsroom, queued_tasks):
    release = ReleaseFactory(language="en")
    for _ in range(5):
        SubscriberFactory(language="en")
    publish_release(release=release)
    mailing = mailings.prepare_mailing(Mailing.objects.get(release=release).pk)
    # The sender was killed holding a batch, and no task of this mailing is left in the broker.
    claim = mailings.claim_batch(mailing.pk, 2)
    Delivery.objects.filter(claim=claim).update(claimed_by="killed-host:4242")

    with celery_worker({"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}) as worker:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            mailing.refresh_from_db()
            if mailing.status == Mailing.Status.DONE:
                break
            time.sleep(0.2)
        assert mailing.status == Mailing.Status.DONE, worker.log

    assert set(Delivery.objects.filter(mailing=mailing).values_list("status", flat=True)) == {"sent"}
