"""The page cache (pressroom/newsroom/pagecache.py): public pages served from Redis, never a page that is not
for everyone, and never a page older than the content or than the next embargo."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pressroom.analytics.models import ReleaseStat
from pressroom.newsroom import pagecache
from pressroom.newsroom.models import Newsroom, Release
from pressroom.newsroom.services import publish_release, unpublish_release
from pressroom.ops import redisclient
from tests.factories import NewsroomFactory, ReleaseFactory, TopicFactory, full_release

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


def get(client, url, **extra):
    """A GET and the number of queries it made."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    return response, len(queries)


def test_a_public_page_is_rendered_once_and_then_served_whole_from_the_cache(client):
    release = full_release(published=True, title="Fra hurtigbufferen")
    for url in ["/", release.get_absolute_url(), "/feed/rss/", "/archive/", "/contacts/", "/sitemap.xml"]:
        first, rendering = get(client, url)
        second, serving = get(client, url)
        assert first.status_code == second.status_code == 200, url
        assert rendering > 0 and serving == 0, (url, rendering, serving)
        assert second.content == first.content, url
        for header in ("Content-Type", "Cache-Control", "Content-Language", "Content-Security-Policy"):
            assert second.get(header) == first.get(header), (url, header)
        assert not second.cookies and not first.cookies, url
    assert "Fra hurtigbufferen" in client.get("/").content.decode()


def test_each_language_has_its_own_copy(client):
    english, _ = get(client, "/en/archive/")
    norwegian, _ = get(client, "/archive/")
    again, queries = get(client, "/en/archive/")
    assert '<html lang="en">' in english.content.decode()
    assert '<html lang="nb">' in norwegian.content.decode()
    assert queries == 0 and again.content == english.content


def test_a_pressroom_page_is_one_copy_whatever_the_readers_language(client):
    """Its address says its language: Accept-Language and the cookie change nothing, so neither is in
    Vary and every reader is served the same copy."""
    first, rendering = get(client, "/nn/archive/", HTTP_ACCEPT_LANGUAGE="en")
    second, serving = get(client, "/nn/archive/", HTTP_ACCEPT_LANGUAGE="nb")
    assert rendering > 0 and serving == 0 and second.content == first.content
    assert '<html lang="nn">' in first.content.decode()
    assert first["Content-Language"] == "nn"
    assert "Accept-Language" not in first.get("Vary", "") and "Cookie" not in first.get("Vary", "")


def test_an_address_without_a_language_still_follows_the_reader(client):
    english = client.get("/subscribe/", HTTP_ACCEPT_LANGUAGE="en")
    norwegian = client.get("/subscribe/", HTTP_ACCEPT_LANGUAGE="nb")
    assert '<html lang="en">' in english.content.decode()
    assert '<html lang="nb">' in norwegian.content.decode()
    assert "Accept-Language" in english["Vary"]


def test_an_edit_shows_on_the_next_request(client):
    release = ReleaseFactory(published=True, title="Før endringen")
    client.get("/"), client.get(release.get_absolute_url())

    release.title = "Etter endringen"
    release.save()

    assert "Etter endringen" in client.get("/").content.decode()
    assert "Etter endringen" in client.get(release.get_absolute_url()).content.decode()
    # Not only releases: the newsroom profile is on every page.
    profile = Newsroom.load()
    profile.name = "Et nytt navn på direktoratet"
    profile.save()
    assert "Et nytt navn på direktoratet" in client.get("/").content.decode()


def test_unpublishing_takes_the_page_down_at_once(client):
    release = ReleaseFactory(published=True, title="Snart borte")
    assert client.get(release.get_absolute_url()).status_code == 200
    assert "Snart borte" in client.get("/").content.decode()

    unpublish_release(release=release)

    assert client.get(release.get_absolute_url()).status_code == 404
    assert "Snart borte" not in client.get("/").content.decode()
    assert "Snart borte" not in client.get("/feed/rss/").content.decode()


def test_a_page_kept_before_an_embargo_lifts_ends_when_it_lifts(client):
    """Nothing is saved when the time comes: the cached pages expire at the scheduled time itself."""
    at = timezone.now() + timedelta(seconds=3)
    release = ReleaseFactory(title="Under embargo til straks")
    publish_release(release=release, at=at)
    assert Release.objects.get(pk=release.pk).status == Release.Status.SCHEDULED
    assert pagecache.seconds_to_keep() <= 3

    before, _ = get(client, "/")
    kept, queries = get(client, "/")
    assert queries == 0  # kept, until the time
    assert "Under embargo til straks" not in before.content.decode() + kept.content.decode()
    assert client.get(release.get_absolute_url()).status_code == 404  # not kept: only 200s are

    time.sleep(max(0, (at - timezone.now()).total_seconds()) + 0.1)

    assert "Under embargo til straks" in client.get("/").content.decode()
    assert client.get(release.get_absolute_url()).status_code == 200


def test_pages_not_meant_for_everyone_are_never_stored_or_served_from_the_cache(client, admin_client):
    draft = ReleaseFactory(title="Et utkast")
    public = ReleaseFactory(published=True, title="Offentlig")
    cases = [
        (admin_client, f"/preview/{draft.pk}/", {}),  # staff: private, no-store
        (client, "/archive/?utm_source=x", {}),  # a query string the page does not cache by
        (client, "/subscribe/", {"HTTP_AUTHORIZATION": "Bearer x"}),  # an API client's token
        (admin_client, public.get_absolute_url(), {}),  # a visitor with a session
        (client, "/finnes-ikke/", {}),  # not a 200
    ]
    for who, url, extra in cases:
        for _ in range(3):
            who.get(url, **extra)
        assert page_entries() == [], url


def test_a_response_that_varies_on_more_than_the_language_is_not_stored(rf):
    from django.http import HttpResponse

    request = rf.get("/")
    for vary, stored in [("Accept-Language", True), ("", True), ("Accept-Language, Origin", False),
                         ("Cookie", False), ("*", False)]:  # fmt: skip
        response = HttpResponse("x", headers={"Cache-Control": "public, max-age=60", "Vary": vary})
        assert pagecache.response_is_cacheable(request, response) is stored, vary


def test_a_conditional_request_is_answered_by_the_view(client):
    first = client.get("/api/v1/releases/")
    response = client.get("/api/v1/releases/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 304


def test_bookkeeping_does_not_empty_the_cache(client):
    release = ReleaseFactory(published=True)
    client.get("/")
    before = pagecache.generation()
    ReleaseStat.objects.create(release=release, day=timezone.localdate(), metric="view", count=1)
    assert pagecache.generation() == before
    _, queries = get(client, "/")
    assert queries == 0


@override_settings(PAGE_CACHE_GENERATION_SECONDS=1)
def test_another_process_invalidating_is_seen_within_a_second(client):
    ReleaseFactory(published=True, title="Gammel tittel")
    client.get("/")
    Release.objects.update(title="Ny tittel")  # as if in another process: no signal here...
    redisclient.client().set(redisclient.key(pagecache.GENERATION), time.time_ns())  # ...and its generation
    pagecache._seen["at"] = time.monotonic()  # this process read the generation just now

    assert "Gammel tittel" in client.get("/").content.decode()
    time.sleep(1.05)
    assert "Ny tittel" in client.get("/").content.decode()


@override_settings(PAGE_CACHE_SECONDS=0)
def test_it_can_be_turned_off(client):
    client.get("/")
    _, queries = get(client, "/")
    assert queries > 0


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_pages_are_served_uncached_when_redis_does_not_answer(client):
    ReleaseFactory(published=True, title="Uten Redis")
    pagecache._seen["at"] = -float("inf")
    response = client.get("/")
    assert response.status_code == 200 and "Uten Redis" in response.content.decode()


def topic_choices(client):
    """The topics the search page offers as a filter, and the queries the page made."""
    response, queries = get(client, "/search/?q=bosetting")
    return [label for value, label in response.context["form"].fields["topic"].choices if value], queries


def test_the_search_filters_are_read_once_and_follow_the_published_content(client):
    ReleaseFactory(published=True, title="Bosetting", topics=[TopicFactory(name="Arbeid")])
    first, reading = topic_choices(client)
    again, kept = topic_choices(client)
    assert first == again == ["Arbeid"]
    # Kept: the public topics, the first and last year, the newsroom profile with its translations (on
    # PostgreSQL the last word's completions too), and once for all of them the next publication time
    # (when they expire). The second request, the page asked again, reads that time again to be stored
    # if a second has passed since (pagecache.seconds_to_keep_now).
    kept_queries = 6 + (1 if connection.vendor == "postgresql" else 0)
    assert reading - kept_queries <= kept <= reading - kept_queries + 1

    ReleaseFactory(published=True, title="Bosetting igjen", topics=[TopicFactory(name="Helse")])
    assert topic_choices(client)[0] == ["Arbeid", "Helse"]

    at = timezone.now() + timedelta(seconds=2)
    release = ReleaseFactory(title="Bosetting under embargo", topics=[TopicFactory(name="Skole")])
    publish_release(release=release, at=at)
    assert topic_choices(client)[0] == ["Arbeid", "Helse"]  # not before the embargo lifts...
    time.sleep(max(0, (at - timezone.now()).total_seconds()) + 0.1)
    assert topic_choices(client)[0] == ["Arbeid", "Helse", "Skole"]  # ...and at once when it does


@override_settings(PAGE_CACHE_SECONDS=0)
def test_the_search_filters_are_read_every_time_when_the_cache_is_off(client):
    ReleaseFactory(published=True, title="Bosetting", topics=[TopicFactory(name="Arbeid")])
    _, reading = topic_choices(client)
    _, again = topic_choices(client)
    assert again == reading


def page_entries():
    """The pages stored in Redis (not the markers of addresses asked for once)."""
    found = redisclient.client().scan_iter(match=redisclient.key("pagecache:*"), count=1000)
    return [key for key in found if not key.endswith((b":asked", b"generation"))]


def test_a_search_asked_again_is_served_from_the_cache(client):
    ReleaseFactory(published=True, title="Bosetting i kommunene")
    url = "/search/?q=bosetting"
    first, rendering = get(client, url)
    second, again = get(client, url)
    third, serving = get(client, url)
    assert rendering > 0 and again > 0 and serving == 0
    assert third.content == second.content  # the second rendering, stored
    assert "Bosetting i kommunene" in first.content.decode()
    for other in ("/search/?q=bosetting&page=2", "/search/?q=Bosetting", "/nn/search/?q=bosetting"):
        assert get(client, other)[1] > 0, other  # each address its own


def test_a_search_asked_once_stores_no_page(client):
    ReleaseFactory(published=True, title="Bosetting i kommunene")
    client.get("/search/?q=bosetting")
    for number in range(20):
        client.get(f"/search/?q=bosetting+{number}")
    assert page_entries() == []
    keys = list(redisclient.client().scan_iter(match=redisclient.key("pagecache:*:asked")))
    assert len(keys) == 21
    assert all(0 < redisclient.client().ttl(key) <= 60 for key in keys)


def test_a_kept_search_follows_the_published_content(client):
    ReleaseFactory(published=True, title="Bosetting i kommunene")
    url = "/search/?q=bosetting"
    client.get(url), client.get(url)
    ReleaseFactory(published=True, title="Bosetting i fylkene")
    assert "Bosetting i fylkene" in client.get(url).content.decode()

    unpublish_release(release=Release.objects.get(title="Bosetting i fylkene"))
    assert "Bosetting i fylkene" not in client.get(url).content.decode()


def test_a_search_kept_before_an_embargo_lifts_ends_when_it_lifts(client):
    url = "/search/?q=embargo"
    at = timezone.now() + timedelta(seconds=2)
    publish_release(release=ReleaseFactory(title="Embargo til straks"), at=at)
    client.get(url), client.get(url)
    assert "Embargo til straks" not in client.get(url).content.decode()
    time.sleep(max(0, (at - timezone.now()).total_seconds()) + 0.1)
    assert "Embargo til straks" in client.get(url).content.decode()


def test_other_query_strings_are_never_stored(client):
    """Only views that ask for it are stored under a query string; a long one is not even looked up."""
    ReleaseFactory(published=True, title="Bosetting i kommunene")
    for url in ("/?utm_source=nyhetsbrev", "/archive/?ref=x", "/search/?q=" + "bosetting+" * 150):
        for _ in range(3):
            response, queries = get(client, url)
            assert response.status_code == 200 and queries > 0, url
    assert page_entries() == []


def test_the_media_banks_filters_are_kept_when_asked_again(client):
    topic = TopicFactory(name="Arbeid")
    full_release(published=True, topics=[topic])
    url = f"/media/?topic={topic.pk}"
    client.get(url), client.get(url)
    response, queries = get(client, url)
    assert response.status_code == 200 and queries == 0


def test_the_head_header_and_footer_are_kept_per_language_and_follow_the_profile(client, newsroom):
    nb = client.get("/contacts/").content.decode()
    en = client.get("/en/contacts/").content.decode()
    assert '<a href="/archive/">Arkiv</a>' in nb and '<a href="/en/archive/">Archive</a>' in en
    assert 'hreflang="en"' in nb and 'href="/en/contacts/"' in nb  # the language switch is the page's own
    assert '<a href="/en/search/">Search</a>' in client.get("/en/search/").content.decode()

    newsroom.name, newsroom.email = "Nytt navn", "ny@example.org"
    newsroom.save()

    html = client.get("/search/").content.decode()
    assert 'title="Pressemeldinger fra Nytt navn (RSS)"' in html
    assert '<span class="brand__name">Nytt navn</span>' in html
    assert '<a href="mailto:ny@example.org">ny@example.org</a>' in html
