"""What shared caches are told: a public page names everything that changes it (a pressroom page's
language is in its address; elsewhere the language cookie as well as Accept-Language), errors are never
kept, and every response carries a Permissions-Policy."""

import pytest
from django.conf import settings

from tests.factories import ReleaseFactory

pytestmark = pytest.mark.django_db


def vary(response):
    return {name.strip().lower() for name in response.get("Vary", "").split(",") if name.strip()}


@pytest.fixture
def release():
    return ReleaseFactory(published=True)


# Upcoming releases: a public page whose address has no language, so the reader's choice decides it.
NEGOTIATED = "/upcoming/"


def test_a_public_page_varies_on_the_language_cookie_as_well_as_accept_language(client, release):
    norwegian = client.get(NEGOTIATED, HTTP_ACCEPT_LANGUAGE="nb")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(NEGOTIATED, HTTP_ACCEPT_LANGUAGE="nb")

    # The same Accept-Language, two languages: a shared cache must be told the cookie chose.
    assert norwegian["Content-Language"] == "nb"
    assert english["Content-Language"] == "en"
    for response in (norwegian, english):
        assert response.status_code == 200
        assert {"accept-language", "cookie"} <= vary(response)
        assert response["Cache-Control"].startswith("public")


def test_a_pressroom_page_has_its_language_in_its_address_and_varies_on_neither(client, release):
    norwegian = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    still_norwegian = client.get(release.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    english = client.get("/en/")

    assert norwegian["Content-Language"] == still_norwegian["Content-Language"] == "nb"
    assert english["Content-Language"] == "en"
    for response in (norwegian, still_norwegian, english):
        assert response.status_code == 200
        assert not {"accept-language", "cookie"} & vary(response)
        assert response["Cache-Control"].startswith("public")


def test_pages_from_the_page_cache_say_so_too(client, release):
    first = client.get(NEGOTIATED)
    second = client.get(NEGOTIATED)

    assert first.content == second.content
    assert {"accept-language", "cookie"} <= vary(second)
    assert second["Cache-Control"].startswith("public")


def test_the_page_cache_serves_each_reader_the_language_they_chose(client, release):
    client.get(NEGOTIATED, HTTP_ACCEPT_LANGUAGE="nb")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    assert client.get(NEGOTIATED, HTTP_ACCEPT_LANGUAGE="nb")["Content-Language"] == "en"


def test_a_bad_host_header_is_not_cacheable(client):
    response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_a_missing_page_is_not_cacheable(client):
    response = client.get("/releases/no-such-release/")

    assert response.status_code == 404
    assert response["Cache-Control"] == "no-store"


def test_a_wrong_method_is_not_cacheable(client):
    assert "no-store" in client.post("/robots.txt")["Cache-Control"]


@pytest.mark.parametrize("path", ["/", "/robots.txt", "/feed/rss/", "/api/v1/releases/", "/no-such-page/"])
def test_every_response_carries_a_permissions_policy(client, release, path):
    response = client.get(path)

    policy = response["Permissions-Policy"]
    assert "camera=()" in policy
    assert "geolocation=()" in policy
    assert "microphone=()" in policy


def test_cached_pages_carry_the_permissions_policy(client, release):
    client.get(release.get_absolute_url())

    assert "camera=()" in client.get(release.get_absolute_url())["Permissions-Policy"]
