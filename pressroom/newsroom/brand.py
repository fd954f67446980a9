"""The newsroom's brand: its accent colour with the colours derived from it, and the images made from its
logo, its cover image and the contacts' photos.

The accent colour is kept as the editor chose it for surfaces (the band of the page header and the
email header), with black or white text on it, whichever contrasts more: one of them always reaches
4.5:1 (WCAG 2.1 AA). Links and buttons need 4.5:1 against white and the pages' light grey panels as well
(white text on a button is the same pair): a colour too light for that is darkened step by step until it
reaches it, and the editor is told which shade is used.

The images are made by the worker (tasks.make_brand_renditions, tasks.make_contact_photo) from the
uploads, decoded in a bounded way (renditions.decode), and served by views.brand_image and
views.contact_photo: a logo for the page header and one for emails (PNG or JPEG, which every mail
program shows), the favicon and touch icon, the cover in page widths as JPEG and WebP, and a square
photo per contact.
"""

import re
from dataclasses import dataclass

from PIL import Image, ImageOps

from . import renditions

HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})\Z")
# How a colour is stored: normalized.
STORED = r"\A#[0-9a-f]{6}\Z"
WHITE, BLACK = "#ffffff", "#000000"
AA = 4.5
# The site's own colours (site.css), used when the editor has chosen none.
DEFAULT_ACCENT = "#0b57a4"
# The darkest of the light backgrounds links are shown on (site.css --surface: panels, "About us").
LIGHT_SURFACE = "#f4f6f8"
# The surface of emails in dark mode, and the text on it.
DARK_SURFACE, DARK_TEXT = "#1b1f24", "#e8eaed"

# Logo: 40 px high in the page header, at most 56 × 200 px in emails; made at twice that for sharp
# screens. Icons: the favicon and the touch icon.
LOGO_HEIGHT, EMAIL_LOGO_BOX = 40, (200, 56)
ICON_SIZES = {"icon-32": 32, "icon-180": 180}
ICON_USES = {"icon-32": "small", "icon-180": "touch"}
# The cover in page widths (the largest for wide screens at twice the density of 800 px).
COVER_WIDTHS = {"cover-480": 480, "cover-960": 960, "cover-1600": 1600}
# A contact's photo: a square, 88 px on the page, made at twice that.
PHOTO_SIZE, PHOTO_NAME = 88, "square"
# Faces are usually above the middle of a portrait: a square crop keeps the upper part.
PHOTO_CENTRE = (0.5, 0.35)
# The names views.brand_image serves (each cover width also as WebP).
NEWSROOM_IMAGES = ("logo", "logo-email", *ICON_SIZES, *COVER_WIDTHS)


# Colours


def normalize(value):
    """VALUE as #rrggbb in lower case ("#AbC", "abc" and "#aabbcc" alike); ValueError if it is not a hex
    colour."""
    match = HEX.match(value.strip())
    if not match:
        raise ValueError(value)
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return f"#{digits}"


def rgb(colour):
    return tuple(int(colour[index : index + 2], 16) for index in (1, 3, 5))


def to_hex(channels):
    return "#" + "".join(f"{max(0, min(255, round(channel))):02x}" for channel in channels)


def luminance(colour):
    """Relative luminance (WCAG 2.1)."""

    def linear(channel):
        channel /= 255
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first, second):
    """The contrast ratio of two colours (WCAG 2.1), from 1 to 21."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(background):
    """Black or white, whichever contrasts more with BACKGROUND: at least 4.58:1 whatever it is."""
    return WHITE if contrast(background, WHITE) >= contrast(background, BLACK) else BLACK


def mix(colour, toward, amount):
    """COLOUR moved AMOUNT (0..1) of the way to TOWARD."""
    return to_hex(a + (b - a) * amount for a, b in zip(rgb(colour), rgb(toward), strict=True))


def readable_on(colour, background, minimum=AA):
    """COLOUR, or the nearest shade of it (towards black on a light background, towards white on a dark
    one) that has at least MINIMUM contrast with BACKGROUND."""
    toward = BLACK if luminance(background) > 0.18 else WHITE
    step = 0
    shade = colour
    while contrast(shade, background) < minimum and step < 100:
        step += 1
        shade = mix(colour, toward, step / 100)
    return shade


@dataclass(frozen=True)
class Palette:
    """The colours of a brand, each pair that carries text at 4.5:1 or more."""

    brand: str  # as chosen: the header band of pages and emails
    on_brand: str  # text on the band
    accent: str  # links on white and light grey; buttons with white text
    accent_dark: str  # hover; text on accent_soft
    accent_soft: str  # tinted backgrounds (topics, the sign-up box), with links in accent on them
    accent_on_dark: str  # links in emails read in dark mode

    @property
    def adjusted(self):
        """Whether links and buttons use a darker shade than the colour chosen."""
        return self.accent != self.brand

    def css(self):
        """The custom properties of site.css that the brand sets."""
        return (
            f"--brand: {self.brand}; --on-brand: {self.on_brand}; --accent: {self.accent}; "
            f"--accent-dark: {self.accent_dark}; --accent-soft: {self.accent_soft};"
        )


def palette(accent_color=""):
    """The palette of ACCENT_COLOR (#rrggbb), or of the site's own accent when there is none (or it is
    not a colour: model validation keeps such a value out, and a page never fails on it)."""
    try:
        brand = normalize(accent_color) if accent_color else DEFAULT_ACCENT
    except ValueError:
        brand = DEFAULT_ACCENT
    accent = readable_on(brand, LIGHT_SURFACE)  # and so on white as well
    soft = readable_on(mix(accent, WHITE, 0.9), accent)  # links in accent sit on it too (the sign-up box)
    return Palette(
        brand=brand,
        on_brand=text_on(brand),
        accent=accent,
        accent_dark=readable_on(mix(accent, BLACK, 0.25), soft),
        accent_soft=soft,
        accent_on_dark=readable_on(brand, DARK_SURFACE),
    )


# Images


def _opened(file, long_edge):
    """The image in FILE, bounded as renditions.decode is, upright, in RGB or RGBA."""
    image = renditions.decode(file, long_edge)
    ImageOps.exif_transpose(image, in_place=True)
    mode = "RGBA" if renditions.has_alpha(image) else "RGB"
    return image if image.mode == mode else image.convert(mode)


def _encode(image, *, webp=False):
    # Nothing of the upload's metadata is kept: a logo or a portrait needs no EXIF, and GPS must not leave.
    return renditions.encode(image, Image.Exif(), None, webp=webp)


def _square(image, size, background):
    """IMAGE whole, centred on a SIZE square (transparent, or BACKGROUND where given)."""
    inner = ImageOps.contain(image, (size, size), Image.Resampling.LANCZOS)
    fill = (0, 0, 0, 0) if background is None else (*background, 255)
    square = Image.new("RGBA", (size, size), fill)
    square.paste(inner, ((size - inner.width) // 2, (size - inner.height) // 2), inner.convert("RGBA"))
    return square if background is None else square.convert("RGB")


def logo_renditions(file):
    """The logo for the page header (twice 40 px high), for emails (within twice 200 × 56) and the icons:
    a transparent 32 px favicon, and a 180 px touch icon on white (systems fill transparency black)."""
    image = _opened(file, 1024)
    made = {
        "logo": _encode(renditions.shrunk(image, LOGO_HEIGHT * 12, LOGO_HEIGHT * 2)),
        "logo-email": _encode(renditions.shrunk(image, EMAIL_LOGO_BOX[0] * 2, EMAIL_LOGO_BOX[1] * 2)),
    }
    for name, size in ICON_SIZES.items():
        made[name] = _encode(_square(image, size, None if size <= 32 else (255, 255, 255)))
    return made


def cover_renditions(file):
    """The cover in each page width, JPEG (PNG with transparency) and WebP, never enlarged."""
    image = _opened(file, max(COVER_WIDTHS.values()))
    made, previous = {}, image
    for name, width in sorted(COVER_WIDTHS.items(), key=lambda item: -item[1]):
        previous = renditions.shrunk(previous, width)
        made[name] = _encode(previous, webp=True)
    return made


def photo_renditions(file):
    """A contact's photo as a square, twice the size shown, JPEG and WebP."""
    image = _opened(file, PHOTO_SIZE * 4)
    side = PHOTO_SIZE * 2
    if image.width >= side and image.height >= side:
        square = ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS, centering=PHOTO_CENTRE)
    else:
        square = _square(image, side, (244, 246, 248))  # a small photo is framed, not enlarged
    return {PHOTO_NAME: _encode(square, webp=True)}


@dataclass(frozen=True)
class Picture:
    """A brand image as a page or an email shows it: its address, the size it is shown at, and the
    srcsets of a responsive one."""

    url: str
    width: int
    height: int
    srcset: str = ""
    srcset_webp: str = ""
