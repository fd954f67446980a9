"""The media bank: an asset used by several releases is stored once, deleting one use leaves the others
whole, editors add an asset to another release from the admin, and the public media page and each asset's
own page follow the publication rule."""

import io
import os
import re
import zipfile
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import ExifTags, Image

from pressroom.newsroom import tasks
from pressroom.newsroom.models import Attachment, Release
from pressroom.newsroom.services import publish_release
from tests.factories import (
    AttachmentFactory,
    NewsroomFactory,
    ReleaseFactory,
    TopicFactory,
    pdf_bytes,
    png_bytes,
)

from .test_renditions import located_jpeg, striped

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


def body(response):
    return b"".join(response.streaming_content)


def stored_files(folder):
    """Every file under FOLDER in the media storage."""
    root = os.path.join(settings.MEDIA_ROOT, folder)
    return sorted(os.path.join(path, name) for path, _dirs, names in os.walk(root) for name in names)


def photo(release, data=None, name="foto.jpg", **fields):
    fields = {"title": "Bosetting i Bodø", "alt_text": "Folk på kaia.", "credit": "Foto: IMDi", **fields}
    return AttachmentFactory(
        release=release, file=ContentFile(data or striped(900, 600), name=name), **fields
    )


def html(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# Stored once, reused


def test_an_upload_identical_to_a_stored_one_reuses_its_file_and_renditions():
    data = striped(901, 600)
    first = photo(ReleaseFactory(published=True), data, name="foto.jpg")
    before = stored_files("attachments"), stored_files("renditions")

    second = photo(ReleaseFactory(published=True), data, name="samme-foto.jpg", title="Et annet navn")

    assert second.sha256 == first.sha256 and len(first.sha256) == 64
    assert second.file.name == first.file.name
    assert second.renditions == first.renditions and second.web.name == first.web.name
    assert (stored_files("attachments"), stored_files("renditions")) == before


def test_the_same_file_with_another_credit_shares_the_original_but_gets_its_own_renditions():
    data = striped(902, 600)
    first = photo(ReleaseFactory(published=True), data)
    originals = stored_files("attachments")

    second = photo(ReleaseFactory(published=True), data, credit="Foto: Kari Nordmann")

    assert second.file.name == first.file.name and stored_files("attachments") == originals
    assert second.renditions and second.renditions["web"]["file"] != first.renditions["web"]["file"]
    with default_storage.open(second.renditions["original"]["file"], "rb") as f:
        exif = Image.open(f).getexif()
    assert exif[ExifTags.Base.Artist] == "Foto: Kari Nordmann"


def test_different_files_are_stored_apart():
    first = photo(ReleaseFactory(published=True), striped(903, 600))
    second = photo(ReleaseFactory(published=True), striped(904, 600))

    assert first.sha256 != second.sha256 and first.file.name != second.file.name


def test_upload_rules_stay_as_strict_for_a_file_that_is_already_stored():
    release = ReleaseFactory()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for _ in range(2):
        with pytest.raises(ValidationError, match="SVG"):
            Attachment(release=release, file=ContentFile(svg, name="logo.svg"), alt_text="x").save()
    photo(release, png_bytes(40, 30), name="a.png")
    with pytest.raises(ValidationError, match="alt_text"):
        Attachment(release=release, file=ContentFile(png_bytes(40, 30), name="a.png")).save()
    assert Attachment.objects.count() == 1


def test_deleting_one_use_of_an_asset_leaves_the_other_whole(client):
    data = striped(905, 600)
    kept = photo(ReleaseFactory(published=True), data)
    gone = photo(ReleaseFactory(published=True), data)

    gone.delete()

    assert default_storage.exists(kept.file.name)
    for name in kept.stored_names():
        assert default_storage.exists(name), name
    for size in ("web", "print", "original"):
        assert client.get(f"/images/{kept.pk}/download/{size}/").status_code == 200, size


def test_new_renditions_for_one_use_do_not_delete_those_the_other_uses(django_capture_on_commit_callbacks):
    data = striped(906, 600)
    kept = photo(ReleaseFactory(published=True), data)
    changed = photo(ReleaseFactory(published=True), data)
    shared = kept.stored_names()

    changed.thumbnail = Attachment.Thumbnail.CROP
    with django_capture_on_commit_callbacks(execute=True):
        changed.save()
        tasks.make_renditions(changed.pk)
    changed.refresh_from_db()

    assert changed.renditions["thumb"]["file"] != kept.renditions["thumb"]["file"]
    for name in shared:
        assert default_storage.exists(name), name


# Adding an asset from the media bank in the admin


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("redaktor", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_release", "change_release", "add_attachment"])
    )
    return user


def test_an_editor_adds_an_asset_from_the_media_bank_to_another_release(client, editor):
    asset = photo(ReleaseFactory(published=True), title="Kaia i Bodø", licence="CC BY 4.0")
    release = ReleaseFactory(title="Ny sak")
    client.force_login(editor)
    url = f"/admin/newsroom/release/{release.pk}/media-bank/"

    page = html(client.get(url, {"q": "kaia"}))
    assert "Kaia i Bodø" in page and f'value="{asset.pk}"' in page
    assert "Kaia i Bodø" not in html(client.get(url, {"q": "finnes ikke"}))
    files = stored_files("attachments"), stored_files("renditions")
    response = client.post(url, {"asset": asset.pk})

    assert (
        response.status_code == 302
        and response["Location"] == f"/admin/newsroom/release/{release.pk}/change/"
    )
    added = release.attachments.get()
    assert (added.file.name, added.sha256, added.renditions) == (
        asset.file.name,
        asset.sha256,
        asset.renditions,
    )
    assert (added.title, added.alt_text, added.credit, added.licence, added.caption) == (
        asset.title, asset.alt_text, asset.credit, asset.licence, asset.caption,
    )  # fmt: skip
    assert (stored_files("attachments"), stored_files("renditions")) == files
    release.refresh_from_db()
    assert release.last_edited_by == editor
    # Twice is once.
    client.post(url, {"asset": asset.pk})
    assert release.attachments.count() == 1


def test_the_media_bank_refuses_bad_choices_and_staff_without_the_right(client, editor, django_user_model):
    release = ReleaseFactory()
    url = f"/admin/newsroom/release/{release.pk}/media-bank/"
    client.force_login(editor)
    for bad in ("", "abc", "999999", "1" * 40, "-1"):
        response = client.post(url, {"asset": bad})
        assert response.status_code == 302 and response["Location"] == url, bad
    assert not release.attachments.exists()
    assert client.get("/admin/newsroom/release/999999/media-bank/").status_code == 404

    viewer = django_user_model.objects.create_user("leser", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_release"))
    client.force_login(viewer)
    asset = photo(ReleaseFactory(published=True))
    assert client.get(url).status_code == 403
    assert client.post(url, {"asset": asset.pk}).status_code == 403
    assert not release.attachments.exists()


def test_the_release_form_links_to_the_media_bank(client, editor):
    release = ReleaseFactory()
    client.force_login(editor)
    page = html(client.get(f"/admin/newsroom/release/{release.pk}/change/"))
    assert f"/admin/newsroom/release/{release.pk}/media-bank/" in page


# The public media page


def test_the_media_page_lists_public_images_once_and_never_a_draft_or_embargoed_one(client):
    data = striped(907, 600)
    shared = photo(ReleaseFactory(published=True, title="Første"), data, title="Delt bilde")
    photo(ReleaseFactory(published=True, title="Andre"), data, title="Delt bilde")
    photo(ReleaseFactory(title="Utkast"), striped(908, 600), title="Hemmelig utkast")
    embargoed = photo(ReleaseFactory(scheduled=True), striped(909, 600), title="Under embargo")
    english = photo(ReleaseFactory(published=True, language="en"), striped(910, 600), title="English picture")

    page = html(client.get("/media/"))

    assert page.count(">Delt bilde</a>") == 1
    assert shared.get_media_url("nb") in page
    assert "Hemmelig utkast" not in page and "Under embargo" not in page and "English picture" not in page
    assert "English picture" in html(client.get("/en/media/"))
    assert client.get(embargoed.get_media_url("nb")).status_code == 404
    for url in (f"/images/{embargoed.pk}/download/original/", f"/files/{embargoed.pk}/{embargoed.filename}"):
        assert client.get(url).status_code == 404, url
    assert english.pk


def test_an_asset_becomes_public_when_a_release_using_it_is_published(
    client, django_capture_on_commit_callbacks
):
    data = striped(911, 600)
    draft = ReleaseFactory(title="Kommer snart")
    photo(draft, data, title="Snart offentlig")
    assert "Snart offentlig" not in html(client.get("/media/"))  # and now kept in the page cache

    with django_capture_on_commit_callbacks(execute=True):
        publish_release(release=draft)

    assert "Snart offentlig" in html(client.get("/media/"))


def test_tabs_are_links_and_say_which_is_current(client):
    release = ReleaseFactory(published=True)
    photo(release, title="Et bilde")
    AttachmentFactory(
        release=release, pdf=True, title="Årsrapport", file=ContentFile(pdf_bytes("år"), "r.pdf")
    )

    images = html(client.get("/media/"))
    documents = html(client.get("/media/documents/"))
    video = html(client.get("/media/video/"))

    assert '<a href="/media/" aria-current="page">' in images
    assert '<a href="/media/documents/" aria-current="page">' in documents
    assert '<a href="/media/video/" aria-current="page">' in video
    assert "Årsrapport" in documents and "Årsrapport" not in images and "Et bilde" not in documents
    assert "Et bilde" not in video and "Årsrapport" not in video
    assert '<a href="/nn/media/documents/"' in html(client.get("/nn/media/documents/")).replace(
        ' aria-current="page"', ""
    )
    assert client.get("/media/lyd/").status_code == 404


def test_the_video_tab_lists_attachments_of_kind_video_once_there_are_any(client):
    release = ReleaseFactory(published=True)
    clip = AttachmentFactory(release=release, pdf=True, title="Intervju med direktøren")
    # The kind video comes with video uploads; until then a row of that kind is made by hand.
    Attachment.objects.filter(pk=clip.pk).update(kind="video")

    assert "Intervju med direktøren" in html(client.get("/media/video/"))
    assert "Intervju med direktøren" not in html(client.get("/media/documents/"))
    page = html(client.get(f"/media/{clip.pk}/intervju-med-direktoren/"))
    assert f'href="/files/{clip.pk}/{clip.filename}"' in page


def test_a_document_used_twice_is_listed_once(client):
    content = pdf_bytes("Årsrapport")
    for title in ("Årsrapport 2024", "Årsrapport 2024"):
        AttachmentFactory(release=ReleaseFactory(published=True), pdf=True, title=title,
                          file=ContentFile(content, "arsrapport.pdf"))  # fmt: skip

    assert html(client.get("/media/documents/")).count(">Årsrapport 2024</a>") == 1


def test_filters_by_topic_and_year_and_ignore_what_they_do_not_know(client):
    climate, work = TopicFactory(name="Klima"), TopicFactory(name="Arbeid")
    old = ReleaseFactory(published=True, published_at=timezone.now() - timedelta(days=800), topics=[climate])
    new = ReleaseFactory(published=True, topics=[work])
    photo(old, striped(912, 600), title="Gammelt klimabilde")
    photo(new, striped(913, 600), title="Nytt arbeidsbilde")
    old_year = timezone.localtime(old.published_at).year

    by_topic = html(client.get("/media/", {"topic": climate.pk}))
    by_year = html(client.get("/media/", {"year": old_year}))
    both = html(client.get("/media/", {"topic": work.pk, "year": old_year}))

    assert "Gammelt klimabilde" in by_topic and "Nytt arbeidsbilde" not in by_topic
    assert "Gammelt klimabilde" in by_year and "Nytt arbeidsbilde" not in by_year
    assert "Gammelt klimabilde" not in both and "Nytt arbeidsbilde" not in both
    assert f'<option value="{climate.pk}" selected>Klima</option>' in by_topic
    for bad in ({"topic": "x"}, {"topic": "99999"}, {"year": "1066"}, {"year": "99999999999999999999"},
                {"topic": "1\x00"}, {"year": ["2020", "2021"]}):  # fmt: skip
        page = html(client.get("/media/", bad))
        assert "Gammelt klimabilde" in page and "Nytt arbeidsbilde" in page, bad
    assert client.get("/media/", {"page": "abc"}).status_code == 404
    assert client.get("/media/", {"page": "99"}).status_code == 404


def test_the_media_page_is_paginated(client, settings):
    settings.PRESSROOM_PAGE_SIZE = 2
    release = ReleaseFactory(published=True)
    for n in range(3):
        photo(release, striped(914 + n, 600), title=f"Bilde nummer {n}")

    first, second = html(client.get("/media/")), html(client.get("/media/", {"page": 2}))

    assert first.count('class="media__title"') == 2 and second.count('class="media__title"') == 1
    assert 'rel="next" href="?page=2"' in first


def test_each_asset_shows_thumbnail_title_credit_licence_and_downloads(client):
    asset = photo(ReleaseFactory(published=True), title="Kaia", credit="Foto: Ola", licence="CC BY 4.0")

    page = html(client.get("/media/"))

    assert f'src="/images/{asset.pk}/thumb/"' in page and f"/images/{asset.pk}/thumb.webp" in page
    assert "Foto: Ola" in page and "CC BY 4.0" in page
    for size in ("web", "print", "original"):
        assert f'href="/images/{asset.pk}/download/{size}/"' in page


def test_the_media_page_carries_feeds_hreflang_and_is_in_the_main_navigation(client):
    page = html(client.get("/nn/media/"))

    assert '<html lang="nn">' in page
    assert 'type="application/rss+xml"' in page and 'type="application/atom+xml"' in page
    for code, url in (("nb", "/media/"), ("nn", "/nn/media/"), ("en", "/en/media/")):
        assert f'hreflang="{code}" href="{settings.SITE_URL}{url}"' in page
    assert 'hreflang="x-default"' in page
    assert '<a href="/nn/media/">' in page and '<a href="/media/">' in html(client.get("/"))


def test_the_media_page_is_served_from_the_page_cache(client):
    photo(ReleaseFactory(published=True), title="Fra hurtigbufferen")
    first = client.get("/media/")
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/media/")
    assert len(queries) == 0 and second.content == first.content


# An asset's own page


def test_an_asset_page_shows_everything_about_it_and_the_public_releases_using_it(client):
    data = striped(920, 600)
    first = ReleaseFactory(published=True, title="Bosetting 2024")
    second = ReleaseFactory(published=True, title="Bosetting 2025")
    draft = ReleaseFactory(title="Hemmelig utkast")
    asset = photo(first, data, title="Kaia i Bodø", caption="Nye innbyggere.", alt_text="Folk på kaia.",
                  credit="Foto: IMDi", licence="CC BY 4.0")  # fmt: skip
    photo(second, data)
    photo(draft, data)

    page = html(client.get(f"/media/{asset.pk}/kaia-i-bodo/"))

    for text in ("Kaia i Bodø", "Nye innbyggere.", "Folk på kaia.", "Foto: IMDi", "CC BY 4.0"):
        assert text in page, text
    assert first.get_absolute_url() in page and second.get_absolute_url() in page
    assert "Hemmelig utkast" not in page
    for size in ("web", "print", "original"):
        assert f'href="/images/{asset.pk}/download/{size}/"' in page
    assert f'<link rel="canonical" href="{settings.SITE_URL}/media/{asset.pk}/kaia-i-bodo/">' in page
    assert f'<meta property="og:image" content="{settings.SITE_URL}/images/{asset.pk}/web/">' in page


def test_a_release_pages_images_lead_to_their_pages_in_the_media_bank(client, admin_client):
    release = ReleaseFactory(published=True, title="Tall om bosetting", language="nn")
    asset = photo(release, title="Kaia i Bodø")
    link = f'<a class="media__more" href="/nn/media/{asset.pk}/kaia-i-bodo/">Om biletet'

    assert link in html(client.get(release.get_absolute_url()))
    assert html(client.get(f"/nn/media/{asset.pk}/kaia-i-bodo/"))
    draft = ReleaseFactory(title="Utkast med bilete", language="nn")
    photo(draft, title="Ikkje enno")
    assert "media__more" not in html(admin_client.get(f"/preview/{draft.pk}/"))  # no public page yet


def test_an_asset_page_downloads_each_size_under_a_descriptive_name(client):
    release = ReleaseFactory(published=True, title="Tall om bosetting")
    asset = photo(release, title="Kaia i Bodø")
    html(client.get(asset.get_media_url("nb")))

    for size in ("web", "print", "original"):
        response = client.get(f"/images/{asset.pk}/download/{size}/")
        assert response.status_code == 200
        assert f'filename="{release.slug}-kaia-i-bodo-{size}.jpg"' in response["Content-Disposition"]


def test_an_asset_page_follows_the_publication_rule_and_its_address(client):
    draft = photo(ReleaseFactory(), title="Utkast")
    embargoed = photo(ReleaseFactory(scheduled=True), striped(921, 600), title="Embargo")
    public = photo(ReleaseFactory(published=True), striped(922, 600), title="Offentlig")
    document = AttachmentFactory(release=public.release, pdf=True, title="Rapport")

    assert client.get(f"/media/{draft.pk}/utkast/").status_code == 404
    assert client.get(f"/media/{embargoed.pk}/embargo/").status_code == 404
    assert client.get("/media/999999/x/").status_code == 404
    wrong = client.get(f"/media/{public.pk}/feil-navn/")
    assert (wrong.status_code, wrong["Location"]) == (301, f"/media/{public.pk}/offentlig/")
    # Only in the pressrooms of the languages of its releases.
    other = client.get(f"/en/media/{public.pk}/offentlig/")
    assert (other.status_code, other["Location"]) == (302, f"/media/{public.pk}/offentlig/")
    page = html(client.get(document.get_media_url("nb")))
    assert f'href="/files/{document.pk}/{document.filename}"' in page and "PDF" in page


# Location metadata on every public path


def located(release, **fields):
    return photo(release, located_jpeg(1600, 1000), name="kamera.jpg", **fields)


def assert_no_location(data):
    assert b"GPSLatitude" not in data and b"Kamera X" not in data
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert exif[ExifTags.Base.Copyright] == "IMDi"
    return image


def test_the_file_address_of_an_image_serves_it_without_its_location(client):
    asset = located(ReleaseFactory(published=True))
    with default_storage.open(asset.file.name, "rb") as f:
        assert b"GPSLatitude" in f.read()  # the upload itself, kept privately

    response = client.get(f"/files/{asset.pk}/{asset.filename}")

    assert response.status_code == 200
    assert f'filename="{asset.filename}"' in response["Content-Disposition"]
    assert assert_no_location(body(response)).size == (1600, 1000)


def test_every_download_of_an_image_is_without_its_location(client):
    asset = located(ReleaseFactory(published=True))
    for size in ("web", "print", "original"):
        response = client.get(f"/images/{asset.pk}/download/{size}/")
        assert_no_location(body(response))


def test_an_image_file_is_not_served_before_its_location_is_stripped(client):
    asset = located(ReleaseFactory(published=True))
    Attachment.objects.filter(pk=asset.pk).update(renditions={}, web="", thumb="")

    assert client.get(f"/files/{asset.pk}/{asset.filename}").status_code == 404


def test_the_press_kit_has_the_images_without_their_location(client, django_capture_on_commit_callbacks):
    release = ReleaseFactory(title="Med kart")
    release.status, release.published_at = Release.Status.DRAFT, None
    asset = located(release, title="Kaia")
    with django_capture_on_commit_callbacks(execute=True):
        publish_release(release=release)

    response = client.get(f"/releases/{release.slug}/presskit.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    names = [name for name in archive.namelist() if "/images/" in name]

    assert names == [f"{release.slug}/images/{asset.filename}"]
    assert assert_no_location(archive.read(names[0])).size == (1600, 1000)
    assert re.search(r"kamera\.jpg", archive.read(f"{release.slug}/CREDITS.txt").decode())
