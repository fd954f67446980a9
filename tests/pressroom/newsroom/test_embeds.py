"""Video links: which YouTube and Vimeo addresses are accepted, what is kept of them, and the editor's
form in the admin."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from pressroom.newsroom import embeds
from pressroom.newsroom.models import VideoLink
from tests.factories import ReleaseFactory, VideoLinkFactory
from tests.pressroom.newsroom.test_admin import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


ACCEPTED = [
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
    ("https://youtube.com/watch?v=dQw4w9WgXcQ&t=42s", "youtube", "dQw4w9WgXcQ"),
    ("https://m.youtube.com/watch?feature=share&v=a_b-C1d2E3f", "youtube", "a_b-C1d2E3f"),
    ("http://WWW.YouTube.com/watch/?v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
    ("https://youtu.be/dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
    ("https://youtu.be/dQw4w9WgXcQ?si=abc", "youtube", "dQw4w9WgXcQ"),
    ("  https://vimeo.com/76979871  ", "vimeo", "76979871"),
    ("https://www.vimeo.com/76979871/", "vimeo", "76979871"),
]


@pytest.mark.parametrize(("url", "provider", "video_id"), ACCEPTED)
def test_youtube_and_vimeo_addresses_are_read_into_provider_and_id(url, provider, video_id):
    assert embeds.parse(url) == embeds.Video(provider, video_id)


HOSTILE = [
    "",
    "dQw4w9WgXcQ",
    "javascript:alert(1)//youtube.com/watch?v=dQw4w9WgXcQ",
    "data:text/html,<script>alert(1)</script>",
    "https://evil.example/watch?v=dQw4w9WgXcQ",
    "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
    "https://evil.example/?u=https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com@evil.example/watch?v=dQw4w9WgXcQ",
    "https://user:pass@www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com./watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com\\@evil.example/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ\n<script>",
    "https://www.youtube.com/watch?v=dQw4w9WgXc",  # too short
    'https://www.youtube.com/watch?v=dQw4w9WgX"Q',
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ&v=a_b-C1d2E3f",
    "https://www.youtube.com/embed/dQw4w9WgXcQ",
    "https://www.youtube.com/watch",
    "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    "https://youtu.be/dQw4w9WgXcQ/../../evil",
    "https://youtu.be/",
    "ftp://youtu.be/dQw4w9WgXcQ",
    "//youtu.be/dQw4w9WgXcQ",
    "https://vimeo.com/channels/staffpicks/76979871",
    "https://vimeo.com/76979871abc",
    "https://vimeo.com/0",
    "https://player.vimeo.com/video/76979871",
    "https://vimeo.com/" + "9" * 20,
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ&x=" + "a" * 600,
    "https://[::1]/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com:99999/watch?v=dQw4w9WgXcQ",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_anything_else_is_refused(url):
    with pytest.raises(ValidationError) as raised:
        embeds.parse(url)

    assert raised.value.messages == [
        "Give the address of a YouTube or Vimeo video, such as https://www.youtube.com/watch?v=… or "
        "https://vimeo.com/…"
    ]


def test_the_player_comes_from_youtubes_cookieless_domain_or_vimeo_without_tracking():
    assert embeds.embed_url("youtube", "dQw4w9WgXcQ") == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert embeds.embed_url("vimeo", "76979871") == "https://player.vimeo.com/video/76979871?dnt=1"


def test_a_row_written_around_the_form_is_checked_by_the_model():
    link = VideoLink(release=ReleaseFactory(), provider="youtube", video_id='x"><script>', title="T")

    with pytest.raises(ValidationError):
        link.full_clean()


def link_form(release, **overrides):
    """RELEASE's change form as posted with one new video link."""
    data = form_data(
        title=release.title, slug=release.slug, lead=release.lead, body=release.body,
        **{
            "video_links-TOTAL_FORMS": "1",
            "video_links-0-url": "https://youtu.be/dQw4w9WgXcQ",
            "video_links-0-title": "Intervju",
            "video_links-0-order": "0",
        },
    )  # fmt: skip
    data.update(overrides)
    return data


def test_an_editor_adds_a_video_link_by_its_address(admin_client):
    release = ReleaseFactory()

    response = admin_client.post(
        reverse("admin:newsroom_release_change", args=[release.pk]), link_form(release)
    )

    assert response.status_code == 302
    link = release.video_links.get()
    assert (link.provider, link.video_id, link.title) == ("youtube", "dQw4w9WgXcQ", "Intervju")
    page = admin_client.get(reverse("admin:newsroom_release_change", args=[release.pk])).content.decode()
    assert 'value="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in page


def test_a_hostile_address_is_a_form_error(admin_client):
    release = ReleaseFactory()
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = admin_client.post(
        reverse("admin:newsroom_release_change", args=[release.pk]),
        link_form(release, **{"video_links-0-url": "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ"}),
    )

    assert response.status_code == 200
    formset = next(f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "video_links")
    assert "Give the address of a YouTube or Vimeo video" in formset.formset.forms[0].errors["url"][0]
    assert not VideoLink.objects.exists()


def test_a_video_link_is_shown_by_its_watch_address():
    link = VideoLinkFactory(provider="vimeo", video_id="76979871")

    assert link.watch_url == "https://vimeo.com/76979871"
