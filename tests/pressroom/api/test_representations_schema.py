"""Each representation (pressroom/api/representations.py) has exactly the properties its schema in the
OpenAPI document lists, and the schema validates it: a key added to one and not the other fails here,
whatever schemathesis happens to generate."""

import jsonschema
import pytest

from pressroom.api import representations
from pressroom.api.openapi import SCHEMAS
from pressroom.newsroom.models import Newsroom, Release
from tests.factories import NewsroomFactory, full_release

pytestmark = pytest.mark.django_db


def assert_matches(data, name):
    assert set(data) == set(SCHEMAS[name]["properties"]), name
    # The schemas refer to each other as the document does, from its root.
    root = {"components": {"schemas": SCHEMAS}, "$ref": f"#/components/schemas/{name}"}
    errors = [error.message for error in jsonschema.Draft202012Validator(root).iter_errors(data)]
    assert not errors, (name, errors)


@pytest.fixture
def release():
    NewsroomFactory()
    original = full_release(published=True, language="nb")
    full_release(published=True, language="en", version_of=original)
    return representations.public_releases_queryset().get(pk=original.pk)


def test_public_shapes_match_their_schemas(release):
    data = representations.public_release_data(release)

    assert_matches(data, "Release")
    assert data["attachments"] and data["contacts"] and data["topics"] and data["translations"]
    assert_matches(data["attachments"][0], "Attachment")
    assert_matches(data["contacts"][0], "Contact")
    assert_matches(data["topics"][0], "Topic")
    assert_matches(data["translations"][0], "Translation")
    assert_matches(representations.topic_list_data(release.topics.first()), "TopicListItem")
    assert_matches(representations.newsroom_data(Newsroom.load()), "Newsroom")


def test_the_editors_shape_matches_its_schema(release):
    draft = full_release(language="en")

    for obj in [release, draft]:
        data = representations.editor_release_data(representations.editor_releases_queryset().get(pk=obj.pk))
        assert_matches(data, "EditorRelease")
    assert Release.objects.get(pk=draft.pk).status == Release.Status.DRAFT
