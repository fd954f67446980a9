"""Every saved version of a release is kept, compared side by side and restorable from the admin; the
editors' API records versions too."""

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from pressroom.newsroom import history, services
from pressroom.newsroom.models import Newsroom, Release
from tests.factories import AttachmentFactory, NewsroomFactory, ReleaseFactory
from tests.pressroom.api.api_helpers import api_client, editor, token_for
from tests.pressroom.newsroom.test_admin import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(admin_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    return client


def add_and_change(client):
    """A release saved twice in the admin: first titled "Første tittel", then "Andre tittel"."""
    response = client.post(
        reverse("admin:newsroom_release_add"),
        form_data(title="Første tittel", slug="sak", body="<p>Gammel tekst om bosetting.</p>"),
    )
    assert response.status_code == 302, response.content
    release = Release.objects.get(slug="sak")
    response = client.post(
        reverse("admin:newsroom_release_change", args=[release.pk]),
        form_data(title="Andre tittel", slug="sak", body="<p>Ny tekst om bosetting.</p>"),
    )
    assert response.status_code == 302, response.content
    release.refresh_from_db()
    return release


def test_two_saves_in_the_admin_make_two_versions(client, admin_user):
    release = add_and_change(client)

    versions = list(history.versions_of(release))

    assert len(versions) == 2
    assert [v.field_dict["title"] for v in versions] == ["Andre tittel", "Første tittel"]
    assert {v.revision.user for v in versions} == {admin_user}


def test_the_history_page_lists_the_versions_with_links_to_compare(client):
    release = add_and_change(client)
    newer, older = history.versions_of(release)

    page = client.get(reverse("admin:newsroom_release_history", args=[release.pk])).content.decode()

    compare_newer = reverse("admin:newsroom_release_revision", args=[release.pk, newer.pk])
    assert f'href="{compare_newer}?with={older.pk}"' in page
    assert reverse("admin:newsroom_release_revision", args=[release.pk, older.pk]) in page


def test_compare_shows_the_changed_title_and_body_side_by_side(client):
    release = add_and_change(client)
    older = history.versions_of(release).last()

    response = client.get(reverse("admin:newsroom_release_revision", args=[release.pk, older.pk]))

    assert response.status_code == 200
    rows = {str(row["label"]): row for row in response.context["rows"]}
    assert rows["Title"]["changed"] is True
    assert rows["Title"]["old"] == "<del>Første</del> tittel"
    assert rows["Title"]["new"] == "<ins>Andre</ins> tittel"
    assert rows["Body"]["old"] == "<del>Gammel</del> tekst om bosetting."
    assert rows["Lead"]["changed"] is False
    assert "<del>Første</del> tittel" in response.content.decode()


def test_compare_shows_attachments_added_since(client):
    release = add_and_change(client)
    older = history.versions_of(release).last()
    AttachmentFactory(release=release, title="Diagram")

    response = client.get(reverse("admin:newsroom_release_revision", args=[release.pk, older.pk]))

    rows = {str(row["label"]): row for row in response.context["rows"]}
    assert rows["Images and documents"]["changed"] is True
    assert rows["Images and documents"]["new"].startswith("<ins>Diagram")


def test_compare_escapes_what_the_versions_hold(client):
    release = add_and_change(client)
    release.title = "<script>alert(1)</script>"
    release.save()
    older = history.versions_of(release).last()

    page = client.get(
        reverse("admin:newsroom_release_revision", args=[release.pk, older.pk])
    ).content.decode()

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_restore_brings_back_the_old_text_and_keeps_the_publication_state(client, admin_user):
    release = add_and_change(client)
    older = history.versions_of(release).last()
    services.publish_release(release=release)
    published_at = Release.objects.get(pk=release.pk).published_at

    response = client.post(reverse("admin:newsroom_release_revision", args=[release.pk, older.pk]))

    assert response.status_code == 302
    release.refresh_from_db()
    assert release.title == "Første tittel"
    assert release.body == "<p>Gammel tekst om bosetting.</p>"
    assert release.status == Release.Status.PUBLISHED
    assert release.published_at == published_at
    latest = history.versions_of(release).first()
    assert latest.field_dict["title"] == "Første tittel"
    assert latest.revision.user == admin_user
    assert latest.revision.get_comment().startswith("Restored the version saved")


def test_restore_removes_attachments_added_since_the_version(client):
    release = add_and_change(client)
    older = history.versions_of(release).last()
    AttachmentFactory(release=release)

    client.post(reverse("admin:newsroom_release_revision", args=[release.pk, older.pk]))

    assert release.attachments.count() == 0


def test_a_user_without_change_permission_cannot_restore(client):
    release = add_and_change(client)
    older = history.versions_of(release).last()
    reader = User.objects.create_user("leser", password="pw", is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_release"))
    reader_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    reader_client.force_login(reader)
    url = reverse("admin:newsroom_release_revision", args=[release.pk, older.pk])

    page = reader_client.get(url)
    response = reader_client.post(url)

    assert page.status_code == 200
    assert "Restore this version" not in page.content.decode()
    assert response.status_code == 403
    release.refresh_from_db()
    assert release.title == "Andre tittel"
    assert history.versions_of(release).count() == 2


def test_a_user_without_any_permission_on_releases_cannot_compare(client):
    release = add_and_change(client)
    older = history.versions_of(release).last()
    outsider = User.objects.create_user("utenfor", password="pw", is_staff=True)
    outsider_client = Client()
    outsider_client.force_login(outsider)

    response = outsider_client.get(reverse("admin:newsroom_release_revision", args=[release.pk, older.pk]))

    assert response.status_code == 403


def test_a_version_of_another_release_is_not_found(client):
    release = add_and_change(client)
    other = ReleaseFactory()
    version = history.versions_of(release).first()

    response = client.post(reverse("admin:newsroom_release_revision", args=[other.pk, version.pk]))

    assert response.status_code == 404


def test_saves_through_the_editors_api_make_versions():
    user = editor()
    _, key = token_for(user, name="Intranett")
    api = api_client(key)

    created = api.post(
        "/api/v1/editor/releases/", json.dumps({"title": "Fra API"}), content_type="application/json"
    )
    assert created.status_code == 201, created.content
    release = Release.objects.get(pk=created.json()["id"])
    changed = api.patch(
        f"/api/v1/editor/releases/{release.pk}/",
        json.dumps({"title": "Endret fra API"}),
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content

    versions = list(history.versions_of(release))
    assert [v.field_dict["title"] for v in versions] == ["Endret fra API", "Fra API"]
    assert versions[0].revision.user == user
    assert versions[0].revision.get_comment() == "Saved through the API (token “Intranett”)."


def test_the_newsroom_profile_keeps_its_versions(client):
    newsroom = NewsroomFactory(name="IMDi")
    url = reverse("admin:newsroom_newsroom_change", args=[newsroom.pk])
    data = {
        "name": "Integrerings- og mangfoldsdirektoratet",
        "default_language": "nb",
        "translations-TOTAL_FORMS": "0",
        "translations-INITIAL_FORMS": "0",
    }

    response = client.post(url, data)

    assert response.status_code == 302, response.content
    versions = Version.objects.get_for_object(Newsroom.objects.get())
    assert [v.field_dict["name"] for v in versions] == ["Integrerings- og mangfoldsdirektoratet"]
    assert client.get(reverse("admin:newsroom_newsroom_history", args=[newsroom.pk])).status_code == 200


def test_the_compare_page_is_translated(client):
    release = add_and_change(client)
    older = history.versions_of(release).last()
    url = reverse("admin:newsroom_release_revision", args=[release.pk, older.pk])

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="nb").content.decode()

    assert "Gjenopprett denne versjonen" in page
    assert "Brødtekst" in page
    assert "Restore this version" not in page


def test_deleted_releases_are_not_recovered_past_the_publishing_services(client):
    release = add_and_change(client)
    version = history.versions_of(release).first()
    release.delete()

    assert client.get("/admin/newsroom/release/recover/").status_code == 404
    assert client.post(f"/admin/newsroom/release/recover/{version.pk}/").status_code == 404
    assert not Release.objects.exists()


def test_comparing_with_a_version_that_is_not_one_is_not_found(client):
    release = add_and_change(client)
    version = history.versions_of(release).first()
    url = reverse("admin:newsroom_release_revision", args=[release.pk, version.pk])

    assert client.get(url, {"with": "x'"}).status_code == 404
    assert client.get(url, {"with": "999999"}).status_code == 404
