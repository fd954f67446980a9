"""Text the database cannot store (an unpaired surrogate from a JSON escape, a NUL character) is a 400
naming the field, in the editors' API and in the admin's forms alike; nothing is written."""

import json

import pytest
from django.urls import reverse

from pressroom.newsroom.models import Release
from tests.factories import NewsroomFactory, ReleaseFactory
from tests.pressroom.api.api_helpers import api_client, editor, token_for

pytestmark = pytest.mark.django_db

API = "/api/v1/editor"
MESSAGE = "Contains characters that cannot be stored: a NUL character or an unpaired surrogate."


@pytest.fixture
def client():
    NewsroomFactory()
    return api_client(token_for(editor())[1])


def send(client, method, url, body):
    return getattr(client, method)(url, body, content_type="application/json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"title": "a\\ud800b"}', "title"),
        ('{"title": "Bosetting", "lead": "\\udfff"}', "lead"),
        ('{"title": "a\\u0000b"}', "title"),
        ('{"title": "Bosetting", "body": "<p>\\u0000</p>"}', "body"),
        ('{"title": "Bosetting", "topics": ["bo\\ud83dsetting"]}', "topics"),
        ('{"title": "Bosetting", "slug": "a\\u0000"}', "slug"),
        ('{"title": "Bosetting", "\\ud800": 1}', "__all__"),  # the name itself: answered without it
    ],
)
def test_unstorable_text_in_a_new_release_is_a_400_naming_the_field(client, body, field):
    response = send(client, "post", f"{API}/releases/", body)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field]
    if field != "__all__":
        assert errors[field] == [MESSAGE]
    assert not Release.objects.exists()


def test_unstorable_text_in_an_update_changes_nothing(client):
    release = ReleaseFactory(title="Bosetting i 2025")

    response = send(client, "patch", f"{API}/releases/{release.pk}/", '{"title": "a\\ud800b"}')

    assert response.status_code == 400
    assert response.json() == {"errors": {"title": [MESSAGE]}}
    release.refresh_from_db()
    assert release.title == "Bosetting i 2025"


def test_a_paired_surrogate_is_an_ordinary_character(client):
    response = send(client, "post", f"{API}/releases/", json.dumps({"title": "Bosetting 🏠"}))

    assert response.status_code == 201, response.content
    assert Release.objects.get().title == "Bosetting 🏠"


def test_a_nul_character_in_the_admin_form_is_an_error_on_the_field(admin_client):
    NewsroomFactory()
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    data = {
        "title": "Bosetting\x00", "slug": "bosetting", "kind": Release.Kind.PRESS_RELEASE, "language": "nb",
        "lead": "", "body": "<p>Tekst</p>", "translation_of": "",
        **{f"{prefix}-{name}": value for prefix in ("attachments", "release_contacts")
           for name, value in [("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MIN_NUM_FORMS", "0"),
                               ("MAX_NUM_FORMS", "1000")]},
    }  # fmt: skip

    response = admin_client.post(reverse("admin:newsroom_release_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["title"] == ["Null characters are not allowed."]
    assert not Release.objects.exists()
