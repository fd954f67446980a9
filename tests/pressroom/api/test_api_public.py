"""The public read API: the publication rule, full content, filters, cursor pages, CORS and 304s."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from django.utils.http import http_date, parse_http_date

from pressroom.newsroom import services
from pressroom.newsroom.models import Release
from tests.factories import (
    AttachmentFactory,
    ContactFactory,
    NewsroomFactory,
    ReleaseContactFactory,
    ReleaseFactory,
    TopicFactory,
    VideoLinkFactory,
    png_bytes,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def get_json(client, url, status=200, **headers):
    response = client.get(url, **headers)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def slugs(data):
    return [item["slug"] for item in data["results"]]


def at(days):
    return timezone.now() - timedelta(days=days)


# The publication rule


def test_lists_exactly_the_public_releases_newest_first(client):
    older = ReleaseFactory(published=True, published_at=at(3))
    newer = ReleaseFactory(published=True, published_at=at(1))
    due = ReleaseFactory(status=Release.Status.SCHEDULED, published_at=at(2))  # time has come
    ReleaseFactory()  # draft
    ReleaseFactory(scheduled=True)  # in the future
    ReleaseFactory(status=Release.Status.DRAFT, published_at=at(5), first_published_at=at(5))  # unpublished

    data = get_json(client, f"{API}/releases/")

    assert slugs(data) == [newer.slug, due.slug, older.slug]
    assert data["next"] is None


def test_release_detail_is_404_json_for_drafts_scheduled_and_unknown_slugs(client):
    draft = ReleaseFactory()
    scheduled = ReleaseFactory(scheduled=True)

    for slug in (draft.slug, scheduled.slug, "no-such-release"):
        data = get_json(client, f"{API}/releases/{slug}/", status=404)
        assert data == {"errors": {"__all__": ["Not found."]}}


def test_unpublishing_removes_the_release_from_the_api(client):
    release = ReleaseFactory(published=True)
    get_json(client, f"{API}/releases/{release.slug}/")

    services.unpublish_release(release=release)

    get_json(client, f"{API}/releases/{release.slug}/", status=404)
    assert slugs(get_json(client, f"{API}/releases/")) == []


# Full content


def test_videos_come_with_captions_and_poster_and_video_links_with_their_player(client):
    release = ReleaseFactory(published=True, language="nb")
    video = AttachmentFactory(release=release, video=True, captions_language="en")
    VideoLinkFactory(release=release, title="Intervju", order=3)

    data = get_json(client, f"{API}/releases/{release.slug}/")

    [video_data] = data["attachments"]
    assert video_data["kind"] == "video"
    assert video_data["content_type"] == "video/mp4"
    assert video_data["url"] == f"http://testserver/files/{video.pk}/film.mp4"
    assert video_data["captions_url"] == f"http://testserver/files/{video.pk}/captions/film.vtt"
    assert video_data["captions_language"] == "en"
    assert video_data["poster_url"] == f"http://testserver/images/{video.pk}/web/"
    assert video_data["renditions"]["thumb"] == f"http://testserver/images/{video.pk}/thumb/"
    assert data["video_links"] == [
        {
            "provider": "youtube",
            "video_id": "dQw4w9WgXcQ",
            "title": "Intervju",
            "order": 3,
            "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "embed_url": "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        }
    ]


def test_release_has_full_content_attachments_with_renditions_contacts_and_translations(client):
    topic = TopicFactory(name="Bosetting", slug="bosetting")
    release = ReleaseFactory(
        published=True,
        title="Flere i arbeid",
        lead="Halvparten gikk til arbeid.",
        body="<p>Brødtekst med <strong>uthevet</strong>.</p>",
        topics=[topic],
    )
    image = AttachmentFactory(release=release, order=1)
    pdf = AttachmentFactory(release=release, pdf=True, order=2)
    active = ContactFactory(name="Kari", photo="")
    inactive = ContactFactory(name="Ola", is_active=False)
    ReleaseContactFactory(release=release, contact=active, order=1)
    ReleaseContactFactory(release=release, contact=inactive, order=2)
    english = ReleaseFactory(published=True, language="en", title="More in work", version_of=release)
    ReleaseFactory(language="en", title="Draft translation")  # not linked; a draft anyway

    data = get_json(client, f"{API}/releases/{release.slug}/")

    assert data["id"] == release.pk
    assert data["url"] == f"http://testserver/releases/{release.slug}/"
    assert data["api_url"] == f"http://testserver/api/v1/releases/{release.slug}/"
    assert data["title"] == "Flere i arbeid"
    assert data["lead"] == "Halvparten gikk til arbeid."
    assert data["body"] == "<p>Brødtekst med <strong>uthevet</strong>.</p>"
    assert data["kind"] == "press_release"
    assert data["language"] == "nb"
    assert datetime.fromisoformat(data["published_at"]) == release.published_at
    assert data["topics"] == [{"slug": "bosetting", "name": "Bosetting", "language": "nb"}]
    assert [a["id"] for a in data["attachments"]] == [image.pk, pdf.pk]
    image_data, pdf_data = data["attachments"]
    assert image_data == {
        "id": image.pk,
        "kind": "image",
        "filename": image.filename,
        "title": "Bilde",
        "caption": "Bildetekst.",
        "alt_text": "Et rødt rektangel.",
        "credit": "Foto: IMDi",
        "licence": "CC BY 4.0",
        "people_shown": False,
        "content_type": "image/png",
        "size": image.size,
        "width": 24,
        "height": 16,
        "order": 1,
        "url": f"http://testserver/files/{image.pk}/{image.filename}",
        "renditions": {
            "web": f"http://testserver/images/{image.pk}/web/",
            "thumb": f"http://testserver/images/{image.pk}/thumb/",
        },
        "captions_url": None,
        "captions_language": None,
        "poster_url": None,
    }
    assert pdf_data["kind"] == "document"
    assert pdf_data["content_type"] == "application/pdf"
    assert pdf_data["renditions"] == {"web": None, "thumb": None}
    assert data["contacts"] == [
        {
            "id": active.pk,
            "name": "Kari",
            "role": active.role,
            "roles": {"nb": active.role, "nn": active.role, "en": active.role},
            "email": active.email,
            "phone": active.phone,
            "photo_url": None,
            "vcard_url": f"http://testserver/contacts/{active.pk}.vcf",
        }
    ]
    assert data["translations"] == [
        {
            "id": english.pk,
            "slug": english.slug,
            "language": "en",
            "title": "More in work",
            "url": f"http://testserver/en/releases/{english.slug}/",
            "api_url": f"http://testserver/api/v1/releases/{english.slug}/",
        }
    ]
    assert data["translation_group"] == english.translation_group_id is not None
    # The links in the JSON answer: the file and the rendition are public.
    assert client.get(image_data["url"].removeprefix("http://testserver")).status_code == 200
    assert client.get(image_data["renditions"]["web"].removeprefix("http://testserver")).status_code == 200


def test_a_draft_translation_is_not_listed(client):
    original = ReleaseFactory(published=True)
    ReleaseFactory(language="en", version_of=original)

    assert get_json(client, f"{API}/releases/{original.slug}/")["translations"] == []


def test_the_translation_links_back_to_its_original(client):
    original = ReleaseFactory(published=True)
    english = ReleaseFactory(published=True, language="en", version_of=original)

    data = get_json(client, f"{API}/releases/{english.slug}/")

    assert [item["id"] for item in data["translations"]] == [original.pk]
    assert data["url"] == f"http://testserver/en/releases/{english.slug}/"


def test_every_version_lists_the_other_public_versions(client):
    original = ReleaseFactory(published=True)
    english = ReleaseFactory(published=True, language="en", version_of=original)
    nynorsk = ReleaseFactory(published=True, language="nn", version_of=original)

    for release in (original, english, nynorsk):
        data = get_json(client, f"{API}/releases/{release.slug}/")
        others = {(item["language"], item["id"]) for item in data["translations"]}
        assert others == {(r.language, r.pk) for r in (original, english, nynorsk) if r != release}
        assert data["translation_group"] == original.translation_group_id
    listed = get_json(client, f"{API}/releases/?language=nn")["results"]
    assert [(item["id"], len(item["translations"])) for item in listed] == [(nynorsk.pk, 2)]


@pytest.mark.parametrize("language", ["xx", "NB", "nb-NO"])
def test_an_unknown_language_filter_is_a_clear_400(client, language):
    response = client.get(f"{API}/releases/", {"language": language})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["language"]


def test_list_queries_do_not_grow_with_the_number_of_releases(client, django_assert_max_num_queries):
    for _ in range(6):
        release = ReleaseFactory(published=True, topics=[TopicFactory()])
        AttachmentFactory(release=release)
        ReleaseContactFactory(release=release)

    with django_assert_max_num_queries(8):
        data = get_json(client, f"{API}/releases/")

    assert len(data["results"]) == 6


# Filters


def test_filters_by_topic_kind_language_and_year(client):
    topic = TopicFactory(slug="arbeid")
    in_topic = ReleaseFactory(published=True, topics=[topic])
    news = ReleaseFactory(published=True, kind=Release.Kind.NEWS)
    english = ReleaseFactory(published=True, language="en")
    last_year = ReleaseFactory(published=True, published_at=datetime(2023, 6, 1, 12, tzinfo=UTC))
    ReleaseFactory(topics=[topic])  # draft in the topic

    assert slugs(get_json(client, f"{API}/releases/?topic=arbeid")) == [in_topic.slug]
    assert slugs(get_json(client, f"{API}/releases/?kind=news")) == [news.slug]
    assert slugs(get_json(client, f"{API}/releases/?language=en")) == [english.slug]
    assert slugs(get_json(client, f"{API}/releases/?year=2023")) == [last_year.slug]
    assert slugs(get_json(client, f"{API}/releases/?topic=unknown")) == []


def test_search_finds_public_releases_only(client):
    match = ReleaseFactory(published=True, title="Bosetting av flyktninger")
    ReleaseFactory(published=True, title="Noe annet")
    ReleaseFactory(title="Bosetting i utkast")

    assert slugs(get_json(client, f"{API}/releases/?q=bosetting")) == [match.slug]


@pytest.mark.parametrize(
    "query, field",
    [
        ("kind=opinion", "kind"),
        ("language=de", "language"),
        ("year=abc", "year"),
        ("year=1800", "year"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("kind=", "kind"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=MjAyNS0wMS0wMXwx", "cursor"),  # "2025-01-01|1": a naive time
        ("cursor=OTk5OS0xMi0zMVQyMzo1OTo1OS0yMzo1OXwx", "cursor"),  # out of range in UTC
    ],
)
def test_invalid_parameters_are_a_400_with_the_field(client, query, field):
    data = get_json(client, f"{API}/releases/?{query}", status=400)

    assert list(data["errors"]) == [field]


def test_search_results_come_newest_first_in_cursor_pages(client):
    matching = [
        ReleaseFactory(published=True, title=f"Bosetting {days}", published_at=at(days)) for days in (3, 1, 2)
    ]
    ReleaseFactory(published=True, title="Noe annet", published_at=at(0))

    seen, url = [], f"{API}/releases/?q=bosetting&limit=2"
    while url:
        data = get_json(client, url)
        seen += slugs(data)
        url = data["next"] and data["next"].removeprefix("http://testserver")

    assert seen == [release.slug for release in sorted(matching, key=lambda r: r.published_at, reverse=True)]


def test_nul_characters_in_the_query_are_ignored(client):
    release = ReleaseFactory(published=True, title="Bosetting")

    assert slugs(get_json(client, f"{API}/releases/?q=Boset%00ting")) == [release.slug]


# Cursor pages


def test_cursor_pages_walk_every_release_once_even_with_equal_times(client):
    same_time = at(1)
    releases = [ReleaseFactory(published=True, published_at=same_time) for _ in range(3)]
    releases += [ReleaseFactory(published=True, published_at=at(days)) for days in (2, 3)]
    expected = [r.slug for r in sorted(releases, key=lambda r: (r.published_at, r.pk), reverse=True)]

    seen, url, pages = [], f"{API}/releases/?limit=2&language=nb", 0
    while url:
        data = get_json(client, url)
        seen += slugs(data)
        url = data["next"] and data["next"].removeprefix("http://testserver")
        pages += 1
        if url:
            assert "language=nb" in url and "limit=2" in url

    assert seen == expected
    assert pages == 3


def test_a_release_published_between_pages_does_not_shift_the_next_page(client):
    first, second, third = (ReleaseFactory(published=True, published_at=at(days)) for days in (1, 2, 3))
    page = get_json(client, f"{API}/releases/?limit=1")

    ReleaseFactory(published=True, published_at=at(0))
    data = get_json(client, page["next"].removeprefix("http://testserver"))

    assert slugs(page) == [first.slug]
    assert slugs(data) == [second.slug]


# Topics, contacts, newsroom


def test_topics_lists_only_topics_with_public_releases(client):
    public = TopicFactory(name="Arbeid", slug="arbeid")
    TopicFactory(name="Hemmelig", slug="hemmelig")
    ReleaseFactory(published=True, topics=[public])
    ReleaseFactory(topics=[TopicFactory(slug="utkast")])

    data = get_json(client, f"{API}/topics/")

    assert data == {
        "results": [
            {
                "slug": "arbeid",
                "name": "Arbeid",
                "language": "nb",
                "url": "http://testserver/topics/arbeid/",
                "releases_url": "http://testserver/api/v1/releases/?topic=arbeid&language=nb",
                "feeds": {
                    "rss": "http://testserver/topics/arbeid/rss/",
                    "atom": "http://testserver/topics/arbeid/atom/",
                },
            }
        ]
    }


def test_contacts_lists_active_contacts_only(client):
    active = ContactFactory(name="Kari")
    ContactFactory(name="Ola", is_active=False)

    data = get_json(client, f"{API}/contacts/")

    assert [contact["id"] for contact in data["results"]] == [active.pk]
    assert data["results"][0]["vcard_url"] == f"http://testserver/contacts/{active.pk}.vcf"


def test_newsroom_profile(client):
    data = get_json(client, f"{API}/newsroom/")

    assert data["name"] == "Integrerings- og mangfoldsdirektoratet"
    assert data["about"] == "<p>IMDi skal bidra til integrering og mangfold.</p>"
    assert data["logo_url"] is None
    assert data["cover_url"] is None and data["accent_color"] is None
    assert data["email"] == "presse@imdi.no"
    assert data["url"] == "http://testserver/"
    assert data["feeds"] == {
        "rss": "http://testserver/feed/rss/",
        "atom": "http://testserver/feed/atom/",
        "json": "http://testserver/feed/json/",
    }
    assert [(p["language"], p["url"], p["feeds"]["json"]) for p in data["pressrooms"]] == [
        ("nb", "http://testserver/", "http://testserver/feed/json/"),
        ("nn", "http://testserver/nn/", "http://testserver/nn/feed/json/"),
        ("en", "http://testserver/en/", "http://testserver/en/feed/json/"),
    ]
    # The same whatever the reader's language.
    assert get_json(client, f"{API}/newsroom/", HTTP_ACCEPT_LANGUAGE="en") == data
    assert data["api"]["openapi"] == "http://testserver/api/v1/openapi.json"


# HTTP: conditional requests, CORS, methods, unknown addresses


def test_etag_answers_304_until_the_content_changes(client):
    release = ReleaseFactory(published=True)
    first = client.get(f"{API}/releases/")
    etag = first["ETag"]
    assert first["Cache-Control"] == "public, max-age=60"

    not_modified = client.get(f"{API}/releases/", HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert not_modified["Access-Control-Allow-Origin"] == "*"

    release.title = "Ny tittel"
    release.save()
    changed = client.get(f"{API}/releases/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_if_modified_since_answers_304_until_the_content_changes(client):
    release = ReleaseFactory(published=True)
    first = client.get(f"{API}/releases/{release.slug}/")
    last_modified = first["Last-Modified"]

    assert (
        client.get(f"{API}/releases/{release.slug}/", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    )
    # An earlier copy is out of date.
    earlier = http_date(timezone.now().timestamp() - 3600)
    assert client.get(f"{API}/releases/{release.slug}/", HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200


def test_last_modified_moves_when_a_release_leaves_the_list(client, monkeypatch):
    """Unpublishing changes no timestamp of what remains in the list; Last-Modified must still move."""
    from pressroom.api import http

    ReleaseFactory(published=True, published_at=at(2))
    leaving = ReleaseFactory(published=True, published_at=at(1))
    an_hour_ago = timezone.now().timestamp() - 3600
    monkeypatch.setattr(http, "time", SimpleNamespace(time=lambda: an_hour_ago))
    first = client.get(f"{API}/releases/")
    monkeypatch.undo()
    assert first["Last-Modified"] == http_date(an_hour_ago)
    assert client.get(f"{API}/releases/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304

    services.unpublish_release(release=leaving)
    changed = client.get(f"{API}/releases/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert changed.status_code == 200
    assert parse_http_date(changed["Last-Modified"]) > an_hour_ago
    assert client.get(f"{API}/releases/", HTTP_IF_MODIFIED_SINCE=changed["Last-Modified"]).status_code == 304


def test_cors_on_get_and_preflight(client):
    response = client.get(f"{API}/topics/", HTTP_ORIGIN="https://www.imdi.no")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Expose-Headers"] == "ETag, Last-Modified"

    preflight = client.options(
        f"{API}/releases/",
        HTTP_ORIGIN="https://www.imdi.no",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert preflight["Access-Control-Allow-Headers"] == "If-None-Match, If-Modified-Since"


def test_errors_to_get_carry_cors_too(client):
    response = client.get(f"{API}/releases/?year=x", HTTP_ORIGIN="https://www.imdi.no")

    assert response.status_code == 400
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_are_405_without_cors(client, method):
    response = getattr(client, method)(f"{API}/releases/")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert "Access-Control-Allow-Origin" not in response
    assert response.json() == {"errors": {"__all__": ["This method is not allowed here."]}}


def test_head_answers_like_get(client):
    ReleaseFactory(published=True)

    response = client.head(f"{API}/releases/")

    assert response.status_code == 200
    assert response["ETag"] == client.get(f"{API}/releases/")["ETag"]


def test_unknown_api_address_is_a_json_404_and_a_missing_slash_redirects(client):
    assert get_json(client, f"{API}/nothing-here/", status=404) == {"errors": {"__all__": ["Not found."]}}

    # Any method, any path: even an encoded newline or a POST gets the API's JSON 404, not a CSRF page.
    response = client.post(f"{API}/editor/releases/%C2%A7%0A/attachments/")
    assert response.status_code == 404
    assert response.json() == {"errors": {"__all__": ["Not found."]}}

    response = client.get(f"{API}/releases?kind=news")
    assert response.status_code == 308
    assert response["Location"] == f"{API}/releases/?kind=news"


# The schema and the docs


def test_openapi_schema_describes_every_api_route(client):
    from pressroom.api import urls as api_urls

    schema = get_json(client, f"{API}/openapi.json")

    assert schema["openapi"] == "3.1.0"
    documented = set(schema["paths"])
    routed = set()
    for pattern in api_urls.urlpatterns:
        route = str(pattern.pattern)
        if route.startswith(("^", "openapi.json", "docs/")):
            continue
        for converter, name in (
            ("<str:slug>", "{slug}"),
            ("<int:pk>", "{id}"),
            ("<int:attachment_pk>", "{attachment_id}"),
        ):
            route = route.replace(converter, name)
        routed.add("/" + route)
    assert routed == documented


def test_docs_page_lists_the_endpoints_without_scripts(client):
    response = client.get(f"{API}/docs/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "GET /api/v1/releases/" in content
    assert "POST /api/v1/editor/releases/{id}/publish/" in content
    assert "<script" not in content


def test_newsroom_profile_has_the_brand(client, newsroom):
    newsroom.accent_color = "#5a2d82"
    newsroom.cover.save("cover.png", ContentFile(png_bytes(300, 100)), save=True)

    data = get_json(client, f"{API}/newsroom/")

    assert data["accent_color"] == "#5a2d82"
    assert data["cover_url"] == "http://testserver/cover/"
    assert client.get("/cover/").status_code == 200
