"""What link previews show (OpenGraph, Twitter cards, the image of the JSON-LD): an image for every page.

A release shows its header image. Every other page, and a release without an image, shows the newsroom's
card: 1200×630, the size link previews are drawn at, made with Pillow from the logo (or, without one,
from the name on the accent colour, the newsroom's own where it has chosen one) once per name, logo and
colour and kept in storage under a name that changes with them, so a card is never drawn per request and
an edited profile gets a new address.
"""

import hashlib
import io
import mimetypes
import textwrap
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps

from . import brand
from .feeds import absolute

CARD_SIZE = (1200, 630)
CARD_TYPE = "image/png"
WHITE = (255, 255, 255)
LOCALES = {"nb": "nb_NO", "nn": "nn_NO", "en": "en_GB"}


@dataclass(frozen=True)
class PreviewImage:
    url: str
    width: int | None
    height: int | None
    content_type: str
    alt: str


def card_version(newsroom):
    """Changes whenever what the card shows changes: the name, the logo file and the accent colour."""
    source = f"{newsroom.name}\n{newsroom.logo.name if newsroom.logo else ''}"
    if newsroom.accent_color:
        source += f"\n{newsroom.accent_color}"
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def card_storage_name(version):
    return f"cards/newsroom-{version}.png"


def newsroom_card(newsroom):
    version = card_version(newsroom)
    url = absolute(reverse("pressroom:newsroom_card", kwargs={"version": version}))
    alt = _("The logo of %(name)s") % {"name": newsroom.name} if newsroom.logo else newsroom.name
    return PreviewImage(url, *CARD_SIZE, CARD_TYPE, alt)


def release_image(release, newsroom):
    """The release's header image (its web rendition), or the newsroom's card."""
    return attachment_image(release.header_image, newsroom)


def attachment_image(image, newsroom):
    """The web rendition of the attachment IMAGE (if it is an image that has one), or the newsroom's card."""
    if image and image.is_image and image.web:
        width, height = image_size(image.web.name)
        content_type = mimetypes.guess_type(image.web.name)[0] or "image/jpeg"
        return PreviewImage(
            absolute(image.get_rendition_url("web")), width, height, content_type, image.alt_text
        )
    return newsroom_card(newsroom)


def image_size(name):
    """(width, height) of a stored image, read from its header; (None, None) if it cannot be read."""
    try:
        with default_storage.open(name, "rb") as file, Image.open(file) as image:
            return image.size
    except (OSError, ValueError):
        return None, None


def ensure_card(newsroom):
    """The storage name of the newsroom's current card, drawn and saved if it is not there yet."""
    name = card_storage_name(card_version(newsroom))
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(draw_card(newsroom)))
        if saved != name:  # another process saved it meanwhile: keep theirs
            default_storage.delete(saved)
    return name


def draw_card(newsroom):
    """The card as PNG bytes: the logo centred on white, or the name in white on the accent colour."""
    logo = open_logo(newsroom)
    if logo is not None:
        card = Image.new("RGB", CARD_SIZE, WHITE)
        logo = ImageOps.contain(logo, (CARD_SIZE[0] - 200, CARD_SIZE[1] - 160))
        position = ((CARD_SIZE[0] - logo.width) // 2, (CARD_SIZE[1] - logo.height) // 2)
        card.paste(logo, position, logo)
    else:
        colours = newsroom.palette
        card = Image.new("RGB", CARD_SIZE, brand.rgb(colours.brand))
        draw = ImageDraw.Draw(card)
        font = ImageFont.load_default(size=72)
        lines = textwrap.wrap(newsroom.name, width=28)[:4]
        line_height = 90
        top = (CARD_SIZE[1] - line_height * len(lines)) // 2
        for number, line in enumerate(lines):
            draw.text(
                (CARD_SIZE[0] // 2, top + number * line_height),
                line,
                font=font,
                fill=brand.rgb(colours.on_brand),
                anchor="mt",
            )
    out = io.BytesIO()
    card.save(out, "PNG", optimize=True)
    return out.getvalue()


def open_logo(newsroom):
    if not newsroom.logo:
        return None
    try:
        with default_storage.open(newsroom.logo.name, "rb") as file, Image.open(file) as image:
            return image.convert("RGBA")
    except (OSError, ValueError):
        return None
