"""The editors' API: tokens and scopes, drafts, validation errors, attachments, publishing, rate limits."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from pressroom.api.models import ApiToken
from pressroom.newsroom.models import Attachment, Release
from tests.factories import (
    AttachmentFactory,
    ContactFactory,
    NewsroomFactory,
    ReleaseFactory,
    TopicFactory,
    mp4_bytes,
    pdf_bytes,
    png_bytes,
    vtt_bytes,
)
from tests.pressroom.api.api_helpers import api_client, editor, token_for

pytestmark = pytest.mark.django_db

API = "/api/v1/editor"


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


@pytest.fixture
def user():
    return editor()


@pytest.fixture
def key(user):
    return token_for(user)[1]


@pytest.fixture
def client(key):
    return api_client(key)


def send(client, method, url, data=None, status=200):
    body = "" if data is None else json.dumps(data)
    response = getattr(client, method)(url, body, content_type="application/json")
    assert response.status_code == status, response.content
    return response.json() if response.content else None


def errors(client, method, url, data=None, status=400):
    return send(client, method, url, data, status=status)["errors"]


# Authentication, scopes, permissions


def test_without_a_token_it_is_401_with_a_bearer_challenge():
    response = api_client().get(f"{API}/releases/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="pressroom"'
    assert list(response.json()["errors"]) == ["__all__"]


@pytest.mark.parametrize("header", ["Bearer prs_wrong", "Token abc", "Bearer ", "Basic dXNlcjpwYXNz"])
def test_a_wrong_token_or_scheme_is_401(header):
    response = api_client().get(f"{API}/releases/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401


def test_a_revoked_token_is_401(user):
    token, key = token_for(user)
    token.revoked_at = timezone.now()
    token.save()

    assert api_client(key).get(f"{API}/releases/").status_code == 401


def test_a_token_of_an_inactive_user_is_401(user, key):
    user.is_active = False
    user.save()

    assert api_client(key).get(f"{API}/releases/").status_code == 401


def test_a_staff_session_is_not_enough(user):
    client = api_client()
    client.force_login(user)

    assert client.get(f"{API}/releases/").status_code == 401


def test_the_key_is_stored_only_as_a_hash_and_last_use_is_recorded(user):
    token, key = token_for(user)
    assert key.startswith("prs_") and len(key) > 40
    assert key not in {token.key_hash, token.prefix}
    assert key.startswith(token.prefix)
    assert token.last_used_at is None

    api_client(key).get(f"{API}/releases/")

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_read_token_reads_drafts_but_cannot_write(user):
    draft = ReleaseFactory(title="Utkast")
    client = api_client(token_for(user, scope=ApiToken.Scope.READ)[1])

    assert send(client, "get", f"{API}/releases/{draft.pk}/")["title"] == "Utkast"
    assert list(errors(client, "post", f"{API}/releases/", {"title": "Ny"}, status=403)) == ["__all__"]
    assert Release.objects.count() == 1


def test_the_users_permissions_apply():
    viewer = editor("leser", permissions=["view_release"])
    client = api_client(token_for(viewer)[1])
    draft = ReleaseFactory()

    send(client, "get", f"{API}/releases/{draft.pk}/")
    errors(client, "post", f"{API}/releases/", {"title": "Ny"}, status=403)
    errors(client, "patch", f"{API}/releases/{draft.pk}/", {"title": "Ny"}, status=403)
    errors(client, "post", f"{API}/releases/{draft.pk}/publish/", status=403)
    assert Release.objects.get().status == Release.Status.DRAFT


def test_token_requests_need_no_csrf_token(client):
    # api_client() enforces CSRF checks as a browser would meet them.
    send(client, "post", f"{API}/releases/", {"title": "Uten CSRF"}, status=201)


def test_unsupported_methods_are_405_with_allow(client):
    response = client.put(f"{API}/releases/", "{}", content_type="application/json")

    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"


# Reading


def test_lists_all_releases_with_status_filter_and_cursor(client):
    draft = ReleaseFactory()
    published = ReleaseFactory(published=True)
    scheduled = ReleaseFactory(scheduled=True)

    data = send(client, "get", f"{API}/releases/")
    assert [item["id"] for item in data["results"]] == [scheduled.pk, published.pk, draft.pk]
    assert [item["status"] for item in data["results"]] == ["scheduled", "published", "draft"]
    assert [item["is_public"] for item in data["results"]] == [False, True, False]

    assert [r["id"] for r in send(client, "get", f"{API}/releases/?status=draft")["results"]] == [draft.pk]

    first = send(client, "get", f"{API}/releases/?limit=2")
    second = send(client, "get", first["next"].removeprefix("http://testserver"))
    assert [r["id"] for r in first["results"] + second["results"]] == [scheduled.pk, published.pk, draft.pk]
    assert second["next"] is None

    assert list(errors(client, "get", f"{API}/releases/?status=deleted")) == ["status"]


def test_unknown_release_is_404_json(client):
    assert errors(client, "get", f"{API}/releases/999999/", status=404) == {"__all__": ["Not found."]}


def test_editor_topics_and_contacts_include_those_the_public_does_not_see(client):
    topic = TopicFactory(slug="uten-saker")
    contact = ContactFactory(is_active=False)

    assert send(client, "get", f"{API}/topics/")["results"] == [
        {"slug": "uten-saker", "name": topic.name, "language": "nb"}
    ]
    [data] = send(client, "get", f"{API}/contacts/")["results"]
    assert (data["id"], data["is_active"]) == (contact.pk, False)


# Creating and updating drafts


def test_create_a_draft_with_topics_and_ordered_contacts(client):
    topic = TopicFactory(slug="bosetting")
    kari, ola = ContactFactory(name="Kari"), ContactFactory(name="Ola")

    response = client.post(
        f"{API}/releases/",
        json.dumps(
            {
                "title": "Søknad på én side",
                "lead": "Ingress.",
                "body": '<p>Tekst</p><script>alert(1)</script><p onclick="x()">Mer</p>',
                "kind": "news",
                "topics": ["bosetting"],
                "contacts": [ola.pk, kari.pk],
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    data = response.json()
    release = Release.objects.get()
    assert response["Location"] == f"http://testserver/api/v1/editor/releases/{release.pk}/"
    assert data["slug"] == "soknad-pa-en-side"
    assert data["status"] == "draft"
    assert data["is_public"] is False
    assert data["published_at"] is None
    assert data["language"] == "nb"  # the newsroom's default language
    assert data["kind"] == "news"
    assert data["body"] == "<p>Tekst</p><p>Mer</p>"
    assert release.body == "<p>Tekst</p><p>Mer</p>"
    assert [t.pk for t in release.topics.all()] == [topic.pk]
    assert [(c["id"], c["order"]) for c in data["contacts"]] == [(ola.pk, 0), (kari.pk, 1)]
    # A draft is not public.
    assert api_client().get(f"/api/v1/releases/{release.slug}/").status_code == 404


def test_topic_slugs_prefer_the_releases_language(client):
    TopicFactory(slug="arbeid", language="nb")
    english = TopicFactory(slug="arbeid", language="en", name="Work")

    data = send(
        client, "post", f"{API}/releases/", {"title": "Work", "language": "en", "topics": ["arbeid"]}, 201
    )

    assert data["topics"] == [{"slug": "arbeid", "name": "Work", "language": "en"}]
    assert Release.objects.get().topics.get() == english


@pytest.mark.parametrize(
    "data, field",
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": 5}, "title"),
        ({"title": "x" * 251}, "title"),
        ({"title": "Ok", "kind": "opinion"}, "kind"),
        ({"title": "Ok", "language": "de"}, "language"),
        ({"title": "Ok", "slug": "ikke gyldig!"}, "slug"),
        ({"title": "Ok", "status": "published"}, "status"),
        ({"title": "Ok", "published_at": "2025-01-01T00:00:00Z"}, "published_at"),
        ({"title": "Ok", "topics": "bosetting"}, "topics"),
        ({"title": "Ok", "topics": ["finnes-ikke"]}, "topics"),
        ({"title": "Ok", "contacts": [True]}, "contacts"),
        ({"title": "Ok", "contacts": [424242]}, "contacts"),
        ({"title": "Ok", "translation_of": "1"}, "translation_of"),
        ({"title": "Ok", "translation_of": 424242}, "translation_of"),
    ],
)
def test_validation_errors_name_the_field(client, data, field):
    assert list(errors(client, "post", f"{API}/releases/", data)) == [field]
    assert Release.objects.count() == 0


def test_a_translation_must_be_in_another_language(client):
    original = ReleaseFactory(language="nb")

    assert errors(client, "post", f"{API}/releases/", {"title": "Ok", "translation_of": original.pk}) == {
        "translation_of": ["The original must be in another language."]
    }
    data = send(
        client,
        "post",
        f"{API}/releases/",
        {"title": "Ok", "language": "en", "translation_of": original.pk},
        201,
    )
    original.refresh_from_db()
    assert data["language"] == "en"
    assert data["translation_group"] == original.translation_group_id is not None


def test_versions_in_three_languages_share_one_group_and_stay_in_it_when_edited(client):
    original = ReleaseFactory(language="nb")
    ids = [
        send(
            client,
            "post",
            f"{API}/releases/",
            {"title": t, "language": lang, "translation_of": original.pk},
            201,
        )["id"]
        for t, lang in [("In English", "en"), ("På nynorsk", "nn")]
    ]
    original.refresh_from_db()
    group = original.translation_group_id
    assert set(Release.objects.filter(translation_group=group).values_list("pk", flat=True)) == {
        original.pk,
        *ids,
    }

    # A write that leaves translation_of out keeps the group; null takes the release out of it.
    data = send(client, "patch", f"{API}/releases/{ids[0]}/", {"title": "Still in English"}, 200)
    assert data["translation_group"] == group
    data = send(client, "patch", f"{API}/releases/{ids[0]}/", {"translation_of": None}, 200)
    assert data["translation_group"] is None
    assert Release.objects.filter(translation_group=group).count() == 2


def test_a_second_translation_of_the_same_release_is_a_409(client):
    original = ReleaseFactory(language="nb")
    ReleaseFactory(language="en", version_of=original)

    data = {"title": "Another", "language": "en", "translation_of": original.pk}
    assert list(errors(client, "post", f"{API}/releases/", data, status=409)) == ["translation_of"]


@pytest.mark.parametrize("body", ["{", "[1, 2]", '"text"', "[" * 100000])
def test_a_body_that_is_not_a_json_object_is_400(client, body):
    response = client.post(f"{API}/releases/", body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["__all__"]


def test_a_body_that_is_not_json_is_415(client):
    response = client.post(f"{API}/releases/", {"title": "Form"})

    assert response.status_code == 415
    assert Release.objects.count() == 0


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_a_body_over_the_limit_is_413(client):
    response = client.post(
        f"{API}/releases/", json.dumps({"title": "x" * 200}), content_type="application/json"
    )

    assert response.status_code == 413


def test_a_taken_slug_is_a_409(client):
    ReleaseFactory(slug="tatt")

    assert list(errors(client, "post", f"{API}/releases/", {"title": "Ok", "slug": "tatt"}, status=409)) == [
        "slug"
    ]


def test_patch_changes_only_the_fields_sent(client):
    release = ReleaseFactory(title="Gammel", lead="Ingress", topics=[TopicFactory(slug="a")])
    kari, ola = ContactFactory(), ContactFactory()

    data = send(
        client, "patch", f"{API}/releases/{release.pk}/", {"title": "Ny", "contacts": [kari.pk, ola.pk]}
    )
    assert (data["title"], data["lead"], [t["slug"] for t in data["topics"]]) == ("Ny", "Ingress", ["a"])

    data = send(
        client, "patch", f"{API}/releases/{release.pk}/", {"contacts": [ola.pk, kari.pk], "topics": []}
    )
    assert [c["id"] for c in data["contacts"]] == [ola.pk, kari.pk]
    assert data["topics"] == []
    release.refresh_from_db()
    assert (release.title, release.lead) == ("Ny", "Ingress")


def test_a_published_address_cannot_change(client):
    release = ReleaseFactory(published=True, slug="fast")

    assert errors(client, "patch", f"{API}/releases/{release.pk}/", {"slug": "ny"}, status=409) == {
        "slug": ["The address cannot change after publication."]
    }
    send(client, "patch", f"{API}/releases/{release.pk}/", {"slug": "fast", "title": "Ny tittel"})
    release.refresh_from_db()
    assert (release.slug, release.title) == ("fast", "Ny tittel")


def test_a_drafts_address_can_change(client):
    release = ReleaseFactory(slug="gammel")

    assert send(client, "patch", f"{API}/releases/{release.pk}/", {"slug": "ny"})["slug"] == "ny"


# Publishing


def test_publish_now_puts_the_release_on_the_public_api(client):
    release = ReleaseFactory()

    data = send(client, "post", f"{API}/releases/{release.pk}/publish/")

    assert data["status"] == "published"
    assert data["is_public"] is True
    assert data["first_published_at"] == data["published_at"]
    assert api_client().get(f"/api/v1/releases/{release.slug}/").status_code == 200


def test_publishing_twice_changes_nothing(client):
    release = ReleaseFactory()
    first = send(client, "post", f"{API}/releases/{release.pk}/publish/")

    second = send(client, "post", f"{API}/releases/{release.pk}/publish/")

    assert second["published_at"] == first["published_at"]


def test_schedule_with_a_time_in_the_future(client):
    release = ReleaseFactory()
    at = (timezone.now() + timedelta(days=2)).replace(microsecond=0)

    data = send(client, "post", f"{API}/releases/{release.pk}/publish/", {"at": at.isoformat()})

    assert data["status"] == "scheduled"
    assert data["is_public"] is False
    release.refresh_from_db()
    assert release.published_at == at
    assert api_client().get(f"/api/v1/releases/{release.slug}/").status_code == 404


def test_a_time_that_has_passed_publishes_now(client):
    release = ReleaseFactory()

    data = send(client, "post", f"{API}/releases/{release.pk}/publish/", {"at": "2020-01-01T08:00:00+01:00"})

    assert data["status"] == "published"
    release.refresh_from_db()
    assert release.published_at > timezone.now() - timedelta(minutes=1)


def test_scheduling_a_published_release_is_a_409(client):
    release = ReleaseFactory(published=True)
    at = (timezone.now() + timedelta(days=1)).isoformat()

    assert list(errors(client, "post", f"{API}/releases/{release.pk}/publish/", {"at": at}, status=409)) == [
        "at"
    ]
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED


@pytest.mark.parametrize(
    "data, field",
    [
        ({"at": "tomorrow"}, "at"),
        ({"at": "2030-01-01T08:00:00"}, "at"),  # no UTC offset
        ({"at": 1893456000}, "at"),
        ({"at": "9999-12-31T23:59:59-23:59"}, "at"),  # beyond the last time in UTC
        ({"when": "2030-01-01T08:00:00Z"}, "when"),
    ],
)
def test_invalid_publish_requests_are_400(client, data, field):
    release = ReleaseFactory()

    assert list(errors(client, "post", f"{API}/releases/{release.pk}/publish/", data)) == [field]
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT


def test_unpublish_makes_it_a_draft_and_hides_it(client):
    release = ReleaseFactory(published=True)

    data = send(client, "post", f"{API}/releases/{release.pk}/unpublish/")

    assert data["status"] == "draft"
    assert data["first_published_at"] is not None
    assert api_client().get(f"/api/v1/releases/{release.slug}/").status_code == 404


# Attachments


def upload(client, release, content, name, status=201, **fields):
    response = client.post(
        f"{API}/releases/{release.pk}/attachments/",
        {"file": SimpleUploadedFile(name, content), **fields},
    )
    assert response.status_code == status, response.content
    return response.json()


def test_upload_an_image_with_renditions(client, django_capture_on_commit_callbacks):
    release = ReleaseFactory()

    with django_capture_on_commit_callbacks(execute=True):
        data = upload(
            client, release, png_bytes(2000, 1000), "Bilde fra Oslo.png", alt_text="Oslo", credit="IMDi"
        )

    attachment = Attachment.objects.get()
    assert data["id"] == attachment.pk
    assert (data["kind"], data["content_type"], data["width"], data["height"]) == (
        "image",
        "image/png",
        2000,
        1000,
    )
    assert data["filename"] == "bilde-fra-oslo.png"
    assert data["credit"] == "IMDi"
    # The worker makes the renditions once the upload has committed, after the answer.
    assert data["renditions"] == {"web": None, "thumb": None}
    assert attachment.web and attachment.thumb


def test_upload_a_document(client):
    release = ReleaseFactory()

    data = upload(client, release, pdf_bytes(), "rapport.pdf", title="Rapport", order="3")

    assert (data["kind"], data["content_type"], data["order"]) == ("document", "application/pdf", 3)


@pytest.mark.parametrize(
    "content, name, fields, field",
    [
        (png_bytes(), "bilde.png", {}, "alt_text"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg", {}, "file"),
        (b"MZ\x90\x00 not a document", "setup.pdf", {}, "file"),
        (b"", "tom.pdf", {}, "file"),
        (pdf_bytes(), "rapport.pdf", {"order": "-1"}, "order"),
    ],
)
def test_uploads_are_validated_like_the_admin(client, content, name, fields, field):
    release = ReleaseFactory()

    data = upload(client, release, content, name, status=400, **fields)

    assert list(data["errors"]) == [field]
    assert Attachment.objects.count() == 0


def test_an_upload_without_a_file_is_400(client):
    release = ReleaseFactory()

    response = client.post(f"{API}/releases/{release.pk}/attachments/", {"title": "Uten fil"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["file"]


@override_settings(PRESSROOM_MAX_UPLOAD_MB=0)
def test_an_upload_over_the_size_limit_is_413(client):
    release = ReleaseFactory()

    data = upload(client, release, pdf_bytes(), "rapport.pdf", status=413)

    assert list(data["errors"]) == ["file"]


@override_settings(PRESSROOM_MAX_UPLOAD_MB=50, PRESSROOM_MAX_VIDEO_MB=400)
def test_a_request_larger_than_the_limit_is_refused_before_it_is_read(client):
    release = ReleaseFactory()

    response = client.post(
        f"{API}/releases/{release.pk}/attachments/",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(500 * 1024 * 1024),
    )

    assert response.status_code == 413


def test_json_to_the_upload_endpoint_is_415(client):
    release = ReleaseFactory()

    response = client.post(f"{API}/releases/{release.pk}/attachments/", "{}", content_type="application/json")

    assert response.status_code == 415


def test_delete_an_attachment(client):
    release = ReleaseFactory()
    attachment = AttachmentFactory(release=release, pdf=True)
    other = AttachmentFactory(pdf=True)

    assert client.delete(f"{API}/releases/{release.pk}/attachments/{other.pk}/").status_code == 404
    response = client.delete(f"{API}/releases/{release.pk}/attachments/{attachment.pk}/")

    assert response.status_code == 204
    assert list(Attachment.objects.all()) == [other]


# Rate limits


@override_settings(API_WRITE_RATE_LIMIT=2, API_WRITE_RATE_WINDOW=3600)
def test_writes_are_rate_limited_per_token_and_reads_are_not(user, client):
    send(client, "post", f"{API}/releases/", {"title": "En"}, status=201)
    send(client, "post", f"{API}/releases/", {"title": "To"}, status=201)

    response = client.post(f"{API}/releases/", json.dumps({"title": "Tre"}), content_type="application/json")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert Release.objects.count() == 2
    assert client.get(f"{API}/releases/").status_code == 200
    # Another token has its own window.
    other = api_client(token_for(user, name="Annen")[1])
    send(other, "post", f"{API}/releases/", {"title": "Tre"}, status=201)


@override_settings(API_WRITE_RATE_LIMIT=1, API_WRITE_RATE_WINDOW=3600)
def test_refused_writes_are_counted_not_logged_one_by_one(user, client, caplog):
    send(client, "post", f"{API}/releases/", {"title": "En"}, status=201)

    for title in ["To", "Tre", "Fire", "Fem"]:
        response = client.post(
            f"{API}/releases/", json.dumps({"title": title}), content_type="application/json"
        )
        assert response.status_code == 429

    assert [record for record in caplog.records if record.name == "django.request"] == []
    assert len([record for record in caplog.records if record.name == "pressroom.ops.ratelimit"]) == 1


# Videos


def test_a_video_is_uploaded_with_its_captions_and_poster(client):
    release = ReleaseFactory()

    data = upload(
        client,
        release,
        mp4_bytes(),
        "Intervju.mp4",
        captions=SimpleUploadedFile("intervju.vtt", vtt_bytes()),
        poster=SimpleUploadedFile("plakat.png", png_bytes(64, 36)),
        captions_language="en",
    )

    video = Attachment.objects.get(pk=data["id"])
    assert (video.kind, video.content_type, video.captions_language) == ("video", "video/mp4", "en")
    assert data["captions_url"] == f"http://testserver/files/{video.pk}/captions/intervju.vtt"
    assert data["captions_language"] == "en"


def test_captions_that_are_not_webvtt_are_a_400(client):
    release = ReleaseFactory()

    data = upload(
        client, release, mp4_bytes(), "v.mp4", status=400, captions=SimpleUploadedFile("c.vtt", b"<html>")
    )

    assert list(data["errors"]) == ["captions"]
    assert not Attachment.objects.exists()


def test_a_published_release_takes_a_video_only_with_captions(client):
    release = ReleaseFactory(published=True)

    data = upload(client, release, mp4_bytes(), "v.mp4", status=400)

    assert list(data["errors"]) == ["captions"]
    assert not Attachment.objects.exists()


def test_publishing_a_release_with_a_captionless_video_is_a_409(client):
    release = ReleaseFactory()
    AttachmentFactory(release=release, video=True, captions="")

    data = errors(client, "post", f"{API}/releases/{release.pk}/publish/", status=409)

    assert "has a video without captions" in data["__all__"][0]
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT
