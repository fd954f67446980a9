"""Daily and weekly digests: the right releases, once per subscriber per period."""

from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from subscriptions.models import Delivery, Mailing, Subscriber
from tests.factories import ReleaseFactory, TopicFactory

from .conftest import digest_rows, run_digests

pytestmark = pytest.mark.django_db

OSLO_NOW = datetime(2026, 11, 25, 7, 30).astimezone(timezone.get_default_timezone())


def at(hours_ago):
    return OSLO_NOW - timedelta(hours=hours_ago)


@pytest.fixture
def topics():
    return TopicFactory(name="Arbeid"), TopicFactory(name="Bosetting")


@override_settings(DIGEST_HOUR=7)
def test_a_daily_digest_lists_the_matching_releases_of_the_day_once(topics, mailoutbox):
    work, housing = topics
    today = ReleaseFactory(title="I dag arbeid", published=True, published_at=at(3), topics=[work])
    ReleaseFactory(title="I dag bosetting", published=True, published_at=at(5), topics=[housing])
    ReleaseFactory(title="I går", published=True, published_at=at(30), topics=[work])
    ReleaseFactory(title="Engelsk", published=True, published_at=at(3), language="en", topics=[work])
    ReleaseFactory(title="Planlagt", scheduled=True, published_at=at(-2), topics=[work])
    reader = Subscriber.objects.create(
        email="daily@example.org", status="active", frequency="daily", all_topics=False
    )
    reader.topics.set([work])
    Subscriber.objects.create(email="instant@example.org", status="active", frequency="immediately")
    Subscriber.objects.create(email="weekly@example.org", status="active", frequency="weekly")

    assert len(run_digests("daily", now=OSLO_NOW)) == 1
    assert run_digests("daily", now=OSLO_NOW) == []  # once per period

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["daily@example.org"]
    assert "I dag arbeid" in message.body and "I dag arbeid" in message.alternatives[0][0]
    for absent in ("I dag bosetting", "I går", "Engelsk", "Planlagt"):
        assert absent not in message.body
    assert message.extra_headers["List-Unsubscribe"] == f"<http://testserver/subscribe/u/{reader.token}/>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    digest = digest_rows().get()
    assert digest.status == Delivery.Status.SENT and digest.subscriber == reader
    assert list(digest.mailing.releases.all()) == [today]


@override_settings(DIGEST_HOUR=7)
def test_a_release_already_received_is_left_out_and_an_empty_digest_is_not_sent(topics, mailoutbox):
    work, _ = topics
    release = ReleaseFactory(published=True, published_at=at(3), topics=[work])
    reader = Subscriber.objects.create(email="switched@example.org", status="active", frequency="daily")
    mailing = Mailing.objects.create(release=release, status=Mailing.Status.DONE)
    Delivery.objects.create(mailing=mailing, subscriber=reader, status=Delivery.Status.SENT)

    assert run_digests("daily", now=OSLO_NOW) == []

    assert not digest_rows().exists() and mailoutbox == []


@override_settings(DIGEST_HOUR=7)
def test_the_weekly_digest_covers_seven_days(topics, mailoutbox):
    ReleaseFactory(title="Seks dager", published=True, published_at=at(24 * 6))
    ReleaseFactory(title="Åtte dager", published=True, published_at=at(24 * 8))
    Subscriber.objects.create(email="weekly@example.org", status="active", frequency="weekly")

    run_digests("weekly", now=OSLO_NOW)

    assert "Seks dager" in mailoutbox[0].body and "Åtte dager" not in mailoutbox[0].body
