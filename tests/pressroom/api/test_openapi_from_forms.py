"""The OpenAPI document states every rule of the forms the API validates with: for each field, its type,
choices, length, bounds, pattern and whether it is required, checked here against the field's own
validators; and a rule changed in a form is changed in the document the server sends."""

import json
import re

import pytest
from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.test import Client

from pressroom.api.editor import AttachmentApiForm, EditorFilterForm, ReleaseApiForm, required_on_create
from pressroom.api.public import QueryTextField, ReleaseFilterForm
from tests.factories import NewsroomFactory

pytestmark = pytest.mark.django_db

SAMPLES = ["abc", "a-b_1", "a b", "æøå", " ", "", "a\x00b", "\x00", "a/b", "A" * 3]


@pytest.fixture
def document():
    return json.loads(Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/openapi.json").content)


def query_schemas(document, path):
    parameters = document["paths"][path]["get"]["parameters"]
    return {p["name"]: p for p in parameters if p["in"] == "query"}


def accepts(pattern, value):
    return pattern is None or re.search(pattern, value) is not None


def validator_accepts(validator, value):
    try:
        validator(value)
    except ValidationError:
        return False
    return True


def assert_states_rules(name, field, schema):
    """SCHEMA says what FIELD's type and validators say."""
    if isinstance(field, forms.ModelChoiceField):
        assert {"type": "integer", "minimum": 1} in schema.get("anyOf", [schema]), name
        return
    if isinstance(field, forms.ChoiceField):
        # An optional choice also takes "" (none chosen).
        choices = {str(value) for value, _label in field.choices if value != "" or not field.required}
        assert set(schema["enum"]) == choices, name
        return
    if isinstance(field, forms.FileField):
        assert schema == {"type": "string", "format": "binary"}, name
        return
    assert schema["type"] == ("integer" if isinstance(field, forms.IntegerField) else "string"), name
    pattern = schema.get("pattern")
    for validator in field.validators:
        if isinstance(validator, validators.MaxLengthValidator):
            assert schema["maxLength"] == validator.limit_value, name
        elif isinstance(validator, validators.MinValueValidator):
            assert schema["minimum"] == validator.limit_value, name
        elif isinstance(validator, validators.MaxValueValidator):
            assert schema["maximum"] == validator.limit_value, name
        elif isinstance(validator, validators.ProhibitNullCharactersValidator) and "format" not in schema:
            assert not accepts(pattern, "a\x00b"), name
        elif isinstance(validator, validators.RegexValidator):
            for sample in SAMPLES:
                if sample:  # Django runs no validator on an empty value
                    assert accepts(pattern, sample) == validator_accepts(validator, sample), (name, sample)
    if field.required and getattr(field, "strip", False):
        assert schema.get("minLength") == 1 and not accepts(pattern, "   "), name


@pytest.mark.parametrize(
    "form_class, path", [(ReleaseFilterForm, "/releases/"), (EditorFilterForm, "/editor/releases/")]
)
def test_every_filter_is_a_query_parameter_with_its_rules(document, form_class, path):
    parameters = query_schemas(document, path)

    assert set(parameters) == set(form_class.base_fields)
    for name, field in form_class.base_fields.items():
        schema = parameters[name]["schema"]
        assert parameters[name]["required"] is False
        assert_states_rules(name, field, schema)
        if schema["type"] == "string":  # a parameter sent empty or blank is a 400
            assert schema["minLength"] == 1, name
            if "enum" not in schema and "format" not in schema:
                assert not accepts(schema["pattern"], "  "), name


@pytest.mark.parametrize(
    "form_class, schema_name, required",
    [
        (ReleaseApiForm, "ReleaseCreate", required_on_create()),
        (ReleaseApiForm, "ReleaseInput", []),
        (AttachmentApiForm, "AttachmentUpload", ["file"]),
    ],
)
def test_every_form_field_is_in_the_body_with_its_rules(document, form_class, schema_name, required):
    schema = document["components"]["schemas"][schema_name]

    assert set(form_class.base_fields) <= set(schema["properties"])
    assert schema["required"] == required
    for name, field in form_class.base_fields.items():
        assert_states_rules(name, field, schema["properties"][name])


def test_a_new_release_needs_what_the_form_needs_beyond_the_newsroom_defaults():
    assert required_on_create() == ["title"]


def test_a_rule_changed_in_the_form_is_changed_in_the_document_and_the_server(monkeypatch):
    NewsroomFactory()
    monkeypatch.setitem(ReleaseFilterForm.base_fields, "topic", QueryTextField(max_length=50))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    document = json.loads(client.get("/api/v1/openapi.json").content)

    assert query_schemas(document, "/releases/")["topic"]["schema"]["maxLength"] == 50
    assert client.get("/api/v1/releases/", {"topic": "a" * 51}).status_code == 400
    assert client.get("/api/v1/releases/", {"topic": "a" * 50}).status_code == 200
