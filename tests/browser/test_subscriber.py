"""A subscriber, from the sign-up box on a release page to unsubscribing and changing their mind; every
email comes from a real Celery worker through an SMTP sink, and is opened in the browser."""

import re

import pytest

from pressroom.newsroom.models import Topic
from pressroom.newsroom.services import publish_release
from subscriptions.models import Subscriber
from tests.factories import AttachmentFactory, ReleaseFactory

from .conftest import PHONE, SEED_EN_SLUG, html_part, message_to, open_email, screenshot, text_part

pytestmark = pytest.mark.browser

ADDRESS = "reader@example.org"


def heading(page):
    return page.locator("main h1").inner_text()


def test_subscriber_signs_up_confirms_receives_changes_topics_unsubscribes_and_undoes(new_page, demo, mail):
    # On a phone, where most people read their email.
    page = new_page(viewport=PHONE)

    # Signs up from the box under an English release.
    page.goto(f"/en/releases/{SEED_EN_SLUG}/")
    page.locator("#signup-email").fill(ADDRESS)
    page.locator(".signup").scroll_into_view_if_needed()
    screenshot(page, "signup-1-box", full_page=False)
    page.locator(".signup__form button[type=submit]").click()
    page.wait_for_url("**/subscribe/")
    assert heading(page) == "Check your inbox"
    screenshot(page, "signup-2-check-inbox", full_page=False)
    subscriber = Subscriber.objects.get(email=ADDRESS)
    assert (subscriber.status, subscriber.language) == (Subscriber.Status.PENDING, "en")

    # The worker sends the confirmation email: no unsubscribe headers, since nobody is subscribed yet.
    confirmation = message_to(mail, ADDRESS)
    assert str(confirmation["Subject"]).startswith("Confirm your subscription to press releases from ")
    assert confirmation["List-Unsubscribe"] is None
    confirm_link = re.search(r"(http://\S+/subscribe/confirm/[^/\s]+/)", text_part(confirmation)).group(1)
    assert confirm_link.startswith(page.url.split("/subscribe/")[0])  # SITE_URL is the live server
    email_page = open_email(new_page(viewport=PHONE), confirmation)
    screenshot(email_page, "signup-3-email", full_page=False)

    # Opens the link from the email: a page with a button; the GET alone confirms nothing.
    with email_page.expect_navigation():
        email_page.locator("a.button").click()
    assert email_page.url == confirm_link
    assert heading(email_page) == "Confirm your subscription"
    screenshot(email_page, "signup-4-confirm", full_page=False)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    email_page.get_by_role("button", name="Confirm subscription").click()
    email_page.wait_for_load_state()
    assert heading(email_page) == "You are subscribed"
    screenshot(email_page, "signup-5-confirmed", full_page=False)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE

    # The next English release is published; the worker prepares the mailing and sends it.
    integration = Topic.objects.get(language="en", slug="integration")
    release = ReleaseFactory(
        language="en",
        title="New figures on settlement",
        lead="Municipalities settled more refugees this year.",
        body="<h2>The figures</h2><p>More municipalities took part.</p>",
        topics=[integration],
    )
    AttachmentFactory(release=release, alt_text="A red rectangle.")
    publish_release(release=release)
    email = message_to(mail, ADDRESS, subject="New figures on settlement")
    # Long header values are folded onto a continuation line; the address is what is between < and >.
    unsubscribe_url = re.fullmatch(r"<(\S+)>", str(email["List-Unsubscribe"]).strip()).group(1)
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"/subscribe/u/{subscriber.token}/" in unsubscribe_url
    assert f'href="{unsubscribe_url}"' in html_part(email)

    # Opens the email and its preferences link; changes topics.
    email_page = open_email(new_page(viewport=PHONE), email)
    assert email_page.locator("h1").inner_text() == "New figures on settlement"
    with email_page.expect_navigation():
        email_page.locator("a[href*='/subscribe/manage/']").click()
    assert heading(email_page) == "Your subscription"
    settlement = Topic.objects.get(language="en", slug="settlement")
    email_page.locator(f"input[name=topics][value='{settlement.pk}']").check()
    email_page.get_by_role("button", name="Save choices").click()
    email_page.wait_for_load_state()
    assert email_page.locator(".notices").inner_text() == "Your choices are saved."
    assert email_page.locator(f"input[name=topics][value='{settlement.pk}']").is_checked()
    subscriber.refresh_from_db()
    assert subscriber.all_topics is False
    assert list(subscriber.topics.all()) == [settlement]
    screenshot(email_page, "manage")

    # Unsubscribes through the List-Unsubscribe address: the page asks, the button acts.
    page.goto(unsubscribe_url)
    assert heading(page) == "Unsubscribe"
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert heading(page) == "You are unsubscribed"
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_method == Subscriber.UnsubscribeMethod.PAGE

    # ... and changes their mind.
    page.get_by_role("button", name="Undo: subscribe me again").click()
    page.wait_for_load_state()
    assert heading(page) == "You are subscribed again"
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert list(subscriber.topics.all()) == [settlement]
