"""Digests over a real SMTP server on loopback that drops connections and refuses recipients: a dropped
connection costs no digest, a transient refusal is retried, a permanent one fails only its own digest,
and editors see digests in the admin and send failed or uncertain ones again. Digests are mailings of
the one ledger: these are its guarantees, shown for them."""

import asyncio
import contextlib
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.test import override_settings
from django.utils import timezone

from subscriptions.models import Delivery, Mailing
from tests.factories import ReleaseFactory
from tests.integration import SMTPSink, free_port
from tests.mockprovider import Fault, MockProvider

from .conftest import digest_rows, run_digests, send_due
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
    return {row.subscriber.email: row.status for row in digest_rows()}


def attempts():
    return set(digest_rows().values_list("attempts", flat=True))


@override_settings(DIGEST_HOUR=7)
def test_a_connection_dropped_after_the_second_of_five_digests_costs_none(sink):
    readers = daily_readers(5)
    sink.drop_after = 2

    run_digests("daily", now=RUN_AT)

    # The connection was reopened and the run went on: every digest sent, each once.
    assert sink.received_by() == sorted(reader.email for reader in readers)
    assert set(statuses().values()) == {Delivery.Status.SENT}


@override_settings(DIGEST_HOUR=7)
def test_a_transient_refusal_is_retried_and_a_permanent_one_fails_only_its_digest(sink):
    daily_readers(3)
    sink.refuse_once["leser0@example.no"] = "451 4.7.1 Try again later"
    sink.refuse["leser1@example.no"] = "550 5.1.1 No such mailbox"

    run_digests("daily", now=RUN_AT)

    assert statuses() == {
        "leser0@example.no": Delivery.Status.QUEUED,
        "leser1@example.no": Delivery.Status.FAILED,
        "leser2@example.no": Delivery.Status.SENT,
    }
    waiting = digest_rows().get(subscriber__email="leser0@example.no")
    assert waiting.attempts == 1 and "451" in waiting.error and waiting.next_attempt_at > timezone.now()
    assert "550" in digest_rows().get(subscriber__email="leser1@example.no").error

    send_due()  # before its retry time: nothing goes
    assert sink.received_by() == ["leser2@example.no"]
    send_due(at=timezone.now() + timedelta(hours=1))

    assert sink.received_by() == ["leser0@example.no", "leser2@example.no"]
    assert statuses() == {
        "leser0@example.no": Delivery.Status.SENT,
        "leser1@example.no": Delivery.Status.FAILED,
        "leser2@example.no": Delivery.Status.SENT,
    }


@override_settings(DIGEST_HOUR=7)
def test_a_run_while_the_server_is_down_leaves_the_digests_queued_and_they_go_when_it_is_back(port):
    readers = daily_readers(3)
    with smtp_to(port):  # nothing listens on PORT yet
        run_digests("daily", now=RUN_AT)
        assert set(statuses().values()) == {Delivery.Status.QUEUED}

        with running(UnreliableSink(port)) as sink:
            send_due(at=timezone.now() + timedelta(hours=1))

    assert sink.received_by() == sorted(reader.email for reader in readers)
    assert set(statuses().values()) == {Delivery.Status.SENT}


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

        run_digests("daily", now=RUN_AT)
        assert set(statuses().values()) == {Delivery.Status.QUEUED}  # one batch call, refused
        send_due(at=timezone.now() + timedelta(hours=1))  # 503 this time
        send_due(at=timezone.now() + timedelta(hours=2))

    # One batch call per try for the three of them (merge data), and each digest once.
    assert sorted(provider.recipients()) == sorted(reader.email for reader in readers)
    assert set(statuses().values()) == {Delivery.Status.SENT}


def staff_with(client, *codenames):
    user = User.objects.create_user("redaktor", "redaktor@example.no", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def digest_mailing():
    return Mailing.objects.get(kind=Mailing.Kind.DIGEST)


@override_settings(DIGEST_HOUR=7)
def test_an_editor_retries_failed_digests_from_the_admin_and_they_go_out(
    client, sink, django_capture_on_commit_callbacks
):
    daily_readers(2)
    sink.refuse["leser1@example.no"] = "550 5.1.1 No such mailbox"
    run_digests("daily", now=RUN_AT)
    assert statuses()["leser1@example.no"] == Delivery.Status.FAILED
    del sink.refuse["leser1@example.no"]  # the mailbox exists again
    staff_with(client, "view_mailing", "change_mailing")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/subscriptions/mailing/",
            {"action": "retry_failed", "_selected_action": [digest_mailing().pk]},
        )

    assert response.status_code == 302
    assert sink.received_by() == ["leser0@example.no", "leser1@example.no"]
    assert set(statuses().values()) == {Delivery.Status.SENT}


@override_settings(DIGEST_HOUR=7)
def test_a_digest_whose_answer_was_lost_stays_uncertain_until_an_editor_resends_it(
    client, sink, django_capture_on_commit_callbacks
):
    daily_readers(2)
    sink.drop_during.add("leser0@example.no")

    run_digests("daily", now=RUN_AT)
    send_due(at=timezone.now() + timedelta(hours=1))

    assert statuses() == {
        "leser0@example.no": Delivery.Status.UNCERTAIN,
        "leser1@example.no": Delivery.Status.SENT,
    }
    staff_with(client, "view_mailing", "change_mailing")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/subscriptions/mailing/",
            {"action": "resend_uncertain", "_selected_action": [digest_mailing().pk]},
        )

    assert sink.received_by() == ["leser0@example.no", "leser1@example.no"]
    assert set(statuses().values()) == {Delivery.Status.SENT}


@override_settings(DIGEST_HOUR=7)
def test_staff_who_may_view_digests_see_them_listed_and_are_offered_no_action(client, sink):
    daily_readers(2)
    sink.refuse["leser1@example.no"] = "550 5.1.1 No such mailbox"
    run_digests("daily", now=RUN_AT)
    mailing = digest_mailing()
    staff_with(client, "view_mailing", "view_delivery")

    listing = client.get("/admin/subscriptions/mailing/?kind__exact=digest")
    rows = client.get("/admin/subscriptions/delivery/?mailing__kind__exact=digest&status__exact=failed")
    detail = client.get(f"/admin/subscriptions/mailing/{mailing.pk}/change/")
    client.post("/admin/subscriptions/mailing/", {"action": "retry_failed", "_selected_action": [mailing.pk]})

    assert listing.status_code == 200 and rows.status_code == 200
    assert (
        b'value="retry_failed"' not in listing.content and b'value="resend_uncertain"' not in listing.content
    )
    assert b"leser1@example.no" in rows.content and b"leser0@example.no" not in rows.content
    assert b"recipient refused" in rows.content and b"5.1.1 No such mailbox" in rows.content
    assert detail.status_code == 200 and b"Dagens nyhet" in detail.content
    assert b'name="_save"' not in detail.content
    assert statuses()["leser1@example.no"] == Delivery.Status.FAILED
