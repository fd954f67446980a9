"""Query parameters are checked as they are sent, as the document states their rules: a NUL character is
dropped from free text only after its length and blankness have been checked, and nothing is dropped
from a value that must be one of a list or a number."""

import json

import pytest

from tests.factories import NewsroomFactory, ReleaseFactory, TopicFactory
from tests.pressroom.api.api_helpers import api_client

pytestmark = pytest.mark.django_db

RELEASES = "/api/v1/releases/"


@pytest.fixture
def client():
    NewsroomFactory()
    return api_client()


def errors(response):
    return json.loads(response.content)["errors"]


def test_a_topic_of_101_characters_is_too_long_even_when_one_of_them_is_nul(client):
    response = client.get(RELEASES, {"topic": "a" * 100 + "\x00"})

    assert response.status_code == 400
    assert list(errors(response)) == ["topic"]


def test_a_topic_of_100_characters_is_accepted(client):
    assert client.get(RELEASES, {"topic": "a" * 100}).status_code == 200


def test_a_nul_in_a_topic_is_dropped_after_the_checks(client):
    topic = TopicFactory(slug="arbeid")
    release = ReleaseFactory(published=True)
    release.topics.add(topic)

    response = client.get(RELEASES, {"topic": "arb\x00eid"})

    assert response.status_code == 200
    assert [item["id"] for item in json.loads(response.content)["results"]] == [release.pk]


@pytest.mark.parametrize("name, value", [("kind", "news\x00"), ("language", "nb\x00"), ("year", "2025\x00")])
def test_a_nul_makes_a_choice_or_a_number_invalid(client, name, value):
    response = client.get(RELEASES, {name: value})

    assert response.status_code == 400
    assert list(errors(response)) == [name]


@pytest.mark.parametrize("blank", [" ", "\t", "\u00a0", "\u3000"])
def test_a_filter_of_white_space_only_is_refused(client, blank):
    response = client.get(RELEASES, {"topic": blank})

    assert response.status_code == 400
    assert list(errors(response)) == ["topic"]


@pytest.mark.parametrize("character", ["\x85", "\x1c"])
def test_a_character_python_strips_but_the_documents_pattern_counts_as_text_is_a_filter(client, character):
    """The document's "not blank" is ECMA-262's \\S, under which these are text: a topic that matches
    nothing, not a blank parameter."""
    response = client.get(RELEASES, {"topic": character})

    assert response.status_code == 200
    assert json.loads(response.content)["results"] == []
