"""JSON Feed 1.1 beside RSS and Atom: the same published releases, full content, attachments."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import AttachmentFactory, NewsroomFactory, ReleaseFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


@pytest.fixture
def client():
    """English: the assertions read the English source strings."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def feed(client, url="/feed/json/"):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/feed+json; charset=utf-8"
    return json.loads(response.content)


def test_feed_describes_the_newsroom(client):
    data = feed(client)

    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["title"] == "Pressemeldinger fra Integrerings- og mangfoldsdirektoratet"
    assert data["home_page_url"] == "http://testserver/"
    assert data["feed_url"] == "http://testserver/feed/json/"
    assert data["language"] == "nb"
    english = feed(client, "/en/feed/json/")
    assert english["title"] == "Press releases from Integrerings- og mangfoldsdirektoratet"
    assert (english["home_page_url"], english["feed_url"]) == (
        "http://testserver/en/",
        "http://testserver/en/feed/json/",
    )
    assert english["language"] == "en"
    assert data["description"] == "IMDi"
    assert data["authors"] == [
        {"name": "Integrerings- og mangfoldsdirektoratet", "url": "https://www.imdi.no"}
    ]
    assert "icon" not in data  # no logo
    assert data["items"] == []


def test_items_are_the_published_releases_with_full_content_and_attachments(client):
    release = ReleaseFactory(
        published=True,
        title="Flere i arbeid",
        lead="Halvparten gikk til arbeid.",
        body="<p>Brødtekst.</p>",
        topics=[TopicFactory(name="Arbeid")],
    )
    image = AttachmentFactory(release=release, order=1)
    pdf = AttachmentFactory(release=release, pdf=True, order=2)
    older = ReleaseFactory(published=True, published_at=timezone.now() - timedelta(days=3))
    ReleaseFactory()  # draft
    ReleaseFactory(scheduled=True)

    items = feed(client)["items"]

    assert [item["id"] for item in items] == [
        f"http://testserver/releases/{release.slug}/",
        f"http://testserver/releases/{older.slug}/",
    ]
    item = items[0]
    assert item["url"] == f"http://testserver/releases/{release.slug}/"
    assert item["title"] == "Flere i arbeid"
    assert item["summary"] == "Halvparten gikk til arbeid."
    assert item["content_html"] == "<p><strong>Halvparten gikk til arbeid.</strong></p><p>Brødtekst.</p>"
    assert item["image"] == f"http://testserver/images/{image.pk}/web/"
    assert item["date_published"] == release.published_at.isoformat()
    assert item["date_modified"] == release.updated_at.isoformat()
    assert item["language"] == "nb"
    assert item["tags"] == ["Arbeid"]
    assert item["attachments"] == [
        {"url": f"http://testserver/files/{image.pk}/{image.filename}", "mime_type": "image/png",
         "size_in_bytes": image.size},
        {"url": f"http://testserver/files/{pdf.pk}/{pdf.filename}", "mime_type": "application/pdf",
         "size_in_bytes": pdf.size},
    ]  # fmt: skip
    # Without images, tags or a lead, an item leaves those keys out rather than sending nulls.
    assert set(items[1]) == {"id", "url", "title", "content_html", "summary", "date_published",
                             "date_modified", "language"}  # fmt: skip


def test_pages_link_the_json_feed(client):
    assert (
        '<link rel="alternate" type="application/feed+json" '
        'title="Pressemeldinger fra Integrerings- og mangfoldsdirektoratet (JSON Feed)" href="/feed/json/">'
    ) in client.get("/").content.decode()
    assert (
        '<link rel="alternate" type="application/feed+json" '
        'title="Press releases from Integrerings- og mangfoldsdirektoratet (JSON Feed)" '
        'href="/en/feed/json/">'
    ) in client.get("/en/").content.decode()


def test_a_video_is_an_attachment_with_its_type_and_size(client):
    release = ReleaseFactory(published=True)
    video = AttachmentFactory(release=release, video=True)

    [item] = feed(client)["items"]

    assert item["attachments"] == [
        {"url": f"http://testserver/files/{video.pk}/film.mp4", "mime_type": "video/mp4",
         "size_in_bytes": video.size},
    ]  # fmt: skip
    assert "image" not in item  # the poster is not the release's image
