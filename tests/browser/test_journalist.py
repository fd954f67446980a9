"""A journalist on the pressroom: lands, filters by topic, searches, opens the seed release, downloads its
chart and report, saves a press contact's vCard and follows the RSS link; on a desktop and on a phone."""

import re
from pathlib import Path

import pytest

from pressroom.demo.management.commands.seed_demo import REPORT_TITLE, SEED_TITLE
from pressroom.newsroom.models import Newsroom

from .conftest import DESKTOP, PHONE, SEED_SLUG, horizontal_overflow, screenshot

pytestmark = pytest.mark.browser


def assert_fits(page):
    assert horizontal_overflow(page) <= 0, f"{page.url} scrolls sideways at {page.viewport_size['width']} px"


def titles(page):
    return page.locator(".release-card__title a").all_inner_texts()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_journalist_finds_downloads_and_follows_the_seed_release(new_page, demo, viewport):
    page = new_page(viewport=viewport)
    newsroom = Newsroom.load()

    # Lands on the pressroom.
    page.goto("/")
    assert page.locator("h1").inner_text() == newsroom.name
    assert SEED_TITLE in titles(page)
    assert_fits(page)
    screenshot(page, "home")

    # Filters by a topic from the side column.
    page.locator(".columns__side .topic-list a", has_text="Statistikk").click()
    page.wait_for_url("**/topics/statistikk/")
    assert page.locator("h1").inner_text() == "Statistikk"
    on_topic = titles(page)
    assert SEED_TITLE in on_topic
    assert "Møt IMDi på Arendalsuka" not in on_topic  # tagged Integrering only
    assert_fits(page)
    screenshot(page, "topic")

    # Searches from the home page's search box.
    page.locator(".brand").click()
    page.locator("#home-search").fill("flyktninger arbeid")
    page.locator("#home-search").press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=flyktninger\+arbeid$"))
    found = titles(page)
    assert SEED_TITLE in found
    assert "Møt IMDi på Arendalsuka" not in found
    assert_fits(page)
    screenshot(page, "search")

    # Opens the seed release.
    page.locator(".release-card__title a", has_text=SEED_TITLE).click()
    page.wait_for_url(f"**/releases/{SEED_SLUG}/")
    assert page.locator("h1").inner_text() == SEED_TITLE
    assert page.locator("html").get_attribute("lang") == "nb"
    hero = page.locator(".release__hero img")
    assert hero.get_attribute("alt").startswith("Stolpediagram")
    assert hero.evaluate("img => img.complete && img.naturalWidth > 0"), "the header image did not load"
    assert_fits(page)
    screenshot(page, "release")

    # Downloads the chart in full size, named for the release, the chart and the size.
    assert page.locator(".media a.download").count() == 3  # web, print, original
    image_link = page.locator(".media a.download[href$='/download/original/']")
    filename = f"{SEED_SLUG}-overgang-til-arbeid-og-utdanning-etter-fylke-2023-original.png"
    with page.expect_download() as download_info:
        image_link.click()
    download = download_info.value
    assert download.suggested_filename == filename
    assert download.failure() is None
    assert Path(download.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    response = page.request.get(image_link.get_attribute("href"))
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    assert response.headers["x-content-type-options"] == "nosniff"

    # Downloads the report.
    document_link = page.locator(".document-list a", has_text=REPORT_TITLE)
    with page.expect_download() as download_info:
        document_link.click()
    download = download_info.value
    assert download.suggested_filename == "resultater-introduksjonsprogrammet-2023.pdf"
    assert Path(download.path()).read_bytes()[:5] == b"%PDF-"
    response = page.request.get(document_link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment;")

    # Saves a press contact in the address book.
    contact = page.locator(".release__section .contact", has_text="Kari Nordmann")
    with page.expect_download() as download_info:
        contact.locator("a[href$='.vcf']").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".vcf")
    vcard = Path(download.path()).read_text(encoding="utf-8")
    assert vcard.startswith("BEGIN:VCARD")
    assert "FN:Kari Nordmann" in vcard
    assert "kari.nordmann@example.no" in vcard

    # Follows the RSS link in the footer: Chromium shows the feed, which links back to this server.
    with page.expect_navigation() as navigation:
        page.locator(".site-footer a", has_text="RSS").click()
    feed = navigation.value
    assert feed.status == 200
    assert feed.headers["content-type"] == "application/rss+xml; charset=utf-8"
    text = page.locator("body").inner_text()
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"')
    assert f"<title>{SEED_TITLE}</title>" in text
    assert f"<link>{page.url.removesuffix('/feed/rss/')}/releases/{SEED_SLUG}/</link>" in text


def test_a_topic_named_with_a_long_compound_word_fits_a_phone(new_page, demo):
    page = new_page(viewport=PHONE)

    page.goto("/topics/introduksjonsprogrammet/")

    assert page.locator("h1").inner_text() == "Introduksjonsprogrammet"
    assert_fits(page)


# From the bottom of one element of the release header to the top of what follows it.
GAP_BELOW = """([above, below]) => {
  const top = document.querySelector(below).getBoundingClientRect().top;
  return top - document.querySelector(above).getBoundingClientRect().bottom;
}"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_release_header_keeps_its_distance_from_what_follows_it(new_page, demo, viewport):
    page = new_page(viewport=viewport)

    # A release without a header image: its body began right under the topics.
    page.goto("/releases/kommentar-til-tallene-om-introduksjonsprogrammet/")
    assert page.evaluate(GAP_BELOW, [".release__header .topic-list", ".release__body > *"]) >= 16

    # The link to the English version stood right under the topics.
    page.goto(f"/releases/{SEED_SLUG}/")
    assert page.evaluate(GAP_BELOW, [".release__header .topic-list", ".translation-link"]) >= 8
