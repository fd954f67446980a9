"""Upload rules: allowlisted types recognised by content, a size limit, safe names (renditions.py makes
the renditions). Videos are MP4 or WebM, recognised by their container's structure, with a limit of
their own; their captions are WebVTT text."""

import hashlib
import os
import re
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


# MP4 brands of video files (ISO base media, MP4 v1 and v2, H.264, Apple's M4V, DASH); QuickTime,
# audio-only and still-image brands are not videos a browser plays.
MP4_BRANDS = {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1",
              b"M4V ", b"dash", b"mmp4", b"msnv"}  # fmt: skip
MP4_BOX_TYPE = re.compile(rb"[A-Za-z0-9 ]{4}")
MP4_MAX_BOXES = 10_000
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
EBML_DOCTYPE, MATROSKA_SEGMENT = 0x4282, 0x18538067
# WebVTT: the signature line, and at least one cue timing line ("00:01.000 --> 00:04.000").
WEBVTT_SIGNATURE = re.compile(r"WEBVTT(?:[ \t][^\r\n]*)?(?:\r\n|\r|\n|\Z)")
WEBVTT_TIMING = re.compile(
    r"^(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}[ \t]+-->[ \t]+(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}", re.MULTILINE
)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Detected:
    kind: str  # "image", "document" or "video"
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None


def max_upload_bytes():
    return settings.PRESSROOM_MAX_UPLOAD_MB * 1024 * 1024


def max_video_bytes():
    return settings.PRESSROOM_MAX_VIDEO_MB * 1024 * 1024


def max_request_bytes():
    """The largest upload of any kind: what a request may carry before its content is known."""
    return max(max_upload_bytes(), max_video_bytes())


def _is_video(head):
    return head[4:8] == b"ftyp" or head.startswith(EBML_MAGIC)


def limit_for(upload):
    """The size limit in bytes for UPLOAD: a video's (by its first bytes) or any other file's."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return max_video_bytes() if _is_video(head) else max_upload_bytes()


def detect(upload):
    """Recognise an upload by its content; raise ValidationError with a clear message otherwise."""
    size = upload.size
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    limit = settings.PRESSROOM_MAX_VIDEO_MB if _is_video(head) else settings.PRESSROOM_MAX_UPLOAD_MB
    if size > limit * 1024 * 1024:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(size / 1024 / 1024, 1), "limit": limit},
            code="too_large",
        )
    if head[4:8] == b"ftyp":
        return _detect_mp4(upload, size)
    if head.startswith(EBML_MAGIC):
        return _detect_webm(head)
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
            "This file type is not accepted. Images: JPEG, PNG, WebP, GIF. Videos: MP4, WebM. Documents: "
            "PDF, Word, Excel, PowerPoint, OpenDocument, plain text, CSV."
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


def _broken_video():
    return ValidationError(_("The video is damaged or not an MP4 or WebM video."), code="broken")


def _detect_mp4(upload, size):
    """An MP4 is a chain of boxes from the first byte to the last: a file type box with a video brand,
    then (among others) the movie header ("moov") and the media data ("mdat"). Walking the chain reads a
    few bytes per box, not the media."""
    position, seen = 0, set()
    try:
        while position < size:
            if len(seen) > MP4_MAX_BOXES:
                raise _broken_video()
            upload.seek(position)
            header = upload.read(16)
            if len(header) < 8:
                raise _broken_video()
            box_size, box_type = int.from_bytes(header[:4], "big"), header[4:8]
            if box_size == 1 and len(header) == 16:
                box_size = int.from_bytes(header[8:16], "big")
            elif box_size == 0:
                box_size = size - position
            if not MP4_BOX_TYPE.fullmatch(box_type) or box_size < 8 or position + box_size > size:
                raise _broken_video()
            if position == 0:
                upload.seek(0)
                ftyp = upload.read(min(box_size, 256))
                brands = {ftyp[8:12], *(ftyp[i : i + 4] for i in range(16, len(ftyp) - 3, 4))}
                if not brands & MP4_BRANDS:
                    raise ValidationError(
                        _("This video format is not accepted. Upload MP4 or WebM."), code="type"
                    )
            seen.add(box_type)
            position += box_size
    finally:
        upload.seek(0)
    if not {b"moov", b"mdat"} <= seen:
        raise _broken_video()
    return Detected("video", "video/mp4", "mp4")


def _ebml_number(data, position, *, keep_marker=False):
    """The EBML variable-length number at POSITION in DATA (an element id keeps its length marker) and
    the position after it."""
    first = data[position]
    length, mask = 1, 0x80
    while length <= 8 and not first & mask:
        length, mask = length + 1, mask >> 1
    if length > 8 or position + length > len(data):
        raise _broken_video()
    value = first if keep_marker else first & (mask - 1)
    for byte in data[position + 1 : position + length]:
        value = value << 8 | byte
    return value, position + length


def _detect_webm(head):
    """A WebM file opens with an EBML header whose document type is "webm", then the Matroska segment."""
    try:
        _id, position = _ebml_number(head, 0, keep_marker=True)
        header_size, position = _ebml_number(head, position)
        end, doctype = position + header_size, None
        if end > len(head):
            raise _broken_video()
        while position < end:
            element, position = _ebml_number(head, position, keep_marker=True)
            length, position = _ebml_number(head, position)
            if element == EBML_DOCTYPE:
                doctype = head[position : position + length]
            position += length
        segment, _position = _ebml_number(head, end, keep_marker=True)
    except IndexError:
        raise _broken_video() from None
    if doctype != b"webm":
        raise ValidationError(_("This video format is not accepted. Upload MP4 or WebM."), code="type")
    if segment != MATROSKA_SEGMENT:
        raise _broken_video()
    return Detected("video", "video/webm", "webm")


def check_captions(upload):
    """Check that UPLOAD is a WebVTT captions file: UTF-8 text that starts with "WEBVTT" and has cues,
    within PRESSROOM_MAX_CAPTIONS_KB; return its extension. Raise ValidationError with a clear message
    otherwise."""
    limit = settings.PRESSROOM_MAX_CAPTIONS_KB
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if upload.size > limit * 1024:
        raise ValidationError(
            _("The captions file is %(size)s kB; the limit is %(limit)s kB.")
            % {"size": round(upload.size / 1024), "limit": limit},
            code="too_large",
        )
    upload.seek(0)
    data = upload.read(limit * 1024 + 1)
    upload.seek(0)
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ValidationError(_("Captions must be a WebVTT text file in UTF-8."), code="encoding") from None
    if not WEBVTT_SIGNATURE.match(text):
        raise ValidationError(
            _("This is not a WebVTT file: its first line must be “WEBVTT”."), code="signature"
        )
    if CONTROL_CHARACTERS.search(text):
        raise ValidationError(_("Captions must be a WebVTT text file in UTF-8."), code="binary")
    if not WEBVTT_TIMING.search(text):
        raise ValidationError(
            _("The captions file has no cues (lines such as “00:00.000 --> 00:04.000”)."), code="no_cues"
        )
    return "vtt"


def check_poster(upload):
    """Check that UPLOAD is an image by the rules for images; return its extension."""
    detected = detect(upload)
    if detected.kind != "image":
        raise ValidationError(_("The poster must be an image: JPEG, PNG, WebP or GIF."), code="type")
    return detected.extension


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
