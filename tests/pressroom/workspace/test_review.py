"""The confirmation pages: what will happen and to whom, counted with the code that later sends."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from pressroom.newsroom import services
from pressroom.newsroom.models import Release
from pressroom.press.models import Journalist, PreSend, PreSendRecipient, PressList
from pressroom.workspace import roles
from subscriptions import mailings
from subscriptions.models import Delivery, Mailing, Subscriber
from tests.factories import ReleaseFactory, TopicFactory
from tests.pressroom.newsroom.test_admin import CHANGELIST
from tests.subscriptions.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

DAILY, WEEKLY = Subscriber.Frequency.DAILY, Subscriber.Frequency.WEEKLY


@pytest.fixture
def audience():
    """A release in English on "Housing", and who wants it: 3 of every topic, 2 who chose Housing, 1 daily
    and 2 weekly digest readers; and some who must not count."""
    housing, schools = (
        TopicFactory(name="Housing", language="en"),
        TopicFactory(name="Schools", language="en"),
    )
    release = ReleaseFactory(language="en", title="Housing figures", topics=[housing])
    SubscriberFactory.create_batch(3)
    SubscriberFactory.create_batch(2, topics=[housing])
    SubscriberFactory(frequency=DAILY)
    SubscriberFactory.create_batch(2, frequency=WEEKLY, topics=[housing])
    SubscriberFactory(topics=[schools])  # another topic
    SubscriberFactory(language="nb")  # another language
    SubscriberFactory(unsubscribed=True)  # gone
    SubscriberFactory(pending=True)  # not confirmed
    return release


def test_publish_confirmation_names_the_audience_and_shows_the_email(client_for, audience):
    client = client_for(roles.PUBLISHER)
    page = client.get(reverse("admin:newsroom_release_publish", args=[audience.pk])).content.decode()

    assert mailings.audience(audience).count() == 5  # the query that chooses the recipients
    assert "5 subscribers get it by email at once" in page
    assert "3 follow all topics" in page
    assert "2 chose “Housing”" in page
    assert "1 subscriber gets it later in the daily digest." in page
    assert "2 subscribers get it later in the weekly digest." in page
    assert "Housing figures" in page
    assert "Subject" in page and "Ingressen til pressemeldingen." in page
    assert not Mailing.objects.exists()
    assert Release.objects.get(pk=audience.pk).status == Release.Status.DRAFT


@pytest.mark.parametrize("language, chose", [("nb", "2 valgte «Housing»"), ("nn", "2 valde «Housing»")])
def test_the_publish_confirmation_quotes_a_topic_with_norwegian_quotes_in_norwegian(
    client_for, audience, language, chose
):
    client = client_for(roles.PUBLISHER)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language

    page = client.get(reverse("admin:newsroom_release_publish", args=[audience.pk])).content.decode()

    assert chose in page
    assert "“" not in page


def test_the_confirmation_leads_back_to_the_release_and_the_list(client_for, audience):
    client = client_for(roles.PUBLISHER)
    page = client.get(reverse("admin:newsroom_release_publish", args=[audience.pk])).content.decode()

    crumbs = page.split('<div class="breadcrumbs">', 1)[1].split("</div>", 1)[0]
    assert f'href="{reverse("admin:newsroom_release_changelist")}"' in crumbs
    assert f'href="{reverse("admin:newsroom_release_change", args=[audience.pk])}">Housing figures' in crumbs
    assert "model-release" in page.split("<body", 1)[1].split(">", 1)[0]


def test_confirming_sends_to_exactly_the_counted_subscribers(
    client_for, audience, django_capture_on_commit_callbacks
):
    client = client_for(roles.PUBLISHER)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:newsroom_release_publish", args=[audience.pk]), {"confirm": "1"})
    assert Delivery.objects.filter(mailing__release=audience, mailing__kind=Mailing.Kind.RELEASE).count() == 5
    assert len(mail.outbox) == 5


def test_schedule_confirmation_names_the_audience_too(client_for, audience):
    client = client_for(roles.PUBLISHER)
    page = client.get(reverse("admin:newsroom_release_schedule", args=[audience.pk])).content.decode()
    assert "5 subscribers get it by email at once" in page
    assert 'type="datetime-local"' in page


def test_unpublish_confirmation_says_who_already_had_it_and_whose_embargo_links_stop(client_for):
    client = client_for(roles.PUBLISHER)
    release = ReleaseFactory(language="en", published=True)
    mailing = Mailing.objects.create(
        kind=Mailing.Kind.RELEASE, release=release, status=Mailing.Status.SENDING
    )
    for status in (Delivery.Status.SENT, Delivery.Status.SENT, Delivery.Status.QUEUED):
        Delivery.objects.create(mailing=mailing, subscriber=SubscriberFactory(), status=status)
    press_list = PressList.objects.create(name="Politics")
    presend = PreSend.objects.create(release=release, press_list=press_list, embargo_at=timezone.now())
    PreSendRecipient.objects.create(
        presend=presend, journalist=Journalist.objects.create(name="Ola", email="ola@nrk.no")
    )

    page = client.get(reverse("admin:newsroom_release_unpublish", args=[release.pk])).content.decode()

    assert "2 subscribers have already had it by email" in page
    assert "1 subscriber still waiting does not get it" in page
    assert "1 journalist had it under embargo" in page
    assert Release.objects.published().filter(pk=release.pk).exists()


def test_the_bulk_actions_end_on_the_confirmation_page(client_for, audience):
    client = client_for(roles.PUBLISHER)
    other = ReleaseFactory(language="en")
    data = {"action": "publish_now", ACTION_CHECKBOX_NAME: [audience.pk, other.pk], "index": "0"}

    page = client.post(CHANGELIST, data)

    assert page.status_code == 200
    html = page.content.decode()
    assert "5 subscribers get it by email at once" in html
    assert html.count('name="_selected_action"') == 2
    assert 'name="confirm"' in html
    assert set(Release.objects.values_list("status", flat=True)) == {Release.Status.DRAFT}


def test_the_release_page_offers_a_correction_once_public(client_for):
    client = client_for(roles.PUBLISHER)
    draft, public = ReleaseFactory(), ReleaseFactory(published=True)
    add = reverse("admin:press_correction_add")
    assert (
        f"{add}?release="
        not in client.get(reverse("admin:newsroom_release_change", args=[draft.pk])).content.decode()
    )
    html = client.get(reverse("admin:newsroom_release_change", args=[public.pk])).content.decode()
    assert f"{add}?release={public.pk}" in html
    form = client.get(f"{add}?release={public.pk}")
    assert form.context["adminform"].form.initial["release"] == str(public.pk)


def test_the_presend_confirmation_lists_the_journalists_and_leaves_out_those_with_a_copy(client_for):
    client = client_for(roles.PUBLISHER)
    release = ReleaseFactory(language="en", scheduled=True)
    services.publish_release(release=release, at=timezone.now() + timedelta(days=1))
    ola = Journalist.objects.create(name="Ola Journalist", email="ola@nrk.no")
    kari = Journalist.objects.create(name="Kari Reporter", email="kari@a.no", outlet="Aftenposten")
    first, second = PressList.objects.create(name="First"), PressList.objects.create(name="Second")
    first.members.add(ola)
    second.members.add(ola, kari)
    client.post(
        reverse("admin:press_presend_add"), {"release": release.pk, "press_list": first.pk, "confirm": "1"}
    )

    page = client.post(reverse("admin:press_presend_add"), {"release": release.pk, "press_list": second.pk})

    html = page.content.decode()
    assert "1 journalist gets it." in html
    assert "Kari Reporter (Aftenposten)" in html and "Ola Journalist" not in html
    assert "EMBARGO" in html
    assert PreSend.objects.count() == 1
