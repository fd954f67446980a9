"""An editor adds the demo's chart from the media bank to a new release, in a browser: the page has no
serious axe violation, the search finds the chart, and the release then has it without a second copy of
the file."""

import pytest
from django.contrib.auth.models import User

from pressroom.newsroom.models import Attachment, Release

from .conftest import axe_audit, blocking

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
CHART_TITLE = "Overgang til arbeid og utdanning etter fylke, 2023"


@pytest.mark.parametrize("locale", ["nb-NO", "en-GB"])
def test_an_editor_adds_an_asset_from_the_media_bank(new_page, axe_source, demo, locale):
    User.objects.create_superuser("editor", "editor@example.org", PASSWORD)
    release = Release.objects.create(title="Ny melding med gammelt diagram")
    chart = Attachment.objects.get(title=CHART_TITLE)
    page = new_page(locale=locale, bypass_csp=True)
    page.goto("/admin/")
    page.locator("#id_username").fill("editor")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url("**/admin/")

    page.goto(f"/admin/newsroom/release/{release.pk}/change/")
    page.locator(".pressroom-mediabanklink").click()
    page.wait_for_url(f"**/admin/newsroom/release/{release.pk}/media-bank/")
    page.locator("#media-bank-q").fill("overgang")
    page.locator("#media-bank-q").press("Enter")
    page.wait_for_url("**/media-bank/?q=overgang")
    rows = page.locator("#media-bank tbody tr")
    assert rows.count() == 1 and CHART_TITLE in rows.first.inner_text()
    found, message = blocking(axe_audit(page, axe_source, f"admin media bank ({locale})"))
    assert not found, message

    rows.first.locator("button[type=submit]").click()
    page.wait_for_url(f"**/admin/newsroom/release/{release.pk}/change/")
    assert page.locator(".messagelist .success").count() == 1
    added = release.attachments.get()
    assert (added.title, added.file.name, added.renditions) == (
        CHART_TITLE,
        chart.file.name,
        chart.renditions,
    )
