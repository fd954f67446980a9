"""An editor compares two versions of a release side by side and restores the older one, in Chromium."""

import pytest
from django.contrib.auth.models import User

from pressroom.newsroom import history
from pressroom.newsroom.models import Release

from .conftest import axe_audit, blocking, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


def test_an_editor_compares_versions_and_restores_the_older_one(new_page, axe_source):
    page = new_page()
    User.objects.create_superuser("editor", "editor@example.org", PASSWORD)
    page.goto("/admin/")
    page.locator("#id_username").fill("editor")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url("**/admin/")

    page.goto("/admin/newsroom/release/add/")
    page.locator("#id_title").fill("Flere i arbeid")
    page.locator("#id_slug").fill("flere-i-arbeid")
    page.locator("#id_lead").fill("Tallene for 2025 er klare.")
    page.locator("[name=_continue]").click()
    page.wait_for_url("**/change/")
    page.locator("#id_title").fill("Flere enn noen gang i arbeid")
    page.locator("[name=_continue]").click()
    page.wait_for_url("**/change/")

    page.get_by_role("link", name="History").click()
    page.get_by_role("link", name="with now").last.click()
    table = page.locator("table.pressroom-compare")
    assert table.locator("ins").first.inner_text().strip() == "enn noen gang"
    screenshot(page, "history-compare")
    # axe runs as an inline script, which the site's CSP refuses: it gets a page of its own, logged in too.
    axe_page = new_page(bypass_csp=True)
    axe_page.context.add_cookies(page.context.cookies())
    axe_page.goto(page.url)
    found, message = blocking(axe_audit(axe_page, axe_source, "release version comparison"))
    assert not found, message

    page.get_by_role("button", name="Restore this version").click()
    page.wait_for_url("**/change/")
    assert page.locator("#id_title").input_value() == "Flere i arbeid"
    release = Release.objects.get(slug="flere-i-arbeid")
    assert len(history.versions_of(release)) == 3
