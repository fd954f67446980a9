"""What the release email shows of a release: image credits as the editor wrote them, and a text part that
keeps every link's address."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from subscriptions.release_email import ReleaseMessage
from tests.factories import AttachmentFactory, NewsroomFactory, ReleaseFactory, VideoLinkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


def caption_of(html):
    start = html.index('class="caption"')
    return html[start : html.index("</div>", start)]


@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_credit_is_shown_as_the_editor_wrote_it(language):
    release = ReleaseFactory(published=True, language=language)
    AttachmentFactory(release=release, caption="Søylediagram.", credit="Foto: IMDi")

    html = ReleaseMessage(release).html

    caption = caption_of(html)
    assert "Foto: IMDi" in caption
    assert caption.count("Foto:") == 1
    assert "Photo:" not in caption


def test_a_chart_credited_without_a_prefix_gets_none_added():
    release = ReleaseFactory(published=True)
    AttachmentFactory(release=release, caption="", credit="Kilde: SSB")

    caption = caption_of(ReleaseMessage(release).html)
    assert "Kilde: SSB" in caption
    assert "Foto" not in caption and "Photo" not in caption


def test_the_text_part_keeps_the_address_of_every_link():
    release = ReleaseFactory(
        published=True,
        body='<p>Se <a href="https://example.no/r?a=1&amp;b=2">Les <strong>rapporten</strong></a> her.</p>'
        '<ul><li><a href="https://example.no/liste">Lista</a></li></ul>'
        '<p>Skriv til <a href="mailto:presse@example.no">presse@example.no</a> eller '
        '<a href="https://example.no/">https://example.no/</a>.</p>',
    )

    text = ReleaseMessage(release).text

    assert "Se Les rapporten <https://example.no/r?a=1&b=2> her." in text
    assert "- Lista <https://example.no/liste>" in text
    # An address that is already the link's text is not repeated.
    assert "Skriv til presse@example.no eller https://example.no/." in text
    assert text.count("https://example.no/.") == 1
    assert "mailto:" not in text


def test_a_video_is_its_poster_linked_to_the_release_page_where_it_plays():
    release = ReleaseFactory(published=True, language="en")
    video = AttachmentFactory(release=release, video=True, title="Interview")
    VideoLinkFactory(release=release, title="From the conference")

    message = ReleaseMessage(release)

    page = f"http://testserver{release.get_absolute_url()}#videos-title"
    html = re.sub(r' style="[^"]*"', "", message.html)  # the inlined CSS
    assert "<video" not in html and "<iframe" not in html
    assert (
        f'<a href="{page}"><img src="http://testserver/images/{video.pk}/web/" alt="" width="552">'
        "Watch the video “Interview” on the release page</a>"
    ) in html
    assert f'<a href="{page}">Watch the video “From the conference” on the release page</a>' in html
    assert "youtube" not in message.html
    assert f"- Interview: {page}" in message.text
    assert f"- From the conference: {page}" in message.text


def test_a_video_without_a_poster_is_a_link():
    release = ReleaseFactory(published=True, language="nb")
    AttachmentFactory(release=release, video=True, title="Intervju", poster="")

    html = ReleaseMessage(release).html

    assert "Se videoen «Intervju» på meldingens side</a>" in html
    assert "/images/" not in html


@pytest.mark.parametrize(
    "language, written",
    [
        ("nb", "29. november 2026 kl. 09.00"),
        ("nn", "29. november 2026 kl. 09.00"),
        ("en", "29 November 2026, 09:00"),
    ],
)
def test_the_publish_time_is_written_as_on_the_release_page(language, written):
    at = datetime(2026, 11, 29, 9, 0, tzinfo=ZoneInfo("Europe/Oslo"))
    release = ReleaseFactory(published=True, language=language, published_at=at)

    message = ReleaseMessage(release)

    assert written in message.html
    assert written in message.text
