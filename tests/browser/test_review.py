"""A publisher reviews the audience on the confirmation page and publishes; axe on that page."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core import mail

from pressroom.newsroom.models import Release
from pressroom.workspace import roles
from subscriptions.models import Subscriber
from tests.factories import NewsroomFactory, ReleaseFactory, TopicFactory
from tests.subscriptions.factories import SubscriberFactory

from .conftest import axe_audit, blocking, confirm_publishing, review_publishing, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
TITLE = "Flere kommuner bosetter flyktninger"


@pytest.fixture
def release(db):
    """A draft in bokmål on "Bosetting": 3 subscribers of every topic and 1 of the topic get it at once,
    1 in the daily digest; 2 others do not."""
    NewsroomFactory()
    topic = TopicFactory(name="Bosetting", language="nb")
    SubscriberFactory.create_batch(3, language="nb")
    SubscriberFactory(language="nb", topics=[topic])
    SubscriberFactory(language="nb", frequency=Subscriber.Frequency.DAILY)
    SubscriberFactory(language="en")
    SubscriberFactory(language="nb", topics=[TopicFactory(name="Skole", language="nb")])
    return ReleaseFactory(language="nb", title=TITLE, topics=[topic])


@pytest.fixture
def publisher(db):
    # A live server's test empties the tables when it ends, the migration's groups too: made again here.
    roles.sync_roles(apps, only_missing=True)
    user = User.objects.create_user("publisher", "publisher@example.org", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=roles.PUBLISHER))
    return user


def log_in(page, username):
    page.goto("/admin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url("**/admin/")


def test_a_publisher_reviews_the_audience_and_publishes(new_page, publisher, release):
    page = new_page()
    log_in(page, "publisher")

    review = review_publishing(page, release)
    assert "4 subscribers get it by email at once" in review
    assert "1 chose “Bosetting”" in review
    assert "1 subscriber gets it later in the daily digest." in review
    assert TITLE in page.locator(".pressroom-email-preview").inner_text()
    screenshot(page, "admin-publish-confirmation")
    # Nothing has happened yet.
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT
    assert not mail.outbox

    assert confirm_publishing(page, release) == f"“{TITLE}” is published."
    assert page.locator(".pressroom-badge--published").count() == 1
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        Subscriber.objects.filter(language="nb", frequency="immediately")
        .exclude(topics__name="Skole")
        .values_list("email", flat=True)
    )


@pytest.mark.parametrize("locale", ["en-GB", "nb-NO"])
@pytest.mark.parametrize("action", ["publish", "schedule", "unpublish"])
def test_the_confirmation_pages_have_no_serious_axe_violations(
    new_page, axe_source, publisher, release, locale, action
):
    if action == "unpublish":
        Release.objects.filter(pk=release.pk).update(
            status=Release.Status.PUBLISHED, published_at=release.created_at
        )
    # axe is injected as a script, which the admin's CSP rightly refuses: this context bypasses it.
    page = new_page(locale=locale, bypass_csp=True)
    log_in(page, "publisher")
    page.goto(f"/admin/newsroom/release/{release.pk}/{action}/")
    assert page.locator("input[name=confirm]").count() == 1

    found, message = blocking(axe_audit(page, axe_source, f"admin-confirm-{action} ({locale})"))
    assert not found, message
