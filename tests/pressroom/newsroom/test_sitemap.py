import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

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
