import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from pressroom.newsroom.models import Contact, Newsroom, Release, Topic
from tests.factories import (
    AttachmentFactory,
    ContactFactory,
    NewsroomFactory,
    ReleaseContactFactory,
    ReleaseFactory,
    TopicFactory,
    png_bytes,
)

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
CHANGELIST = "/admin/newsroom/release/"


def change_url(release):
    return reverse("admin:newsroom_release_change", args=[release.pk])


def form_data(**overrides):
    """What the release change form posts, with both inlines empty."""
    data = {
        "title": "Ny pressemelding",
        "slug": "",
        "kind": "press_release",
        "language": "nb",
        "lead": "Ingress.",
        "body": "<p>Tekst.</p>",
        "translation_of": "",
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
        "video_links-TOTAL_FORMS": "0",
        "video_links-INITIAL_FORMS": "0",
        "video_links-MIN_NUM_FORMS": "0",
        "video_links-MAX_NUM_FORMS": "1000",
        "release_contacts-TOTAL_FORMS": "0",
        "release_contacts-INITIAL_FORMS": "0",
        "release_contacts-MIN_NUM_FORMS": "0",
        "release_contacts-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def oslo_input(value):
    return timezone.localtime(value, OSLO).strftime("%Y-%m-%dT%H:%M")


def oslo_noon(days):
    """Noon in Oslo DAYS from today: never a wall-clock time that daylight saving skips or repeats."""
    return (
        (timezone.now() + timedelta(days=days))
        .astimezone(OSLO)
        .replace(hour=12, minute=0, second=0, microsecond=0)
    )


# Release changelist


def test_changelist_shows_status_badges_publish_time_in_oslo_and_topics(admin_client):
    topic = TopicFactory(name="Bosetting")
    published = ReleaseFactory(title="Publisert sak", published=True, topics=[topic])
    published.published_at = datetime(2024, 6, 24, 10, 0, tzinfo=OSLO)
    published.save()
    ReleaseFactory(title="Utkast")
    ReleaseFactory(title="Planlagt", scheduled=True)

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="pressroom-badge pressroom-badge--published">' in html
    assert '<span class="pressroom-badge pressroom-badge--draft">' in html
    assert '<span class="pressroom-badge pressroom-badge--scheduled">' in html
    assert "24.06.2024 10.00 CEST" in html
    assert "Bosetting" in html
    assert reverse("pressroom:preview", kwargs={"pk": published.pk}) in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status__exact=published", {"Publisert"}),
        ("status__exact=draft", {"Utkast på engelsk"}),
        ("kind__exact=news", {"Nyhet"}),
        ("language__exact=en", {"Utkast på engelsk"}),
    ],
)
def test_changelist_filters(admin_client, query, expected):
    ReleaseFactory(title="Publisert", published=True)
    ReleaseFactory(title="Nyhet", kind="news", scheduled=True)
    ReleaseFactory(title="Utkast på engelsk", language="en")

    response = admin_client.get(f"{CHANGELIST}?{query}")

    assert response.status_code == 200
    assert {r.title for r in response.context["cl"].result_list} == expected


def test_changelist_filters_by_topic_and_date(admin_client):
    topic = TopicFactory(name="Statistikk")
    tagged = ReleaseFactory(published=True, topics=[topic])
    ReleaseFactory(published=True)

    by_topic = admin_client.get(f"{CHANGELIST}?topics__id__exact={topic.pk}")
    year = timezone.localtime(tagged.published_at).year
    by_year = admin_client.get(f"{CHANGELIST}?published_at__year={year}")

    assert list(by_topic.context["cl"].result_list) == [tagged]
    assert by_year.context["cl"].result_count == 2


def test_changelist_search_looks_in_title_lead_and_body(admin_client):
    in_title = ReleaseFactory(title="Bosetting av flyktninger")
    in_lead = ReleaseFactory(lead="Mer om bosetting her.")
    in_body = ReleaseFactory(body="<p>Kommunene og bosetting.</p>")
    ReleaseFactory(title="Noe annet", lead="Helt annet", body="<p>Annet.</p>")

    response = admin_client.get(f"{CHANGELIST}?q=bosetting")

    assert set(response.context["cl"].result_list) == {in_title, in_lead, in_body}


# Release change form


def test_change_form_renders_with_inlines_and_readonly_publication(admin_client):
    release = ReleaseFactory(published=True)
    image = AttachmentFactory(release=release)
    ReleaseContactFactory(release=release)

    response = admin_client.get(change_url(release))

    assert response.status_code == 200
    html = response.content.decode()
    form = response.context["adminform"].form
    assert "status" not in form.fields
    assert "published_at" not in form.fields
    assert 'name="attachments-0-alt_text"' in html
    assert 'name="release_contacts-0-contact"' in html
    thumb = reverse("pressroom:rendition", kwargs={"pk": image.pk, "name": "thumb"})
    assert f'<img src="{thumb}" alt="Et rødt rektangel." class="pressroom-thumb">' in html
    assert "image/png" in html
    assert "24 × 16 px" in html
    assert "data-django-prose-editor-configurable" in html


def test_change_form_scripts_all_pass_the_csp(admin_client):
    """The prose editor's import map is inline: it carries this response's nonce, and nothing else
    inline runs."""
    release = ReleaseFactory()

    response = admin_client.get(change_url(release))

    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1).split()
    nonces = [s for s in script_src if s.startswith("'nonce-")]
    assert "'self'" in script_src
    assert len(nonces) == 1
    nonce = nonces[0][len("'nonce-") : -1]
    html = response.content.decode()
    importmap = re.search(r'<script type="importmap"([^>]*)>', html)
    assert importmap is not None
    assert f'nonce="{nonce}"' in importmap.group(1)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'src="/' in tag or f'nonce="{nonce}"' in tag, tag
    assert "/static/django_prose_editor/editor.js" in html
    assert "/static/django_prose_editor/configurable.js" in html


def test_changelist_keeps_the_strict_csp(admin_client):
    ReleaseFactory()

    response = admin_client.get(CHANGELIST)

    assert "nonce-" not in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_add_form_creates_a_draft(admin_client):
    topic = TopicFactory()

    response = admin_client.post(
        reverse("admin:newsroom_release_add"),
        form_data(title="Søknad på én side", topics=[topic.pk], status="published"),
    )

    assert response.status_code == 302
    release = Release.objects.get()
    assert release.status == Release.Status.DRAFT
    assert release.published_at is None
    assert release.slug == "soknad-pa-en-side"
    assert list(release.topics.all()) == [topic]


def test_save_and_publish_saves_then_publishes_only_on_the_confirmation(admin_client):
    release = ReleaseFactory(title="Gammel tittel")
    confirm = reverse("admin:newsroom_release_publish", args=[release.pk])

    response = admin_client.post(change_url(release), form_data(title="Ny tittel", _publish="1"))

    assert response.status_code == 302
    assert response["Location"] == confirm
    release.refresh_from_db()
    assert release.title == "Ny tittel"
    assert release.status == Release.Status.DRAFT
    assert admin_client.get(confirm).status_code == 200
    assert admin_client.post(confirm).status_code == 200  # without the confirm button: the page again
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT

    response = admin_client.post(confirm, {"confirm": "1"})

    assert response["Location"] == change_url(release)
    release.refresh_from_db()
    assert release.title == "Ny tittel"
    assert release.status == Release.Status.PUBLISHED
    assert release.published_at is not None
    assert release.first_published_at == release.published_at
    assert release.is_public


def test_add_and_publish_now(admin_client):
    response = admin_client.post(reverse("admin:newsroom_release_add"), form_data(_publish="1"))

    release = Release.objects.get()
    assert response["Location"] == reverse("admin:newsroom_release_publish", args=[release.pk])
    assert release.status == Release.Status.DRAFT
    admin_client.post(response["Location"], {"confirm": "1"})
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED


def test_save_and_schedule_goes_to_the_schedule_form(admin_client):
    release = ReleaseFactory()

    response = admin_client.post(change_url(release), form_data(_schedule="1"))

    assert response["Location"] == reverse("admin:newsroom_release_schedule", args=[release.pk])
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT


def test_schedule_view_schedules_in_oslo_time(admin_client):
    release = ReleaseFactory()
    url = reverse("admin:newsroom_release_schedule", args=[release.pk])
    when = oslo_noon(3)

    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"publish_at": when.strftime("%Y-%m-%dT%H:%M"), "confirm": "1"})

    assert response.status_code == 302
    release.refresh_from_db()
    assert release.status == Release.Status.SCHEDULED
    assert release.published_at == when
    assert not release.is_public


def test_schedule_view_refuses_a_past_time(admin_client):
    release = ReleaseFactory()
    url = reverse("admin:newsroom_release_schedule", args=[release.pk])

    response = admin_client.post(url, {"publish_at": oslo_input(oslo_noon(-1)), "confirm": "1"})

    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["publish_at"]] == ["past"]
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT


@pytest.mark.parametrize("value", ["", "not a date", "2025-13-45T99:99"])
def test_schedule_view_shows_errors_for_bad_input(admin_client, value):
    release = ReleaseFactory()
    url = reverse("admin:newsroom_release_schedule", args=[release.pk])

    response = admin_client.post(url, {"publish_at": value, "confirm": "1"})

    assert response.status_code == 200
    assert response.context["form"].errors["publish_at"]


def test_unpublish_makes_the_release_a_draft_once_confirmed(admin_client):
    release = ReleaseFactory(published=True)
    url = reverse("admin:newsroom_release_unpublish", args=[release.pk])

    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url).status_code == 200
    assert Release.objects.published().exists()
    response = admin_client.post(url, {"confirm": "1"})

    assert response["Location"] == change_url(release)
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT
    assert not release.is_public
    assert not Release.objects.published().exists()


def test_publishing_views_need_change_permission(client, django_user_model):
    release = ReleaseFactory(published=True)
    staff = django_user_model.objects.create_user("viewer", password="pw-for-tests", is_staff=True)
    client.force_login(staff)

    response = client.post(reverse("admin:newsroom_release_unpublish", args=[release.pk]), {"confirm": "1"})

    assert response.status_code == 403
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED


def test_unknown_release_in_publishing_views_is_404(admin_client):
    assert admin_client.get(reverse("admin:newsroom_release_schedule", args=[999])).status_code == 404
    assert admin_client.post(reverse("admin:newsroom_release_unpublish", args=[999])).status_code == 404


def test_publication_buttons_follow_the_status(admin_client):
    draft = ReleaseFactory()
    published = ReleaseFactory(published=True)

    draft_html = admin_client.get(change_url(draft)).content.decode()
    published_html = admin_client.get(change_url(published)).content.decode()

    assert 'name="_publish"' in draft_html
    assert reverse("admin:newsroom_release_unpublish", args=[draft.pk]) not in draft_html
    assert 'name="_publish"' not in published_html
    assert reverse("admin:newsroom_release_unpublish", args=[published.pk]) in published_html
    for release, html in ((draft, draft_html), (published, published_html)):
        assert reverse("pressroom:preview", kwargs={"pk": release.pk}) in html
        assert reverse("admin:newsroom_release_schedule", args=[release.pk]) in html


def test_view_on_site_only_for_public_releases(admin_client):
    draft = ReleaseFactory()
    scheduled = ReleaseFactory(scheduled=True)
    published = ReleaseFactory(published=True)

    for release in (draft, scheduled):
        assert admin_client.get(change_url(release)).context["has_absolute_url"] is False
    response = admin_client.get(change_url(published))
    assert response.context["has_absolute_url"] is True
    assert 'class="viewsitelink"' in response.content.decode()


def test_slug_is_read_only_once_published(admin_client):
    draft = ReleaseFactory()
    published = ReleaseFactory(published=True)
    unpublished = ReleaseFactory(published=True)
    unpublished.status = Release.Status.DRAFT
    unpublished.save()

    assert "slug" in admin_client.get(change_url(draft)).context["adminform"].form.fields
    for release in (published, unpublished):
        assert "slug" not in admin_client.get(change_url(release)).context["adminform"].form.fields

    admin_client.post(change_url(published), form_data(title=published.title, slug="ny-adresse"))
    old_slug = published.slug
    published.refresh_from_db()
    assert published.slug == old_slug


def test_translation_must_be_in_another_language(admin_client):
    original = ReleaseFactory(language="nb")

    response = admin_client.post(
        reverse("admin:newsroom_release_add"), form_data(translation_of=original.slug, language="nb")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()["translation_of"]
    assert [e.code for e in errors] == ["language"]


# Bulk actions


def test_bulk_publish_now(admin_client):
    drafts = [ReleaseFactory(), ReleaseFactory()]
    already = ReleaseFactory(published=True)
    published_at = already.published_at

    selected = {
        "action": "publish_now",
        ACTION_CHECKBOX_NAME: [r.pk for r in [*drafts, already]],
        "index": "0",
    }
    review = admin_client.post(CHANGELIST, selected)
    assert review.status_code == 200
    assert set(Release.objects.filter(pk__in=[r.pk for r in drafts]).values_list("status", flat=True)) == {
        Release.Status.DRAFT
    }

    response = admin_client.post(CHANGELIST, {**selected, "confirm": "1"})

    assert response.status_code == 302
    for release in drafts:
        release.refresh_from_db()
        assert release.status == Release.Status.PUBLISHED
    already.refresh_from_db()
    assert already.published_at == published_at


def test_bulk_unpublish(admin_client):
    releases = [ReleaseFactory(published=True), ReleaseFactory(scheduled=True)]

    selected = {"action": "unpublish", ACTION_CHECKBOX_NAME: [r.pk for r in releases], "index": "0"}
    assert admin_client.post(CHANGELIST, selected).status_code == 200
    assert Release.objects.published().exists()
    admin_client.post(CHANGELIST, {**selected, "confirm": "1"})

    assert set(Release.objects.values_list("status", flat=True)) == {Release.Status.DRAFT}


def test_bulk_schedule_asks_for_a_time_then_schedules(admin_client):
    releases = [ReleaseFactory(), ReleaseFactory()]
    selected = [r.pk for r in releases]
    when = oslo_noon(1)

    form_page = admin_client.post(
        CHANGELIST, {"action": "schedule", ACTION_CHECKBOX_NAME: selected, "index": "0"}
    )
    assert form_page.status_code == 200
    assert 'type="datetime-local"' in form_page.content.decode()
    assert set(Release.objects.values_list("status", flat=True)) == {Release.Status.DRAFT}

    done = admin_client.post(
        CHANGELIST,
        {
            "action": "schedule",
            ACTION_CHECKBOX_NAME: selected,
            "confirm": "1",
            "publish_at": when.strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert done.status_code == 302
    assert list(Release.objects.values_list("status", "published_at").order_by().distinct()) == [
        (Release.Status.SCHEDULED, when)
    ]


def test_bulk_schedule_with_a_past_time_shows_the_form_again(admin_client):
    release = ReleaseFactory()

    response = admin_client.post(
        CHANGELIST,
        {
            "action": "schedule",
            ACTION_CHECKBOX_NAME: [release.pk],
            "confirm": "1",
            "publish_at": oslo_input(oslo_noon(-1)),
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["publish_at"]
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT


# Newsroom profile: a singleton


def test_newsroom_changelist_goes_to_add_when_there_is_none(admin_client):
    response = admin_client.get("/admin/newsroom/newsroom/")

    assert response["Location"] == reverse("admin:newsroom_newsroom_add")


def test_newsroom_changelist_goes_to_the_one_profile(admin_client):
    newsroom = NewsroomFactory()

    response = admin_client.get("/admin/newsroom/newsroom/")

    assert response["Location"] == reverse("admin:newsroom_newsroom_change", args=[newsroom.pk])
    change = admin_client.get(response["Location"])
    assert change.status_code == 200
    assert "data-django-prose-editor-configurable" in change.content.decode()
    assert "nonce-" in change["Content-Security-Policy"]


def test_newsroom_cannot_be_added_twice_or_deleted(admin_client):
    newsroom = NewsroomFactory()

    assert admin_client.get(reverse("admin:newsroom_newsroom_add")).status_code == 403
    assert admin_client.get(reverse("admin:newsroom_newsroom_delete", args=[newsroom.pk])).status_code == 403
    assert Newsroom.objects.count() == 1


def test_newsroom_add_form_saves_the_profile(admin_client):
    response = admin_client.post(
        reverse("admin:newsroom_newsroom_add"),
        {
            "name": "IMDi",
            "tagline": "",
            "about": "<p>Om oss<script>alert(1)</script></p>",
            "website": "https://www.imdi.no",
            "email": "",
            "phone": "",
            "default_language": "nb",
            "translations-TOTAL_FORMS": "0",
            "translations-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    newsroom = Newsroom.load()
    assert newsroom.name == "IMDi"
    assert newsroom.about == "<p>Om oss</p>"


# Topics and contacts


def test_topic_admin_lists_and_adds_with_prepopulated_slug(admin_client):
    ReleaseFactory(topics=[TopicFactory(name="Bosetting")])

    listing = admin_client.get("/admin/newsroom/topic/")
    add_page = admin_client.get(reverse("admin:newsroom_topic_add"))
    created = admin_client.post(
        reverse("admin:newsroom_topic_add"), {"name": "Arbeid", "slug": "arbeid", "language": "nb"}
    )

    assert listing.status_code == 200
    assert "Bosetting" in listing.content.decode()
    assert "django-admin-prepopulated-fields-constants" in add_page.content.decode()
    assert "&quot;id&quot;: &quot;#id_slug&quot;" in add_page.content.decode()
    assert created.status_code == 302
    assert Topic.objects.get(name="Arbeid").slug == "arbeid"


def test_contact_admin_edits_order_and_active_in_the_list(admin_client):
    first = ContactFactory(order=0)
    second = ContactFactory(order=1)

    listing = admin_client.get("/admin/newsroom/contact/")
    response = admin_client.post(
        "/admin/newsroom/contact/",
        {
            "form-TOTAL_FORMS": "2",
            "form-INITIAL_FORMS": "2",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": first.pk,
            "form-0-order": "5",
            "form-0-is_active": "on",
            "form-1-id": second.pk,
            "form-1-order": "1",
            "_save": "Save",
        },
    )

    assert listing.status_code == 200
    assert response.status_code == 302
    assert list(Contact.objects.values_list("pk", "order", "is_active")) == [
        (second.pk, 1, False),
        (first.pk, 5, True),
    ]


def test_contact_change_page_renders(admin_client):
    contact = ContactFactory()

    assert admin_client.get(reverse("admin:newsroom_contact_change", args=[contact.pk])).status_code == 200
    assert admin_client.get(reverse("admin:newsroom_contact_add")).status_code == 200


def test_release_cannot_translate_itself(admin_client):
    release = ReleaseFactory(language="en")

    response = admin_client.post(
        change_url(release), form_data(title=release.title, translation_of=release.slug, language="en")
    )

    errors = response.context["adminform"].form.errors.as_data()["translation_of"]
    assert [e.code for e in errors] == ["self"]


def test_english_and_nynorsk_versions_of_a_norwegian_release_share_its_group(admin_client):
    original = ReleaseFactory(language="nb")

    for title, language in [("More refugees in work", "en"), ("Fleire flyktningar i arbeid", "nn")]:
        response = admin_client.post(
            reverse("admin:newsroom_release_add"),
            form_data(title=title, translation_of=original.slug, language=language),
        )
        assert response.status_code == 302

    original.refresh_from_db()
    assert original.translation_group is not None
    versions = Release.objects.filter(translation_group=original.translation_group)
    assert sorted(versions.values_list("language", flat=True)) == ["en", "nb", "nn"]
    # The change form shows the group, and saving it unchanged keeps it.
    english = Release.objects.get(language="en")
    response = admin_client.get(change_url(english))
    assert response.context["adminform"].form.initial["translation_of"] == original.slug
    assert "Fleire flyktningar i arbeid" in response.content.decode()
    response = admin_client.post(
        change_url(english), form_data(title=english.title, translation_of=original.slug, language="en")
    )
    assert response.status_code == 302
    english.refresh_from_db()
    assert english.translation_group_id == original.translation_group_id


def test_a_group_has_one_version_per_language(admin_client):
    original = ReleaseFactory(language="nb")
    ReleaseFactory(language="en", version_of=original)

    response = admin_client.post(
        reverse("admin:newsroom_release_add"),
        form_data(title="Another English one", translation_of=original.slug, language="en"),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()["translation_of"]
    assert [e.code for e in errors] == ["unique"]
    assert Release.objects.filter(language="en").count() == 1


def test_emptying_version_of_takes_the_release_out_of_its_group(admin_client):
    original = ReleaseFactory(language="nb")
    english = ReleaseFactory(language="en", version_of=original)

    response = admin_client.post(change_url(english), form_data(title=english.title, language="en"))

    assert response.status_code == 302
    english.refresh_from_db()
    assert english.translation_group is None


def test_an_unknown_release_in_version_of_is_a_form_error(admin_client):
    response = admin_client.post(
        reverse("admin:newsroom_release_add"), form_data(translation_of="finnes-ikke", language="en")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["translation_of"]
    assert not Release.objects.exists()


def test_current_files_link_to_the_views_that_serve_them(admin_client, settings):
    release = ReleaseFactory()
    document = AttachmentFactory(release=release, pdf=True)
    contact = ContactFactory(photo=ContentFile(png_bytes(), name="kari.png"))
    newsroom = NewsroomFactory(logo=ContentFile(png_bytes(), name="logo.png"))

    pages = {
        change_url(release): document.get_absolute_url(),
        reverse("admin:newsroom_contact_change", args=[contact.pk]): reverse(
            "pressroom:contact_photo", kwargs={"pk": contact.pk}
        ),
        reverse("admin:newsroom_newsroom_change", args=[newsroom.pk]): reverse("pressroom:newsroom_logo"),
    }
    for page, file_url in pages.items():
        html = admin_client.get(page).content.decode()
        assert f'<a href="{file_url}">' in html, page
        assert settings.MEDIA_URL not in html, page
    assert admin_client.get(document.get_absolute_url()).status_code == 200
