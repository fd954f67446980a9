"""Link previews as the services that draw them read the pages: OpenGraph and the JSON-LD through extruct,
the Twitter card tags from the head, and the image each page names fetched and measured."""

import io
from datetime import datetime
from urllib.parse import urlsplit

import extruct
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from lxml import html as lxml_html
from PIL import Image

from pressroom.newsroom import linkpreview
from pressroom.newsroom.models import Newsroom, Release
from tests.factories import AttachmentFactory, NewsroomFactory, ReleaseFactory, TopicFactory, png_bytes

pytestmark = pytest.mark.django_db

OPENGRAPH_REQUIRED = ("og:title", "og:type", "og:url", "og:image", "og:site_name", "og:locale")
IMAGE_DETAILS = ("og:image:width", "og:image:height", "og:image:type", "og:image:alt")
TWITTER_REQUIRED = ("twitter:card", "twitter:title", "twitter:image", "twitter:image:alt")


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def newsroom():
    return NewsroomFactory()


def opengraph(page):
    """{property: value} of the page's OpenGraph, as extruct reads it (the last value of a repeated one)."""
    [data] = extruct.extract(page, base_url="http://testserver/", syntaxes=["opengraph"], uniform=False)[
        "opengraph"
    ]
    return dict(data["properties"])


def twitter(page):
    head = lxml_html.fromstring(page).find("head")
    return {
        meta.get("name"): meta.get("content")
        for meta in head.iter("meta")
        if meta.get("name", "").startswith("twitter:")
    }


def news_article(page):
    [data] = [
        item
        for item in extruct.extract(page, base_url="http://testserver/", syntaxes=["json-ld"])["json-ld"]
        if item.get("@type") == "NewsArticle"
    ]
    return data


def fetch_image(client, url):
    response = client.get(urlsplit(url).path, follow=True)
    assert response.status_code == 200, url
    content = b"".join(response.streaming_content) if response.streaming else response.content
    with Image.open(io.BytesIO(content)) as image:
        return response["Content-Type"], image.size


def public_pages(release, topic):
    return [
        reverse("pressroom:home"),
        release.get_absolute_url(),
        topic.get_absolute_url(),
        reverse("pressroom:archive"),
        reverse("pressroom:archive_year", kwargs={"year": release.published_at.year}),
        reverse("pressroom:search") + "?q=arbeid",
        reverse("pressroom:contacts"),
        reverse("pressroom:upcoming"),
    ]


def test_every_public_page_has_opengraph_and_twitter_tags_with_a_measured_image(client, newsroom):
    topic = TopicFactory(name="Arbeid")
    release = ReleaseFactory(published=True, title="Flere i arbeid", topics=[topic])

    for url in public_pages(release, topic):
        page = client.get(url).content.decode()
        og, card = opengraph(page), twitter(page)

        assert all(og.get(name) for name in OPENGRAPH_REQUIRED + IMAGE_DETAILS), (url, og)
        assert all(card.get(name) for name in TWITTER_REQUIRED), (url, card)
        assert card["twitter:card"] == "summary_large_image"
        assert card["twitter:image"] == og["og:image"]
        assert og["og:url"].startswith("http://testserver/")
        content_type, size = fetch_image(client, og["og:image"])
        assert content_type == og["og:image:type"]
        assert size == (int(og["og:image:width"]), int(og["og:image:height"])), url


def test_pages_are_titled_for_what_they_show(client, newsroom):
    topic = TopicFactory(name="Arbeid")
    release = ReleaseFactory(published=True, title="Flere i arbeid", lead="Ingress.", topics=[topic])

    def title(url):
        return opengraph(client.get(url).content.decode())["og:title"]

    assert title(reverse("pressroom:home")) == newsroom.name
    assert title(release.get_absolute_url()) == "Flere i arbeid"
    assert title(topic.get_absolute_url()) == "Arbeid"
    assert title("/archive/") == "Arkiv"
    assert title("/en/archive/") == "Archive"
    assert title("/en/contacts/") == "Press contacts"
    home = opengraph(client.get("/").content.decode())
    assert home["og:type"] == "website" and home["og:description"] == "IMDi"
    assert home["og:locale"] == "nb_NO"
    assert opengraph(client.get("/nn/").content.decode())["og:locale"] == "nn_NO"
    assert opengraph(client.get("/en/").content.decode())["og:locale"] == "en_GB"


def test_a_release_without_images_shows_the_newsrooms_card_at_1200_by_630(client, newsroom):
    release = ReleaseFactory(published=True)

    og = opengraph(client.get(release.get_absolute_url()).content.decode())

    assert og["og:image"].startswith("http://testserver/cards/")
    assert (og["og:image:width"], og["og:image:height"], og["og:image:type"]) == ("1200", "630", "image/png")
    assert og["og:image:alt"] == newsroom.name
    assert fetch_image(client, og["og:image"]) == ("image/png", (1200, 630))


def test_a_release_with_an_image_shows_its_own_with_its_rendition_size(client, newsroom):
    release = ReleaseFactory(published=True)
    AttachmentFactory(
        release=release, file=ContentFile(png_bytes(2000, 1000), name="stort.png"), alt_text="Et kart."
    )

    og = opengraph(client.get(release.get_absolute_url()).content.decode())

    image = release.attachments.get()
    assert og["og:image"] == f"http://testserver/images/{image.pk}/web/"
    assert (og["og:image:width"], og["og:image:height"]) == ("1600", "800")
    assert og["og:image:alt"] == "Et kart."
    assert fetch_image(client, og["og:image"]) == (og["og:image:type"], (1600, 800))


def test_the_card_is_drawn_once_and_kept_in_storage(client, newsroom):
    Newsroom.objects.filter(pk=1).update(name="Kortverket")  # a name no other test draws a card for
    newsroom = Newsroom.load()
    name = linkpreview.card_storage_name(linkpreview.card_version(newsroom))
    default_storage.delete(name)
    url = reverse("pressroom:newsroom_card", kwargs={"version": linkpreview.card_version(newsroom)})

    client.get(reverse("pressroom:home"))
    assert not default_storage.exists(name), "a page drew the card"
    first = fetch_image(client, url)
    drawn_at = default_storage.get_modified_time(name)
    second = fetch_image(client, url)

    assert first == second == ("image/png", (1200, 630))
    assert default_storage.get_modified_time(name) == drawn_at


def test_a_renamed_newsroom_gets_a_new_card_and_the_old_address_leads_to_it(client, newsroom):
    old_version = linkpreview.card_version(newsroom)
    Newsroom.objects.filter(pk=1).update(name="Nytt navn")
    new_version = linkpreview.card_version(Newsroom.load())

    response = client.get(reverse("pressroom:newsroom_card", kwargs={"version": old_version}))

    assert new_version != old_version
    assert response.status_code == 302
    assert response["Location"] == reverse("pressroom:newsroom_card", kwargs={"version": new_version})


def test_with_a_logo_the_card_shows_it_and_the_json_ld_publisher_has_it(client, newsroom):
    newsroom.logo.save("logo.png", ContentFile(png_bytes(400, 100, color=(10, 120, 60))))
    release = ReleaseFactory(published=True)

    page = client.get(release.get_absolute_url()).content.decode()
    og, article = opengraph(page), news_article(page)

    assert og["og:image:alt"] == f"Logoen til {newsroom.name}"  # the page is in the release's language
    content_type, size = fetch_image(client, og["og:image"])
    assert (content_type, size) == ("image/png", (1200, 630))
    with default_storage.open(linkpreview.ensure_card(newsroom)) as file, Image.open(file) as card:
        assert card.convert("RGB").getpixel((600, 315)) == (10, 120, 60)  # the logo, in the middle
    assert article["publisher"]["logo"] == {
        "@type": "ImageObject",
        "url": "http://testserver/logo/",
        "width": 400,
        "height": 100,
    }


def test_release_json_ld_has_what_googles_article_rich_results_ask_for(client, newsroom):
    release = ReleaseFactory(published=True, title="Flere i arbeid")

    page = client.get(release.get_absolute_url()).content.decode()
    article, og = news_article(page), opengraph(page)

    release.refresh_from_db()
    assert article["@context"] in ("https://schema.org", "http://schema.org")
    assert article["headline"] == "Flere i arbeid" and len(article["headline"]) <= 110
    assert article["datePublished"] == release.published_at.isoformat()
    assert article["dateModified"] == release.updated_at.isoformat()
    [image] = article["image"]
    assert image["url"] == og["og:image"] and (image["width"], image["height"]) == (1200, 630)
    assert article["author"] == {"@type": "Organization", "name": newsroom.name, "url": "https://www.imdi.no"}
    publisher = article["publisher"]
    assert publisher["@type"] == "Organization" and publisher["name"] == newsroom.name
    assert publisher["logo"]["url"] == og["og:image"]  # no logo uploaded: the card stands in
    assert datetime.fromisoformat(og["article:modified_time"]) == release.updated_at
    assert datetime.fromisoformat(og["article:published_time"]) == release.published_at


def test_author_url_is_the_pressroom_when_the_newsroom_has_no_website(client):
    NewsroomFactory(website="")
    release = ReleaseFactory(published=True)

    article = news_article(client.get(release.get_absolute_url()).content.decode())

    assert article["author"]["url"] == "http://testserver/"
    assert article["publisher"]["url"] == "http://testserver/"


def test_a_not_found_page_shows_no_preview(client, newsroom):
    page = client.get("/finnes-ikke/").content.decode()
    assert "og:title" not in page and "twitter:card" not in page


def test_every_demo_release_has_a_complete_preview(client):
    call_command("seed_demo", stdout=io.StringIO())

    releases = list(Release.objects.published())
    assert len(releases) >= 10
    for release in releases:
        page = client.get(release.get_absolute_url()).content.decode()
        og, article = opengraph(page), news_article(page)
        assert all(og.get(name) for name in OPENGRAPH_REQUIRED + IMAGE_DETAILS), release.slug
        assert article["image"] and article["dateModified"] and article["publisher"]["logo"]["url"]
