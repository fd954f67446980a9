"""Video links: YouTube and Vimeo addresses read into a provider and a video id, and the addresses built
back from them. Only these forms are accepted, so a link can never make a page frame anything else:

    https://www.youtube.com/watch?v=ID   (also youtube.com and m.youtube.com)
    https://youtu.be/ID
    https://vimeo.com/NUMBER             (also www.vimeo.com)

Release pages show a link as a click-to-load embed (templates/pressroom/_video_link.html and
static/pressroom/video.js): nothing is asked of the provider before the reader clicks, and the player
then comes from YouTube's cookie-less domain or with Vimeo's "do not track".
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

YOUTUBE, VIMEO = "youtube", "vimeo"
PROVIDER_NAMES = {YOUTUBE: "YouTube", VIMEO: "Vimeo"}
YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com"}
VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com"}
YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
VIMEO_ID = re.compile(r"[1-9][0-9]{0,11}")
MAX_URL_LENGTH = 500
# The frames a page with embeds may load (its Content-Security-Policy frame-src), and nothing else.
FRAME_SOURCES = {YOUTUBE: "https://www.youtube-nocookie.com", VIMEO: "https://player.vimeo.com"}


@dataclass(frozen=True)
class Video:
    provider: str
    video_id: str


def parse(url):
    """The Video that URL names; ValidationError with a clear message for any other address."""
    refused = ValidationError(
        _("Give the address of a YouTube or Vimeo video, such as https://www.youtube.com/watch?v=… or "
          "https://vimeo.com/…"),
        code="invalid",
    )  # fmt: skip
    url = (url or "").strip()
    if not url or len(url) > MAX_URL_LENGTH or re.search(r"[\s\\\x00-\x1f\x7f]", url):
        raise refused
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise refused from None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or parts.username or parts.password or port:
        raise refused
    if parts.netloc.lower() != host:  # anything but the bare host name, such as a trailing dot
        raise refused
    path = parts.path.rstrip("/") if parts.path != "/" else parts.path
    if host in YOUTUBE_HOSTS and path == "/watch":
        ids = parse_qs(parts.query).get("v", [])
        if len(ids) == 1 and YOUTUBE_ID.fullmatch(ids[0]):
            return Video(YOUTUBE, ids[0])
    elif host == "youtu.be":
        video_id = path.removeprefix("/")
        if YOUTUBE_ID.fullmatch(video_id):
            return Video(YOUTUBE, video_id)
    elif host in VIMEO_HOSTS:
        video_id = path.removeprefix("/")
        if VIMEO_ID.fullmatch(video_id):
            return Video(VIMEO, video_id)
    raise refused


def check(provider, video_id):
    """Raise ValidationError unless PROVIDER and VIDEO_ID are as parse() makes them (rows written
    another way, such as an import, are checked by the model)."""
    pattern = {YOUTUBE: YOUTUBE_ID, VIMEO: VIMEO_ID}.get(provider)
    if pattern is None or not pattern.fullmatch(video_id or ""):
        raise ValidationError(_("This is not a YouTube or Vimeo video."), code="invalid")


def watch_url(provider, video_id):
    """The video's own page at its provider: the link shown without script."""
    if provider == YOUTUBE:
        return f"https://www.youtube.com/watch?v={video_id}"
    return f"https://vimeo.com/{video_id}"


def embed_url(provider, video_id):
    """The player, loaded only after the reader's click: YouTube's cookie-less domain, or Vimeo with
    do-not-track."""
    if provider == YOUTUBE:
        return f"{FRAME_SOURCES[YOUTUBE]}/embed/{video_id}"
    return f"{FRAME_SOURCES[VIMEO]}/video/{video_id}?dnt=1"
