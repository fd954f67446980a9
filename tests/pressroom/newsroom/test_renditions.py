"""Image renditions: made by the worker after the upload commits, thumbnails that crop only when the
editor says so (around the focal point), downloads in named sizes with descriptive names, no location in
anything public while the credit stays, WebP beside JPEG for pages, and the publication rule on all of it."""

import io
import re
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import override_settings
from PIL import ExifTags, Image

from pressroom.newsroom import renditions, tasks
from pressroom.newsroom.models import Attachment
from tests.factories import AttachmentFactory, ReleaseFactory

pytestmark = pytest.mark.django_db

RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (20, 200, 20)
GPS_XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>59,54.5N</exif:GPSLatitude></x:xmpmeta>'


def body(response):
    return b"".join(response.streaming_content)


def striped(width, height, fmt="JPEG", **save):
    """An image red at its left edge, blue at its right edge and green between: a cropped thumbnail
    loses the edges, a letterboxed one keeps them."""
    image = Image.new("RGB", (width, height), GREEN)
    edge = width // 10
    image.paste(RED, (0, 0, edge, height))
    image.paste(BLUE, (width - edge, 0, width, height))
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def located_jpeg(width=2000, height=1200):
    """A camera JPEG: credit in EXIF, the place it was taken in EXIF GPS and in XMP."""
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Kari Nordmann"
    exif[ExifTags.Base.Copyright] = "IMDi"
    exif[ExifTags.Base.Model] = "Kamera X"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (59.0, 54.0, 30.0),
    }
    return striped(width, height, exif=exif, xmp=GPS_XMP)


def image_of(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def upload(release=None, data=None, name="foto.jpg", **fields):
    return AttachmentFactory(
        release=release or ReleaseFactory(published=True, title="Tall om bosetting"),
        file=ContentFile(data or striped(1800, 1200), name=name),
        **fields,
    )


def stored(attachment, name, key="file"):
    with default_storage.open(attachment.renditions[name][key], "rb") as f:
        return f.read()


def test_renditions_are_made_by_the_worker_once_the_upload_commits(django_capture_on_commit_callbacks):
    release = ReleaseFactory(published=True)
    file = ContentFile(striped(900, 600), "a.jpg")
    attachment = Attachment(release=release, alt_text="Et bilde", file=file)

    with django_capture_on_commit_callbacks() as callbacks:
        attachment.save()
        # Nothing is made in the request: the row has no rendition until the task has run.
        assert Attachment.objects.get(pk=attachment.pk).renditions == {}
        assert not Attachment.objects.get(pk=attachment.pk).thumb

    for callback in callbacks:
        callback()
    made = Attachment.objects.get(pk=attachment.pk)
    assert set(made.renditions) == {"thumb", "web-480", "web-960", "web", "print", "original"}
    assert made.thumb.name == made.renditions["thumb"]["file"]
    assert made.web.name == made.renditions["web"]["file"]


def test_a_deleted_image_is_skipped_by_the_task():
    attachment = upload()
    attachment.delete()

    assert tasks.make_renditions(attachment.pk) is None


def test_a_thumbnail_shows_the_whole_image_unless_the_editor_asks_for_a_crop():
    chart = upload(data=striped(2400, 600))  # a wide chart: a 3:2 crop would cut off both edges

    with Image.open(io.BytesIO(stored(chart, "thumb"))) as thumb:
        assert thumb.size == renditions.THUMB_SIZE
        row = [thumb.getpixel((x, thumb.height // 2)) for x in range(thumb.width)]
        assert any(pixel[0] > 180 and pixel[2] < 80 for pixel in row)  # the red left edge
        assert any(pixel[2] > 180 and pixel[0] < 80 for pixel in row)  # the blue right edge
        assert thumb.getpixel((thumb.width // 2, 5)) == (255, 255, 255)  # letterboxed above

    photo = upload(data=striped(2400, 600), thumbnail=Attachment.Thumbnail.CROP)

    with Image.open(io.BytesIO(stored(photo, "thumb"))) as thumb:
        assert thumb.size == renditions.THUMB_SIZE
        row = [thumb.getpixel((x, thumb.height // 2)) for x in range(thumb.width)]
        assert not any(pixel[0] > 180 and pixel[2] < 80 for pixel in row)
        assert not any(pixel[2] > 180 and pixel[0] < 80 for pixel in row)


def near(pixel, colour):
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=True))


@pytest.mark.parametrize(("focal_x", "kept", "cut"), [(0.0, RED, BLUE), (1.0, BLUE, RED)])
def test_a_cropped_thumbnail_keeps_the_focal_point(focal_x, kept, cut):
    photo = upload(data=striped(3000, 500), thumbnail=Attachment.Thumbnail.CROP, focal_x=focal_x)

    with Image.open(io.BytesIO(stored(photo, "thumb"))) as thumb:
        row = [thumb.getpixel((x, thumb.height // 2)) for x in range(thumb.width)]
    assert any(near(pixel, kept) for pixel in row)
    assert not any(near(pixel, cut) for pixel in row)


def test_changing_the_thumbnail_choice_makes_the_renditions_again(django_capture_on_commit_callbacks):
    chart = upload(data=striped(2400, 600))
    before = chart.renditions["thumb"]["file"]

    chart.thumbnail = Attachment.Thumbnail.CROP
    with django_capture_on_commit_callbacks(execute=True):
        chart.save()

    after = Attachment.objects.get(pk=chart.pk)
    assert after.renditions["thumb"]["file"] != before
    assert after.thumb.name == after.renditions["thumb"]["file"]

    caption_only = Attachment.objects.get(pk=chart.pk)
    caption_only.caption = "Ny bildetekst."
    with django_capture_on_commit_callbacks(execute=True):
        caption_only.save()
    assert Attachment.objects.get(pk=chart.pk).renditions == after.renditions  # nothing made again


def test_the_focal_point_is_between_0_and_1():
    attachment = upload()
    attachment.focal_x = 1.5
    with pytest.raises(ValidationError) as error:
        attachment.full_clean()
    assert "focal_x" in error.value.message_dict


def test_no_rendition_carries_the_location_and_every_one_keeps_the_credit():
    photo = upload(data=located_jpeg(), credit="Foto: Kari Nordmann / IMDi")

    for name, entry in photo.renditions.items():
        for key in ("file", renditions.WEBP):
            if key not in entry:
                continue
            data = stored(photo, name, key)
            exif = image_of(data).getexif()
            assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}, (name, key)
            assert ExifTags.IFD.GPSInfo not in exif, (name, key)
            assert b"GPSLatitude" not in data, (name, key)
            assert b"Kamera X" not in data, (name, key)
            assert exif[ExifTags.Base.Artist] == "Kari Nordmann", (name, key)
            assert exif[ExifTags.Base.Copyright] == "IMDi", (name, key)


def test_the_editors_credit_is_written_where_the_file_has_none_in_utf_8():
    photo = upload(data=striped(900, 600), credit="Foto: Bjørn Ås / IMDi")

    for name, key in (("web", "file"), ("web", renditions.WEBP), ("original", "file")):
        exif = image_of(stored(photo, name, key)).getexif()
        # Pillow reads the ASCII tags as Latin-1; the bytes are the credit in UTF-8.
        assert exif[ExifTags.Base.Artist].encode("latin-1").decode() == "Foto: Bjørn Ås / IMDi", name
        assert exif[ExifTags.Base.Copyright].encode("latin-1").decode() == "Foto: Bjørn Ås / IMDi", name


def test_the_original_jpeg_download_has_its_own_pixels_without_the_location():
    original = located_jpeg()
    photo = upload(data=original)

    data = stored(photo, "original")

    sos = bytes([0xFF, 0xDA])
    assert data[data.index(sos) :] == original[original.index(sos) :]  # not re-encoded
    assert b"GPSLatitude" not in data and b"Kamera X" not in data
    assert image_of(data).getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert photo.renditions["original"]["width"] == 2000


def test_a_photo_taken_on_its_side_is_turned_upright_and_its_original_keeps_the_orientation():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # to be turned 90° clockwise
    photo = upload(data=striped(900, 600, exif=exif))

    assert image_of(stored(photo, "web")).size == (600, 900)
    assert ExifTags.Base.Orientation not in image_of(stored(photo, "web")).getexif()
    assert image_of(stored(photo, "original")).getexif()[ExifTags.Base.Orientation] == 6
    assert (photo.renditions["original"]["width"], photo.renditions["original"]["height"]) == (600, 900)


def test_downloads_come_in_named_sizes_with_descriptive_names(client):
    release = ReleaseFactory(published=True, title="Tall om bosetting")
    photo = upload(release=release, data=striped(5000, 3000), title="Søylediagram: bosetting 2025")

    sizes = {}
    for size in renditions.DOWNLOADS:
        response = client.get(f"/images/{photo.pk}/download/{size}/")
        assert response.status_code == 200, size
        assert response["Content-Disposition"] == (
            f'attachment; filename="tall-om-bosetting-soylediagram-bosetting-2025-{size}.jpg"'
        )
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "public, max-age=60"
        sizes[size] = image_of(body(response)).size

    assert sizes == {"web": (1600, 960), "print": (3840, 2304), "original": (5000, 3000)}
    assert client.get(f"/images/{photo.pk}/download/huge/").status_code == 404


def test_a_png_is_downloaded_as_png():
    photo = upload(data=striped(900, 600, fmt="PNG"), name="diagram.png", title="Diagram")

    assert photo.renditions["original"]["file"].endswith("-original.png")
    assert image_of(stored(photo, "original")).size == (900, 600)


def test_the_release_page_offers_webp_with_a_jpeg_fallback_and_srcset(client):
    release = ReleaseFactory(published=True)
    photo = upload(release=release, data=striped(2000, 1000))

    html = client.get(release.get_absolute_url()).content.decode()

    base = f"/images/{photo.pk}"
    assert re.search(
        rf'<source type="image/webp" srcset="{base}/web-480.webp/ 480w, {base}/web-960.webp/ 960w, '
        rf'{base}/web.webp/ 1600w" sizes="[^"]+">',
        html,
    )
    assert f'srcset="{base}/web-480/ 480w, {base}/web-960/ 960w, {base}/web/ 1600w"' in html
    assert f'<source type="image/webp" srcset="{base}/thumb.webp/">' in html
    for size in renditions.DOWNLOADS:
        assert f'href="{base}/download/{size}/"' in html
    for name in ("web.webp", "web-480", "thumb.webp"):
        response = client.get(f"{base}/{name}/")
        assert response.status_code == 200
        assert response["Content-Type"] == ("image/webp" if name.endswith("webp") else "image/jpeg")


def test_a_small_image_is_not_enlarged_and_listed_once_in_srcset():
    photo = upload(data=striped(400, 300))

    assert photo.srcset() == f"/images/{photo.pk}/web-480/ 400w"
    assert image_of(stored(photo, "print")).size == (400, 300)


def test_unpublished_renditions_and_downloads_follow_the_publication_rule(client, django_user_model):
    draft = upload(release=ReleaseFactory())
    urls = [f"/images/{draft.pk}/download/{size}/" for size in renditions.DOWNLOADS]
    urls += [f"/images/{draft.pk}/{name}/" for name in ("web.webp", "web-960", "thumb.webp")]

    for url in urls:
        assert client.get(url).status_code == 404, url

    staff = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_release"))
    client.force_login(staff)
    for url in urls:
        response = client.get(url)
        assert (response.status_code, response["Cache-Control"]) == (200, "private, no-store"), url


def test_unknown_names_and_formats_are_not_found(client):
    photo = upload()

    for name in ("print", "original", "web.png", "web.webp.webp", "thumb.avif", "..", "file"):
        assert client.get(f"/images/{photo.pk}/{name}/").status_code == 404, name


def test_a_large_jpeg_is_decoded_at_a_reduced_scale():
    data = striped(7728, 400, quality=70)

    image = renditions.decode(io.BytesIO(data), renditions.PRINT_EDGE)

    assert image.size == (3864, 200)  # drafted at 1/2 in the DCT, never decoded at full size


@override_settings(PRESSROOM_MAX_IMAGE_PIXELS=100_000)
def test_the_worker_refuses_decompression_bombs_as_uploads_do():
    with pytest.raises(Image.DecompressionBombError):
        renditions.decode(io.BytesIO(striped(1000, 500)))


def test_images_without_named_sizes_get_them_from_the_command():
    old = upload()
    Attachment.objects.filter(pk=old.pk).update(renditions={})  # as uploaded before the named sizes
    done = upload()
    before = done.renditions

    out = StringIO()
    call_command("make_renditions", "--dry-run", stdout=out)
    assert "1 images would get their renditions." in out.getvalue()
    assert Attachment.objects.get(pk=old.pk).renditions == {}

    out = StringIO()
    call_command("make_renditions", stdout=out)
    assert "Made the renditions of 1 images; 0 failed." in out.getvalue()
    assert set(Attachment.objects.get(pk=old.pk).renditions) == set(before)
    assert Attachment.objects.get(pk=done.pk).renditions == before
