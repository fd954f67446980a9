import pytest
from django.conf import settings

from tests.factories import NewsroomFactory, ReleaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


@pytest.fixture
def releases():
    return {
        "title": ReleaseFactory(published=True, title="Bosetting av flyktninger", lead="", body="<p>x</p>"),
        "lead": ReleaseFactory(published=True, title="Tall", lead="Flere flyktninger i arbeid", body=""),
        "body": ReleaseFactory(published=True, title="Rapport", lead="", body="<p>Om flyktninger i 2023</p>"),
        "other": ReleaseFactory(published=True, title="Tolking", lead="Om tolketjenester", body=""),
        "draft": ReleaseFactory(title="Flyktninger utkast", lead="flyktninger"),
        "scheduled": ReleaseFactory(scheduled=True, title="Flyktninger planlagt", lead="flyktninger"),
    }


def found(client, q):
    response = client.get("/search/", {"q": q}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response, {r.pk for r in response.context["releases"]}


def test_search_finds_published_releases_by_title_lead_and_body(client, releases):
    response, pks = found(client, "flyktninger")

    assert pks == {releases["title"].pk, releases["lead"].pk, releases["body"].pk}
    html = response.content.decode()
    assert "3 results for “flyktninger”" in html
    assert releases["draft"].title not in html and releases["scheduled"].title not in html


def test_search_needs_every_word(client, releases):
    _, pks = found(client, "flyktninger arbeid")
    assert pks == {releases["lead"].pk}


def test_search_without_a_query_shows_the_form_and_no_results(client, releases):
    response, pks = found(client, "")
    assert pks == set()
    html = response.content.decode()
    assert '<input id="search-q" type="search" name="q" value=""' in html
    assert "results for" not in html


def test_search_with_no_match_says_so(client, releases):
    response, pks = found(client, "ukjentord")
    assert pks == set()
    assert "No releases matched." in response.content.decode()


@pytest.mark.parametrize("q", ["<script>alert(1)</script>", "a" * 5000, "'; DROP TABLE x; --", '"', "\x00"])
def test_search_survives_odd_input_and_escapes_it(client, releases, q):
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_search_query_is_kept_in_pagination_links(client, settings):
    settings.PRESSROOM_PAGE_SIZE = 1
    ReleaseFactory(published=True, title="Bosetting en")
    ReleaseFactory(published=True, title="Bosetting to")

    response = client.get("/search/", {"q": "bosetting"})

    assert 'href="?q=bosetting&amp;page=2"' in response.content.decode()


@pytest.mark.skipif(not settings.USING_POSTGRES, reason="PostgreSQL full-text search needs PostgreSQL")
def test_postgres_full_text_search_ranks_title_matches_first(client, releases):
    response, pks = found(client, "flyktninger")
    assert pks == {releases["title"].pk, releases["lead"].pk, releases["body"].pk}
    ranked = [r.pk for r in response.context["releases"]]
    # Title weighs more than lead, lead more than body.
    assert ranked == [releases["title"].pk, releases["lead"].pk, releases["body"].pk]


@pytest.mark.skipif(not settings.USING_POSTGRES, reason="PostgreSQL full-text search needs PostgreSQL")
def test_postgres_search_accepts_web_search_syntax(client, releases):
    _, pks = found(client, '"flere flyktninger" -bosetting')
    assert pks == {releases["lead"].pk}
