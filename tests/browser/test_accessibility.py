"""axe-core on every public page and every subscription page (no serious or critical violations; the
results are printed, run with -s or see the captured output), and the sign-up flow with the keyboard only.

axe is injected as a script, which the site's CSP (script-src 'self') rightly refuses: the audit pages run
in a browser context that bypasses CSP. The journeys run with the CSP on.
"""

import re

import pytest

from pressroom.newsroom import brand
from pressroom.newsroom.models import Topic
from subscriptions import tokens
from subscriptions.models import Subscriber
from tests.subscriptions.factories import SubscriberFactory

from .conftest import (
    BRAND_ACCENT,
    DESKTOP,
    PHONE,
    SEED_EN_SLUG,
    SEED_NN_SLUG,
    SEED_SLUG,
    VIDEO_SLUG,
    axe_audit,
    blocking,
    horizontal_overflow,
    screenshot,
)

pytestmark = pytest.mark.browser

PUBLIC_PAGES = [
    ("home", "/"),
    ("home-page-2", "/?page=2"),
    ("release", f"/releases/{SEED_SLUG}/"),
    ("release-en", f"/en/releases/{SEED_EN_SLUG}/"),
    ("release-with-photo", "/releases/anmodning-om-bosetting-av-flyktninger-neste-ar/"),
    ("release-nn", f"/nn/releases/{SEED_NN_SLUG}/"),
    # A video with captions and poster, and click-to-load YouTube and Vimeo links (conftest.video_release).
    ("release-with-video", f"/releases/{VIDEO_SLUG}/"),
    ("home-nn", "/nn/"),
    ("home-en", "/en/"),
    ("archive-en", "/en/archive/"),
    ("search-nn", "/nn/search/?q=busetjing"),
    ("topic", "/topics/statistikk/"),
    ("topic-nn", "/nn/topics/busetjing/"),
    ("archive", "/archive/"),
    ("archive-year", None),  # the year of the seed release, known once the demo is loaded
    ("search-form", "/search/"),
    ("search-results", "/search/?q=flyktninger"),
    ("search-nothing", "/search/?q=xyzzy"),
    ("contacts", "/contacts/"),
    ("media", "/media/"),
    ("media-nn", "/nn/media/"),
    ("media-en", "/en/media/"),
    ("media-documents", "/media/documents/"),
    ("media-video", "/media/video/"),
    ("media-filtered", "/media/?topic=&year=1066"),
    ("asset", None),  # the seed release's chart (and the English one's), known once the demo is loaded
    ("asset-en", None),
    ("not-found", "/releases/no-such-release/"),
    ("signup", "/subscribe/"),
]


@pytest.fixture
def audit(new_page, axe_source):
    """audit(label, viewport=DESKTOP, locale="en-GB") -> a page whose `check()` runs axe and asserts."""

    def make(label, viewport=DESKTOP, locale="en-GB"):
        page = new_page(viewport=viewport, locale=locale, bypass_csp=True)

        def check(name=label):
            violations = axe_audit(page, axe_source, f"{name} @{page.viewport_size['width']}px")
            found, message = blocking(violations)
            assert not found, message
            return violations

        page.check = check
        return page

    return make


def seed_year():
    from pressroom.newsroom.models import Release

    return Release.objects.get(slug=SEED_SLUG).published_at.year


def seed_asset(language):
    """The media bank page of the chart of the seed release (nb) or its English version (en)."""
    from pressroom.newsroom.models import Attachment

    slug = {"nb": SEED_SLUG, "en": SEED_EN_SLUG}[language]
    return Attachment.objects.get(release__slug=slug, kind="image").get_media_url(language)


def public_path(name):
    """The address of the public page NAME (those known once the demo is loaded are looked up)."""
    late = {
        "archive-year": lambda: f"/archive/{seed_year()}/",
        "asset": lambda: seed_asset("nb"),
        "asset-en": lambda: seed_asset("en"),
    }
    return dict(PUBLIC_PAGES)[name] or late[name]()


@pytest.mark.parametrize(("name", "path"), PUBLIC_PAGES, ids=[name for name, _path in PUBLIC_PAGES])
def test_public_page_has_no_serious_axe_violations(audit, demo, request, name, path):
    if name == "release-with-video":
        request.getfixturevalue("video_release")
    page = audit(name)
    response = page.goto(public_path(name))
    assert response.status == (404 if name == "not-found" else 200)
    page.check()


@pytest.mark.parametrize("name", ["home", "release", "signup", "media", "media-nn", "media-en", "asset"])
def test_public_page_on_a_phone_has_no_serious_axe_violations(audit, demo, name):
    page = audit(name, viewport=PHONE)
    page.goto(public_path(name))
    page.check()


BRANDED_PAGES = [
    ("home-branded", "/"),
    ("contacts-branded", "/contacts/"),
    ("release-branded", f"/releases/{SEED_SLUG}/"),
]


def colour(page, selector, prop):
    value = page.locator(selector).first.evaluate(f"el => getComputedStyle(el).{prop}")
    return brand.to_hex(int(part) for part in re.findall(r"\d+", value)[:3])


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_pages_with_the_brand_set_have_no_serious_axe_violations(audit, new_page, branded, viewport):
    palette = brand.palette(BRAND_ACCENT)
    # With the site's CSP on (the audit's context bypasses it): the brand's colours apply, no console error.
    page = new_page(viewport=viewport)
    page.goto("/")
    assert page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
    ) == (palette.accent)
    assert colour(page, ".site-header", "borderTopColor") == palette.brand
    section = (colour(page, ".brand__section", "color"), colour(page, ".brand__section", "backgroundColor"))
    assert brand.contrast(*section) >= 4.5
    assert brand.contrast(colour(page, "main a", "color"), "#ffffff") >= 4.5
    logo = page.locator(".brand__logo")
    assert logo.get_attribute("alt") == branded.name
    assert logo.evaluate("img => img.complete && img.naturalWidth") > 0
    assert logo.bounding_box()["height"] == 40
    cover = page.locator(".cover img")
    assert cover.evaluate("img => img.complete && img.naturalWidth") > 0
    assert cover.evaluate("img => img.currentSrc").endswith(".webp/")
    assert cover.bounding_box()["width"] <= viewport["width"]
    assert horizontal_overflow(page) <= 0
    screenshot(page, "home-branded")

    for name, path in BRANDED_PAGES:
        page = audit(name, viewport=viewport)
        page.goto(path)
        assert horizontal_overflow(page) <= 0
        photos = page.locator("img.contact__photo")
        if name != "home-branded" or photos.count():
            assert photos.count() >= 1
            photos.first.scroll_into_view_if_needed()  # loaded lazily
            photos.first.evaluate("img => img.decode()")
            assert photos.first.evaluate("img => img.currentSrc").endswith("/photo/square.webp/")
            assert photos.first.bounding_box()["width"] == 88
        page.check()


@pytest.mark.parametrize("locale", ["nb-NO", "en-GB"])
def test_release_page_in_each_interface_language_has_no_serious_axe_violations(audit, demo, locale):
    page = audit("release", locale=locale)
    page.goto(f"/en/releases/{SEED_EN_SLUG}/")
    page.check(f"release ({locale})")
    page.goto("/")
    page.check(f"home ({locale})")


def test_sign_up_pages_have_no_serious_axe_violations(audit, demo):
    page = audit("signup")
    page.goto("/subscribe/")
    # An address that is not one: the form comes back with its errors.
    page.locator("#id_email").fill("not an address")
    page.locator("form.signup-page button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".field__errors").count() >= 1
    page.check("signup with errors")

    page.locator("#id_email").fill("ada@example.org")
    page.locator("form.signup-page button[type=submit]").click()
    page.wait_for_url("**/subscribe/")
    assert page.locator("h1").inner_text() == "Check your inbox"
    page.check("check inbox")


def test_pages_from_email_links_have_no_serious_axe_violations(audit, demo):
    subscriber = SubscriberFactory(pending=True, email="ada@example.org")
    page = audit("confirm")

    page.goto(f"/subscribe/confirm/{tokens.make_token(subscriber, tokens.CONFIRM)}/")
    assert page.locator("h1").inner_text() == "Confirm your subscription"
    page.check("confirm")
    page.get_by_role("button", name="Confirm subscription").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "You are subscribed"
    page.check("confirmed")

    subscriber.refresh_from_db()
    page.goto(f"/subscribe/manage/{tokens.make_token(subscriber, tokens.MANAGE)}/")
    assert page.locator("h1").inner_text() == "Your subscription"
    page.check("manage")
    # An English topic for someone who gets Norwegian releases only: the form comes back with an error.
    english = Topic.objects.get(language="en", slug="integration")
    page.locator(f"input[name=topics][value='{english.pk}']").check()
    page.locator("input[name=releases][value=no]").check()
    page.locator("input[name=releases][value=en]").uncheck()
    page.locator("input[name=language][value=nb]").check()
    page.get_by_role("button", name="Save choices").click()
    page.wait_for_load_state()
    assert page.locator(".field__errors").count() == 1
    page.check("manage with errors")

    page.goto(f"/subscribe/u/{subscriber.token}/")
    assert page.locator("h1").inner_text() == "Unsubscribe"
    page.check("unsubscribe")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "You are unsubscribed"
    page.check("unsubscribed")
    page.get_by_role("button", name="Undo: subscribe me again").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "You are subscribed again"
    page.check("resubscribed")

    page.goto("/subscribe/confirm/not-a-token/")
    assert page.locator("h1").inner_text() == "This link does not work"
    page.check("link problem")


def test_sign_up_with_the_keyboard_only(new_page, demo):
    """Tab to the address field, type, Tab to the button, Enter: the confirmation page, no mouse."""
    page = new_page()
    page.goto(f"/releases/{SEED_SLUG}/")
    email = page.locator("#signup-email")
    for _presses in range(200):
        page.keyboard.press("Tab")
        if email.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the sign-up box's address field")
    # The focused element is visibly marked (the stylesheet's :focus-visible outline).
    assert email.evaluate("element => getComputedStyle(element).outlineStyle") != "none"
    page.keyboard.type("keyboard@example.org")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.outerHTML")
    assert re.match(r'<button type="submit">', focused), f"Tab from the address went to {focused}"
    page.keyboard.press("Enter")
    page.wait_for_url("**/subscribe/")
    assert page.locator("h1").inner_text() == "Check your inbox"
    subscriber = Subscriber.objects.get(email="keyboard@example.org")
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.consent_source == f"/releases/{SEED_SLUG}/"
