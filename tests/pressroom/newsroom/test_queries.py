"""The number of queries per page does not grow with the number of releases, attachments, contacts or
topics: everything a page shows is fetched with select_related / prefetch_related."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import NewsroomFactory, TopicFactory, full_release

pytestmark = pytest.mark.django_db


def add_releases(count, common_topic):
    """COUNT public releases, each with 3 attachments (2 images, 1 PDF), 3 contacts and 3 topics."""
    return [
        full_release(published=True, images=2, documents=1, contacts=3,
                     topics=[common_topic, *TopicFactory.create_batch(2)])
        for _ in range(count)
    ]  # fmt: skip


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(queries)


def test_query_counts_do_not_grow_with_the_content(client, admin_client):
    NewsroomFactory()
    common = TopicFactory(name="Felles")
    first = add_releases(2, common)[0]
    year = first.published_at.astimezone(timezone.get_current_timezone()).year
    pages = [
        "/",
        first.get_absolute_url(),
        "/feed/rss/",
        "/feed/atom/",
        f"/topics/{common.slug}/",
        f"/topics/{common.slug}/rss/",
        "/archive/",
        f"/archive/{year}/",
        "/search/?q=Pressemelding",
        "/contacts/",
        "/sitemap.xml",
    ]
    with_two = {url: count_queries(client, url) for url in pages}
    preview_two = count_queries(admin_client, f"/preview/{first.pk}/")

    add_releases(10, common)
    with_twelve = {url: count_queries(client, url) for url in pages}
    preview_twelve = count_queries(admin_client, f"/preview/{first.pk}/")

    assert with_twelve == with_two
    assert preview_twelve == preview_two


def test_release_and_home_pages_stay_within_a_small_budget(client):
    NewsroomFactory()
    release = add_releases(3, TopicFactory())[0]
    # Each first request also asks for the next publication time, which bounds how long the page cache
    # keeps the page (pressroom/newsroom/pagecache.py); a page served from the cache makes no query at all.
    # Home: newsroom, count, releases, topics, attachments, topic list, contacts.
    assert count_queries(client, "/") <= 8 + 1
    # Release: release, topics, attachments, contacts, newsroom (x2), translation, latest + prefetches,
    # corrections.
    assert count_queries(client, release.get_absolute_url()) <= 11 + 1
    assert count_queries(client, "/feed/rss/") <= 4 + 1
    assert count_queries(client, "/") == 0
