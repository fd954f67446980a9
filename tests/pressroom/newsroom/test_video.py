"""Videos: uploads recognised by content, WebVTT captions required before publication, the poster, the
release page's player and the files it plays."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from pressroom.newsroom import services, uploads
from pressroom.newsroom.models import Attachment, Release
from tests.factories import (
    AttachmentFactory,
    ReleaseFactory,
    VideoLinkFactory,
    mp4_box,
    mp4_bytes,
    png_bytes,
    vtt_bytes,
    webm_bytes,
)
from tests.pressroom.newsroom.test_admin import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def admin_client(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin_client


def upload(content, name):
    return ContentFile(content, name=name)


def body(response):
    return b"".join(response.streaming_content)


# Recognising videos


@pytest.mark.parametrize(
    ("content", "name", "content_type", "stored"),
    [
        (mp4_bytes(), "Intervju 1.MP4", "video/mp4", "intervju-1.mp4"),
        (mp4_bytes(brand=b"mp42"), "klipp.mov", "video/mp4", "klipp.mp4"),
        (webm_bytes(), "opptak.webm", "video/webm", "opptak.webm"),
        (webm_bytes(), "opptak.mp4", "video/webm", "opptak.webm"),
    ],
)
def test_videos_are_recognised_by_content_not_by_name(content, name, content_type, stored):
    video = Attachment.objects.create(
        release=ReleaseFactory(), file=upload(content, name), captions=upload(vtt_bytes(), "c.vtt")
    )

    assert (video.kind, video.content_type, video.filename) == ("video", content_type, stored)
    assert video.size == len(content)


HOSTILE_VIDEOS = [
    ("page.mp4", b"<!doctype html><script>alert(1)</script>", "This file type is not accepted."),
    ("page.webm", b"<html><body>video</body></html>" * 10, "This file type is not accepted."),
    ("cut.mp4", mp4_bytes()[:40], "The video is damaged"),
    ("no-movie.mp4", mp4_box(b"ftyp", b"isom\x00\x00\x00\x00isom") + mp4_box(b"mdat", bytes(8)), "damaged"),
    (
        "html-after-ftyp.mp4",
        mp4_box(b"ftyp", b"isom\x00\x00\x00\x00isom") + b"<html><script>alert(1)</script></html>",
        "The video is damaged",
    ),
    ("quicktime.mov", mp4_bytes(brand=b"qt  "), "This video format is not accepted"),
    ("audio.m4a", mp4_bytes(brand=b"M4A "), "This video format is not accepted"),
    ("matroska.webm", webm_bytes(doctype=b"matroska"), "This video format is not accepted"),
    ("broken.webm", webm_bytes()[:20], "The video is damaged"),
]


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE_VIDEOS, ids=[v[0] for v in HOSTILE_VIDEOS])
def test_what_is_not_an_mp4_or_webm_video_is_refused(name, content, message):
    with pytest.raises(ValidationError) as raised:
        Attachment.objects.create(release=ReleaseFactory(), file=upload(content, name))

    assert message in raised.value.message_dict["file"][0]
    assert not Attachment.objects.exists()


@override_settings(PRESSROOM_MAX_UPLOAD_MB=0, PRESSROOM_MAX_VIDEO_MB=1)
def test_videos_have_a_size_limit_of_their_own():
    release = ReleaseFactory()
    fits = mp4_bytes() + mp4_box(b"free", bytes(1000))
    too_big = mp4_bytes() + mp4_box(b"free", bytes(1024 * 1024))

    assert Attachment.objects.create(release=release, file=upload(fits, "a.mp4")).kind == "video"
    with pytest.raises(ValidationError) as raised:
        Attachment.objects.create(release=release, file=upload(too_big, "b.mp4"))
    assert raised.value.message_dict["file"] == ["The file is 1.0 MB; the limit is 1 MB."]
    # The video limit is not a way around the limit of other files.
    with pytest.raises(ValidationError):
        Attachment.objects.create(release=release, file=upload(png_bytes(), "c.png"), alt_text="x")


# Captions


VALID_CAPTIONS = [
    b"WEBVTT\n\n00:00.000 --> 00:02.500\nHei.\n",
    b"\xef\xbb\xbfWEBVTT - Intervju\r\n\r\n1\r\n00:00:01.000 --> 00:00:04.000 line:0\r\n<v Ola>Hei.</v>\r\n",
    "WEBVTT\n\nNOTE laget for hånd\n\n01:02:03.004 --> 01:02:05.000\nBjørn sier: «æøå»\n".encode(),
]


@pytest.mark.parametrize("content", VALID_CAPTIONS)
def test_webvtt_captions_are_accepted(content):
    uploads.check_captions(upload(content, "c.vtt"))


INVALID_CAPTIONS = [
    (b"", "The file is empty."),
    (b"1\n00:00:00,000 --> 00:00:02,000\nSRT, not WebVTT\n", "its first line must be “WEBVTT”"),
    (b"WEBVTTX\n\n00:00.000 --> 00:02.000\nHei\n", "its first line must be “WEBVTT”"),
    (b"<html>WEBVTT</html>", "its first line must be “WEBVTT”"),
    (b"WEBVTT\n\nNo cues at all.\n", "has no cues"),
    ("WEBVTT\n\n00:00.000 --> 00:02.000\nBjørn\n".encode("latin-1"), "in UTF-8"),
    (b"WEBVTT\n\n00:00.000 --> 00:02.000\n\x00\x01\x02binary\n", "in UTF-8"),
    (png_bytes(), "in UTF-8"),
]


@pytest.mark.parametrize(("content", "message"), INVALID_CAPTIONS)
def test_what_is_not_webvtt_is_refused_as_captions(content, message):
    with pytest.raises(ValidationError) as raised:
        Attachment.objects.create(
            release=ReleaseFactory(), file=upload(mp4_bytes(), "v.mp4"), captions=upload(content, "c.vtt")
        )

    assert message in raised.value.message_dict["captions"][0]
    assert not Attachment.objects.exists()


@override_settings(PRESSROOM_MAX_CAPTIONS_KB=1)
def test_captions_have_a_size_limit():
    big = vtt_bytes("x" * 2000)

    with pytest.raises(ValidationError) as raised:
        uploads.check_captions(upload(big, "c.vtt"))

    assert raised.value.messages == ["The captions file is 2 kB; the limit is 1 kB."]


def test_only_videos_have_captions_and_a_poster():
    with pytest.raises(ValidationError) as raised:
        AttachmentFactory(captions=upload(vtt_bytes(), "c.vtt"), poster=upload(png_bytes(), "p.png"))

    assert raised.value.message_dict == {
        "captions": ["Only videos have captions and a poster image."],
        "poster": ["Only videos have captions and a poster image."],
    }


def test_the_poster_must_be_an_image_by_the_image_rules():
    with pytest.raises(ValidationError) as raised:
        AttachmentFactory(video=True, poster=upload(b"<svg><script>alert(1)</script></svg>", "p.png"))

    assert "SVG and XML files are not accepted" in raised.value.message_dict["poster"][0]


def test_the_poster_gets_renditions_like_an_image():
    video = AttachmentFactory(video=True)

    assert video.poster.name.endswith("/plakat.png")
    assert {"web", "thumb", "original"} <= set(video.renditions)
    assert video.poster_url == f"/images/{video.pk}/web/"


def test_removing_the_poster_removes_its_renditions():
    video = AttachmentFactory(video=True)

    video.poster = ""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        video.save()
    video.refresh_from_db()

    assert video.renditions == {}
    assert not video.web
    assert video.poster_url == ""


# Captions are required before publication


def test_a_release_with_a_captionless_video_is_not_published():
    release = ReleaseFactory()
    AttachmentFactory(release=release, video=True, title="Intervju", captions="")

    with pytest.raises(services.MissingCaptions) as raised:
        services.publish_release(release=release)

    assert raised.value.messages == [
        f"“{release.title}” has a video without captions (“Intervju”). Add a WebVTT captions file to "
        "each video before publishing."
    ]
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT
    assert not release.mailings.exists()


def test_nor_is_it_scheduled():
    release = ReleaseFactory()
    AttachmentFactory(release=release, video=True, captions="")

    with pytest.raises(services.MissingCaptions):
        services.publish_release(release=release, at=timezone.now() + timezone.timedelta(days=1))

    release.refresh_from_db()
    assert (release.status, release.published_at) == (Release.Status.DRAFT, None)


def test_with_captions_it_is_published():
    release = ReleaseFactory()
    AttachmentFactory(release=release, video=True)

    services.publish_release(release=release)

    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED


def test_the_publish_command_says_why_it_refuses():
    release = ReleaseFactory()
    AttachmentFactory(release=release, video=True, captions="")

    with pytest.raises(CommandError, match="has a video without captions"):
        call_command("publish_release", release.slug)


def test_the_admins_confirmation_page_refuses_a_captionless_video(admin_client):
    release = ReleaseFactory()
    AttachmentFactory(release=release, video=True, title="Intervju", captions="")
    url = reverse("admin:newsroom_release_publish", args=[release.pk])

    page = admin_client.get(url)
    assert "has a video without captions (“Intervju”)" in page.content.decode()
    assert 'name="confirm"' not in page.content.decode()

    response = admin_client.post(url, {"confirm": "1"}, follow=True)

    assert "has a video without captions" in response.content.decode()
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT


def change_form(release, video, **overrides):
    """RELEASE's change form as posted with its one attachment VIDEO, unchanged unless OVERRIDES."""
    data = form_data(
        title=release.title, slug=release.slug, lead=release.lead, body=release.body,
        **{
            "attachments-TOTAL_FORMS": "1",
            "attachments-INITIAL_FORMS": "1",
            "attachments-0-id": str(video.pk),
            "attachments-0-release": str(release.pk),
            "attachments-0-title": video.title,
            "attachments-0-order": "0",
            "attachments-0-thumbnail": "contain",
            "attachments-0-focal_x": "0.5",
            "attachments-0-focal_y": "0.5",
        },
    )  # fmt: skip
    data.update(overrides)
    return data


def captions_errors(response):
    formset = next(f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "attachments")
    return formset.formset.forms[0].errors.get("captions")


def test_save_and_publish_with_a_captionless_video_is_a_form_error(admin_client):
    release = ReleaseFactory()
    video = AttachmentFactory(release=release, video=True, captions="")

    response = admin_client.post(
        reverse("admin:newsroom_release_change", args=[release.pk]),
        change_form(release, video, _publish="Save and publish…"),
    )

    assert response.status_code == 200
    assert captions_errors(response) == [
        "Add the captions (a WebVTT file) before the release is published: a video is public only with "
        "captions."
    ]
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT


def test_a_draft_may_be_saved_with_a_captionless_video(admin_client):
    release = ReleaseFactory()
    video = AttachmentFactory(release=release, video=True, captions="")

    response = admin_client.post(
        reverse("admin:newsroom_release_change", args=[release.pk]), change_form(release, video, title="Ny")
    )

    assert response.status_code == 302
    release.refresh_from_db()
    assert release.title == "Ny"


def test_captions_cannot_be_removed_from_a_published_video(admin_client):
    release = ReleaseFactory(published=True)
    video = AttachmentFactory(release=release, video=True)

    response = admin_client.post(
        reverse("admin:newsroom_release_change", args=[release.pk]),
        change_form(release, video, **{"attachments-0-captions-clear": "on"}),
    )

    assert response.status_code == 200
    assert captions_errors(response)
    video.refresh_from_db()
    assert video.captions


def test_captions_uploaded_in_the_admin_are_checked_and_kept(admin_client):
    release = ReleaseFactory()
    video = AttachmentFactory(release=release, video=True, captions="")
    url = reverse("admin:newsroom_release_change", args=[release.pk])

    refused = admin_client.post(
        url,
        change_form(
            release, video, **{"attachments-0-captions": SimpleUploadedFile("c.srt", b"1\n00:00:00,000")}
        ),
    )
    assert "its first line must be “WEBVTT”" in captions_errors(refused)[0]

    accepted = admin_client.post(
        url,
        change_form(
            release,
            video,
            **{"attachments-0-captions": SimpleUploadedFile("Teksting.vtt", vtt_bytes())},
            _publish="Save and publish…",
        ),
    )

    assert accepted.status_code == 302
    video.refresh_from_db()
    assert video.captions.name.endswith("/teksting.vtt")


# The release page


def test_release_page_plays_the_video_with_its_captions(client):
    release = ReleaseFactory(published=True, language="nb")
    video = AttachmentFactory(release=release, video=True, title="Intervju")
    page = client.get(release.get_absolute_url()).content.decode()

    assert '<video controls preload="none"' in page
    assert f'poster="/images/{video.pk}/web/"' in page
    assert f'<source src="/files/{video.pk}/film.mp4" type="video/mp4">' in page
    assert (
        f'<track kind="captions" src="/files/{video.pk}/captions/film.vtt" srclang="nb" '
        'label="Norsk (bokmål)" default>'
    ) in page
    assert 'aria-label="Intervju"' in page


def test_captions_in_another_language_say_so():
    video = AttachmentFactory(release=ReleaseFactory(language="nb"), video=True, captions_language="en")

    assert (video.captions_srclang, video.captions_label) == ("en", "English")


def test_captions_are_served_as_webvtt(client):
    video = AttachmentFactory(release=ReleaseFactory(published=True), video=True)

    response = client.get(video.captions_url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response) == vtt_bytes()


def test_a_drafts_video_and_captions_are_not_public(client):
    video = AttachmentFactory(release=ReleaseFactory(), video=True)

    assert client.get(video.captions_url).status_code == 404
    assert client.get(video.get_absolute_url()).status_code == 404
    assert client.get(f"/images/{video.pk}/web/").status_code == 404


def test_captions_of_another_name_are_not_found(client):
    video = AttachmentFactory(release=ReleaseFactory(published=True), video=True)

    assert client.get(f"/files/{video.pk}/captions/other.vtt").status_code == 404


def test_the_video_is_served_with_its_type(client):
    video = AttachmentFactory(release=ReleaseFactory(published=True), video=True)

    response = client.get(video.get_absolute_url())

    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response) == mp4_bytes()


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-9", 0, 9), ("bytes=10-", 10, None), ("bytes=-16", -16, None), ("bytes=100-100000", 100, None)],
)
def test_the_video_is_served_in_the_byte_ranges_a_player_asks_for(client, header, start, end):
    video = AttachmentFactory(release=ReleaseFactory(published=True), video=True)
    content = mp4_bytes()
    expected = content[start : None if end is None else end + 1]
    first = start if start >= 0 else len(content) + start

    response = client.get(video.get_absolute_url(), HTTP_RANGE=header)

    assert response.status_code == 206
    assert body(response) == expected
    assert response["Content-Range"] == f"bytes {first}-{first + len(expected) - 1}/{len(content)}"
    assert response["Content-Length"] == str(len(expected))
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Disposition"] == 'attachment; filename="film.mp4"'


@pytest.mark.parametrize("header", ["bytes=5000-", "bytes=9-3", "bytes=-0"])
def test_a_range_outside_the_video_is_416(client, header):
    video = AttachmentFactory(release=ReleaseFactory(published=True), video=True)

    response = client.get(video.get_absolute_url(), HTTP_RANGE=header)

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(mp4_bytes())}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "items=0-9", "bytes=x-y", "bytes=-"])
def test_other_range_headers_get_the_whole_video(client, header):
    video = AttachmentFactory(release=ReleaseFactory(published=True), video=True)

    response = client.get(video.get_absolute_url(), HTTP_RANGE=header)

    assert response.status_code == 200
    assert body(response) == mp4_bytes()


def test_a_drafts_video_has_no_range_either(client):
    video = AttachmentFactory(release=ReleaseFactory(), video=True)

    assert client.get(video.get_absolute_url(), HTTP_RANGE="bytes=0-9").status_code == 404


def test_video_links_are_click_to_load_placeholders(client):
    release = ReleaseFactory(published=True, language="nb")
    VideoLinkFactory(release=release, title="Intervju med direktøren")
    VideoLinkFactory(release=release, provider="vimeo", video_id="76979871", title="Fra konferansen")

    response = client.get(release.get_absolute_url())
    page = response.content.decode()

    # Nothing on the page asks a provider for anything: no frame, no thumbnail, no script of theirs.
    assert "<iframe" not in page
    assert "ytimg.com" not in page and "vimeocdn.com" not in page
    assert 'data-embed-src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in page
    assert 'data-embed-src="https://player.vimeo.com/video/76979871?dnt=1"' in page
    assert "Spill av video fra YouTube" in page
    assert "Spill av video fra Vimeo" in page
    # Without script: a plain link to the video.
    assert 'href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in page
    assert 'href="https://vimeo.com/76979871"' in page
    assert '<script src="/static/pressroom/video.js" defer></script>' in page
    policy = response["Content-Security-Policy"]
    assert "frame-src https://player.vimeo.com https://www.youtube-nocookie.com" in policy


def test_pages_without_video_links_allow_no_frames(client):
    release = ReleaseFactory(published=True)
    AttachmentFactory(release=release, video=True)

    response = client.get(release.get_absolute_url())

    assert "frame-src" not in response["Content-Security-Policy"]
    assert "video.js" not in response.content.decode()
    home = client.get("/")
    assert "frame-src" not in home["Content-Security-Policy"]


def test_a_page_with_only_a_youtube_link_allows_only_youtubes_player(client):
    release = ReleaseFactory(published=True, language="en")
    VideoLinkFactory(release=release)

    response = client.get(release.get_absolute_url())

    assert "frame-src https://www.youtube-nocookie.com;" in response["Content-Security-Policy"] + ";"
    assert "Play video from YouTube" in response.content.decode()


def test_the_bulk_publish_action_refuses_a_captionless_video(admin_client):
    release = ReleaseFactory()
    AttachmentFactory(release=release, video=True, captions="")
    other = ReleaseFactory()

    response = admin_client.post(
        reverse("admin:newsroom_release_changelist"),
        {"action": "publish_now", "_selected_action": [release.pk, other.pk], "confirm": "1"},
        follow=True,
    )

    assert "has a video without captions" in response.content.decode()
    assert Release.objects.get(pk=release.pk).status == Release.Status.DRAFT
    assert Release.objects.get(pk=other.pk).status == Release.Status.PUBLISHED
