"""Three people of the organisation, each logged in through its OpenID Connect provider (a real provider on
loopback) with the role their groups claim gives, take a release out under the four-eyes rule: a
contributor drafts it and leaves it for approval, an editor approves it, a publisher reviews the audience on
the confirmation page and publishes."""

import re

import pytest
from django.apps import apps
from django.core import mail

from pressroom.newsroom.models import Release
from pressroom.workspace import roles
from subscriptions.models import Subscriber
from tests.factories import NewsroomFactory, TopicFactory
from tests.subscriptions.factories import SubscriberFactory

from .conftest import confirm_publishing, review_publishing, screenshot, sso_log_in

pytestmark = pytest.mark.browser

TITLE = "Nye tall for bosetting i kommunene"


@pytest.fixture
def people(provider, settings, db):
    """The provider's three people, and the roles as the migration makes them (a live server's test empties
    the tables when it ends, the migration's groups too)."""
    settings.REVIEW_FOUR_EYES = True
    roles.sync_roles(apps, only_missing=True)
    provider.set_user("nora", email="nora@example.no", given_name="Nora", groups=[roles.CONTRIBUTOR])
    provider.set_user("erik", email="erik@example.no", given_name="Erik", groups=[roles.EDITOR])
    provider.set_user("pia", email="pia@example.no", given_name="Pia", groups=[roles.PUBLISHER])
    return provider


@pytest.fixture
def audience(db):
    """2 subscribers who get a release in bokmål at once, 1 in the daily digest, 1 who reads English."""
    NewsroomFactory()
    TopicFactory(name="Bosetting", language="nb")
    SubscriberFactory.create_batch(2, language="nb")
    SubscriberFactory(language="nb", frequency=Subscriber.Frequency.DAILY)
    SubscriberFactory(language="en", norwegian=False, english=True)


def test_a_contributor_drafts_an_editor_approves_and_a_publisher_publishes_after_review(
    new_page, site, people, audience
):
    # The contributor drafts the release; saved, it waits for someone else's approval.
    page = new_page()
    sso_log_in(page, people, "nora")
    page.goto("/admin/newsroom/release/add/")
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_lead").fill("Kommunene bosatte flere flyktninger i år.")
    page.locator(".field-body .ProseMirror[contenteditable=true]").click()
    page.keyboard.type("Tallene er foreløpige.")
    assert page.get_by_role("button", name="Save and publish…").count() == 0
    page.locator("input[name=_continue]").click()
    page.wait_for_url(re.compile(r"/admin/newsroom/release/\d+/change/$"))
    release = Release.objects.get(title=TITLE)
    assert (release.status, release.last_edited_by.email) == (Release.Status.DRAFT, "nora@example.no")
    assert page.locator(".pressroom-approve").count() == 0  # nobody approves their own edit
    screenshot(page, "journey-contributor-draft")
    # Nor may the contributor publish it: the confirmation page and its POST are refused on the server.
    publish = f"/admin/newsroom/release/{release.pk}/publish/"
    assert page.goto(publish).status == 403
    csrf = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "csrftoken")
    refused = page.request.post(
        publish, form={"csrfmiddlewaretoken": csrf, "confirm": "1"}, headers={"Referer": f"{site}{publish}"}
    )
    assert refused.status == 403
    assert "CSRF" not in refused.text()  # refused for the role, not for a missing token
    release.refresh_from_db()
    assert (release.status, release.published_at) == (Release.Status.DRAFT, None)

    # The editor finds it awaiting approval on the start page and approves it.
    page = new_page()
    sso_log_in(page, people, "erik")
    waiting = page.locator("#start-approval").locator("xpath=..")
    waiting.get_by_role("link", name=TITLE).click()
    page.wait_for_url(f"**/admin/newsroom/release/{release.pk}/change/")
    page.get_by_role("button", name="Approve").click()
    assert page.locator(".messagelist .success").inner_text() == f"“{TITLE}” is approved."
    release.refresh_from_db()
    assert release.approved_by.email == "erik@example.no"
    assert release.status == Release.Status.DRAFT

    # The publisher reviews who gets it, then publishes.
    page = new_page()
    sso_log_in(page, people, "pia")
    review = review_publishing(page, release)
    assert "2 subscribers get it by email at once" in review
    assert "1 subscriber gets it later in the daily digest." in review
    assert TITLE in page.locator(".pressroom-email-preview").inner_text()
    screenshot(page, "journey-publisher-review")
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT
    assert not mail.outbox
    assert confirm_publishing(page, release) == f"“{TITLE}” is published."
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        Subscriber.objects.filter(language="nb", frequency="immediately").values_list("email", flat=True)
    )
