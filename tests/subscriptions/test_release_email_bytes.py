"""The release email over SMTP as prebuilt bytes (ReleaseMessage.wire, subscriptions.smtp): the same
message Django builds, sent over one connection, pipelined when the server offers it, and every SMTP
failure recorded for the row it belongs to."""

import email
import email.policy
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import get_connection
from django.test import override_settings

from pressroom.newsroom.services import publish_release
from subscriptions import mailings, providers, tokens
from subscriptions.models import Delivery, Mailing
from subscriptions.release_email import ReleaseMessage
from tests.factories import ReleaseFactory
from tests.integration import free_port, smtp_sink
from tests.subscriptions.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

NORWEGIAN = {
    "title": "Blåbær, øl og ærlige svar",
    "lead": "Æ, ø og å i ingressen.",
    "body": "<p>Første avsnitt om særlige forhold på Ørland.</p><p>Andre avsnitt: «sitat» – tankestrek.</p>",
}
LONG_PARAGRAPH = "<p>" + "Et langt avsnitt om blåbær og tyttebær på Ørland. " * 60 + "</p>"
IDN = "blåbær.no".encode("idna").decode()
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def parse(data):
    return email.message_from_bytes(data, policy=email.policy.default)


def django_bytes(release_message, person):
    return (
        release_message.single((0, person.email, person.token, person.pk), None)
        .message()
        .as_bytes(linesep="\r\n")
    )


def with_fixed_links(release_message, monkeypatch):
    """The manage link's signature holds the time in seconds: both builds get the same links."""
    links = release_message.links
    cache = {}
    monkeypatch.setattr(
        release_message, "links", lambda token, pk: cache.setdefault((token, pk), links(token, pk))
    )


def assert_same_message(ours, django):
    for header in ("Subject", "From", "To", "List-Unsubscribe", "List-Unsubscribe-Post", "MIME-Version"):
        # Django folds a long List-Unsubscribe before its value; the value is the same.
        assert ours[header].strip() == django[header].strip(), header
    assert ours.get_content_type() == django.get_content_type() == "multipart/alternative"
    for kind in ("plain", "html"):
        assert ours.get_body((kind,)).get_content() == django.get_body((kind,)).get_content(), kind
        assert ours.get_body((kind,))["Content-Type"] == django.get_body((kind,))["Content-Type"]


def long_lines(data):
    return [line for line in data.split(b"\r\n") if len(line) > 998]


@pytest.mark.parametrize(
    ("release_fields", "address"),
    [
        (NORWEGIAN, "kari@example.no"),
        (NORWEGIAN, "kari@blåbær.no"),
        ({**NORWEGIAN, "body": LONG_PARAGRAPH}, "ola@example.no"),
        ({"title": "Plain ASCII", "lead": "Lead", "body": "<p>Body.</p>"}, "a.b+c@example.org"),
    ],
    ids=["norwegian", "idn-domain", "long-html-line", "ascii"],
)
def test_the_prebuilt_bytes_are_the_message_django_builds(release_fields, address, monkeypatch):
    release = ReleaseFactory(**release_fields)
    person = SubscriberFactory(email=address, language="nb")
    release_message = ReleaseMessage(release)
    with_fixed_links(release_message, monkeypatch)

    to, data, message_id = release_message.wire((0, person.email, person.token, person.pk))
    ours, django = parse(data), parse(django_bytes(release_message, person))

    assert_same_message(ours, django)
    assert ours["Subject"] == release.title
    assert to == ours["To"] == address.replace("blåbær.no", IDN)
    assert ours["Message-ID"] == message_id != django["Message-ID"]
    assert re.fullmatch(r"<[^<>@\s]+@localhost>", message_id)  # the sending domain (DEFAULT_FROM_EMAIL)
    date = parsedate_to_datetime(ours["Date"])  # "-0000": UTC, by EMAIL_USE_LOCALTIME = False
    assert abs((date.replace(tzinfo=date.tzinfo or UTC) - datetime.now(UTC)).total_seconds()) < 5
    assert not long_lines(data)
    links = release_message.links(person.token, person.pk)
    assert ours["List-Unsubscribe"] == f"<{links['unsubscribe_url']}>"
    for kind in ("plain", "html"):
        assert links["unsubscribe_url"] in ours.get_body((kind,)).get_content()
        assert links["manage_url"] in ours.get_body((kind,)).get_content()


def test_a_long_html_line_is_quoted_printable_with_the_links_on_short_lines(monkeypatch):
    release = ReleaseFactory(**{**NORWEGIAN, "body": LONG_PARAGRAPH})
    person = SubscriberFactory(language="nb")
    release_message = ReleaseMessage(release)
    with_fixed_links(release_message, monkeypatch)

    _to, data, _message_id = release_message.wire((0, person.email, person.token, person.pk))

    html = parse(data).get_body(("html",))
    assert html["Content-Transfer-Encoding"] == "quoted-printable"
    raw_html_part = data.split(b"Content-Transfer-Encoding: quoted-printable\r\n\r\n", 1)[1]
    assert max(len(line) for line in raw_html_part.split(b"\r\n")) <= 76
    assert person.token.encode() in raw_html_part.replace(b"=\r\n", b"")


def test_the_links_are_the_ones_the_views_read():
    release = ReleaseFactory(**NORWEGIAN)
    person = SubscriberFactory()
    links = ReleaseMessage(release).links(person.token, person.pk)

    assert links["unsubscribe_url"] == f"http://testserver/subscribe/u/{person.token}/"
    manage_token = links["manage_url"].removeprefix("http://testserver/subscribe/manage/").rstrip("/")
    assert tokens.read_token(manage_token, tokens.MANAGE) == person


def test_each_recipient_gets_their_own_links_headers_and_message_id(monkeypatch):
    release = ReleaseFactory(**NORWEGIAN)
    people = SubscriberFactory.create_batch(5, language="nb")
    release_message = ReleaseMessage(release)

    messages = [parse(release_message.wire((0, p.email, p.token, p.pk))[1]) for p in people]

    assert len({m["Message-ID"] for m in messages}) == 5
    for person, message in zip(people, messages, strict=True):
        assert message["To"] == person.email
        text = message.get_body(("plain",)).get_content()
        assert f"/subscribe/u/{person.token}/" in message["List-Unsubscribe"]
        assert f"/subscribe/u/{person.token}/" in text
        others = [p.token for p in people if p != person]
        assert not any(token in message.as_string() for token in others)


@override_settings(SITE_URL="http://testserver/" + "x" * 980)
def test_a_line_the_links_would_take_past_998_characters_is_left_to_django():
    release = ReleaseFactory(**NORWEGIAN)
    person = SubscriberFactory()

    assert ReleaseMessage(release).wire((0, person.email, person.token, person.pk)) is None


def test_a_placeholder_typed_into_the_title_is_left_alone():
    release = ReleaseFactory(title="About " + providers.PLACEHOLDER.format("unsubscribe_url"))
    person = SubscriberFactory()

    assert ReleaseMessage(release).wire((0, person.email, person.token, person.pk)) is None


# Sending


class Sink:
    """An aiosmtpd handler that keeps what it accepts; it offers PIPELINING or not, refuses some
    recipients, and drops the connection at a given address's MAIL or content, as told."""

    def __init__(self, *, pipelining):
        self.pipelining = pipelining
        self.messages = []
        self.envelopes = []
        self.refuse = {}  # address -> reply to its RCPT
        self.drop_at_mail = set()
        self.drop_at_content = set()
        self.commands = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.commands.append(("RCPT", address))
        if address in self.refuse:
            return self.refuse[address]
        if address in self.drop_at_mail:
            server.transport.close()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.drop_at_content & set(envelope.rcpt_tos):
            server.transport.close()
            return "250 never sent"
        self.messages.append(parse(envelope.original_content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture(params=[True, False], ids=["pipelining", "one-reply-at-a-time"])
def sink(request):
    handler = Sink(pipelining=request.param)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.port):
            yield handler
    finally:
        controller.stop()


def send(people, release):
    """send_rows over one opened SMTP connection, as send_batches calls it."""
    rows = [(1000 + index, p.email, p.token, p.pk) for index, p in enumerate(people)]
    connection = get_connection(fail_silently=False)
    connection.open()
    try:
        return mailings.send_rows(rows, ReleaseMessage(release), providers.current(), connection)
    finally:
        connection.close()


def test_every_recipient_gets_their_message_over_one_connection(sink):
    release = ReleaseFactory(**NORWEGIAN)
    people = [SubscriberFactory(email=f"s{i}@example.no", language="nb") for i in range(7)]
    people.append(SubscriberFactory(email="kari@blåbær.no", language="nb"))

    outcome = send(people, release)

    assert not (outcome.failed or outcome.retry or outcome.uncertain)
    assert [to for _from, (to,) in sink.envelopes] == [p.email.replace("blåbær.no", IDN) for p in people]
    assert {sender for sender, _to in sink.envelopes} == {"pressroom@localhost"}
    for index, (person, message) in enumerate(zip(people, sink.messages, strict=True)):
        assert message["Subject"] == release.title
        assert message["List-Unsubscribe"] == f"<http://testserver/subscribe/u/{person.token}/>"
        assert f"/subscribe/u/{person.token}/" in message.get_body(("html",)).get_content()
        assert outcome.sent[1000 + index] == message["Message-ID"]
    assert len(set(outcome.sent.values())) == len(people)


def test_a_line_starting_with_a_dot_arrives_as_written(sink):
    release = ReleaseFactory(title="Punktum", body="<pre>\n.\n..to prikker\n. en prikk\n</pre>")
    person = SubscriberFactory(language="nb")

    outcome = send([person], release)

    assert list(outcome.sent) == [1000]
    text = sink.messages[0].get_body(("plain",)).get_content()
    html = sink.messages[0].get_body(("html",)).get_content()
    for body in (text, html):
        assert "\n.\n..to prikker\n. en prikk\n" in body.replace("\r\n", "\n")


def test_a_refused_recipient_fails_and_the_others_are_sent(sink):
    release = ReleaseFactory(**NORWEGIAN)
    people = [SubscriberFactory(email=f"s{i}@example.no") for i in range(4)]
    sink.refuse["s1@example.no"] = "550 5.1.1 No such user"

    outcome = send(people, release)

    assert set(outcome.sent) == {1000, 1002, 1003}
    assert list(outcome.failed) == [1001]
    assert "550" in outcome.failed[1001]
    assert not (outcome.retry or outcome.uncertain)
    assert [to for _from, (to,) in sink.envelopes] == ["s0@example.no", "s2@example.no", "s3@example.no"]


def test_a_recipient_refused_for_now_is_retried_alone_and_the_rest_go(sink):
    release = ReleaseFactory(**NORWEGIAN)
    people = [SubscriberFactory(email=f"s{i}@example.no") for i in range(4)]
    sink.refuse["s1@example.no"] = "451 4.3.0 Try again later"

    outcome = send(people, release)

    # Greylisting or a full mailbox is that recipient's: the connection is fine and the batch goes on.
    assert list(outcome.sent) == [1000, 1002, 1003]
    assert set(outcome.retry) == {1001}
    assert "451" in outcome.retry[1001]
    assert not (outcome.failed or outcome.uncertain or outcome.broken)
    assert [to for _from, (to,) in sink.envelopes] == ["s0@example.no", "s2@example.no", "s3@example.no"]


def test_a_connection_lost_after_the_content_was_sent_is_uncertain(sink):
    release = ReleaseFactory(**NORWEGIAN)
    people = [SubscriberFactory(email=f"s{i}@example.no") for i in range(4)]
    sink.drop_at_content.add("s2@example.no")

    outcome = send(people, release)

    assert set(outcome.sent) == {1000, 1001}
    assert list(outcome.uncertain) == [1002]
    assert list(outcome.retry) == [1003]
    assert not outcome.failed
    assert [to for _from, (to,) in sink.envelopes] == ["s0@example.no", "s1@example.no"]


def test_a_connection_lost_before_the_content_is_no_uncertainty_and_goes_again_at_once(sink):
    release = ReleaseFactory(**NORWEGIAN)
    people = [SubscriberFactory(email=f"s{i}@example.no") for i in range(4)]
    sink.drop_at_mail.add("s1@example.no")

    outcome = send(people, release)

    # Nothing of s1's message went out (the connection died at its MAIL): not uncertain, and its retry
    # is due at once, on a new connection.
    assert list(outcome.sent) == [1000]
    assert not outcome.uncertain
    assert set(outcome.retry) == {1001, 1002, 1003}
    assert outcome.retry_after == 0 and outcome.broken
    assert [to for _from, (to,) in sink.envelopes] == ["s0@example.no"]


def test_the_next_batch_goes_out_on_a_fresh_connection_after_a_drop(sink):
    release = ReleaseFactory(**NORWEGIAN)
    people = [SubscriberFactory(email=f"s{i}@example.no", language="nb") for i in range(6)]
    sink.drop_at_content.add("s2@example.no")
    with override_settings(MAILING_BATCH_SIZE=4, MAILING_RETRY_BASE_SECONDS=0):
        publish_release(release=release)
        mailing = mailings.prepare_mailing(Mailing.objects.get(release=release).pk)
        for _ in range(10):
            if not mailings.send_batches(mailing.pk, time_budget=30).more_now:
                break

    statuses = dict(Delivery.objects.filter(mailing=mailing).values_list("subscriber__email", "status"))
    assert statuses.pop("s2@example.no") == Delivery.Status.UNCERTAIN
    assert set(statuses.values()) == {Delivery.Status.SENT}
    received = sorted(to for _from, (to,) in sink.envelopes)
    assert received == sorted(p.email for p in people if p.email != "s2@example.no")
    for row in Delivery.objects.filter(mailing=mailing, status=Delivery.Status.SENT).select_related(
        "subscriber"
    ):
        message = next(m for m in sink.messages if m["To"] == row.subscriber.email)
        assert row.message_id == message["Message-ID"]


def test_the_shared_smtp_sink_receives_every_message_with_its_own_headers():
    release = ReleaseFactory(**NORWEGIAN)
    people = [SubscriberFactory(email=f"s{i}@example.no", language="nb") for i in range(25)]
    with (
        smtp_sink() as shared,
        override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=shared.port),
    ):
        outcome = send(people, release)
        messages = shared.wait_for(25)

    assert len(outcome.sent) == 25
    by_address = {m["To"]: m for m in messages}
    for person in people:
        message = by_address[person.email]
        assert message["List-Unsubscribe"] == f"<http://testserver/subscribe/u/{person.token}/>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"/subscribe/u/{person.token}/" in message.get_body(("plain",)).get_content()


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_other_backends_still_get_django_messages(mailoutbox):
    release = ReleaseFactory(**NORWEGIAN)
    person = SubscriberFactory(language="nb")

    outcome = send([person], release)

    assert outcome.sent == {1000: mailoutbox[0].extra_headers["Message-ID"]}
    assert mailoutbox[0].to == [person.email]
