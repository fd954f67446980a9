"""The emails as a reader sees them: the HTML part that reached the SMTP sink, rendered in Chromium at
600 px (the usual width of a mail program's reading pane) and at phone width."""

import re

import pytest

from pressroom.demo.management.commands.seed_demo import CHART_ALT, SEED_TITLE
from pressroom.newsroom import brand
from pressroom.newsroom.models import Newsroom, Release
from pressroom.newsroom.services import publish_release, unpublish_release
from subscriptions import emails
from subscriptions.release_email import ReleaseMessage
from subscriptions.services import sign_up
from tests.subscriptions.factories import SubscriberFactory

from .conftest import (
    BRAND_ACCENT,
    PHONE,
    SEED_SLUG,
    axe_audit,
    blocking,
    horizontal_overflow,
    message_to,
    open_email,
    screenshot,
)

pytestmark = pytest.mark.browser

WIDTHS = [{"width": 600, "height": 900}, PHONE]


def check_readable(page, *, title):
    width = page.viewport_size["width"]
    assert horizontal_overflow(page) <= 0, f"the email scrolls sideways at {width} px"
    assert page.locator("h1").inner_text() == title
    # Every image says what it shows (or is marked decorative with alt=""), and loads from the site.
    images = page.locator("img")
    assert images.evaluate_all("imgs => imgs.filter(img => !img.hasAttribute('alt')).length") == 0
    assert images.evaluate_all("imgs => imgs.filter(img => !(img.complete && img.naturalWidth)).length") == 0
    assert (
        images.evaluate_all("imgs => imgs.filter(img => img.getBoundingClientRect().right > innerWidth)")
        == []
    )
    # Body text no smaller than 14 px, with room between the lines.
    sizes = page.locator("p").evaluate_all(
        "ps => ps.filter(p => p.innerText.trim()).map(p => {"
        "  const style = getComputedStyle(p);"
        "  return [parseFloat(style.fontSize), parseFloat(style.lineHeight) / parseFloat(style.fontSize)];"
        "})"
    )
    assert sizes and min(size for size, _ in sizes) >= 13, sizes
    assert min(spacing for _, spacing in sizes) >= 1.3, sizes
    # Links lead somewhere a reader can follow from a mail program.
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs and all(re.match(r"(https?://|mailto:|tel:)", href) for href in hrefs), hrefs


def test_release_email_reads_well_at_600_px_and_on_a_phone(new_page, demo, mail, axe_source):
    reader = SubscriberFactory(language="nb", email="leser@example.no")
    # Published again, as if for the first time, so that its mailing goes out.
    release = Release.objects.get(slug=SEED_SLUG)
    unpublish_release(release=release)
    publish_release(release=release)
    message = message_to(mail, reader.email, subject=SEED_TITLE)

    for viewport in WIDTHS:
        page = open_email(new_page(viewport=viewport), message)
        assert page.locator("html").get_attribute("lang") == "nb"
        check_readable(page, title=SEED_TITLE)
        assert page.locator("img").first.get_attribute("alt") == CHART_ALT
        assert page.locator("blockquote").count() == 1
        found, report = blocking(axe_audit(page, axe_source, f"release email @{viewport['width']}px"))
        assert not found, report
        screenshot(page, "email-release")


def test_confirmation_email_reads_well_at_600_px_and_on_a_phone(new_page, demo, mail):
    sign_up(email="ny@example.org", language="en")
    message = message_to(mail, "ny@example.org")
    for viewport in WIDTHS:
        page = open_email(new_page(viewport=viewport), message)
        # The address spelt out under the button is long and unbroken: it must wrap, not widen the email.
        check_readable(page, title=page.locator("h1").inner_text())
        assert page.locator("h1").inner_text().startswith("Confirm that you want press releases from ")
        screenshot(page, "email-confirmation")


# The brand header: the HTML the ledger sends, rendered here (what reaches the provider is this string).


def computed(page, selector, prop):
    """The computed colour PROP of the first element matching SELECTOR, as #rrggbb."""
    value = page.locator(selector).first.evaluate(f"el => getComputedStyle(el).{prop}")
    channels = [int(part) for part in re.findall(r"\d+", value)[:3]]
    return brand.to_hex(channels)


def text_contrast(page, text, background):
    return brand.contrast(computed(page, text, "color"), computed(page, background, "backgroundColor"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_branded_release_email_at_600_px_and_on_a_phone(new_page, branded, scheme):
    html = ReleaseMessage(Release.objects.get(slug=SEED_SLUG)).html
    palette = brand.palette(BRAND_ACCENT)

    for viewport in WIDTHS:
        page = new_page(viewport=viewport, color_scheme=scheme)
        page.set_content(html, wait_until="load")
        width = viewport["width"]
        assert horizontal_overflow(page) <= 0, f"the email scrolls sideways at {width} px ({scheme})"
        # The logo loads from the site and is shown at the size its attributes give, on a white plate
        # in light and dark mode alike, on the band of the accent colour.
        logo = page.locator("img.brand-logo")
        assert logo.is_visible()
        assert logo.evaluate("img => img.complete && img.naturalWidth") > 0
        box = logo.bounding_box()
        assert (box["width"], box["height"]) == (200, 50)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert computed(page, ".brand-plate", "backgroundColor") == brand.WHITE
        assert computed(page, ".brand-band", "backgroundColor") == palette.brand
        # The text and the links of the message read at 4.5:1 or more on its background.
        background = computed(page, ".wrap", "backgroundColor")
        assert (brand.luminance(background) < 0.05) is (scheme == "dark")
        assert text_contrast(page, ".wrap h1", ".wrap") >= 4.5
        assert text_contrast(page, ".wrap p", ".wrap") >= 4.5
        links = page.locator(".wrap a:not(.button)").evaluate_all(
            "links => links.map(a => getComputedStyle(a).color)"
        )
        for colour in links:
            channels = [int(part) for part in re.findall(r"\d+", colour)[:3]]
            assert brand.contrast(brand.to_hex(channels), background) >= 4.5, (colour, background)
        screenshot(page, f"email-release-branded-{scheme}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_branded_email_without_a_logo_names_the_newsroom_readably(new_page, branded, scheme):
    Newsroom.objects.filter(pk=1).update(logo="", brand_images={})
    subscriber = SubscriberFactory(pending=True, email="ny@example.org")
    message = emails.confirmation_message(subscriber)
    html = message.alternatives[0][0]
    # The newsroom's name in the language the email is written in (the subscriber's).
    name = Newsroom.load().in_language(subscriber.language).name

    for viewport in WIDTHS:
        page = new_page(viewport=viewport, color_scheme=scheme)
        page.set_content(html, wait_until="load")
        assert horizontal_overflow(page) <= 0
        assert page.locator(".brand-name").inner_text() == name
        assert computed(page, ".brand-band", "backgroundColor") == BRAND_ACCENT
        assert text_contrast(page, ".brand-name", ".brand-band") >= 4.5
        assert text_contrast(page, ".wrap a.button", ".wrap a.button") >= 4.5
