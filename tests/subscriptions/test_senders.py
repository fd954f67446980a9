"""Who sends a mailing: never more senders than MAILING_PARALLELISM at once, and what a stopped sender
held is taken back as soon as its heartbeat stops, not after the lease."""

import pytest

from pressroom.newsroom.services import publish_release
from subscriptions import mailings, senders, tasks
from subscriptions.models import Delivery, Mailing
from tests.factories import ReleaseFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailing(newsroom, settings):
    settings.MAILING_PARALLELISM = 2
    release = ReleaseFactory(language="en")
    for _ in range(4):
        SubscriberFactory(language="en")
    publish_release(release=release)
    return mailings.prepare_mailing(Mailing.objects.get(release=release).pk)


def statuses(mailing):
    return sorted(Delivery.objects.filter(mailing=mailing).values_list("status", flat=True))


def test_a_sender_queued_while_every_slot_is_at_work_sends_nothing(mailing, mailoutbox):
    at_work = [senders.acquire(mailing.pk) for _ in range(2)]  # two senders of this mailing, elsewhere

    tasks.send_mailing(mailing.pk)  # a third, as a sweep queues it while the mailing waits in backoff

    assert mailoutbox == []
    assert statuses(mailing) == ["queued"] * 4

    for held in at_work:
        senders.release(held)
    tasks.send_mailing(mailing.pk)
    assert len(mailoutbox) == 4


def test_a_slot_held_by_a_stopped_sender_is_taken_over(mailing, mailoutbox):
    from pressroom.ops import redisclient

    for key in senders.slot_keys(mailing.pk):
        redisclient.client().set(key, "gone-host:4242|x", ex=600)  # held by a process with no heartbeat

    tasks.send_mailing(mailing.pk)

    assert len(mailoutbox) == 4


def test_rows_claimed_by_a_stopped_sender_are_recovered_at_once(mailing, mailoutbox):
    claim = mailings.claim_batch(mailing.pk, 2)
    claimed = list(Delivery.objects.filter(claim=claim).order_by("pk"))
    # The process that claimed them was killed, one message already handed to the provider.
    Delivery.objects.filter(claim=claim).update(claimed_by="gone-host:4242")
    Delivery.objects.filter(pk=claimed[0].pk).update(handed_over_at=claimed[0].claimed_at)

    tasks.send_mailing(mailing.pk)

    assert statuses(mailing) == ["sent", "sent", "sent", "uncertain"]
    assert Delivery.objects.get(pk=claimed[0].pk).status == Delivery.Status.UNCERTAIN
    assert len(mailoutbox) == 3
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE
