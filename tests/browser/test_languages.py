"""A pressroom per language: bokmål at the root, nynorsk under /nn/, English under /en/. The address
decides the language of a pressroom page; the language switch leads to the same page (or the release's
own version) in another language."""

from pathlib import Path

import pytest
from django.conf import settings

from .conftest import SEED_EN_SLUG, SEED_NN_SLUG, SEED_SLUG, SETTLEMENT_SLUG, screenshot

pytestmark = pytest.mark.browser

NN_NAME = "Integrerings- og mangfaldsdirektoratet (IMDi)"
NB_CATALOG = Path(settings.BASE_DIR) / "pressroom" / "locale" / "nb" / "LC_MESSAGES" / "django.mo"


def interface_language(page):
    return page.locator("html").get_attribute("lang")


def search_button(page):
    # "Search" is in Django's own catalog ("Søk"), so it is translated before the project's catalog is.
    return page.locator(".search-form button").inner_text()


def switch_to(page, code):
    with page.expect_navigation():
        page.locator(f'.language-nav a[hreflang="{code}"]').click()


def current_switch(page):
    return page.locator('.language-nav a[aria-current="page"]').get_attribute("hreflang")


@pytest.mark.parametrize("locale", ["nb-NO", "en-GB"])
def test_the_root_is_the_bokmal_pressroom_whatever_the_browser_says(new_page, demo, locale):
    page = new_page(locale=locale)
    page.goto("/")
    assert interface_language(page) == "nb"
    assert search_button(page) == "Søk"
    assert current_switch(page) == "nb"
    screenshot(page, f"home-nb-{locale}")


def test_the_english_pressroom_is_in_english(new_page, demo):
    page = new_page(locale="nb-NO")
    page.goto("/en/")
    assert interface_language(page) == "en"
    assert search_button(page) == "Search"
    assert page.locator("#latest-title").inner_text() == "Latest releases"
    assert current_switch(page) == "en"
    # Only English releases are listed.
    links = page.locator(".release-card__title a")
    assert links.count() >= 1
    for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert href.startswith("/en/releases/"), href
    screenshot(page, "home-en")


def test_a_nynorsk_visitor_reads_the_nynorsk_pressroom_and_its_release(new_page, demo):
    page = new_page(locale="nn-NO")
    page.goto("/nn/")
    assert interface_language(page) == "nn"
    assert current_switch(page) == "nn"
    # The newsroom's own name and tagline in nynorsk, in the page and in its title.
    assert page.locator("main h1").inner_text() == NN_NAME
    assert (
        page.locator(".tagline").inner_text()
        == "Pressemeldingar og nyheiter om integrering, busetjing og mangfald"
    )
    assert page.title().endswith(NN_NAME)
    assert page.locator(".site-footer__name").inner_text() == NN_NAME
    assert page.locator(".contact__role").all_inner_texts() == [
        "Kommunikasjonsrådgivar", "Pressevakt", "Seniorrådgivar, statistikk"
    ]  # fmt: skip
    titles = page.locator(".release-card__title a").all_inner_texts()
    assert titles == ["Kommunane blir bedne om å busetje flyktningar neste år"]
    screenshot(page, "home-nn")

    page.locator(".release-card__title a").first.click()
    page.wait_for_url(f"**/nn/releases/{SEED_NN_SLUG}/")
    assert interface_language(page) == "nn"
    assert page.locator("h1").inner_text() == "Kommunane blir bedne om å busetje flyktningar neste år"
    # "Om oss" and the press contacts' titles in nynorsk.
    assert (
        page.locator(".about .prose")
        .inner_text()
        .startswith("Integrerings- og mangfaldsdirektoratet (IMDi) er eit fagdirektorat")
    )
    assert page.title().endswith(NN_NAME)
    # Its other versions, each named in its own language.
    versions = page.locator(".translation-link a")
    assert sorted(versions.evaluate_all("links => links.map(a => a.lang)")) == ["en", "nb"]
    # "Latest releases" lists no version of this release.
    latest = page.locator(".latest a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert f"/releases/{SETTLEMENT_SLUG}/" not in latest
    screenshot(page, "release-nn")

    # The nynorsk topic page and the nynorsk feed.
    page.goto("/nn/topics/busetjing/")
    assert interface_language(page) == "nn" and page.locator("h1").inner_text() == "Busetjing"
    feed = page.request.get("/nn/feed/rss/").text()
    assert f"/nn/releases/{SEED_NN_SLUG}/" in feed and f"/releases/{SETTLEMENT_SLUG}/<" not in feed


def test_the_language_switch_on_a_release_goes_to_its_version_or_that_languages_home(new_page, demo):
    page = new_page(locale="nb-NO")
    page.goto(f"/releases/{SETTLEMENT_SLUG}/")
    assert interface_language(page) == "nb"

    switch_to(page, "nn")
    assert page.url.endswith(f"/nn/releases/{SEED_NN_SLUG}/")
    assert interface_language(page) == "nn"
    assert current_switch(page) == "nn"

    switch_to(page, "en")
    assert page.url.endswith("/en/releases/municipalities-asked-to-settle-refugees-next-year/")
    assert interface_language(page) == "en"

    switch_to(page, "nb")
    assert page.url.endswith(f"/releases/{SETTLEMENT_SLUG}/")

    # The seed release has no nynorsk version: the switch leads to the nynorsk pressroom.
    page.goto(f"/releases/{SEED_SLUG}/")
    switch_to(page, "nn")
    assert page.url.endswith("/nn/")
    assert interface_language(page) == "nn"


def test_the_switch_keeps_the_page_on_pages_every_language_has(new_page, demo):
    page = new_page(locale="en-GB")
    page.goto("/archive/")
    switch_to(page, "en")
    assert page.url.endswith("/en/archive/")
    assert page.locator(".site-nav").inner_text().split("\n") == [
        "Releases",
        "Archive",
        "Media",
        "Press contacts",
        "Search",
    ]
    switch_to(page, "nb")
    assert page.url.endswith("/archive/") and "/en/" not in page.url
    assert interface_language(page) == "nb"
    # The media page too, its tab and filters kept.
    page.goto("/media/documents/?year=2020")
    switch_to(page, "nn")
    assert page.url.endswith("/nn/media/documents/?year=2020")
    assert page.locator(".media-tabs a[aria-current='page']").inner_text() == "Dokument"
    if NB_CATALOG.exists():
        assert page.locator(".site-nav").inner_text().split("\n")[0] != "Releases"


def test_old_addresses_lead_to_the_pressroom_of_their_language(new_page, demo):
    page = new_page(locale="en-GB")
    page.goto(f"/releases/{SEED_EN_SLUG}/")
    assert page.url.endswith(f"/en/releases/{SEED_EN_SLUG}/")
    assert interface_language(page) == "en"
    page.goto("/topics/en/integration/")
    assert page.url.endswith("/en/topics/integration/")
    assert page.goto("/xx/").status == 404
