import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import translation

from pressroom.models import Release
from tests.factories import NewsroomFactory, ReleaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


def html_lang(response):
    return re.search(r'<html lang="([^"]+)">', response.content.decode()).group(1)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_interface_language_follows_accept_language(client, language):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=language)

    assert html_lang(response) == language
    assert response["Content-Language"] == language
    active = response.wsgi_request.LANGUAGE_CODE  # what LocaleMiddleware activated
    assert active == language


def test_interface_language_follows_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/archive/", HTTP_ACCEPT_LANGUAGE="nb")
    assert html_lang(response) == "en"


def test_interface_strings_are_translated(client):
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    norwegian = client.get("/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()

    assert '<h2 id="latest-title">Latest releases</h2>' in english
    # "Search" comes from Django's own nb catalog, so this holds before the project's catalog exists.
    assert '<button type="submit">Search</button>' in english
    assert '<button type="submit">Søk</button>' in norwegian


NB_CATALOG = Path(settings.BASE_DIR) / "pressroom" / "locale" / "nb" / "LC_MESSAGES" / "django.mo"


@pytest.mark.skipif(not NB_CATALOG.exists(), reason="the nb catalog is written in a later pass")
def test_pressroom_strings_are_translated_to_nb(client):
    # Catalog content: these assertions depend on the project's nb catalog.
    norwegian = client.get("/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert '<h2 id="latest-title">Latest releases</h2>' not in norwegian
    with translation.override("nb"):
        assert translation.gettext("Visit our pressroom") == "Besøk vårt presserom"


def test_language_switcher_is_a_post_form_with_csrf_that_sets_the_language(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    form = re.search(
        r'<form class="language-form" action="/i18n/setlang/" method="post">(.*?)</form>', html, re.S
    )
    assert form, "no language form"
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
    assert '<input type="hidden" name="next" value="/">' in form.group(1)
    assert '<label for="language-select">' in form.group(1)
    assert '<option value="nb" lang="nb" selected>' in form.group(1)

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/archive/"})

    assert response.status_code == 302
    assert response["Location"] == "/archive/"
    assert html_lang(client.get("/archive/")) == "en"


def test_release_page_uses_the_release_language_not_the_visitors(client):
    norwegian = ReleaseFactory(published=True, language="nb")
    english = ReleaseFactory(published=True, language="en")
    at = datetime(2024, 3, 1, 9, 30, tzinfo=ZoneInfo("Europe/Oslo"))
    Release.objects.filter(pk__in=[norwegian.pk, english.pk]).update(published_at=at)

    nb_page = client.get(norwegian.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    en_page = client.get(english.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="nb")

    assert html_lang(nb_page) == "nb"
    assert html_lang(en_page) == "en"
    assert nb_page["Content-Language"] == "nb"
    assert en_page["Content-Language"] == "en"
    assert "Visit our pressroom" in en_page.content.decode()
    # The date is in Oslo time, formatted for the release's language.
    assert ">1. mars 2024 09:30</time>" in nb_page.content.decode()
    assert ">March 1, 2024, 9:30 a.m.</time>" in en_page.content.decode()
    # After the page, the visitor's own language is active again for the next one.
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="en")) == "en"
