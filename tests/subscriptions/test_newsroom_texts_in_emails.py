"""The newsroom's own texts in emails (pressroom/newsroom/profile.py): a release mailing has the newsroom's
name, its contacts' titles and its footer in the release's language; other emails in the subscriber's."""

import pytest

from pressroom.newsroom.models import ContactTranslation, NewsroomTranslation
from subscriptions import emails
from subscriptions.release_email import ReleaseMessage
from tests.factories import ContactFactory, NewsroomFactory, ReleaseContactFactory, ReleaseFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db

NB_FOOTER = "Postboks 8059 Dep, 0031 Oslo"
NN_FOOTER = "Postboks 8059 Dep, 0031 Oslo (nynorsk)"


@pytest.fixture
def newsroom():
    newsroom = NewsroomFactory(name="Direktoratet", email_footer=NB_FOOTER)
    NewsroomTranslation.objects.create(
        newsroom=newsroom, language="nn", name="Direktoratet på nynorsk", email_footer=NN_FOOTER
    )
    NewsroomTranslation.objects.create(newsroom=newsroom, language="en", name="The Directorate")
    return newsroom


@pytest.fixture
def contact():
    contact = ContactFactory(name="Kari Nordmann", role="Pressevakt")
    ContactTranslation.objects.create(contact=contact, language="nn", role="Pressevakt på nynorsk")
    return contact


def test_a_nynorsk_release_mailing_has_the_nynorsk_name_titles_and_footer(newsroom, contact):
    release = ReleaseFactory(published=True, language="nn")
    ReleaseContactFactory(release=release, contact=contact)

    # Whatever the recipients' interface language, the newsroom's texts follow the release.
    for chrome in ("nn", "en"):
        message = ReleaseMessage(release, chrome=chrome)
        for body in (message.text, message.html):
            assert "Direktoratet på nynorsk" in body
            assert "Pressevakt på nynorsk" in body
            assert NN_FOOTER in body
            assert NB_FOOTER + "\n" not in body and NB_FOOTER + "<" not in body


def test_an_english_release_mailing_falls_back_to_the_main_languages_footer_and_title(newsroom, contact):
    release = ReleaseFactory(published=True, language="en")
    ReleaseContactFactory(release=release, contact=contact)

    message = ReleaseMessage(release)

    for body in (message.text, message.html):
        assert "The Directorate" in body
        assert "Pressevakt" in body and "Pressevakt på nynorsk" not in body
        assert NB_FOOTER in body


def test_a_release_mailing_without_a_footer_has_none(contact):
    NewsroomFactory()
    release = ReleaseFactory(published=True)

    message = ReleaseMessage(release)

    assert "\n--\n\n" not in message.text
    assert message.html.count('class="footer"') == 1


def test_the_confirmation_email_has_the_subscribers_language(newsroom, mailoutbox):
    emails.confirmation_message(SubscriberFactory(pending=True, language="nn")).send()
    emails.confirmation_message(SubscriberFactory(pending=True, language="en")).send()

    nynorsk, english = mailoutbox
    assert "Direktoratet på nynorsk" in nynorsk.subject
    assert NN_FOOTER in nynorsk.body and NN_FOOTER in nynorsk.alternatives[0][0]
    assert "The Directorate" in english.subject
    assert NB_FOOTER in english.body


def test_the_digest_has_the_footer_of_the_subscribers_language(newsroom):
    subscriber = SubscriberFactory(language="nn")
    release = ReleaseFactory(published=True, language="nn")

    message = emails.digest_message(subscriber, [release], frequency="daily")

    assert NN_FOOTER in message.body
    assert NN_FOOTER in message.alternatives[0][0]
