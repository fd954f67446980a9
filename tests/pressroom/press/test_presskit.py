"""Press kits: what the ZIP holds, built when the release is published, cached, rebuilt when its content
changes, and never available before publication."""

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from pressroom.newsroom.models import Attachment, Release
from pressroom.newsroom.services import publish_release, unpublish_release
from pressroom.press import presskit
from pressroom.press.models import PressKit
from tests.factories import (
    AttachmentFactory,
    NewsroomFactory,
    ReleaseFactory,
    VideoLinkFactory,
    full_release,
    mp4_bytes,
    pdf_bytes,
    png_bytes,
    same_pixels,
    vtt_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def release():
    NewsroomFactory()
    release = full_release(language="en", title="Figures for 2023", body="<p>More people in work.</p>")
    # A second image with the same file name as the first.
    AttachmentFactory(
        release=release,
        file=ContentFile(png_bytes(30, 20, (0, 0, 200)), name="bilde.png"),
        title="Blått",
        credit="Foto: Kari Nordmann",
        licence="Alle rettigheter reservert",
        caption="Et blått bilde.",
    )
    return release


def publish(release, capture):
    with capture(execute=True):
        publish_release(release=release)
    release.refresh_from_db()
    return release


def download(client, release):
    response = client.get(f"/releases/{release.slug}/presskit.zip")
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_no_press_kit_before_publication(client, release):
    assert client.get(f"/releases/{release.slug}/presskit.zip").status_code == 404
    Release.objects.filter(pk=release.pk).update(
        status=Release.Status.SCHEDULED, published_at="2999-01-01T08:00Z"
    )
    assert client.get(f"/releases/{release.slug}/presskit.zip").status_code == 404
    assert presskit.build(release.pk) is None
    assert not PressKit.objects.exists()
    assert not default_storage.exists(f"presskits/{release.slug}-{presskit.fingerprint(release)[:12]}.zip")


def test_publishing_builds_the_kit(client, release, django_capture_on_commit_callbacks):
    publish(release, django_capture_on_commit_callbacks)

    kit = PressKit.objects.get(release=release)
    assert kit.fingerprint == presskit.fingerprint(release)
    assert default_storage.exists(kit.file.name)
    assert kit.size == default_storage.size(kit.file.name)


def test_the_kit_holds_the_release_images_in_original_size_credits_and_documents(
    client, release, django_capture_on_commit_callbacks
):
    publish(release, django_capture_on_commit_callbacks)

    response = client.get(f"/releases/{release.slug}/presskit.zip")

    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{release.slug}-presskit.zip"'
    assert response["Cache-Control"].startswith("public, max-age=")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    root = release.slug
    assert sorted(archive.namelist()) == sorted(
        [
            f"{root}/{root}.html",
            f"{root}/CREDITS.txt",
            f"{root}/images/bilde.png",
            f"{root}/images/bilde-2.png",
            f"{root}/documents/rapport.pdf",
        ]
    )
    assert archive.testzip() is None
    # The original size without metadata: the same pixels, not the same bytes.
    assert same_pixels(archive.read(f"{root}/images/bilde.png"), png_bytes())
    assert same_pixels(archive.read(f"{root}/images/bilde-2.png"), png_bytes(30, 20, (0, 0, 200)))
    assert archive.read(f"{root}/documents/rapport.pdf") == pdf_bytes()
    html = archive.read(f"{root}/{root}.html").decode()
    assert "<h1>Figures for 2023</h1>" in html
    assert "<p>More people in work.</p>" in html
    assert 'src="images/bilde-2.png" alt="Et rødt rektangel."' in html
    assert 'href="documents/rapport.pdf"' in html
    assert f"http://testserver/en/releases/{root}/" in html  # in the English pressroom
    credits = archive.read(f"{root}/CREDITS.txt").decode()
    blue = credits[credits.index("images/bilde-2.png") :]
    assert "Credit: Foto: Kari Nordmann" in blue
    assert "Licence: Alle rettigheter reservert" in blue
    assert "Caption: Et blått bilde." in blue
    assert "30 × 20 px" in blue
    first = credits[credits.index("images/bilde.png") : credits.index("images/bilde-2.png")]
    assert "Credit: Foto: IMDi" in first and "Licence: CC BY 4.0" in first
    assert "documents/rapport.pdf – Rapport" in credits


def test_the_kit_is_cached(client, release, django_capture_on_commit_callbacks):
    publish(release, django_capture_on_commit_callbacks)
    kit = PressKit.objects.get(release=release)

    download(client, release)
    download(client, release)

    again = PressKit.objects.get(release=release)
    assert (again.built_at, again.file.name) == (kit.built_at, kit.file.name)


def test_removing_an_image_rebuilds_the_kit_without_it(client, release, django_capture_on_commit_callbacks):
    publish(release, django_capture_on_commit_callbacks)
    old = PressKit.objects.get(release=release).file.name

    with django_capture_on_commit_callbacks(execute=True):
        Attachment.objects.get(release=release, title="Blått").delete()

    kit = PressKit.objects.get(release=release)
    assert kit.file.name != old
    assert not default_storage.exists(old)
    assert f"{release.slug}/images/bilde-2.png" not in download(client, release).namelist()


def test_adding_a_document_rebuilds_the_kit(client, release, django_capture_on_commit_callbacks):
    publish(release, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        AttachmentFactory(
            release=release, pdf=True, file=ContentFile(pdf_bytes("Vedlegg"), name="vedlegg.pdf")
        )

    assert PressKit.objects.get(release=release).fingerprint == presskit.fingerprint(release)
    assert f"{release.slug}/documents/vedlegg.pdf" in download(client, release).namelist()


def test_a_stale_kit_is_never_served(client, release, django_capture_on_commit_callbacks):
    publish(release, django_capture_on_commit_callbacks)
    # Changed behind the signals' back (a bulk update): the fingerprint still notices.
    Attachment.objects.filter(release=release, title="Blått").update(credit="Foto: NTB")

    credits = download(client, release).read(f"{release.slug}/CREDITS.txt").decode()

    assert "Foto: NTB" in credits
    assert "Kari Nordmann" not in credits


def test_unpublishing_takes_the_kit_away(client, release, django_capture_on_commit_callbacks):
    publish(release, django_capture_on_commit_callbacks)
    unpublish_release(release=release)
    assert client.get(f"/releases/{release.slug}/presskit.zip").status_code == 404


def test_the_release_page_links_to_the_kit_only_when_public(client, admin_client, release):
    preview = admin_client.get(f"/preview/{release.pk}/").content.decode()
    assert "presskit.zip" not in preview
    Release.objects.filter(pk=release.pk).update(
        status=Release.Status.PUBLISHED, published_at="2020-01-01T08:00Z"
    )
    page = client.get(release.get_absolute_url()).content.decode()
    assert f'href="/releases/{release.slug}/presskit.zip"' in page


def test_a_kit_without_images_says_so(client, django_capture_on_commit_callbacks):
    NewsroomFactory()
    release = publish(ReleaseFactory(language="en"), django_capture_on_commit_callbacks)
    credits = download(client, release).read(f"{release.slug}/CREDITS.txt").decode()
    assert "This release has no images." in credits


def test_deleting_a_release_deletes_its_kit(release, django_capture_on_commit_callbacks):
    publish(release, django_capture_on_commit_callbacks)
    name = PressKit.objects.get(release=release).file.name
    with django_capture_on_commit_callbacks(execute=True):
        release.delete()
    assert not default_storage.exists(name)


def test_the_kit_holds_videos_with_their_captions_beside_them(client, django_capture_on_commit_callbacks):
    NewsroomFactory()
    release = ReleaseFactory(language="en")
    AttachmentFactory(
        release=release, video=True, title="Interview", credit="Video: IMDi", licence="CC BY 4.0"
    )
    VideoLinkFactory(release=release, title="From the conference")
    publish(release, django_capture_on_commit_callbacks)

    archive = download(client, release)

    root = release.slug
    assert sorted(archive.namelist()) == sorted(
        [f"{root}/{root}.html", f"{root}/CREDITS.txt", f"{root}/videos/film.mp4", f"{root}/videos/film.vtt"]
    )
    assert archive.read(f"{root}/videos/film.mp4") == mp4_bytes()
    assert archive.read(f"{root}/videos/film.vtt") == vtt_bytes()
    assert archive.getinfo(f"{root}/videos/film.mp4").compress_type == zipfile.ZIP_STORED
    html = archive.read(f"{root}/{root}.html").decode()
    assert '<video controls preload="none" src="videos/film.mp4"' in html
    assert '<track kind="captions" src="videos/film.vtt" srclang="en" label="English" default>' in html
    assert '<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">From the conference</a> (YouTube)' in html
    credits = archive.read(f"{root}/CREDITS.txt").decode()
    assert "videos/film.mp4 (captions: videos/film.vtt)" in credits
    video = credits[credits.index("videos/film.mp4") :]
    assert "Title: Interview" in video and "Credit: Video: IMDi" in video and "Licence: CC BY 4.0" in video
    assert "From the conference (YouTube): https://www.youtube.com/watch?v=dQw4w9WgXcQ" in credits


def test_adding_a_video_link_rebuilds_the_kit(client, django_capture_on_commit_callbacks):
    NewsroomFactory()
    release = ReleaseFactory(language="en")
    publish(release, django_capture_on_commit_callbacks)
    old = PressKit.objects.get(release=release).fingerprint

    with django_capture_on_commit_callbacks(execute=True):
        VideoLinkFactory(release=release, title="From the conference")

    kit = PressKit.objects.get(release=release)
    assert kit.fingerprint != old
    assert (
        "From the conference"
        in download(client, release).read(f"{release.slug}/{release.slug}.html").decode()
    )
