"""The emails as a reader sees them: the HTML part that reached the SMTP sink, rendered in Chromium at
600 px (the usual width of a mail program's reading pane) and at phone width."""

import re

import pytest

from pressroom.demo.management.commands.seed_demo import CHART_ALT, SEED_TITLE
from pressroom.newsroom.models import Release
from pressroom.newsroom.services import publish_release, unpublish_release
from subscriptions.services import sign_up
from tests.subscriptions.factories import SubscriberFactory

from .conftest import (
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
