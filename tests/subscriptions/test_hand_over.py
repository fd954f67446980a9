"""Messages that go one by one are handed over one at a time, just before they go: a sender that dies
in the middle of a batch leaves uncertain only the messages that may have reached the provider, and the
rest of the batch is sent by the next sender, once."""

from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.mail.backends.locmem import EmailBackend

from pressroom.newsroom.services import publish_release
from subscriptions import mailings
from subscriptions.models import Delivery, Mailing
from subscriptions.release_email import ReleaseMessage
from tests.factories import ReleaseFactory
from tests.integration import SMTPSink, free_port

from .factories import SubscriberFactory
from .test_digest_delivery import running, smtp_to

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


class Sink(SMTPSink):
    """An SMTP server offering PIPELINING, or not."""

    def __init__(self, port, *, pipelining):
        super().__init__(port)
        self.pipelining = pipelining

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses


def mailing_to(count):
    release = ReleaseFactory(language="en")
    for _ in range(count):
        SubscriberFactory(language="en")
    publish_release(release=release)
    return mailings.prepare_mailing(Mailing.objects.get(release=release).pk)


def the_sender_is_gone(mailing):
    """The killed process's heartbeat has stopped: the next sender takes back what it held."""
    Delivery.objects.filter(mailing=mailing, status=Delivery.Status.SENDING).update(claimed_by="gone-host:1")


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-reply-at-a-time"])
def test_a_sender_killed_mid_batch_over_smtp_leaves_at_most_two_messages_uncertain(
    newsroom, settings, monkeypatch, pipelining
):
    settings.MAILING_BATCH_SIZE = BATCH
    mailing = mailing_to(BATCH)
    wire, built = ReleaseMessage.wire, []

    def dies_while_building(self, row):
        built.append(row[0])
        if len(built) == DIES_AT:
            raise Killed
        return wire(self, row)

    with running(Sink(free_port(), pipelining=pipelining)) as sink, smtp_to(sink.port):
        monkeypatch.setattr(ReleaseMessage, "wire", dies_while_building)
        with pytest.raises(Killed):
            mailings.send_batches(mailing.pk)
        monkeypatch.setattr(ReleaseMessage, "wire", wire)
        the_sender_is_gone(mailing)
        mailings.send_batches(mailing.pk)
        statuses = Counter(Delivery.objects.filter(mailing=mailing).values_list("status", flat=True))
        received = Counter(rcpt for _sender, rcpts in sink.envelopes for rcpt in rcpts)

    # The message being built when the process died, and over a pipelined connection the one before it,
    # whose commands had gone out without its content; the other 98 are sent, each once.
    assert statuses["uncertain"] == (2 if pipelining else 1)
    assert statuses["sent"] == BATCH - statuses["uncertain"]
    assert max(received.values()) == 1
    sent = set(
        Delivery.objects.filter(mailing=mailing, status="sent").values_list("subscriber__email", flat=True)
    )
    assert set(received) == sent


@pytest.mark.skipif(not django_settings.USING_POSTGRES, reason="only PostgreSQL hands over asynchronously")
def test_a_claim_made_before_the_database_server_restarted_is_left_uncertain_not_sent_again(
    newsroom, settings
):
    """Its last hand-overs may be lost with the server: a row without a mark may still have gone out."""
    settings.MAILING_BATCH_SIZE = BATCH
    mailing = mailing_to(10)
    claim = mailings.claim_batch(mailing.pk, BATCH)
    claimed = Delivery.objects.filter(claim=claim)
    assert claimed.filter(claimed_during__isnull=False).count() == 10
    # The server this claim was taken on started earlier than the one running now.
    claimed.update(claimed_during=claimed.first().claimed_during - timedelta(hours=1))
    the_sender_is_gone(mailing)

    assert mailings.recover_gone(mailing.pk) == (0, 10)
    assert set(claimed.values_list("status", flat=True)) == {Delivery.Status.UNCERTAIN}
