"""The feeds as their readers check them: feedparser without complaint, the elements RSS 2.0, Atom
(RFC 4287) and JSON Feed 1.1 require, content on every item, and each feed in its own language."""

import json
import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.test import Client

from pressroom.newsroom.languages import reverse_in
from tests.factories import AttachmentFactory, NewsroomFactory, ReleaseFactory, TopicFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


@pytest.fixture
def topics():
    """A Norwegian topic with a full release, an English one with a release of a title only."""
    arbeid = TopicFactory(name="Arbeid", language="nb")
    work = TopicFactory(name="Work", language="en")
    full = ReleaseFactory(published=True, title="Flere i arbeid", topics=[arbeid])
    AttachmentFactory(release=full)
    AttachmentFactory(release=full, pdf=True)
    ReleaseFactory(published=True, title="Statement on jobs", lead="", body="", language="en", topics=[work])
    return arbeid, work


def topic_feed(topic, kind):
    return reverse_in(topic.language, f"pressroom:topic_feed_{kind}", {"slug": topic.slug})


def feed_urls(topics):
    """Each topic's feeds, and the feeds of the pressroom of each topic's language."""
    urls = []
    for topic in topics:
        urls += [
            reverse_in(topic.language, "pressroom:feed_rss"),
            reverse_in(topic.language, "pressroom:feed_atom"),
        ]
        urls += [topic_feed(topic, "rss"), topic_feed(topic, "atom")]
    return urls


def test_feedparser_reads_every_feed_without_complaint(client, topics):
    for url in feed_urls(topics):
        response = client.get(url)
        assert response.status_code == 200, url

        parsed = feedparser.parse(response.content)

        assert not parsed.bozo, (url, parsed.get("bozo_exception"))
        assert parsed.entries, url
        for entry in parsed.entries:
            assert entry.title and entry.link and entry.id, url
            assert entry.summary.strip(), (url, entry.title)
            assert entry.author == "Integrerings- og mangfoldsdirektoratet", url


def atom_feed(client, url):
    response = client.get(url)
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.content)


def links(element):
    return {link.get("rel", "alternate"): link.get("href") for link in element.findall(f"{ATOM}link")}


def test_atom_feeds_have_author_id_updated_self_and_alternate_links(client, topics):
    atom_urls = [url for url in feed_urls(topics) if url.endswith("/atom/")]
    for url in atom_urls:
        feed = atom_feed(client, url)

        assert feed.findtext(f"{ATOM}author/{ATOM}name") == "Integrerings- og mangfoldsdirektoratet"
        assert feed.findtext(f"{ATOM}author/{ATOM}uri") == "https://www.imdi.no"
        assert feed.findtext(f"{ATOM}id")
        assert feed.findtext(f"{ATOM}updated")
        assert feed.findtext(f"{ATOM}title")
        assert links(feed)["self"] == f"http://testserver{url}"
        assert links(feed)["alternate"].startswith("http://testserver/")
        entries = feed.findall(f"{ATOM}entry")
        assert entries
        for entry in entries:
            assert entry.findtext(f"{ATOM}id")
            assert entry.findtext(f"{ATOM}updated")
            assert entry.findtext(f"{ATOM}title")
            assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Integrerings- og mangfoldsdirektoratet"
            assert "/releases/" in links(entry)["alternate"] and links(entry)["alternate"].startswith(
                "http://testserver/"
            )
            assert entry.findtext(f"{ATOM}summary").strip()


def test_rss_feeds_have_the_elements_rss_2_requires(client, topics):
    rss_urls = [url for url in feed_urls(topics) if url.endswith("/rss/")]
    for url in rss_urls:
        response = client.get(url)
        root = ET.fromstring(response.content)
        assert root.tag == "rss" and root.get("version") == "2.0"
        channel = root.find("channel")
        for name in ("title", "link", "description", "language"):
            assert (channel.findtext(name) or "").strip(), (url, name)
        for item in channel.findall("item"):
            assert item.findtext("title") and item.findtext("link") and item.findtext("guid")
            assert item.findtext("description").strip(), (url, item.findtext("title"))


def test_a_release_of_a_title_only_has_content_in_every_feed(client, topics):
    _arbeid, work = topics
    rss = ET.fromstring(client.get(topic_feed(work, "rss")).content)
    atom = atom_feed(client, topic_feed(work, "atom"))
    items = json.loads(client.get("/en/feed/json/").content)["items"]

    assert rss.find("channel/item").findtext("description") == "<p>Statement on jobs</p>"
    assert atom.find(f"{ATOM}entry").findtext(f"{ATOM}summary") == "<p>Statement on jobs</p>"
    [title_only] = [item for item in items if item["title"] == "Statement on jobs"]
    assert title_only["content_html"] == "<p>Statement on jobs</p>"


def test_json_feed_has_what_json_feed_1_1_requires_on_every_item(client, topics):
    for language in ("nb", "en"):
        data = json.loads(client.get(reverse_in(language, "pressroom:feed_json")).content)

        assert data["version"] == "https://jsonfeed.org/version/1.1"
        assert data["title"] and data["home_page_url"] and data["feed_url"]
        assert data["authors"] == [
            {"name": "Integrerings- og mangfoldsdirektoratet", "url": "https://www.imdi.no"}
        ]
        assert len(data["items"]) == 1  # each pressroom's feed has its own language's releases only
        for item in data["items"]:
            assert isinstance(item["id"], str) and item["id"]
            assert (item.get("content_html") or item.get("content_text") or "").strip(), item["title"]
            assert item["language"] == language


@pytest.mark.parametrize("reader_language", ["nb", "en"])
def test_a_topic_feed_is_in_the_topics_language_whatever_the_readers(topics, reader_language):
    client = Client(HTTP_ACCEPT_LANGUAGE=reader_language)
    for topic in topics:
        rss = ET.fromstring(client.get(topic_feed(topic, "rss")).content)
        atom = atom_feed(client, topic_feed(topic, "atom"))

        assert rss.find("channel").findtext("language") == topic.language
        assert atom.get(XML_LANG) == topic.language
    arbeid, work = topics
    english = ET.fromstring(client.get(topic_feed(work, "rss")).content)
    assert english.find("channel").findtext("title") == (
        "Work: press releases from Integrerings- og mangfoldsdirektoratet"
    )


@pytest.mark.parametrize("reader_language", ["nb", "en"])
@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_each_pressrooms_feeds_are_in_its_language_whatever_the_readers(reader_language, language, topics):
    client = Client(HTTP_ACCEPT_LANGUAGE=reader_language)
    title = {"nb": "Pressemeldinger fra", "nn": "Press", "en": "Press releases from"}[language]

    rss = ET.fromstring(client.get(reverse_in(language, "pressroom:feed_rss")).content).find("channel")
    atom = atom_feed(client, reverse_in(language, "pressroom:feed_atom"))
    json_feed = json.loads(client.get(reverse_in(language, "pressroom:feed_json")).content)

    assert rss.findtext("language") == language and rss.findtext("title").startswith(title)
    assert atom.get(XML_LANG) == language and atom.findtext(f"{ATOM}title").startswith(title)
    assert json_feed["language"] == language and json_feed["title"].startswith(title)
