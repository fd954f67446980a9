"""Digests across period boundaries and changes of frequency: every release reaches a subscriber once,
however and whenever they change what they asked for."""

from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from subscriptions import tokens
from subscriptions.models import Delivery, DigestRun, Mailing, Subscriber
from tests.factories import ReleaseFactory

from .conftest import run_digests

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("newsroom")]

OSLO = timezone.get_default_timezone()
# A Wednesday, half past seven: the daily run of the day has just ended its period at 07:00.
WEDNESDAY = datetime(2026, 11, 25, 7, 30, tzinfo=OSLO)


def day(offset, hour=7, minute=30):
    return (WEDNESDAY + timedelta(days=offset)).replace(hour=hour, minute=minute)


def titles(message):
    return message.body


def reader(frequency, email="leser@example.no"):
    return Subscriber.objects.create(email=email, status="active", frequency=frequency, language="nb")


def change_frequency(client, subscriber, frequency):
    """What the subscriber does on their preferences page."""
    url = f"/subscribe/manage/{tokens.make_token(subscriber, tokens.MANAGE)}/"
    response = client.post(url, {"language": "nb", "frequency": frequency})
    assert response.status_code in (200, 302)
    subscriber.refresh_from_db()
    assert subscriber.frequency == frequency


@override_settings(DIGEST_HOUR=7)
def test_a_release_published_at_the_digest_hour_is_in_one_daily_digest(mailoutbox):
    ReleaseFactory(title="Klokka sju", published=True, published_at=day(0, 7, 0))
    reader("daily")

    run_digests("daily", now=day(0))
    run_digests("daily", now=day(1))

    assert sum("Klokka sju" in message.body for message in mailoutbox) == 1


@override_settings(DIGEST_HOUR=7)
def test_daily_then_weekly_repeats_nothing(client, mailoutbox, django_capture_on_commit_callbacks):
    ReleaseFactory(title="Mandag", published=True, published_at=day(-2, 9))
    ReleaseFactory(title="Tirsdag", published=True, published_at=day(-1, 9))
    subscriber = reader("daily")
    run_digests("daily", now=day(-1))  # Tuesday's run: Monday's release
    run_digests("daily", now=day(0))  # Wednesday's run: Tuesday's release
    assert len(mailoutbox) == 2

    with django_capture_on_commit_callbacks(execute=True):
        change_frequency(client, subscriber, "weekly")
    ReleaseFactory(title="Torsdag", published=True, published_at=day(1, 9))
    run_digests("weekly", now=day(5))  # the next Monday's weekly run

    weekly = mailoutbox[-1]
    assert len(mailoutbox) == 3
    assert "Torsdag" in weekly.body
    assert "Mandag" not in weekly.body and "Tirsdag" not in weekly.body


@override_settings(DIGEST_HOUR=7)
def test_weekly_then_daily_drops_nothing(client, mailoutbox, django_capture_on_commit_callbacks):
    subscriber = reader("weekly")
    run_digests("weekly", now=day(-2))  # Monday's weekly run: nothing yet
    ReleaseFactory(title="Mandag", published=True, published_at=day(-2, 9))
    ReleaseFactory(title="Tirsdag", published=True, published_at=day(-1, 9))

    with django_capture_on_commit_callbacks(execute=True):
        change_frequency(client, subscriber, "daily")
    run_digests("daily", now=day(0))

    assert len(mailoutbox) == 1
    assert "Mandag" in mailoutbox[0].body and "Tirsdag" in mailoutbox[0].body


@override_settings(DIGEST_HOUR=7)
def test_daily_then_immediately_sends_what_the_day_had_so_far(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    subscriber = reader("daily")
    run_digests("daily")  # the last daily run covered everything until its hour
    ReleaseFactory(title="Siden sist", published=True, published_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        change_frequency(client, subscriber, "immediately")

    assert len(mailoutbox) == 1
    assert "Siden sist" in mailoutbox[0].body
    assert mailoutbox[0].to == ["leser@example.no"]


@override_settings(DIGEST_HOUR=7)
def test_immediately_then_daily_leaves_out_a_release_still_queued_for_it(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    subscriber = reader("immediately")
    release = ReleaseFactory(title="I køen", published=True, published_at=timezone.now() - timedelta(hours=2))
    mailing = Mailing.objects.create(release=release, status=Mailing.Status.SENDING)
    Delivery.objects.create(mailing=mailing, subscriber=subscriber, status=Delivery.Status.QUEUED)

    with django_capture_on_commit_callbacks(execute=True):
        change_frequency(client, subscriber, "daily")
    subscriber.digest_covered_until = None  # even without the mark of the switch, the queued copy counts
    subscriber.save(update_fields=["digest_covered_until"])
    run_digests("daily", now=timezone.now() + timedelta(days=1))

    assert not any("I køen" in message.body for message in mailoutbox)


@override_settings(DIGEST_HOUR=7)
def test_a_run_that_did_not_happen_drops_nothing(mailoutbox):
    ReleaseFactory(title="Tirsdag", published=True, published_at=day(-1, 9))
    ReleaseFactory(title="Onsdag", published=True, published_at=day(0, 9))
    reader("daily")
    run_digests("daily", now=day(-1))  # Tuesday's run: nothing yet
    # Wednesday's run never happened (the beat was down); Thursday's covers both days.
    run_digests("daily", now=day(1))

    assert len(mailoutbox) == 1
    assert "Tirsdag" in mailoutbox[0].body and "Onsdag" in mailoutbox[0].body


@override_settings(DIGEST_HOUR=7)
def test_a_run_writes_its_period_once_not_a_row_per_subscriber(mailoutbox):
    ReleaseFactory(title="Tirsdag", published=True, published_at=day(-1, 9))
    for n in range(30):
        reader("daily", email=f"leser{n}@example.no")
    run_digests("daily", now=day(0))

    assert len(mailoutbox) == 30
    # Nobody's row was written: the run's own row says up to when they are covered.
    assert not Subscriber.objects.filter(digest_covered_until__isnull=False).exists()
    assert list(DigestRun.objects.values_list("frequency", "period_end")) == [("daily", day(0, 7, 0))]
