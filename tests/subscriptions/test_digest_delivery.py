"""Digests over a real SMTP server on loopback that drops connections and refuses recipients: a dropped
connection costs no digest, a transient refusal is retried, a permanent one fails only its own digest,
and editors see digests in the admin and send failed or uncertain ones again."""

import asyncio
import contextlib
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.test import override_settings
from django.utils import timezone

from subscriptions import digests
from subscriptions.models import Digest
from tests.factories import ReleaseFactory
from tests.integration import SMTPSink, free_port
from tests.mockprovider import Fault, MockProvider

from .factories import SubscriberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("newsroom")]

OSLO = timezone.get_default_timezone()
# Half past seven on a Wednesday: the daily run has just closed its period at 07:00.
RUN_AT = datetime(2026, 11, 25, 7, 30, tzinfo=OSLO)


class UnreliableSink(SMTPSink):
    """An SMTP server that can drop the connection after a given message, or in the middle of one,
    and refuse recipients with a reply of our choosing."""

    def __init__(self, port):
        super().__init__(port)
        self.drop_after = None  # close the connection once this many messages have arrived
        self.drop_during = set()  # addresses whose message is read but never answered
        self.refuse = {}  # address -> RCPT reply, e.g. "550 5.1.1 No such mailbox"
        self.refuse_once = {}  # address -> RCPT reply given the first time only

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address) or self.refuse_once.pop(address, None)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if set(envelope.rcpt_tos) & self.drop_during:
            self.drop_during -= set(envelope.rcpt_tos)
            server.transport.abort()  # the content arrived; its answer never leaves
            return "250 never heard"
        reply = await super().handle_DATA(server, session, envelope)
        if len(self.messages) == self.drop_after:
            # After the reply has gone out: the client finds the connection closed at its next MAIL.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return reply

    def received_by(self):
        return sorted(rcpt for _sender, rcpts in self.envelopes for rcpt in rcpts)


@contextlib.contextmanager
def running(sink):
    from aiosmtpd.controller import Controller

    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def sink(port):
    with running(UnreliableSink(port)) as sink, smtp_to(port):
        yield sink


def smtp_to(port):
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_TIMEOUT=10,
    )


def daily_readers(count):
    ReleaseFactory(
        title="Dagens nyhet", language="en", published=True, published_at=RUN_AT - timedelta(hours=3)
    )
    return [SubscriberFactory(email=f"leser{n}@example.no", frequency="daily") for n in range(count)]


def statuses():
    return {d.subscriber.email: d.status for d in Digest.objects.select_related("subscriber")}


@override_settings(DIGEST_HOUR=7)
def test_a_connection_dropped_after_the_second_of_five_digests_costs_none(sink):
    readers = daily_readers(5)
    sink.drop_after = 2

    result = digests.send_digests(frequency="daily", now=RUN_AT)
    digests.send_due(now=timezone.now() + timedelta(hours=1))  # nothing was left for a retry

    assert result["sent"] == 5  # the connection was reopened and the run went on
    assert sink.received_by() == sorted(reader.email for reader in readers)  # each once
    assert set(statuses().values()) == {Digest.Status.SENT}
    assert set(Digest.objects.values_list("attempts", flat=True)) == {1}


@override_settings(DIGEST_HOUR=7)
def test_a_transient_refusal_is_retried_and_a_permanent_one_fails_only_its_digest(sink):
    daily_readers(3)
    sink.refuse_once["leser0@example.no"] = "451 4.7.1 Try again later"
    sink.refuse["leser1@example.no"] = "550 5.1.1 No such mailbox"

    result = digests.send_digests(frequency="daily", now=RUN_AT)

    assert (result["sent"], result["queued"], result["failed"]) == (1, 1, 1)
    waiting = Digest.objects.get(subscriber__email="leser0@example.no")
    assert waiting.status == Digest.Status.QUEUED and waiting.attempts == 1
    assert "451" in waiting.error and waiting.next_attempt_at > timezone.now()
    failed = Digest.objects.get(subscriber__email="leser1@example.no")
    assert failed.status == Digest.Status.FAILED and "550" in failed.error

    assert digests.send_due(now=waiting.next_attempt_at - timedelta(seconds=1)).get("sent", 0) == 0
    digests.send_due(now=timezone.now() + timedelta(hours=1))

    assert sink.received_by() == ["leser0@example.no", "leser2@example.no"]
    assert statuses() == {
        "leser0@example.no": Digest.Status.SENT,
        "leser1@example.no": Digest.Status.FAILED,
        "leser2@example.no": Digest.Status.SENT,
    }


@override_settings(DIGEST_HOUR=7)
def test_a_run_while_the_server_is_down_leaves_the_digests_queued_and_they_go_when_it_is_back(port):
    readers = daily_readers(3)
    with smtp_to(port):  # nothing listens on PORT yet
        result = digests.send_digests(frequency="daily", now=RUN_AT)
        assert result["queued"] == 3 and result["failed"] == 0
        assert set(statuses().values()) == {Digest.Status.QUEUED}

        with running(UnreliableSink(port)) as sink:
            digests.send_due(now=timezone.now() + timedelta(hours=1))

    assert sink.received_by() == sorted(reader.email for reader in readers)
    assert set(statuses().values()) == {Digest.Status.SENT}


@override_settings(DIGEST_HOUR=7)
def test_a_provider_answering_429_and_503_gets_the_digests_later_and_once():
    readers = daily_readers(3)
    with (
        MockProvider() as provider,
        override_settings(
            EMAIL_BACKEND="anymail.backends.mailgun.EmailBackend",
            ANYMAIL={
                "MAILGUN_API_KEY": "key-test",
                "MAILGUN_API_URL": provider.api_url,
                "MAILGUN_SENDER_DOMAIN": "mg.example.org",
                "REQUESTS_TIMEOUT": 2,
            },
        ),
    ):
        provider.fail_next(Fault(status=429, retry_after=30), Fault(status=503))

        result = digests.send_digests(frequency="daily", now=RUN_AT)
        assert (result["sent"], result["queued"]) == (1, 2)
        digests.send_due(now=timezone.now() + timedelta(hours=1))

    assert sorted(provider.recipients()) == sorted(reader.email for reader in readers)
    assert set(statuses().values()) == {Digest.Status.SENT}


def staff_with(client, *codenames):
    user = User.objects.create_user("redaktor", "redaktor@example.no", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


@override_settings(DIGEST_HOUR=7)
def test_an_editor_retries_failed_digests_from_the_admin_and_they_go_out(
    client, sink, django_capture_on_commit_callbacks
):
    daily_readers(2)
    sink.refuse["leser1@example.no"] = "550 5.1.1 No such mailbox"
    digests.send_digests(frequency="daily", now=RUN_AT)
    failed = Digest.objects.get(status=Digest.Status.FAILED)
    del sink.refuse["leser1@example.no"]  # the mailbox exists again
    staff_with(client, "view_digest", "change_digest")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/subscriptions/digest/", {"action": "retry_failed", "_selected_action": [failed.pk]}
        )

    assert response.status_code == 302
    assert sink.received_by() == ["leser0@example.no", "leser1@example.no"]
    assert set(statuses().values()) == {Digest.Status.SENT}


@override_settings(DIGEST_HOUR=7)
def test_a_digest_whose_answer_was_lost_stays_uncertain_until_an_editor_resends_it(
    client, sink, django_capture_on_commit_callbacks
):
    daily_readers(2)
    sink.drop_during.add("leser0@example.no")

    digests.send_digests(frequency="daily", now=RUN_AT)
    digests.send_due(now=timezone.now() + timedelta(hours=1))

    assert statuses() == {
        "leser0@example.no": Digest.Status.UNCERTAIN,
        "leser1@example.no": Digest.Status.SENT,
    }
    uncertain = Digest.objects.get(status=Digest.Status.UNCERTAIN)
    staff_with(client, "view_digest", "change_digest")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/subscriptions/digest/", {"action": "resend_uncertain", "_selected_action": [uncertain.pk]}
        )

    assert sink.received_by() == ["leser0@example.no", "leser1@example.no"]
    assert set(statuses().values()) == {Digest.Status.SENT}


@override_settings(DIGEST_HOUR=7)
def test_staff_who_may_view_digests_see_them_listed_and_are_offered_no_action(client, sink):
    daily_readers(2)
    sink.refuse["leser1@example.no"] = "550 5.1.1 No such mailbox"
    digests.send_digests(frequency="daily", now=RUN_AT)
    failed = Digest.objects.get(status=Digest.Status.FAILED)
    staff_with(client, "view_digest")

    page = client.get("/admin/subscriptions/digest/?status__exact=failed")
    detail = client.get(f"/admin/subscriptions/digest/{failed.pk}/change/")
    client.post("/admin/subscriptions/digest/", {"action": "retry_failed", "_selected_action": [failed.pk]})

    assert page.status_code == 200
    assert b"leser1@example.no" in page.content and b"leser0@example.no" not in page.content
    assert b"recipient refused" in page.content and b"5.1.1 No such mailbox" in page.content
    assert b'value="retry_failed"' not in page.content and b'value="resend_uncertain"' not in page.content
    assert (
        detail.status_code == 200
        and b"Dagens nyhet" in detail.content
        and b'name="_save"' not in detail.content
    )
    failed.refresh_from_db()
    assert failed.status == Digest.Status.FAILED
