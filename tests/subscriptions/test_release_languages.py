"""Subscribers choose Norwegian and/or English releases: Norwegian means bokmål and nynorsk alike, each
release once, in the subscriber's own written standard when a release has both (languages.py). The
content of an email is in the release's language, its chrome in the subscriber's interface language."""

import re
from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from pressroom.newsroom.services import publish_release
from subscriptions import mailings, tokens
from subscriptions.models import Mailing, Subscriber
from tests.factories import ReleaseFactory
from tests.subscriptions.factories import SubscriberFactory

from .conftest import run_digests, send_due
from .test_mailings import provider  # noqa: F401 - the mock provider fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("newsroom")]

OSLO = timezone.get_default_timezone()
WEDNESDAY = datetime(2026, 11, 25, 7, 30, tzinfo=OSLO)


def reader(email, language, *, norwegian=True, english=False, frequency=Subscriber.Frequency.IMMEDIATELY):
    return SubscriberFactory(
        email=email, language=language, norwegian=norwegian, english=english, frequency=frequency
    )


def send(release):
    """Publish RELEASE and send its mailing; return the subscribers' addresses it went to."""
    publish_release(release=release)
    return send_mailing(release)


def send_mailing(release):
    mailing = mailings.prepare_mailing(Mailing.objects.get(release=release).pk)
    send_due(mailing.pk)
    return set(mailing.deliveries.values_list("subscriber__email", flat=True))


@pytest.fixture
def bokmal():
    return ReleaseFactory(title="Fleire i arbeid (bokmål): Flere i arbeid", language="nb")


@pytest.fixture
def readers():
    return {
        "nn": reader("nynorsk@example.no", "nn"),
        "nb": reader("bokmal@example.no", "nb"),
        "en-no": reader("engelsk-norsk@example.no", "en"),
        "en": reader("english@example.no", "en", norwegian=False, english=True),
        "both": reader("both@example.no", "nb", english=True),
    }


def test_a_nynorsk_reader_gets_the_nynorsk_version_when_both_are_public(bokmal, readers):
    nynorsk = ReleaseFactory(title="Fleire i arbeid", language="nn", version_of=bokmal)
    publish_release(release=nynorsk)
    publish_release(release=bokmal)

    to_nynorsk = send_mailing(nynorsk)
    to_bokmal = send_mailing(bokmal)

    assert to_nynorsk == {"nynorsk@example.no"}
    assert to_bokmal == {"bokmal@example.no", "engelsk-norsk@example.no", "both@example.no"}


def test_a_nynorsk_reader_gets_the_bokmal_release_when_there_is_no_nynorsk_version(bokmal, readers):
    ReleaseFactory(title="Utkast på nynorsk", language="nn", version_of=bokmal)  # a draft: not public

    assert send(bokmal) == {
        "nynorsk@example.no",
        "bokmal@example.no",
        "engelsk-norsk@example.no",
        "both@example.no",
    }


def test_a_version_published_later_does_not_reach_those_who_had_the_first(bokmal, readers):
    first = send(bokmal)
    nynorsk = ReleaseFactory(title="Fleire i arbeid", language="nn", version_of=bokmal)

    assert "nynorsk@example.no" in first
    assert send(nynorsk) == set()


def test_english_readers_get_english_releases_and_no_norwegian_ones(bokmal, readers):
    english = ReleaseFactory(title="More people in work", language="en", version_of=bokmal)

    assert "english@example.no" not in send(bokmal)
    assert send(english) == {"english@example.no", "both@example.no"}


def test_the_email_is_in_the_releases_language_with_the_readers_own_chrome(bokmal, readers, mailoutbox):
    send(bokmal)

    by_reader = {message.to[0]: message for message in mailoutbox}
    nynorsk, english = by_reader["nynorsk@example.no"], by_reader["engelsk-norsk@example.no"]
    for message in (nynorsk, english):
        assert message.subject == bokmal.title
        assert '<html lang="nb">' in message.alternatives[0][0]
        assert "Les den på nett" in message.alternatives[0][0]  # the release's own language
    assert "Du får denne e-posten fordi du følgjer pressemeldingar frå" in nynorsk.body
    assert "Meld deg av:" in nynorsk.body
    assert 'class="footer" lang="nn"' in nynorsk.alternatives[0][0]
    assert "You get this email because you follow press releases from" in english.body
    assert "Unsubscribe:" in english.body
    assert 'class="footer" lang="en"' in english.alternatives[0][0]
    assert "Du får denne e-posten fordi du følger pressemeldinger fra" in by_reader["bokmal@example.no"].body


@override_settings(DIGEST_HOUR=7)
def test_digests_list_each_release_once_in_the_readers_written_standard(mailoutbox):
    published = {"published": True, "published_at": WEDNESDAY - timedelta(hours=20)}
    bokmal = ReleaseFactory(title="Fleire i arbeid (bokmål): Flere i arbeid", language="nb", **published)
    nynorsk = ReleaseFactory(title="Fleire i arbeid", language="nn", version_of=bokmal, **published)
    ReleaseFactory(title="More people in work", language="en", version_of=nynorsk, **published)
    daily = Subscriber.Frequency.DAILY
    reader("nynorsk@example.no", "nn", frequency=daily)
    reader("bokmal@example.no", "nb", frequency=daily)
    reader("english@example.no", "en", norwegian=False, english=True, frequency=daily)

    run_digests("daily", now=WEDNESDAY)

    by_reader = {message.to[0]: message for message in mailoutbox}
    nynorsk, bokmal_digest, english = (
        by_reader["nynorsk@example.no"],
        by_reader["bokmal@example.no"],
        by_reader["english@example.no"],
    )
    assert "\nFleire i arbeid\n" in nynorsk.body
    assert "Flere i arbeid" not in nynorsk.body
    assert "Flere i arbeid" in bokmal_digest.body
    assert "\nFleire i arbeid\n" not in bokmal_digest.body
    assert "More people in work" in english.body
    assert "Fleire" not in english.body and "Flere" not in english.body
    # The digest's chrome is in each reader's interface language.
    assert nynorsk.body.startswith("Pressemeldingar i dag")
    assert bokmal_digest.body.startswith("Dagens pressemeldinger")
    assert english.body.startswith("Press releases today")


def test_a_digest_writes_each_date_as_the_pressroom_of_the_readers_language_does(mailoutbox):
    at = datetime(2026, 11, 24, 9, 0, tzinfo=OSLO)
    ReleaseFactory(title="Fleire i arbeid", language="nn", published=True, published_at=at)
    ReleaseFactory(title="More people in work", language="en", published=True, published_at=at)
    daily = Subscriber.Frequency.DAILY
    reader("nynorsk@example.no", "nn", frequency=daily)
    reader("english@example.no", "en", norwegian=False, english=True, frequency=daily)

    run_digests("daily", now=WEDNESDAY)

    by_reader = {message.to[0]: message for message in mailoutbox}
    written_by_reader = {"nynorsk@example.no": "24. november 2026", "english@example.no": "24 November 2026"}
    for address, written in written_by_reader.items():
        message = by_reader[address]
        assert f"\n{written}\n" in message.body
        assert f">{written} · " in message.alternatives[0][0]


@override_settings(DIGEST_HOUR=7)
def test_a_digest_skips_a_version_of_a_release_the_reader_already_had(mailoutbox):
    bokmal = ReleaseFactory(
        title="Flere i arbeid",
        language="nb",
        published=True,
        published_at=WEDNESDAY - timedelta(days=1, hours=20),
    )
    reader("nynorsk@example.no", "nn", frequency=Subscriber.Frequency.DAILY)
    run_digests("daily", now=WEDNESDAY - timedelta(days=1))
    assert "Flere i arbeid" in mailoutbox[0].body

    ReleaseFactory(
        title="Fleire i arbeid", language="nn", version_of=bokmal, published=True,
        published_at=WEDNESDAY - timedelta(hours=20),
    )  # fmt: skip
    run_digests("daily", now=WEDNESDAY)

    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    "language, legend, norwegian, english",
    [
        ("nb", "Pressemeldinger på", "Norsk (bokmål og nynorsk)", "Engelsk"),
        ("nn", "Pressemeldingar på", "Norsk (bokmål og nynorsk)", "Engelsk"),
        ("en", "Press releases in", "Norwegian (bokmål and nynorsk)", "English"),
    ],
)
def test_the_preferences_page_offers_norwegian_and_english_in_each_interface_language(
    client, language, legend, norwegian, english
):
    subscriber = reader("leser@example.no", language, english=True)

    html = client.get(f"/subscribe/manage/{tokens.make_token(subscriber, tokens.MANAGE)}/").content.decode()

    assert f"<legend>{legend}</legend>" in html
    assert re.search(
        rf'<input type="checkbox" name="releases" value="no"[^>]*checked>\s*{re.escape(norwegian)}', html
    )
    assert re.search(
        rf'<input type="checkbox" name="releases" value="en"[^>]*checked>\s*{re.escape(english)}', html
    )


def test_choosing_english_and_norwegian_on_the_preferences_page_is_saved(client):
    subscriber = reader("leser@example.no", "nn")
    url = f"/subscribe/manage/{tokens.make_token(subscriber, tokens.MANAGE)}/"

    response = client.post(url, {"releases": ["no", "en"], "language": "nn", "frequency": "immediately"})

    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert (subscriber.norwegian, subscriber.english, subscriber.language) == (True, True, "nn")


def test_the_sign_up_box_gives_the_releases_of_the_visitors_language(client):
    from .conftest import signup_data

    client.post("/subscribe/", signup_data("ny@example.no", language="en"))
    client.post("/subscribe/", signup_data("nynorsk@example.no", language="nn"))

    english, nynorsk = (
        Subscriber.objects.get(email="ny@example.no"),
        Subscriber.objects.get(email="nynorsk@example.no"),
    )
    assert (english.norwegian, english.english) == (False, True)
    assert (nynorsk.norwegian, nynorsk.english, nynorsk.language) == (True, False, "nn")


def test_a_batch_of_readers_of_three_interface_languages_goes_as_one_message_per_language(bokmal, provider):  # noqa: F811
    """Through a provider's batch API (Mailgun's real backend, to a mock on loopback): the batch is split
    by interface language, each part one API call with its own footer."""
    for language in ("nb", "nn", "en", "nn", "nb"):
        reader(f"{language}{Subscriber.objects.count()}@example.no", language)

    sent = send(bokmal)

    assert len(sent) == 5
    assert provider.requests == 3
    # The footer follows the line that is only "--" (a link's token may hold "--" too).
    footers = {entry["to"]: entry["text"].rsplit("\n--\n", 1)[1] for entry in provider.accepted}
    assert sorted(footers) == sorted(sent)
    for to, footer in footers.items():
        expected = {"nb": "Meld deg av:", "nn": "Meld deg av:", "en": "Unsubscribe:"}[to[:2]]
        assert expected in footer
        assert ("følgjer pressemeldingar" in footer) is to.startswith("nn")
        assert ("følger pressemeldinger" in footer) is to.startswith("nb")
    assert {entry["subject"] for entry in provider.accepted} == {bokmal.title}
