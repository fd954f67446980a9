import io
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from PIL import Image

from pressroom.newsroom.models import Attachment
from tests.factories import AttachmentFactory, ReleaseFactory, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db

ODS = "application/vnd.oasis.opendocument.spreadsheet"


@pytest.fixture(autouse=True)
def _english():
    """Assert on the English source messages, whatever the default language's catalog says."""
    with translation.override("en"):
        yield


@pytest.fixture
def admin_client(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin_client


def image_bytes(width, height, fmt="PNG", mode="RGB"):
    out = io.BytesIO()
    color = (30, 90, 160, 128) if mode == "RGBA" else (30, 90, 160)
    Image.new(mode, (width, height), color).save(out, fmt)
    return out.getvalue()


def noisy_jpeg(width=200, height=150):
    """A JPEG whose data doesn't compress away, so that cutting it in half breaks the pixels."""
    pixels = bytes((x * 7 + y * 13) % 256 for y in range(height) for x in range(width * 3))
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), pixels).save(out, "JPEG", quality=95)
    return out.getvalue()


def png_claiming_size(width, height):
    """A small real PNG whose header declares WIDTH × HEIGHT (a decompression bomb's calling card)."""
    data = bytearray(png_bytes(4, 4))
    ihdr_start = 8 + 4  # signature, chunk length
    data[ihdr_start + 4 : ihdr_start + 12] = struct.pack(">II", width, height)
    chunk = bytes(data[ihdr_start : ihdr_start + 4 + 13])
    data[ihdr_start + 4 + 13 : ihdr_start + 4 + 13 + 4] = struct.pack(">I", zlib.crc32(chunk))
    return bytes(data)


def zip_bytes(files):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def upload_through_admin(client, release, name, content, **fields):
    """Post RELEASE's change form with one new attachment, as an editor's browser does."""
    data = {
        "title": release.title,
        "slug": release.slug,
        "kind": release.kind,
        "language": release.language,
        "lead": release.lead,
        "body": release.body,
        "translation_of": "",
        "attachments-TOTAL_FORMS": "1",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
        "attachments-0-file": SimpleUploadedFile(name, content),
        "attachments-0-title": fields.get("title", ""),
        "attachments-0-order": "0",
        "attachments-0-alt_text": fields.get("alt_text", "Et diagram."),
        "attachments-0-caption": "",
        "attachments-0-credit": "IMDi",
        "attachments-0-licence": "CC BY 4.0",
        "attachments-0-thumbnail": "contain",
        "attachments-0-focal_x": "0.5",
        "attachments-0-focal_y": "0.5",
        "video_links-TOTAL_FORMS": "0",
        "video_links-INITIAL_FORMS": "0",
        "video_links-MIN_NUM_FORMS": "0",
        "video_links-MAX_NUM_FORMS": "1000",
        "release_contacts-TOTAL_FORMS": "0",
        "release_contacts-INITIAL_FORMS": "0",
        "release_contacts-MIN_NUM_FORMS": "0",
        "release_contacts-MAX_NUM_FORMS": "1000",
    }
    data |= {
        f"attachments-0-{name}": value for name, value in fields.items() if name not in ("title", "alt_text")
    }
    return client.post(reverse("admin:newsroom_release_change", args=[release.pk]), data)


def inline_errors(response):
    """The errors of the first attachment form on a re-shown change form."""
    formset = next(f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "attachments")
    return formset.formset.forms[0].errors


REJECTED = [
    ("text-in-a-png.png", b"Just some text pretending to be an image.\n", "This file type is not accepted."),
    ("setup.png", b"MZ\x90\x00" + b"\x00" * 200, "This file type is not accepted."),
    ("program.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "This file type is not accepted."),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200, "This file type is not accepted."),
    ("page.txt", b"<html><script>alert(1)</script></html>", "This file type is not accepted."),
    (
        "logo.png",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "SVG and XML files are not accepted",
    ),
    ("logo.svg", b'<?xml version="1.0"?>\n<svg><circle r="4"/></svg>', "SVG and XML files are not accepted"),
    ("bilde.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 300, "The image is damaged or not an image."),
    ("half.jpg", noisy_jpeg()[:2500], "The image is damaged or not an image."),
    ("bomb.png", png_claiming_size(100_000, 100_000), "The image is too large in pixels"),
    ("archive.zip", zip_bytes({"evil.html": "<script>alert(1)</script>"}), "ZIP archives are not accepted"),
    ("report.docx", zip_bytes({"word/document.xml": "<w/>"}), "ZIP archives are not accepted"),
]


@pytest.mark.parametrize(("name", "content", "message"), REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected_upload_is_a_form_error_on_the_inline(admin_client, name, content, message):
    release = ReleaseFactory()

    response = upload_through_admin(admin_client, release, name, content)

    assert response.status_code == 200
    errors = inline_errors(response)
    assert list(errors) == ["file"]
    assert message in errors["file"][0]
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(("name", "content", "message"), REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected_upload_raises_on_a_direct_save(name, content, message):
    release = ReleaseFactory()

    with pytest.raises(ValidationError) as raised:
        Attachment.objects.create(release=release, file=ContentFile(content, name=name), alt_text="x")

    assert message in raised.value.message_dict["file"][0]
    assert not Attachment.objects.exists()


def test_empty_file_is_refused(admin_client):
    release = ReleaseFactory()

    response = upload_through_admin(admin_client, release, "tom.pdf", b"")

    assert inline_errors(response) == {"file": ["The submitted file is empty."]}
    with pytest.raises(ValidationError) as raised:
        Attachment.objects.create(release=release, file=ContentFile(b"", name="tom.pdf"))
    assert raised.value.message_dict == {"file": ["The file is empty."]}


@override_settings(PRESSROOM_MAX_UPLOAD_MB=1)
def test_oversize_upload_is_refused(admin_client):
    release = ReleaseFactory()
    big = pdf_bytes() + b"%" * (1024 * 1024)

    response = upload_through_admin(admin_client, release, "stor.pdf", big)

    assert inline_errors(response)["file"] == ["The file is 1.0 MB; the limit is 1 MB."]
    assert not Attachment.objects.exists()


@override_settings(PRESSROOM_MAX_UPLOAD_MB=1)
def test_upload_just_under_the_limit_is_accepted(admin_client):
    release = ReleaseFactory()
    content = pdf_bytes()
    content += b"%" * (1024 * 1024 - len(content))

    upload_through_admin(admin_client, release, "akkurat.pdf", content)

    assert Attachment.objects.get().size == 1024 * 1024


@override_settings(PRESSROOM_MAX_IMAGE_PIXELS=100)
@pytest.mark.parametrize("size", [(11, 10), (40, 40)], ids=["just-over", "far-over"])
def test_image_over_the_pixel_limit_is_refused(admin_client, size):
    release = ReleaseFactory()

    response = upload_through_admin(admin_client, release, "bilde.png", image_bytes(*size))

    assert "The image is too large in pixels" in inline_errors(response)["file"][0]


def test_alt_text_is_required_for_images(admin_client):
    release = ReleaseFactory()

    response = upload_through_admin(admin_client, release, "bilde.png", png_bytes(), alt_text="  ")

    assert inline_errors(response) == {"alt_text": ["Images need an alt text."]}
    with pytest.raises(ValidationError) as raised:
        Attachment.objects.create(release=release, file=ContentFile(png_bytes(), name="b.png"))
    assert raised.value.message_dict == {"alt_text": ["Images need an alt text."]}


def test_documents_need_no_alt_text(admin_client):
    release = ReleaseFactory()

    upload_through_admin(admin_client, release, "rapport.pdf", pdf_bytes(), alt_text="", title="Rapport")

    attachment = Attachment.objects.get()
    assert attachment.kind == Attachment.Kind.DOCUMENT
    assert attachment.content_type == "application/pdf"


def test_image_upload_through_the_admin_is_stored_with_its_details(admin_client):
    release = ReleaseFactory()

    response = upload_through_admin(admin_client, release, "Diagram 2023.PNG", image_bytes(300, 200))

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.kind == Attachment.Kind.IMAGE
    assert attachment.content_type == "image/png"
    assert (attachment.width, attachment.height) == (300, 200)
    assert attachment.filename == "diagram-2023.png"
    assert attachment.alt_text == "Et diagram."
    assert attachment.credit == "IMDi"


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\windows\\system32\\evil.png", "evil.png"),
        ("/absolute/path/x.png", "x.png"),
        ("Bilde av Ærlige Åse Øyen.png", "bilde-av-aerlige-ase-oyen.png"),
        ("<script>.png", "script.png"),
        ("....png", "png.png"),
        ("bilde.exe", "bilde.png"),
    ],
)
def test_stored_names_are_safe(name, stored):
    attachment = AttachmentFactory(file=ContentFile(png_bytes(), name=name))

    assert attachment.filename == stored
    parts = attachment.file.name.split("/")
    assert parts[0] == "attachments"
    assert len(parts) == 3
    assert ".." not in attachment.file.name
    assert "\\" not in attachment.file.name


def test_the_extension_comes_from_the_content():
    attachment = AttachmentFactory(file=ContentFile(pdf_bytes(), name="rapport.png"), alt_text="")

    assert attachment.kind == Attachment.Kind.DOCUMENT
    assert attachment.filename == "rapport.pdf"


def test_pdf_zip_polyglot_is_kept_only_as_a_pdf():
    content = pdf_bytes() + zip_bytes({"evil.html": "<script>alert(1)</script>"})

    attachment = AttachmentFactory(file=ContentFile(content, name="trick.zip"), alt_text="")

    assert attachment.content_type == "application/pdf"
    assert attachment.filename == "trick.pdf"


def test_image_with_a_zip_appended_is_served_re_encoded():
    content = png_bytes(50, 40) + zip_bytes({"evil.html": "<script>alert(1)</script>"})

    attachment = AttachmentFactory(file=ContentFile(content, name="bilde.png"))

    for rendition in (attachment.web, attachment.thumb):
        with rendition.open("rb") as f:
            assert b"evil.html" not in f.read()


@pytest.mark.parametrize(
    ("size", "web", "thumb"),
    [
        # Thumbnails are 3:2 frames (renditions.THUMB_SIZE), the whole image letterboxed in them.
        ((3000, 1000), (1600, 533), (720, 480)),
        ((1000, 2000), (1000, 2000), (720, 480)),
        ((300, 200), (300, 200), (720, 480)),
    ],
)
def test_renditions_have_the_expected_sizes(size, web, thumb):
    attachment = AttachmentFactory(file=ContentFile(image_bytes(*size, fmt="JPEG"), name="foto.jpg"))

    for field, expected in (("web", web), ("thumb", thumb)):
        rendition = getattr(attachment, field)
        assert rendition.name.startswith("renditions/")
        assert rendition.name.endswith(f"foto-{field}.jpg")
        with rendition.open("rb") as f, Image.open(f) as image:
            assert image.format == "JPEG"
            assert image.size == expected


def test_transparent_images_keep_their_transparency_in_renditions():
    attachment = AttachmentFactory(file=ContentFile(image_bytes(900, 300, mode="RGBA"), name="logo.png"))

    with attachment.thumb.open("rb") as f, Image.open(f) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        assert image.size == (720, 480)
        assert image.getpixel((0, 0))[3] == 0  # letterboxed in transparency


def test_renditions_are_stored_on_the_row():
    attachment = AttachmentFactory()

    stored = Attachment.objects.get(pk=attachment.pk)
    assert stored.web.name == attachment.web.name
    assert stored.thumb.name == attachment.thumb.name
    assert stored.web.name != stored.thumb.name


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("notat.txt", "Notat fra Tromsø.\n".encode(), "text/plain"),
        ("tall.csv", b"fylke;andel\nNordland;61\n", "text/csv"),
        ("rapport.docx", zip_bytes({"[Content_Types].xml": "<x/>", "word/document.xml": "<w/>"}),
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("tabell.ods", zip_bytes({"mimetype": ODS, "content.xml": "<x/>"}), ODS),
    ],
)  # fmt: skip
def test_allowed_documents_are_recognised(name, content, content_type):
    attachment = AttachmentFactory(file=ContentFile(content, name=name), alt_text="")

    assert attachment.kind == Attachment.Kind.DOCUMENT
    assert attachment.content_type == content_type
    assert attachment.filename == name
