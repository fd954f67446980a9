"""The brand header of every email: the accent colour and the logo, built for Outlook (tables with width,
bgcolor and image size attributes) and for dark mode (colour-scheme metadata and rules that keep the logo
on a white plate and the text readable)."""

import re

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from pressroom.newsroom import brand
from pressroom.newsroom.models import Newsroom
from subscriptions import emails
from subscriptions.release_email import ReleaseMessage
from tests.factories import NewsroomFactory, ReleaseFactory, png_bytes

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def confirmation_html():
    return emails.confirmation_message(SubscriberFactory(pending=True)).alternatives[0][0]


def digest_html():
    release = ReleaseFactory(published=True)
    message = emails.digest_message(SubscriberFactory(), [release], frequency="daily")
    return message.alternatives[0][0]


def release_html():
    return ReleaseMessage(ReleaseFactory(published=True, published_at=timezone.now())).html


KINDS = {"confirmation": confirmation_html, "digest": digest_html, "release": release_html}


def band(html):
    """The brand header: its table's start tag and its content."""
    return re.search(r'<table class="brand-band".*?</table>\s*(?=<div class="wrap")', html, re.S)


def tag(html, start):
    """The first start tag in HTML that begins with START, as a dict of its attributes."""
    found = re.search(re.escape(start) + r"[^>]*>", html).group(0)
    return dict(re.findall(r'([\w-]+)="([^"]*)"', found))


def light(html):
    """HTML without the style element of the dark mode."""
    return re.sub(r'<style data-css-inline="keep">.*?</style>', "", html, flags=re.S)


@pytest.fixture
def branded(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return NewsroomFactory(
            accent_color="#ffd700", logo=ContentFile(png_bytes(1200, 300), name="logo.png")
        )


@pytest.mark.parametrize("kind", KINDS)
def test_every_email_has_the_brand_header_as_an_outlook_safe_table(branded, kind):
    html = KINDS[kind]()

    header = band(html).group(0)
    table = tag(header, '<table class="brand-band"')
    assert {name: table[name] for name in ("role", "align", "width", "cellpadding", "border", "bgcolor")} == {
        "role": "presentation", "align": "center", "width": "600", "cellpadding": "0", "border": "0",
        "bgcolor": "#ffd700",
    }  # fmt: skip
    assert (
        "width: 100%; max-width: 600px" in table["style"]
    )  # 600 px in Outlook, the phone's width on a phone
    # The logo: by absolute address, with its size as attributes, on a white plate (a cell with bgcolor).
    assert tag(header, '<td class="brand-plate"')["bgcolor"] == "#ffffff"
    logo = tag(header, '<img class="brand-logo"')
    assert (logo["src"], logo["width"], logo["height"], logo["alt"]) == (
        "http://testserver/brand/logo-email/", "200", "50", "Integrerings- og mangfoldsdirektoratet",
    )  # fmt: skip
    assert "background-image" not in html and "url(" not in html  # no background only CSS can draw
    # Outlook on Windows ignores max-width: a 600 px table holds the whole message there.
    assert html.count("<!--[if mso]>") == 2


@pytest.mark.parametrize("kind", KINDS)
def test_every_email_declares_both_colour_schemes_and_keeps_the_logo_readable_in_dark_mode(branded, kind):
    html = KINDS[kind]()
    palette = brand.palette("#ffd700")

    assert '<meta name="color-scheme" content="light dark">' in html
    assert '<meta name="supported-color-schemes" content="light dark">' in html
    dark = re.search(r"@media \(prefers-color-scheme: dark\) \{(.*?)\n\}", html, re.S).group(1)
    assert ".brand-plate { background-color: #ffffff !important; }" in dark
    assert f".brand-band {{ background-color: {palette.brand} !important; }}" in dark
    assert f".wrap a {{ color: {palette.accent_on_dark} !important; }}" in dark
    assert ".wrap { background-color: #1b1f24 !important; color: #e8eaed !important; }" in dark
    # Outlook.com marks its dark mode with data-ogsc instead of the media query.
    assert "[data-ogsc] .brand-plate { background-color: #ffffff !important; }" in html


@pytest.mark.parametrize("kind", KINDS)
def test_links_and_buttons_use_the_shade_that_reads_on_white(branded, kind):
    html = light(KINDS[kind]())
    shade = brand.palette("#ffd700").accent

    assert f"color: {shade}" in html
    assert not re.search(r"(?<![-\w])color: #ffd700", html)  # the chosen colour is never text on white


@pytest.mark.parametrize("kind", KINDS)
def test_without_a_logo_the_header_names_the_newsroom_in_the_colour_that_contrasts(kind):
    NewsroomFactory(accent_color="#5a2d82")
    html = KINDS[kind]()

    header = band(html).group(0)
    assert tag(header, '<table class="brand-band"')["bgcolor"] == "#5a2d82" and "<img" not in header
    assert (
        tag(header, '<p class="brand-name"')["style"].replace(" ", "").startswith("margin:0;color:#ffffff;")
    )
    assert ">Integrerings- og mangfoldsdirektoratet</p>" in header


def test_without_a_brand_the_header_is_in_the_sites_colour():
    NewsroomFactory()
    header = band(confirmation_html()).group(0)
    assert tag(header, '<table class="brand-band"')["bgcolor"] == brand.DEFAULT_ACCENT
    assert "color: #ffffff" in tag(header, '<p class="brand-name"')["style"]


def test_a_logo_the_worker_has_not_made_yet_is_left_out_rather_than_sent_at_full_size():
    NewsroomFactory(logo=ContentFile(png_bytes(4000, 1000), name="logo.png"))  # no on_commit: no worker
    assert Newsroom.load().brand_images == {}
    html = confirmation_html()
    assert "<img" not in band(html).group(0) and "/logo/" not in html
