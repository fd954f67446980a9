"""A member of staff logs in through the organisation's OpenID Connect provider in Chromium: the admin's
login page, the provider's page (a real provider on loopback), and back to the admin's start page with
the role the provider's groups claim gave."""

import pytest
from django.contrib.auth import get_user_model

from .conftest import authorize_at_provider, axe_audit, blocking, screenshot, start_sso_login

pytestmark = pytest.mark.browser


def test_staff_log_in_through_the_provider_and_land_on_the_admin_start_page(new_page, provider, axe_source):
    provider.set_user("kari", email="kari@example.no", given_name="Kari", groups=["Editor"])
    page = new_page()

    page.goto("/admin/")
    assert page.locator("#login-form").count() == 0  # PASSWORD_LOGIN is off
    screenshot(page, "sso-login")
    # axe runs as an inline script, which the site's CSP refuses: it gets a page of its own.
    axe_page = new_page(bypass_csp=True)
    axe_page.goto("/admin/login/")
    found, message = blocking(axe_audit(axe_page, axe_source, "admin login with single sign-on"))
    assert not found, message
    start_sso_login(page)
    authorize_at_provider(page, provider, "kari")

    assert page.locator("#site-name").count() == 1
    assert "welcome, kari." in page.locator("#user-tools").inner_text().lower()
    screenshot(page, "sso-admin-start")
    user = get_user_model().objects.get(email="kari@example.no")
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["Editor"]
