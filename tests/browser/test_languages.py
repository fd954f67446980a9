"""The interface in Norwegian bokmål and in English: from the browser's language, and from the switcher."""

from pathlib import Path

import pytest
from django.conf import settings

from .conftest import SEED_EN_SLUG, SEED_SLUG, screenshot

pytestmark = pytest.mark.browser

NB_CATALOG = Path(settings.BASE_DIR) / "pressroom" / "locale" / "nb" / "LC_MESSAGES" / "django.mo"


def interface_language(page):
    return page.locator("html").get_attribute("lang")


def search_button(page):
    # "Search" is in Django's own catalog ("Søk"), so it is translated before the project's catalog is.
    return page.locator(".search-form button").inner_text()


def switch_to(page, code):
    page.locator("#language-select").select_option(code)
    with page.expect_navigation():
        page.locator(".language-form button[type=submit]").click()


def test_norwegian_browser_gets_the_norwegian_interface(new_page, demo):
    page = new_page(locale="nb-NO")
    page.goto("/")
    assert interface_language(page) == "nb"
    assert search_button(page) == "Søk"
    assert page.locator("#language-select").input_value() == "nb"
    screenshot(page, "home-nb")


def test_english_browser_gets_the_english_interface(new_page, demo):
    page = new_page(locale="en-GB")
    page.goto("/")
    assert interface_language(page) == "en"
    assert search_button(page) == "Search"
    assert page.locator("#latest-title").inner_text() == "Latest releases"
    assert page.locator("#language-select").input_value() == "en"
    screenshot(page, "home-en")


def test_language_switcher_changes_the_interface_and_keeps_the_page(new_page, demo):
    page = new_page(locale="nb-NO")
    page.goto("/archive/")

    switch_to(page, "en")
    assert page.url.endswith("/archive/")
    assert interface_language(page) == "en"
    assert page.locator("#language-select").input_value() == "en"
    assert page.locator(".site-nav").inner_text().split("\n") == [
        "Releases",
        "Archive",
        "Press contacts",
        "Search",
    ]
    # The choice is remembered over the browser's own preference.
    page.goto("/")
    assert interface_language(page) == "en"
    assert search_button(page) == "Search"

    switch_to(page, "nb")
    assert page.url.endswith("/")
    assert interface_language(page) == "nb"
    assert search_button(page) == "Søk"
    if NB_CATALOG.exists():
        assert page.locator("#latest-title").inner_text() != "Latest releases"


def test_release_page_is_in_the_release_language_whatever_the_interface(new_page, demo):
    page = new_page(locale="en-GB")
    page.goto(f"/releases/{SEED_SLUG}/")
    assert interface_language(page) == "nb"
    # Each release links to its translation, in the translation's language.
    translation = page.locator(".translation-link a")
    assert translation.get_attribute("lang") == "en"
    translation.click()
    page.wait_for_url(f"**/releases/{SEED_EN_SLUG}/")
    assert interface_language(page) == "en"
    assert page.locator(".translation-link a").get_attribute("hreflang") == "nb"


@pytest.mark.skipif(not NB_CATALOG.exists(), reason="the project's nb catalog is written in a later pass")
def test_pressroom_strings_are_in_norwegian(new_page, demo):
    page = new_page(locale="nb-NO")
    page.goto("/")
    nav = page.locator(".site-nav").inner_text().split("\n")
    assert nav != ["Releases", "Archive", "Press contacts", "Search"]
    assert page.locator("#latest-title").inner_text() != "Latest releases"
