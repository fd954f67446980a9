"""Image renditions: the sizes that pages, feeds, emails and downloads use, made by a worker
(tasks.make_renditions) from the uploaded original, never in the request.

Every public rendition is written by us: the EXIF orientation applied, and of the metadata only the credit
(EXIF Artist and Copyright) and the colour profile kept, so that no location (GPS, XMP, IPTC) leaves the
newsroom. A large JPEG is decoded at a reduced scale (Pillow's draft mode decodes at 1/2, 1/4 or 1/8 in
the DCT), so a 40-megapixel photo never sits in memory at full size; the original download of a JPEG is
its own bytes with the metadata segments replaced, not decoded at all. Decompression bombs are refused
here as at upload (uploads.detect).
"""

import io
import math
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import ExifTags, Image, ImageOps

from .text import slugify

# The widths of the page renditions, for srcset; the largest is "web" (feeds, link previews, email).
PAGE_WIDTHS = {"web-480": 480, "web-960": 960, "web": 1600}
# Gallery thumbnails: 3:2, as the pages show them.
THUMB_SIZE = (720, 480)
# The long edge of the print (high resolution) download: 4K, 32 cm wide at 300 dpi.
PRINT_EDGE = 3840
# What a journalist may download, smallest first.
DOWNLOADS = ("web", "print", "original")
# The renditions a page may show; each also exists as WebP.
PAGE_RENDITIONS = ("thumb", *PAGE_WIDTHS)
WEBP = "webp"

# Background of a letterboxed thumbnail without transparency.
LETTERBOX = (255, 255, 255)
KEPT_TAGS = (ExifTags.Base.Artist, ExifTags.Base.Copyright)

# JPEG markers: start of image, start of scan, and the segments that carry metadata (APP1: EXIF and XMP,
# APP13: Photoshop and IPTC, COM: comments).
SOI, SOS, APP0 = 0xD8, 0xDA, 0xE0
METADATA_MARKERS = {0xE1, 0xED, 0xFE}


@dataclass
class Made:
    """One rendition: the JPEG (or PNG, with transparency) bytes, WebP bytes for pages, its size."""

    content: bytes
    extension: str
    width: int
    height: int
    webp: bytes | None = None


def decode(file, long_edge=None):
    """The image in FILE, decoded no larger than needed for LONG_EDGE where the format allows (JPEG),
    refusing decompression bombs as uploads.detect does."""
    Image.MAX_IMAGE_PIXELS = settings.PRESSROOM_MAX_IMAGE_PIXELS
    file.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(file)
        image.seek(0)
        if long_edge and image.format == "JPEG":
            scale = min(1.0, long_edge / max(image.size))
            image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        image.load()
    return image


def credit_exif(source_exif, credit="", *, keep_orientation=False):
    """EXIF with the credit only: the source's Artist and Copyright, or the editor's credit where the
    file has none. Nothing else, GPS least of all."""
    exif = Image.Exif()
    for tag in KEPT_TAGS:
        if source_exif.get(tag):
            exif[tag] = source_exif[tag]
    if credit:
        # UTF-8 in the ASCII tags, as exiftool and most readers take them: Pillow would write "Bjørn"
        # as "Bj?rn" from a str.
        exif.setdefault(ExifTags.Base.Artist, credit.encode())
        exif.setdefault(ExifTags.Base.Copyright, credit.encode())
    if keep_orientation and source_exif.get(ExifTags.Base.Orientation):
        exif[ExifTags.Base.Orientation] = source_exif[ExifTags.Base.Orientation]
    return exif


def has_alpha(image):
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def save(image, image_format, exif, icc, **options):
    out = io.BytesIO()
    if len(exif):
        options["exif"] = exif.tobytes()
    if icc:
        options["icc_profile"] = icc
    image.save(out, image_format, **options)
    return out.getvalue()


def encode(image, exif, icc, *, webp=False):
    """IMAGE as a Made: JPEG, or PNG where it has transparency; with WebP too if WEBP."""
    if image.mode == "RGBA":
        made = Made(save(image, "PNG", exif, icc, optimize=True), "png", image.width, image.height)
    else:
        content = save(image, "JPEG", exif, icc, quality=82, optimize=True, progressive=True)
        made = Made(content, "jpg", image.width, image.height)
    if webp:
        made.webp = save(image, "WEBP", exif, icc, quality=80, method=4)
    return made


def shrunk(image, width, height=None):
    """IMAGE no wider than WIDTH (and no higher than HEIGHT), never enlarged."""
    image = image.copy()
    image.thumbnail((width, height or width * 10), Image.Resampling.LANCZOS)
    return image


def thumbnail(image, crop, focal):
    """The 3:2 gallery thumbnail: cut around FOCAL (x, y in 0..1) if CROP, else the whole image
    letterboxed (and so an image smaller than the frame, which is never enlarged)."""
    if crop and image.width >= THUMB_SIZE[0] and image.height >= THUMB_SIZE[1]:
        return ImageOps.fit(image, THUMB_SIZE, Image.Resampling.LANCZOS, centering=focal)
    inner = shrunk(image, *THUMB_SIZE)
    framed = Image.new(inner.mode, THUMB_SIZE, (0, 0, 0, 0) if inner.mode == "RGBA" else LETTERBOX)
    framed.paste(inner, ((THUMB_SIZE[0] - inner.width) // 2, (THUMB_SIZE[1] - inner.height) // 2))
    return framed


def jpeg_without_metadata(data, exif):
    """The JPEG DATA with its EXIF, XMP, IPTC and comment segments replaced by EXIF: the same pixels, not
    decoded or re-encoded."""
    if data[:2] != bytes([0xFF, SOI]):
        raise ValueError("not a JPEG")
    kept, position = [], 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise ValueError("damaged JPEG header")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == SOS:
            break
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if marker not in METADATA_MARKERS:
            kept.append(data[position : position + 2 + length])
        position += 2 + length
    payload = exif.tobytes() if len(exif) else b""
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload if payload else b""
    first = 1 if kept and kept[0][1] == APP0 else 0  # EXIF goes after JFIF's APP0, as cameras write it
    return b"".join([data[:2], *kept[:first], segment, *kept[first:], data[position:]])


def displayed_size(image):
    """The size of IMAGE as shown, its EXIF orientation applied, read from the header alone."""
    turned = image.getexif().get(ExifTags.Base.Orientation) in (5, 6, 7, 8)
    return (image.height, image.width) if turned else image.size


def make_all(file, *, crop=False, focal=(0.5, 0.5), credit=""):
    """Every rendition of the image in FILE, by name: the page sizes and the thumbnail (with WebP), and
    the downloads "print" and "original" ("web" is the page's largest)."""
    image = decode(file, PRINT_EDGE)
    source_format = image.format
    source_exif = dict(image.getexif())  # a copy: exif_transpose below edits the image's own
    # A CMYK profile does not describe the RGB pixels written from it.
    icc = image.info.get("icc_profile") if image.mode != "CMYK" else None
    exif = credit_exif(source_exif, credit)
    # In place where Pillow allows: each copy of a drafted 40 MP photo is another 30 MB.
    ImageOps.exif_transpose(image, in_place=True)
    mode = "RGBA" if has_alpha(image) else "RGB"
    if image.mode != mode:
        image = image.convert(mode)

    made = {}
    if source_format == "JPEG":
        file.seek(0)
        data = jpeg_without_metadata(file.read(), credit_exif(source_exif, credit, keep_orientation=True))
        with Image.open(io.BytesIO(data)) as original:
            made["original"] = Made(data, "jpg", *displayed_size(original))
    else:
        # Other formats are decoded whole anyway; their original is that image, lossless.
        made["original"] = Made(save(image, "PNG", exif, icc), "png", image.width, image.height)
    image.thumbnail((PRINT_EDGE, PRINT_EDGE), Image.Resampling.LANCZOS)
    previous = image
    made["print"] = encode(previous, exif, icc)
    # Cut from the print size: a wide image may be too low for the frame once shrunk to a page width.
    made["thumb"] = encode(thumbnail(previous, crop, focal), exif, icc, webp=True)
    for name, width in sorted(PAGE_WIDTHS.items(), key=lambda item: -item[1]):
        previous = shrunk(previous, width)
        made[name] = encode(previous, exif, icc, webp=True)
    return made


def store(made, base):
    """Write MADE (make_all's renditions) to storage; the JSON the attachment keeps of them."""
    folder = f"renditions/{uuid.uuid4().hex}"
    stored = {}
    for name, rendition in made.items():
        entry = {"width": rendition.width, "height": rendition.height}
        entry["file"] = default_storage.save(
            f"{folder}/{base}-{name}.{rendition.extension}", ContentFile(rendition.content)
        )
        if rendition.webp is not None:
            entry[WEBP] = default_storage.save(f"{folder}/{base}-{name}.{WEBP}", ContentFile(rendition.webp))
        stored[name] = entry
    return stored


def stored_names(renditions):
    return [name for entry in renditions.values() for key, name in entry.items() if key in ("file", WEBP)]


def download_filename(release_slug, title, size, extension):
    """The descriptive name of a download: `<release-slug>-<title-slug>-<size>.<ext>`."""
    parts = [release_slug[:80], slugify(title)[:60], size]
    return "-".join(part for part in parts if part) + f".{extension}"
