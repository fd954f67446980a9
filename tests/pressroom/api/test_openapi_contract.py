"""The OpenAPI document says what the server does: empty filters, headers, statuses and an absolute
server address."""

import json

import pytest
from django.test import Client
from openapi_spec_validator import validate

from tests.factories import NewsroomFactory, ReleaseFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def document(client):
    return json.loads(client.get(f"{API}/openapi.json").content)


@pytest.mark.parametrize("name", ["topic", "kind", "language", "year", "q", "limit", "cursor"])
def test_every_filter_sent_empty_is_a_400_naming_it(client, name):
    NewsroomFactory()
    ReleaseFactory(published=True)

    response = client.get(f"{API}/releases/?{name}=")

    assert response.status_code == 400
    assert list(json.loads(response.content)["errors"]) == [name]


@pytest.mark.parametrize("name", ["topic", "q"])
def test_a_blank_free_text_filter_is_a_400_too(client, name):
    assert client.get(f"{API}/releases/?{name}=%20%20").status_code == 400


def test_the_document_rules_out_empty_filters(document):
    parameters = document["paths"]["/releases/"]["get"]["parameters"]
    for parameter in parameters:
        schema = parameter["schema"]
        if parameter["in"] == "query" and schema["type"] == "string" and "enum" not in schema:
            assert schema.get("minLength") == 1, parameter["name"]
    topic = next(p for p in parameters if p["name"] == "topic")
    assert topic["schema"]["maxLength"] == 100 and topic["schema"]["pattern"] == r"\S"


def test_servers_is_absolute_from_site_url(client, settings):
    settings.SITE_URL = "https://presse.example.no"
    document = json.loads(client.get(f"{API}/openapi.json").content)
    assert document["servers"] == [{"url": "https://presse.example.no/api/v1"}]


def test_public_responses_declare_the_headers_they_send(document):
    ok = document["paths"]["/releases/"]["get"]["responses"]["200"]["headers"]
    assert {"ETag", "Last-Modified", "Cache-Control", "Access-Control-Allow-Origin"} <= set(ok)
    assert document["paths"]["/releases/"]["get"]["responses"]["400"]["headers"]["Cache-Control"]
    assert "204" in document["paths"]["/topics/"]["options"]["responses"]


def test_editor_responses_declare_location_and_www_authenticate(document):
    created = document["paths"]["/editor/releases/"]["post"]["responses"]["201"]
    assert created["headers"]["Location"]["required"] is True
    unauthorized = document["components"]["responses"]["Unauthorized"]
    assert unauthorized["headers"]["WWW-Authenticate"]["required"] is True


def test_every_path_notes_its_405_and_308(document, client):
    for path, item in document["paths"].items():
        assert item["x-other-methods"]["status"] == 405, path
        assert item["x-without-final-slash"]["status"] == 308, path
    assert document["components"]["responses"]["MethodNotAllowed"]["headers"]["Allow"]
    # ... and the server does what the notes say.
    assert client.delete(f"{API}/topics/").status_code == 405
    assert client.get(f"{API}/topics").status_code == 308


def test_conditional_rules_are_described(document):
    schemas = document["components"]["schemas"]
    translation_of = schemas["ReleaseInput"]["properties"]["translation_of"]
    described = json.dumps(translation_of)
    assert "another language" in described and "x-must-differ-in" in described
    alt_text = schemas["AttachmentUpload"]["properties"]["alt_text"]
    assert "image" in alt_text["x-required-when"]


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)  # raises on any error


def test_every_operation_has_a_unique_name_and_links_name_real_operations(document):
    operations = {
        operation["operationId"]: {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        for item in document["paths"].values()
        for method, operation in item.items()
        if not method.startswith("x-")
    }
    assert len(operations) == sum(
        1 for item in document["paths"].values() for method in item if not method.startswith("x-")
    )
    links = [
        link
        for item in document["paths"].values()
        for method, operation in item.items()
        if not method.startswith("x-")
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert len(links) >= 6
    for link in links:
        assert set(link["parameters"]) == operations[link["operationId"]], link
