"""The language-act report in the admin, in a browser: axe finds no serious violation in bokmål, nynorsk
and English, and the CSV link downloads the table."""

import pytest
from django.contrib.auth.models import User

from .conftest import axe_audit, blocking

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
URL = "/admin/newsroom/release/language-report/"


CAPTIONS = {
    "nb-NO": "Publiserte norske pressemeldinger etter målform",
    "nn-NO": "Publiserte norske pressemeldingar etter målform",
    "en-GB": "Published Norwegian releases by written standard",
}


@pytest.mark.parametrize("locale", list(CAPTIONS))
def test_the_language_report_has_no_serious_axe_violations(new_page, axe_source, demo, locale):
    User.objects.create_superuser("editor", "editor@example.org", PASSWORD)
    page = new_page(locale=locale, bypass_csp=True)
    page.goto("/admin/")
    page.locator("#id_username").fill("editor")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url("**/admin/")

    page.goto("/admin/newsroom/release/")
    page.locator(f'a[href="{URL}"]').click()
    page.wait_for_url(f"**{URL}")

    assert page.locator("#language-report caption").inner_text() == CAPTIONS[locale]
    assert page.locator("#language-report tbody tr").count() >= 2  # a year and its quarter
    found, message = blocking(axe_audit(page, axe_source, f"language-report {locale}"))
    assert not found, message
    with page.expect_download() as download:
        page.locator('a[href="?format=csv"]').click()
    assert download.value.suggested_filename == "language-report.csv"
