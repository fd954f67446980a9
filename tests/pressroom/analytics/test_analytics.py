"""Privacy-first analytics: aggregate counts only, no cookies and nothing about visitors; flushed from
Redis into daily rows; email numbers from the Delivery ledger; retention; the admin's charts."""

import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from pressroom.analytics import counts as analytics
from pressroom.analytics.models import ReleaseStat
from subscriptions.models import Delivery, Mailing, Subscriber
from tests.factories import AttachmentFactory, NewsroomFactory, ReleaseFactory
from tests.subscriptions.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


@pytest.fixture
def release():
    NewsroomFactory()
    return ReleaseFactory(published=True, title="Figures for 2023")


def counts(release):
    return dict(
        ReleaseStat.objects.filter(release=release, day=timezone.localdate()).values_list("metric", "count")
    )


def test_release_page_views_are_counted_without_anything_about_the_visitor(client, release):
    for _ in range(3):
        response = client.get(
            release.get_absolute_url(),
            HTTP_USER_AGENT=BROWSER,
            REMOTE_ADDR="203.0.113.7",
            HTTP_REFERER="https://x.no/",
        )
        assert response.status_code == 200
        # Counting sets no cookie (and the page has none of its own).
        assert not response.cookies

    # The second and third views were served from the page cache: they count all the same.
    pending = analytics.client().hgetall(analytics.key("pending"))
    assert pending == {f"r:{release.pk}:{timezone.localdate().isoformat()}:view".encode(): b"3"}
    assert analytics.flush() == 1
    assert counts(release) == {"view": 3}
    stored = repr(list(ReleaseStat.objects.values()))
    for trace in ["203.0.113", "Mozilla", "x.no"]:
        assert trace not in stored


def test_flushes_add_up_and_an_empty_flush_does_nothing(client, release):
    client.get(release.get_absolute_url())
    analytics.flush()
    client.get(release.get_absolute_url())
    client.get(release.get_absolute_url())

    assert analytics.flush() == 1
    assert counts(release) == {"view": 3}
    assert analytics.flush() == 0
    assert counts(release) == {"view": 3}


@pytest.mark.parametrize(
    "user_agent", ["Googlebot/2.1 (+http://www.google.com/bot.html)", "facebookexternalhit/1.1", "curl/8.5.0"]
)
def test_robots_are_not_counted(client, release, user_agent):
    client.get(release.get_absolute_url(), HTTP_USER_AGENT=user_agent)
    analytics.flush()
    assert counts(release) == {}


def test_what_is_not_a_public_view_is_not_counted(client, admin_client, release):
    draft = ReleaseFactory()
    admin_client.get(f"/preview/{release.pk}/")
    admin_client.get(f"/preview/{draft.pk}/")
    client.head(release.get_absolute_url())
    client.get(draft.get_absolute_url())  # 404
    analytics.flush()
    assert not ReleaseStat.objects.exists()


def test_downloads_are_counted_for_the_files_release(
    client, admin_client, release, django_capture_on_commit_callbacks
):
    image = AttachmentFactory(release=release)
    draft_file = AttachmentFactory(release=ReleaseFactory())
    client.get(image.get_absolute_url())
    client.get(image.get_absolute_url())
    admin_client.get(draft_file.get_absolute_url())  # staff, unpublished: private, not counted
    client.get(f"/releases/{release.slug}/presskit.zip")

    analytics.flush()

    assert counts(release) == {"download": 2, "presskit": 1}
    assert ReleaseStat.objects.count() == 2


def test_counts_of_deleted_releases_are_dropped(client, release):
    other = ReleaseFactory(published=True)
    client.get(other.get_absolute_url())
    client.get(release.get_absolute_url())
    other.delete()

    assert analytics.flush() == 1
    assert list(ReleaseStat.objects.values_list("release_id", "metric", "count")) == [(release.pk, "view", 1)]


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_a_page_is_served_when_the_counter_cannot_be_reached(client, release, caplog):
    analytics._client.cache_clear()
    try:
        assert client.get(release.get_absolute_url()).status_code == 200
    finally:
        analytics._client.cache_clear()
    assert "analytics: 1 counts not recorded" in caplog.text


@override_settings(ANALYTICS_RETENTION_DAYS=30)
def test_rows_older_than_the_retention_period_are_deleted(release):
    today = timezone.localdate()
    for age in (0, 30, 31, 400):
        ReleaseStat.objects.create(release=release, day=today - timedelta(days=age), metric="view", count=1)

    assert analytics.purge() == 2

    assert sorted((today - day).days for day in ReleaseStat.objects.values_list("day", flat=True)) == [0, 30]


def test_email_numbers_come_from_the_delivery_ledger(release):
    now = timezone.now()
    mailing = Mailing.objects.create(release=release, status=Mailing.Status.DONE)
    later_release = ReleaseFactory(published=True)
    later = Mailing.objects.create(release=later_release, status=Mailing.Status.DONE)

    def delivery(mailing, subscriber, status="sent", event="", sent_at=now):
        return Delivery.objects.create(
            mailing=mailing, subscriber=subscriber, status=status, event=event, sent_at=sent_at
        )

    delivery(mailing, SubscriberFactory(), event="delivered")
    delivery(mailing, SubscriberFactory(), event="bounced")
    delivery(mailing, SubscriberFactory(), event="complained")
    delivery(mailing, SubscriberFactory(), event="unsubscribed")
    delivery(mailing, SubscriberFactory(), status="failed")
    # Left after this release's email: counts here.
    left = SubscriberFactory(unsubscribed=True, unsubscribed_at=now + timedelta(hours=1))
    delivery(mailing, left, sent_at=now)
    # Left after the next email: counts for the next release, not this one.
    left_later = SubscriberFactory(unsubscribed=True, unsubscribed_at=now + timedelta(days=2))
    delivery(mailing, left_later, sent_at=now)
    delivery(later, left_later, sent_at=now + timedelta(days=1))
    assert Subscriber.objects.filter(status="unsubscribed").count() == 2

    result = analytics.email_counts([release.pk, later_release.pk])

    assert result[release.pk] == {"sent": 6, "delivered": 1, "bounced": 1, "complained": 1, "unsubscribed": 2}
    assert result[later_release.pk] == {
        "sent": 1,
        "delivered": 0,
        "bounced": 0,
        "complained": 0,
        "unsubscribed": 1,
    }


# The admin


def test_the_admin_shows_totals_and_a_chart_per_release(admin_client, release):
    today = timezone.localdate()
    ReleaseStat.objects.create(release=release, day=today, metric="view", count=12)
    ReleaseStat.objects.create(release=release, day=today - timedelta(days=2), metric="view", count=6)
    ReleaseStat.objects.create(release=release, day=today, metric="download", count=4)
    ReleaseStat.objects.create(release=release, day=today - timedelta(days=40), metric="view", count=1000)

    overview = admin_client.get(reverse("admin:analytics_releasestat_changelist"))

    assert overview.status_code == 200
    (row,) = overview.context["rows"]
    assert row["release"] == release
    assert (row["counts"]["view"], row["counts"]["download"], row["bar"]) == (18, 4, 100)
    assert "<script" not in overview.content.decode().split('id="content-main"')[1]

    detail = admin_client.get(reverse("admin:analytics_releasestat_release", args=[release.pk]) + "?days=7")

    assert detail.status_code == 200
    page = detail.content.decode()
    assert page.count('<svg role="img"') == 3
    views_chart = page[page.index('<svg role="img"') :]
    views_chart = views_chart[: views_chart.index("</svg>")]
    heights = [int(h) for h in re.findall(r'<rect x="\d+" y="\d+" width="14" height="(\d+)"', views_chart)]
    assert heights == [0, 0, 0, 0, 60, 0, 120]  # the last 7 days, oldest first, scaled to the highest
    assert detail.context["totals"] == {"view": 18, "download": 4, "presskit": 0}


def test_the_admin_period_falls_back_to_30_days(admin_client, release):
    response = admin_client.get(reverse("admin:analytics_releasestat_changelist") + "?days=abc")
    assert response.context["days"] == 30
    response = admin_client.get(
        reverse("admin:analytics_releasestat_release", args=[release.pk]) + "?days=5000"
    )
    assert response.context["days"] == 30


@override_settings(ANALYTICS_PUSH_SECONDS=1)
def test_views_are_gathered_in_the_process_and_pushed_within_a_second(client, release):
    """In production a view costs no Redis round trip of its own: counts go in one push a second later,
    or when the process exits."""
    import time

    pending = analytics.key("pending")
    for _ in range(3):
        client.get(release.get_absolute_url(), HTTP_USER_AGENT=BROWSER)
    assert analytics.client().hgetall(pending) == {}  # gathered, not pushed yet

    time.sleep(1.5)
    field = f"r:{release.pk}:{timezone.localdate().isoformat()}:view".encode()
    assert analytics.client().hgetall(pending) == {field: b"3"}

    client.get(release.get_absolute_url(), HTTP_USER_AGENT=BROWSER)
    analytics._buffer.push()  # what the process does when it exits (atexit)
    assert analytics.client().hgetall(pending) == {field: b"4"}
    assert analytics.flush() == 1
    assert counts(release) == {"view": 4}
