import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from pressroom.newsroom.models import Release
from tests.factories import NewsroomFactory, ReleaseFactory, TopicFactory

pytestmark = pytest.mark.django_db

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def entries(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    return {url.findtext(f"{NS}loc"): url.findtext(f"{NS}lastmod") for url in root.findall(f"{NS}url")}


def test_sitemap_lists_published_releases_with_lastmod_topics_and_pages(client):
    NewsroomFactory()
    public_topic = TopicFactory(name="Bosetting")
    draft_topic = TopicFactory(name="Hemmelig")
    release = ReleaseFactory(published=True, topics=[public_topic])
    Release.objects.filter(pk=release.pk).update(updated_at=datetime(2024, 5, 2, 10, 0, tzinfo=UTC))
    draft = ReleaseFactory(topics=[draft_topic])
    scheduled = ReleaseFactory(scheduled=True)

    urls = entries(client)

    assert urls == {
        "http://testserver/": None,
        "http://testserver/archive/": None,
        "http://testserver/media/": None,
        "http://testserver/contacts/": None,
        f"http://testserver{release.get_absolute_url()}": "2024-05-02",
        f"http://testserver{public_topic.get_absolute_url()}": None,
    }
    assert f"http://testserver{draft.get_absolute_url()}" not in urls
    assert f"http://testserver{scheduled.get_absolute_url()}" not in urls


def test_sitemap_uses_the_site_url_whatever_the_request_host(client, settings):
    settings.SITE_URL = "https://presse.example.no"
    release = ReleaseFactory(published=True)

    urls = entries(client)

    assert f"https://presse.example.no{release.get_absolute_url()}" in urls
    assert all(url.startswith("https://presse.example.no/") for url in urls)


SCHEMA = Path(__file__).parent / "schemas" / "sitemap-with-alternates.xsd"
XHTML = "{http://www.w3.org/1999/xhtml}"


def sitemap_alternates(client, url):
    response = client.get(url)
    document = etree.fromstring(response.content)
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(document), schema.error_log
    return {
        url.findtext(f"{NS}loc"): sorted(
            (link.get("hreflang"), link.get("href")) for link in url.findall(f"{XHTML}link")
        )
        for url in document.findall(f"{NS}url")
    }


def test_sitemap_is_valid_by_the_sitemaps_org_schema_with_alternates_for_translations(client):
    NewsroomFactory()
    topic = TopicFactory(name="Bosetting")
    norwegian = ReleaseFactory(published=True, topics=[topic])
    english = ReleaseFactory(published=True, language="en", version_of=norwegian)
    nynorsk = ReleaseFactory(published=True, language="nn", version_of=norwegian)
    alone = ReleaseFactory(published=True)
    ReleaseFactory(language="en", version_of=alone)  # a draft translation is no alternate

    alternates = sitemap_alternates(client, "/sitemap.xml")

    group = [
        ("en", f"http://testserver{english.get_absolute_url()}"),
        ("nb", f"http://testserver{norwegian.get_absolute_url()}"),
        ("nn", f"http://testserver{nynorsk.get_absolute_url()}"),
        ("x-default", f"http://testserver{norwegian.get_absolute_url()}"),
    ]
    assert alternates[f"http://testserver{norwegian.get_absolute_url()}"] == group
    assert alternates[f"http://testserver{alone.get_absolute_url()}"] == []
    assert alternates["http://testserver/"] == [
        ("en", "http://testserver/en/"),
        ("nb", "http://testserver/"),
        ("nn", "http://testserver/nn/"),
        ("x-default", "http://testserver/"),
    ]
    # Each pressroom's sitemap lists its own language's releases only, with the same alternates.
    assert f"http://testserver{english.get_absolute_url()}" not in alternates
    english_alternates = sitemap_alternates(client, "/en/sitemap.xml")
    assert set(english_alternates) == {
        f"http://testserver{english.get_absolute_url()}",
        "http://testserver/en/",
        "http://testserver/en/archive/",
        "http://testserver/en/media/",
        "http://testserver/en/contacts/",
    }
    assert english_alternates[f"http://testserver{english.get_absolute_url()}"] == group
    nynorsk_alternates = sitemap_alternates(client, "/nn/sitemap.xml")
    assert f"http://testserver{nynorsk.get_absolute_url()}" in nynorsk_alternates
    assert f"http://testserver{norwegian.get_absolute_url()}" not in nynorsk_alternates


def test_robots_txt_names_each_pressrooms_sitemap(client):
    lines = client.get("/robots.txt").content.decode().splitlines()
    for url in ("/sitemap.xml", "/nn/sitemap.xml", "/en/sitemap.xml"):
        assert f"Sitemap: http://testserver{url}" in lines


def test_the_schema_refuses_what_the_sitemaps_org_rules_refuse():
    """The vendored schema is live: an entry with a relative address or a wrong changefreq is refused."""
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    bad = etree.fromstring(
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/releases/a/</loc>'
        b"<changefreq>sometimes</changefreq></url></urlset>"
    )
    assert not schema.validate(bad)
