import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from pressroom.newsroom.models import Release
from tests.factories import AttachmentFactory, NewsroomFactory, ReleaseFactory, TopicFactory, VideoLinkFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


@pytest.fixture
def release():
    topics = [TopicFactory(name="Bosetting"), TopicFactory(name="Arbeid")]
    release = ReleaseFactory(
        published=True,
        title="Flere i arbeid",
        lead="Halvparten gikk til arbeid.",
        body="<h2>Mellomtittel</h2><blockquote><p>Et sitat.</p></blockquote><ul><li>Punkt</li></ul>",
        topics=topics,
    )
    image = AttachmentFactory(release=release, order=1)
    pdf = AttachmentFactory(release=release, pdf=True, order=2)
    return release, image, pdf


def rss_items(client, url="/feed/rss/"):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    return ET.fromstring(response.content).find("channel").findall("item")


def atom_entries(client, url="/feed/atom/"):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.content).findall(f"{ATOM}entry")


def test_rss_item_has_full_content_categories_and_enclosures(client, release):
    release, image, pdf = release

    [item] = rss_items(client)

    assert item.findtext("title") == "Flere i arbeid"
    assert item.findtext("link") == f"http://testserver{release.get_absolute_url()}"
    assert item.findtext("guid") == f"http://testserver{release.get_absolute_url()}"
    assert item.findtext("description") == (
        "<p><strong>Halvparten gikk til arbeid.</strong></p>"
        "<h2>Mellomtittel</h2><blockquote><p>Et sitat.</p></blockquote><ul><li>Punkt</li></ul>"
    )
    assert sorted(c.text for c in item.findall("category")) == ["Arbeid", "Bosetting"]
    # RSS 2.0 allows one enclosure: the header image. Every attachment is in Media RSS.
    [enclosure] = item.findall("enclosure")
    assert enclosure.attrib == {
        "url": f"http://testserver/files/{image.pk}/bilde.png",
        "length": str(image.size),
        "type": "image/png",
    }
    media = [m.attrib for m in item.findall(f"{MEDIA}content")]
    assert media == [
        {
            "url": f"http://testserver/files/{image.pk}/bilde.png",
            "fileSize": str(image.size),
            "type": "image/png",
            "medium": "image",
        },
        {
            "url": f"http://testserver/files/{pdf.pk}/rapport.pdf",
            "fileSize": str(pdf.size),
            "type": "application/pdf",
            "medium": "document",
        },
    ]
    assert image.size > 0 and pdf.size > 0


def test_a_video_is_the_rss_enclosure_with_its_captions_and_poster_in_media_rss(client, release):
    release, image, pdf = release
    video = AttachmentFactory(release=release, video=True, order=3)
    VideoLinkFactory(release=release)  # not a file: no enclosure

    [item] = rss_items(client)

    [enclosure] = item.findall("enclosure")
    assert enclosure.attrib == {
        "url": f"http://testserver/files/{video.pk}/film.mp4",
        "length": str(video.size),
        "type": "video/mp4",
    }
    [content] = [m for m in item.findall(f"{MEDIA}content") if m.attrib["medium"] == "video"]
    assert content.attrib == {
        "url": f"http://testserver/files/{video.pk}/film.mp4",
        "fileSize": str(video.size),
        "type": "video/mp4",
        "medium": "video",
    }
    assert content.find(f"{MEDIA}subTitle").attrib == {
        "type": "text/vtt",
        "lang": "nb",
        "href": f"http://testserver/files/{video.pk}/captions/film.vtt",
    }
    assert content.find(f"{MEDIA}thumbnail").attrib == {"url": f"http://testserver/images/{video.pk}/web/"}
    assert len(item.findall(f"{MEDIA}content")) == 3


def test_atom_lists_the_video_among_the_enclosures(client, release):
    release, image, pdf = release
    video = AttachmentFactory(release=release, video=True, order=3)

    [entry] = atom_entries(client)

    enclosures = [
        link.attrib for link in entry.findall(f"{ATOM}link") if link.attrib.get("rel") == "enclosure"
    ]
    assert enclosures[-1] == {
        "rel": "enclosure",
        "href": f"http://testserver/files/{video.pk}/film.mp4",
        "length": str(video.size),
        "type": "video/mp4",
    }


def test_atom_entry_has_full_content_categories_and_every_enclosure(client, release):
    release, image, pdf = release

    [entry] = atom_entries(client)

    assert entry.findtext(f"{ATOM}title") == "Flere i arbeid"
    summary = entry.find(f"{ATOM}summary")
    assert summary.attrib["type"] == "html"
    assert "<h2>Mellomtittel</h2>" in summary.text and "Halvparten gikk til arbeid." in summary.text
    assert sorted(c.attrib["term"] for c in entry.findall(f"{ATOM}category")) == ["Arbeid", "Bosetting"]
    enclosures = [
        link.attrib for link in entry.findall(f"{ATOM}link") if link.attrib.get("rel") == "enclosure"
    ]
    assert enclosures == [
        {"rel": "enclosure", "href": f"http://testserver/files/{image.pk}/bilde.png",
         "length": str(image.size), "type": "image/png"},
        {"rel": "enclosure", "href": f"http://testserver/files/{pdf.pk}/rapport.pdf",
         "length": str(pdf.size), "type": "application/pdf"},
    ]  # fmt: skip


def test_feeds_hold_the_newest_published_releases_up_to_the_feed_size(client, settings):
    settings.PRESSROOM_FEED_SIZE = 3
    now = timezone.now()
    releases = []
    for days in range(5):
        r = ReleaseFactory(published=True, title=f"Melding {days}")
        Release.objects.filter(pk=r.pk).update(published_at=now - timedelta(days=days))
        releases.append(r)
    ReleaseFactory(title="Utkast")
    ReleaseFactory(scheduled=True, title="Planlagt")

    assert [i.findtext("title") for i in rss_items(client)] == ["Melding 0", "Melding 1", "Melding 2"]
    assert [e.findtext(f"{ATOM}title") for e in atom_entries(client)] == [
        "Melding 0",
        "Melding 1",
        "Melding 2",
    ]


def test_topic_feeds_hold_only_that_topics_releases(client, release):
    release, _, _ = release
    topic = release.topics.get(name="Bosetting")
    ReleaseFactory(published=True, title="Annet tema", topics=[TopicFactory(name="Annet")])
    rss = rss_items(client, f"/topics/{topic.slug}/rss/")
    atom = atom_entries(client, f"/topics/{topic.slug}/atom/")

    assert [i.findtext("title") for i in rss] == ["Flere i arbeid"]
    assert [e.findtext(f"{ATOM}title") for e in atom] == ["Flere i arbeid"]


def test_topic_feed_channel_describes_the_topic_in_its_language(client, newsroom):
    topic = TopicFactory(name="Bosetting", language="nb")
    response = client.get(f"/topics/{topic.slug}/rss/", HTTP_ACCEPT_LANGUAGE="en")
    channel = ET.fromstring(response.content).find("channel")
    assert channel.findtext("title") == f"Bosetting: pressemeldinger fra {newsroom.name}"
    assert channel.findtext("link") == f"http://testserver/topics/{topic.slug}/"
    assert channel.findtext("language") == "nb"


def test_unknown_topic_feed_is_404(client):
    assert client.get("/topics/finnes-ikke/rss/").status_code == 404
    assert client.get("/topics/finnes-ikke/atom/").status_code == 404
    topic = TopicFactory(language="nb")
    assert client.get(f"/en/topics/{topic.slug}/rss/").status_code == 404  # a topic of another pressroom


def test_the_old_topic_feed_addresses_lead_to_the_new_ones(client):
    topic = TopicFactory(language="en", slug="settlement")
    for old, new in [
        ("/topics/en/settlement/", "/en/topics/settlement/"),
        ("/topics/en/settlement/rss/", "/en/topics/settlement/rss/"),
        ("/topics/en/settlement/atom/", "/en/topics/settlement/atom/"),
        ("/topics/nb/bosetting/rss/", "/topics/bosetting/rss/"),
    ]:
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, new), old
    assert client.get(topic.get_absolute_url()).status_code == 200
    assert client.get("/topics/xx/settlement/").status_code == 404


def test_feed_channel_links_are_absolute(client, newsroom):
    channel = ET.fromstring(client.get("/en/feed/rss/").content).find("channel")
    assert channel.findtext("link") == "http://testserver/en/"
    assert channel.findtext("title") == f"Press releases from {newsroom.name}"
    assert channel.find(f"{ATOM}link").attrib["href"] == "http://testserver/en/feed/rss/"
    channel = ET.fromstring(client.get("/feed/rss/", HTTP_ACCEPT_LANGUAGE="en").content).find("channel")
    assert channel.findtext("link") == "http://testserver/"
    assert channel.findtext("title") == f"Pressemeldinger fra {newsroom.name}"  # the address decides
    assert channel.find(f"{ATOM}link").attrib["href"] == "http://testserver/feed/rss/"
    feed = ET.fromstring(client.get("/feed/atom/").content)
    assert [
        link.attrib["href"] for link in feed.findall(f"{ATOM}link") if link.attrib.get("rel") == "self"
    ] == ["http://testserver/feed/atom/"]
