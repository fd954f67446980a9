"""The headers mailbox providers and filters expect, on every email: a Message-ID on the sending domain
(not the machine's name), Auto-Submitted on automatic mail (RFC 3834), and on list mail a List-Id per
newsroom and language (RFC 2919) and Precedence: bulk, beside the RFC 8058 pair."""

import email
import email.policy

import pytest
from django.test import override_settings

from pressroom.newsroom.services import publish_release
from subscriptions import confirmations, mailings, tasks
from subscriptions.models import Mailing
from tests.factories import ReleaseFactory

from .conftest import run_digests
from .factories import SubscriberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("newsroom")]

FROM = "Presserommet <presse@imdi.example>"


def parsed(message):
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


@override_settings(DEFAULT_FROM_EMAIL=FROM)
@pytest.mark.parametrize("language", ["nb", "en"])
def test_a_release_email_names_its_list_and_is_marked_automatic(mailoutbox, language):
    SubscriberFactory(language=language, email=f"leser-{language}@example.org")
    release = ReleaseFactory(language=language)
    publish_release(release=release)
    mailings.send_batches(mailings.prepare_mailing(Mailing.objects.get(release=release).pk).pk)

    [message] = [parsed(m) for m in mailoutbox]
    assert message["List-Id"].endswith(f"<press-releases.{language}.imdi.example>")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Precedence"] == "bulk"
    assert message["Message-ID"].endswith("@imdi.example>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@override_settings(DEFAULT_FROM_EMAIL=FROM, DIGEST_HOUR=7)
def test_a_digest_names_the_list_of_its_language(mailoutbox):
    from datetime import timedelta

    from subscriptions import digests

    SubscriberFactory(language="en", frequency="daily")
    _start, end = digests.period("daily")
    ReleaseFactory(language="en", published=True, published_at=end - timedelta(hours=2))
    run_digests("daily")

    [message] = [parsed(m) for m in mailoutbox]
    assert message["List-Id"].endswith("<press-releases.en.imdi.example>")
    assert message["Auto-Submitted"] == "auto-generated" and message["Precedence"] == "bulk"
    assert message["Message-ID"].endswith("@imdi.example>")


@override_settings(DEFAULT_FROM_EMAIL=FROM)
def test_a_confirmation_is_automatic_but_not_list_mail(mailoutbox):
    subscriber = SubscriberFactory(pending=True)
    tasks.send_mailing(confirmations.write([subscriber.pk]).pk)

    [message] = [parsed(m) for m in mailoutbox]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@imdi.example>")
    assert message["List-Id"] is None and message["Precedence"] is None
