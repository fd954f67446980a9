"""Messages that go one by one are handed over a few at a time, just before they go: a sender that dies
in the middle of a batch leaves uncertain only the messages that may have reached the provider, and the
rest of the batch is sent by the next sender, once."""

import pytest
from django.core.mail.backends.locmem import EmailBackend

from pressroom.newsroom.services import publish_release
from subscriptions import mailings
from subscriptions.models import Delivery, Mailing
from tests.factories import ReleaseFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db

BATCH = 100
DIES_AT = 60


class Killed(BaseException):
    """The process ends here: nothing after this point runs, no handler records anything."""


class DyingBackend(EmailBackend):
    """Delivers like the test outbox, and the process dies while the DIES_AT-th message is sent."""

    sent = 0

    def send_messages(self, messages):
        DyingBackend.sent += len(messages)
        if DyingBackend.sent == DIES_AT:
            raise Killed
        return super().send_messages(messages)


def test_a_sender_killed_mid_batch_leaves_only_its_messages_in_flight_uncertain(
    newsroom, settings, mailoutbox
):
    settings.MAILING_BATCH_SIZE = BATCH
    settings.EMAIL_BACKEND = "tests.subscriptions.test_hand_over.DyingBackend"
    DyingBackend.sent = 0
    release = ReleaseFactory(language="en")
    for _ in range(BATCH):
        SubscriberFactory(language="en")
    publish_release(release=release)
    mailing = mailings.prepare_mailing(Mailing.objects.get(release=release).pk)

    with pytest.raises(Killed):
        mailings.send_batches(mailing.pk)
    # The process is gone: its heartbeat stops, and the next sender takes back what it held.
    Delivery.objects.filter(mailing=mailing, status=Delivery.Status.SENDING).update(claimed_by="gone-host:1")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mailings.send_batches(mailing.pk)

    statuses = list(Delivery.objects.filter(mailing=mailing).values_list("status", flat=True))
    # A backend that is not SMTP sends one message per call: only the one in flight is uncertain.
    assert statuses.count("uncertain") == 1
    assert statuses.count("sent") + statuses.count("uncertain") == BATCH
    recipients = [message.to[0] for message in mailoutbox]
    assert len(recipients) == len(set(recipients))  # nobody twice
