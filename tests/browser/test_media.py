"""A journalist in the media bank: from the main navigation to the images, a topic and a year, the
documents tab, an asset's own page and its download in full size; on a desktop and on a phone, without
script for the tabs and filters (links and a GET form)."""

import re
from pathlib import Path

import pytest
from django.utils import timezone

from pressroom.demo.management.commands.seed_demo import REPORT_TITLE
from pressroom.newsroom.models import Release

from .conftest import DESKTOP, PHONE, SEED_SLUG, horizontal_overflow, screenshot

pytestmark = pytest.mark.browser

CHART_TITLE = "Overgang til arbeid og utdanning etter fylke, 2023"


def assert_fits(page):
    assert horizontal_overflow(page) <= 0, f"{page.url} scrolls sideways at {page.viewport_size['width']} px"


def asset_titles(page):
    return page.locator(".media__title, .document-list > li > a:first-child").all_inner_texts()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_journalist_finds_filters_and_downloads_an_image_in_the_media_bank(new_page, demo, viewport):
    page = new_page(viewport=viewport)
    seed_year = timezone.localtime(Release.objects.get(slug=SEED_SLUG).published_at).year

    # From the main navigation to the images tab.
    page.goto("/")
    page.locator(".site-nav a", has_text="Media").click()
    page.wait_for_url(re.compile(r"/media/$"))
    assert page.locator("h1").inner_text() == "Media"
    current = page.locator(".media-tabs a[aria-current='page']")
    assert current.inner_text() == "Bilder"
    assert CHART_TITLE in asset_titles(page)
    assert page.locator(".media-grid img").first.evaluate("img => img.complete && img.naturalWidth > 0")
    assert_fits(page)
    screenshot(page, "media")

    # Filters by a topic and a year: a GET form, the choices kept.
    page.locator("#id_topic").select_option(label="Statistikk")
    page.locator("#id_year").select_option(str(seed_year))
    page.locator(".media-filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"/media/\?topic=\d+&year=\d{4}$"))
    assert asset_titles(page) == [CHART_TITLE]
    assert page.locator("#id_topic option:checked").inner_text() == "Statistikk"
    assert_fits(page)

    # The documents tab is a link; the report is there, the chart is not.
    page.locator(".media-tabs a", has_text="Dokumenter").click()
    page.wait_for_url("**/media/documents/")
    assert page.locator(".media-tabs a[aria-current='page']").inner_text() == "Dokumenter"
    assert REPORT_TITLE in asset_titles(page) and CHART_TITLE not in asset_titles(page)

    # The chart's own page: caption, alt text, credit, licence, the releases using it.
    page.locator(".media-tabs a", has_text="Bilder").click()
    page.wait_for_url(re.compile(r"/media/$"))
    page.locator(".media__title", has_text=CHART_TITLE).click()
    page.wait_for_url(re.compile(r"/media/\d+/overgang-til-arbeid-og-utdanning-etter-fylke-2023/$"))
    assert page.locator("h1").inner_text() == CHART_TITLE
    facts = page.locator(".asset-facts").inner_text()
    assert "Stolpediagram" in facts and "IMDi" in facts and "CC BY 4.0" in facts
    used_in = page.locator("section[aria-labelledby='releases-title'] a")
    assert used_in.count() == 2  # the Norwegian release and its English version share the chart
    assert page.locator(".asset-image img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert_fits(page)
    screenshot(page, "media-asset")

    # Downloads it in full size under its descriptive name.
    link = page.locator("a.download[href$='/download/original/']")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert (
        download.suggested_filename
        == f"{SEED_SLUG}-overgang-til-arbeid-og-utdanning-etter-fylke-2023-original.png"
    )
    assert Path(download.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_facts_of_an_asset_stay_inside_the_page_on_a_phone(new_page, demo):
    page = new_page(viewport=PHONE)
    page.goto("/media/")
    page.locator(".media__title", has_text=CHART_TITLE).click()
    page.wait_for_url(re.compile(r"/media/\d+/[\w-]+/$"))

    # The alt text holds "introduksjonsprogrammet", wider than the column beside the terms.
    assert "introduksjonsprogrammet" in page.locator(".asset-facts").inner_text()
    facts_right = page.locator(".asset-facts").evaluate("dl => dl.getBoundingClientRect().right")
    right_edge = "dds => dds.map(dd => dd.getBoundingClientRect().right)"
    rights = page.locator(".asset-facts dd").evaluate_all(right_edge)
    assert max(rights) <= facts_right + 0.5
