"""The newsroom profile in the admin, in a browser: each other language's texts, what of them falls back
to the main language is marked, and axe finds no serious violation in bokmål, nynorsk and English."""

import pytest
from django.contrib.auth.models import User

from .conftest import axe_audit, blocking

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"

# The demo leaves the sign-up box and the email footer to the standard texts in every language.
MARKS = {
    "nb-NO": ("Norsk nynorsk", "vises på hovedspråket (Norsk bokmål)"),
    "nn-NO": ("Norsk nynorsk", "blir vist på hovudspråket (Norsk bokmål)"),
    "en-GB": ("Norwegian nynorsk", "falls back to the main language (Norwegian bokmål)"),
}


@pytest.mark.parametrize("locale", list(MARKS))
def test_the_profile_marks_what_falls_back_and_has_no_serious_axe_violations(
    new_page, axe_source, demo, locale
):
    User.objects.create_superuser("editor", "editor@example.org", PASSWORD)
    page = new_page(locale=locale, bypass_csp=True)
    page.goto("/admin/")
    page.locator("#id_username").fill("editor")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url("**/admin/")

    page.goto("/admin/newsroom/newsroom/")
    page.wait_for_url("**/admin/newsroom/newsroom/1/change/")

    language, mark = MARKS[locale]
    nynorsk = page.locator(".pressroom-languages li").first
    assert nynorsk.inner_text().startswith(f"{language}: {mark}")
    names = page.locator("input[id^=id_translations-][id$=-name]").evaluate_all(
        "els => els.map(e => e.value)"
    )
    assert "Integrerings- og mangfaldsdirektoratet (IMDi)" in names
    found, message = blocking(axe_audit(page, axe_source, f"newsroom-profile {locale}"))
    assert not found, message
