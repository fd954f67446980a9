"""CR, LF and the other line breaks in every value that reaches an email header or an HTTP header: the
release title (the subject of the release email, its test send and its batch through the provider), the
newsroom's name (digest subjects), a subscriber address written to the database by something other than
the forms, and addresses in redirects. Nothing adds a header, a recipient or a line.
(The sign-up form: tests/subscriptions/test_property.py; vCards: tests/pressroom/newsroom/test_vcard.py.)
"""

import email
import email.policy
from datetime import timedelta

import pytest
from django.test import override_settings

from pressroom.newsroom.services import publish_release
from subscriptions import mailings
from subscriptions.models import Delivery, Mailing, Subscriber
from subscriptions.release_email import send_test
from tests.factories import NewsroomFactory, ReleaseFactory
from tests.subscriptions.conftest import run_digests
from tests.subscriptions.factories import SubscriberFactory
from tests.subscriptions.test_mailings import send_all, subscriber

pytestmark = pytest.mark.django_db

BREAKS = ["\r\n", "\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"]
INJECTED = "Bcc: stolen@evil.example"
TITLES = [f"Tittel{line}{INJECTED}{line}X-Evil: 1" for line in BREAKS]
RELEASE_HEADERS = {"Subject", "From", "To", "Date", "Message-ID", "MIME-Version", "Content-Type",
                   "List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Precedence",
                   "Auto-Submitted"}  # fmt: skip


def wire(message):
    """MESSAGE as it goes on the wire, parsed back: folding is undone, a real line break is a new header."""
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def assert_one_line_headers(parsed, expected):
    assert set(parsed.keys()) <= expected, set(parsed.keys()) - expected
    for name, value in parsed.items():
        assert not any(line in str(value) for line in BREAKS), (name, value)
    assert "stolen@evil.example" not in str(parsed.get("To", "")) + str(parsed.get("Cc", ""))


@pytest.mark.parametrize("title", TITLES, ids=[repr(line) for line in BREAKS])
@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", MAILING_BATCH_SIZE=0)
def test_a_release_title_cannot_add_headers_to_its_email_over_smtp(title, mailoutbox):
    reader = subscriber("reader@example.org")
    release = ReleaseFactory(title=title)
    publish_release(release=release)
    send_all(mailings.prepare_mailing(Mailing.objects.get(release=release).pk))
    send_test(release=release, to="editor@example.org")

    assert [m.to for m in mailoutbox] == [[reader.email], ["editor@example.org"]]
    for message in mailoutbox:
        parsed = wire(message)
        assert_one_line_headers(parsed, RELEASE_HEADERS)
        assert "Tittel" in parsed["Subject"] and INJECTED in parsed["Subject"]  # the text stays, as text
    assert Delivery.objects.get().status == Delivery.Status.SENT


@pytest.mark.parametrize("title", TITLES[:3], ids=[repr(line) for line in BREAKS[:3]])
def test_a_release_title_cannot_add_headers_to_a_provider_batch(title, provider):
    people = [subscriber(f"s{i}@example.org") for i in range(3)]
    release = ReleaseFactory(title=title)
    publish_release(release=release)
    send_all(mailings.prepare_mailing(Mailing.objects.get(release=release).pk))

    assert sorted(provider.recipients()) == sorted(p.email for p in people)
    for entry in provider.accepted:
        assert not any(line in entry["subject"] for line in BREAKS)
        assert set(entry["headers"]) == {
            "List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Precedence", "Auto-Submitted"
        }  # fmt: skip


@pytest.mark.parametrize("line", BREAKS, ids=repr)
def test_the_newsroom_name_cannot_add_headers_to_a_digest(line, mailoutbox):
    NewsroomFactory(name=f"IMDi{line}{INJECTED}")
    reader = SubscriberFactory(language="nb", frequency=Subscriber.Frequency.DAILY)
    release = ReleaseFactory(published=True, language="nb")

    # A day after the release: its daily digest has gone, whatever the time of day.
    run_digests("daily", now=release.published_at + timedelta(days=1))

    assert [m.to for m in mailoutbox] == [[reader.email]]
    assert_one_line_headers(wire(mailoutbox[0]), RELEASE_HEADERS)


@pytest.mark.parametrize("line", ["\r\n", "\n", "\r"], ids=repr)
@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", MAILING_BATCH_SIZE=0)
def test_an_address_with_a_line_break_in_the_database_fails_alone_and_adds_nobody(line, mailoutbox):
    # The forms and the import refuse such an address; here it was written to the database directly.
    good = subscriber("good@example.org")
    bad = subscriber(f"bad@example.org{line}{INJECTED}")
    release = ReleaseFactory()
    publish_release(release=release)
    send_all(mailings.prepare_mailing(Mailing.objects.get(release=release).pk))

    assert [m.to for m in mailoutbox] == [[good.email]]
    rows = dict(Delivery.objects.values_list("subscriber_id", "status"))
    assert rows == {good.pk: Delivery.Status.SENT, bad.pk: Delivery.Status.FAILED}
    assert Delivery.objects.get(subscriber=bad).error  # the reason is recorded for the editors
    assert_one_line_headers(wire(mailoutbox[0]), RELEASE_HEADERS)


@pytest.mark.parametrize("line", ["%0d%0a", "%0a", "%0d"])
def test_line_breaks_in_addresses_that_are_redirected_to_add_no_header(client, line):
    undo = client.get(f"/subscribe/u/x{line}Set-Cookie:%20a=b/undo/")
    language = client.post("/i18n/setlang/", {"language": "en", "next": f"/{line}Set-Cookie: a=b"})

    for response in (undo, language):
        assert response.status_code == 302
        assert "\r" not in response["Location"] and "\n" not in response["Location"]
        assert "a" not in response.cookies
