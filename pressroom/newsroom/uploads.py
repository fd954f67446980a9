"""Upload rules: allowlisted types recognised by content, a size limit, safe names (renditions.py makes
the renditions)."""

import hashlib
import os
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from . import office_documents
from .text import slugify

IMAGE_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
                 "WEBP": ("image/webp", "webp"), "GIF": ("image/gif", "gif")}  # fmt: skip


@dataclass
class Detected:
    kind: str  # "image" or "document"
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None


def max_upload_bytes():
    return settings.PRESSROOM_MAX_UPLOAD_MB * 1024 * 1024


def detect(upload):
    """Recognise an upload by its content; raise ValidationError with a clear message otherwise."""
    size = upload.size
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > max_upload_bytes():
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(size / 1024 / 1024, 1), "limit": settings.PRESSROOM_MAX_UPLOAD_MB},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<svg", b"<?xml")) or b"<svg" in stripped[:1024]:
        raise ValidationError(
            _("SVG and XML files are not accepted: they can carry scripts. Upload a PNG or PDF."),
            code="svg",
        )
    if head.startswith(b"%PDF-"):
        return Detected("document", "application/pdf", "pdf")
    if head.startswith(b"PK\x03\x04"):
        return _detect_zip(upload)
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")) or (
        head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    ):
        return _detect_image(upload)
    if head.startswith((b"\xd0\xcf\x11\xe0", b"MZ", b"\x7fELF")):
        raise ValidationError(_("This file type is not accepted."), code="type")
    if _looks_like_text(head) and os.path.splitext(upload.name)[1].lower() in (".txt", ".csv"):
        ext = os.path.splitext(upload.name)[1].lower().lstrip(".")
        return Detected("document", "text/csv" if ext == "csv" else "text/plain", ext)
    raise ValidationError(
        _(
            "This file type is not accepted. Images: JPEG, PNG, WebP, GIF. Documents: PDF, Word, "
            "Excel, PowerPoint, OpenDocument, plain text, CSV."
        ),
        code="type",
    )


def _looks_like_text(head):
    if b"\x00" in head or b"<" in head[:200]:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _detect_image(upload):
    Image.MAX_IMAGE_PIXELS = settings.PRESSROOM_MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                fmt = image.format
                width, height = image.size
                image.verify()
            # verify() does not decode the pixels: a truncated JPEG or GIF passes it and would then
            # break the renditions after the upload was accepted. Decode it once here instead.
            # A JPEG is decoded at 1/8 scale: every byte of its data is still read and decoded (a
            # truncated or damaged one fails as at full scale), without 40 megapixels in memory.
            upload.seek(0)
            with Image.open(upload) as image:
                if image.format == "JPEG":
                    image.draft(None, (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _("The image is too large in pixels; the limit is %(limit)s megapixels.")
            % {"limit": settings.PRESSROOM_MAX_IMAGE_PIXELS // 1_000_000},
            code="too_many_pixels",
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(_("The image is damaged or not an image."), code="broken") from None
    finally:
        upload.seek(0)
    if fmt not in IMAGE_FORMATS:
        raise ValidationError(_("This image format is not accepted."), code="type")
    content_type, ext = IMAGE_FORMATS[fmt]
    return Detected("image", content_type, ext, width, height)


def _detect_zip(upload):
    content_type, ext = office_documents.identify(upload)
    return Detected("document", content_type, ext)


def content_hash(upload):
    """The SHA-256 of UPLOAD's bytes, read in chunks."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def safe_filename(name, extension):
    """A readable, safe file name: no directories, no odd characters, the extension from the content."""
    base = os.path.splitext(os.path.basename(name.replace("\\", "/")))[0]
    base = slugify(base)[:80] or "file"
    return f"{base}.{extension}"


def upload_to(instance, filename):
    return f"attachments/{uuid.uuid4().hex}/{filename}"


def rendition_upload_to(instance, filename):
    return f"renditions/{uuid.uuid4().hex}/{filename}"
