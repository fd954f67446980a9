"""Video on the release page, in Chromium: the browser's own player with its captions track, and
click-to-load YouTube and Vimeo embeds that ask nothing of the provider before the reader's click.

There is no internet here: the provider's player is answered by a stub page (page.route), so that what
the browser asks for, and when, is what is checked.
"""

import re
from urllib.parse import urlsplit

import pytest

from .conftest import VIDEO_SLUG, screenshot

pytestmark = pytest.mark.browser

# Every host of YouTube's and Vimeo's players, thumbnails, scripts and tracking.
PROVIDER_HOSTS = re.compile(
    r"(^|\.)(youtube\.com|youtube-nocookie\.com|youtu\.be|ytimg\.com|googlevideo\.com|ggpht\.com|"
    r"doubleclick\.net|google\.com|gstatic\.com|vimeo\.com|vimeocdn\.com)$"
)
PLAYERS = re.compile(r"https://(www\.youtube-nocookie\.com|player\.vimeo\.com)/.*")
STUB_PLAYER = "<!doctype html><html lang='en'><title>Player</title><p>Player</p></html>"


def third_party_requests(page):
    """The URLs of every request PAGE makes to a provider's host, from now on."""
    seen = []
    page.on("request", lambda request: seen.append(request.url) if is_provider(request.url) else None)
    page.route(PLAYERS, lambda route: route.fulfill(status=200, content_type="text/html", body=STUB_PLAYER))
    return seen


def is_provider(url):
    return bool(PROVIDER_HOSTS.search(urlsplit(url).hostname or ""))


def test_the_embed_asks_nothing_of_youtube_before_the_click(new_page, video_release):
    page = new_page()
    seen = third_party_requests(page)

    page.goto(f"/releases/{VIDEO_SLUG}/")
    page.wait_for_load_state("networkidle")

    assert seen == []
    assert page.locator("iframe").count() == 0
    youtube = page.get_by_role("button", name=re.compile(r"^Spill av video fra YouTube\W+Fra konferansen$"))
    assert youtube.is_visible()
    assert page.get_by_text("Videoen lastes fra YouTube når du trykker på avspilling").is_visible()
    screenshot(page, "release-video")

    youtube.click()

    frame = page.locator("iframe.video-embed__player")
    frame.wait_for()
    assert frame.get_attribute("src") == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert frame.get_attribute("title") == "Fra konferansen"
    page.frame_locator("iframe.video-embed__player").get_by_text("Player").wait_for()
    assert seen == ["https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"]
    # The Vimeo link beside it is still a placeholder.
    assert page.locator("iframe").count() == 1

    page.get_by_role("button", name=re.compile(r"^Spill av video fra Vimeo\W+Fra Arendalsuka$")).click()
    page.frame_locator("iframe[src^='https://player.vimeo.com/']").get_by_text("Player").wait_for()
    assert seen[-1] == "https://player.vimeo.com/video/76979871?dnt=1"


def test_without_script_the_embed_is_a_plain_link(new_page, video_release):
    page = new_page(java_script_enabled=False)
    seen = third_party_requests(page)

    page.goto(f"/releases/{VIDEO_SLUG}/")

    assert not page.locator(".video-embed__play").first.is_visible()
    link = page.get_by_role("link", name=re.compile(r"^Se videoen på YouTube\W+Fra konferansen$"))
    assert link.get_attribute("href") == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert page.locator("iframe").count() == 0
    assert seen == []


def test_the_video_plays_in_the_browsers_own_player_with_its_captions(new_page, video_release):
    page = new_page()
    video = video_release.videos[0]

    page.goto(f"/releases/{VIDEO_SLUG}/")

    player = page.locator("video")
    assert player.get_attribute("controls") is not None
    assert player.get_attribute("preload") == "none"
    assert player.get_attribute("poster") == f"/images/{video.pk}/web/"
    assert page.locator("video source").get_attribute("type") == "video/mp4"
    tracks = page.evaluate(
        "() => Array.from(document.querySelector('video').textTracks, "
        "(t) => ({kind: t.kind, language: t.language, label: t.label}))"
    )
    assert tracks == [{"kind": "captions", "language": "nb", "label": "Norsk (bokmål)"}]
    track = page.locator("video track")
    assert track.get_attribute("default") is not None
    # The captions the track points at are WebVTT, served from the pressroom.
    answer = page.evaluate(
        "async (url) => { const r = await fetch(url); "
        "return [r.status, r.headers.get('content-type'), await r.text()]; }",
        track.get_attribute("src"),
    )
    assert answer[0] == 200
    assert answer[1] == "text/vtt; charset=utf-8"
    assert answer[2].startswith("WEBVTT")
    # The poster is loaded; the video itself waits for the reader (preload="none").
    assert page.evaluate("() => document.querySelector('video').networkState") != 2  # not loading
