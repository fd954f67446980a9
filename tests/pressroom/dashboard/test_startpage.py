"""The workspace's start page, header and task navigation."""

import pytest
from django.urls import reverse
from django.utils import timezone

from pressroom.newsroom.models import Release
from subscriptions.models import Delivery, Mailing
from tests.factories import NewsroomFactory, ReleaseFactory
from tests.subscriptions.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("redaktor", "r@example.org", "pw"))
    client.cookies["django_language"] = "en"
    return client


def test_the_header_and_title_name_the_newsroom(editor):
    NewsroomFactory(name="Integrerings- og mangfoldsdirektoratet")
    page = editor.get(reverse("admin:index")).content.decode()
    assert '<div id="site-name"><a href="/admin/">Integrerings- og mangfoldsdirektoratet</a></div>' in page
    assert "<title>Site administration | Integrerings- og mangfoldsdirektoratet</title>" in page
    assert "Django administration" not in page


def test_navigation_is_grouped_by_task_with_developer_last(editor):
    response = editor.get(reverse("admin:index"))
    names = [str(section["name"]) for section in response.context["app_list"]]
    assert names[:5] == ["Publish", "Audience", "Press", "Settings", "Developer"]
    publish = [model["object_name"] for model in response.context["app_list"][0]["models"]]
    assert publish[0] == "Release" and "Mailing" in publish
    assert editor.get(reverse("admin:workspace_group", args=["developer"])).status_code == 200
    assert editor.get(reverse("admin:workspace_group", args=["nothing"])).status_code == 404


def test_the_start_page_lists_drafts_scheduled_mailings_audience_and_recipients_to_decide(editor):
    ReleaseFactory(title="Et utkast", status=Release.Status.DRAFT, published_at=None)
    release = ReleaseFactory(
        title="Sendt melding", status=Release.Status.PUBLISHED, published_at=timezone.now()
    )
    SubscriberFactory.create_batch(2)
    mailing = Mailing.objects.create(release=release, kind=Mailing.Kind.RELEASE, recipients=2)
    for status in (Delivery.Status.FAILED, Delivery.Status.UNCERTAIN):
        Delivery.objects.create(mailing=mailing, email=f"{status}@example.org", status=status)
    response = editor.get(reverse("admin:index"))
    start = response.context["start"]
    assert start["drafts"]["count"] == 1 and start["drafts"]["rows"][0]["title"] == "Et utkast"
    assert start["awaiting_approval"] is None
    assert start["mailings"] == [mailing]
    assert start["attention"] == [{"mailing": mailing, "failed": 1, "uncertain": 1}]
    assert start["audience"]["active"] == 2
    page = response.content.decode()
    assert "Recipients that need a decision" in page
    assert reverse("admin:subscriptions_mailing_progress", args=[mailing.pk]) in page


def test_a_mailings_page_offers_no_save_button(editor):
    mailing = Mailing.objects.create(release=ReleaseFactory(), kind=Mailing.Kind.RELEASE)
    page = editor.get(reverse("admin:subscriptions_mailing_change", args=[mailing.pk])).content.decode()
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert "Last activity" in page and "Last activity at" not in page


def test_under_the_four_eyes_rule_drafts_edited_since_their_approval_await_it(
    editor, settings, django_user_model
):
    settings.REVIEW_FOUR_EYES = True
    author = django_user_model.objects.create_user("skribent")
    waiting = ReleaseFactory(title="Til godkjenning", status=Release.Status.DRAFT, published_at=None)
    Release.objects.filter(pk=waiting.pk).update(last_edited_by=author)
    approved = ReleaseFactory(title="Godkjent", status=Release.Status.DRAFT, published_at=None)
    Release.objects.filter(pk=approved.pk).update(
        last_edited_by=author, approved_by=author, approved_at=timezone.now()
    )

    start = editor.get(reverse("admin:index")).context["start"]

    assert start["awaiting_approval"]["count"] == 1
    assert [row["title"] for row in start["awaiting_approval"]["rows"]] == ["Til godkjenning"]
