from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pressroom.newsroom import search
from pressroom.newsroom.languages import reverse_in
from pressroom.newsroom.models import Release
from tests.factories import (
    AttachmentFactory,
    ContactFactory,
    NewsroomFactory,
    ReleaseContactFactory,
    ReleaseFactory,
    TopicFactory,
)

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


def found(client, q, language="nb"):
    response = client.get(reverse_in(language, "pressroom:search"), {"q": q})
    assert response.status_code == 200
    return response, {r.pk for r in response.context["releases"]}


def test_search_finds_published_releases_by_title_lead_and_body(client, releases):
    response, pks = found(client, "flyktninger")

    assert pks == {releases["title"].pk, releases["lead"].pk, releases["body"].pk}
    html = response.content.decode()
    assert "3 treff for «flyktninger»" in html
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
    assert "Ingen pressemeldinger passet til søket." in response.content.decode()
    response, pks = found(client, "ukjentord", language="en")
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


def test_search_ranks_title_over_lead_over_body(client, releases):
    response, pks = found(client, "flyktninger")
    assert pks == {releases["title"].pk, releases["lead"].pk, releases["body"].pk}
    ranked = [r.pk for r in response.context["releases"]]
    # Title weighs more than lead, lead more than body.
    assert ranked == [releases["title"].pk, releases["lead"].pk, releases["body"].pk]


def test_search_reads_quoted_phrases_and_excluded_words(client, releases):
    _, pks = found(client, '"flere flyktninger" -bosetting')
    assert pks == {releases["lead"].pk}


def pks(client, q, **filters):
    return found_with(client, q, **filters)[1]


def found_with(client, q, language="nb", **filters):
    response = client.get(reverse_in(language, "pressroom:search"), {"q": q, **filters})
    assert response.status_code == 200
    return response, [r.pk for r in response.context["releases"]]


# Norwegian and English, as journalists write them


def test_an_inflected_norwegian_word_finds_the_others(client):
    plural = ReleaseFactory(published=True, title="Kommunene bosatte flyktninger", lead="", body="")
    definite = ReleaseFactory(published=True, title="Flyktningene fikk bolig", lead="", body="")

    assert set(pks(client, "flyktning")) == {plural.pk, definite.pk}
    assert set(pks(client, "flyktninger")) == {plural.pk, definite.pk}
    assert set(pks(client, "flyktningene bolig")) == {definite.pk}


def test_a_compound_finds_its_definite_form(client):
    release = ReleaseFactory(published=True, title="Nytt fra introduksjonsprogrammet", lead="", body="")

    assert pks(client, "introduksjonsprogram") == [release.pk]
    assert pks(client, "introduksjonsprogrammet") == [release.pk]


def test_nynorsk_forms_of_program_find_each_other(client):
    singular = ReleaseFactory(published=True, language="nn", title="Eit nytt program", lead="", body="")
    definite = ReleaseFactory(published=True, language="nn", title="Programmet er klart", lead="", body="")
    plural = ReleaseFactory(published=True, language="nn", title="Alle programma", lead="", body="")

    # "programmet" and "programma" share the stem "programm"; "program" (the last word typed, so also a
    # beginning) finds all three.
    assert set(pks(client, "programma", language="nn")) == {definite.pk, plural.pk}
    assert set(pks(client, "programmet", language="nn")) == {definite.pk, plural.pk}
    assert set(pks(client, "program", language="nn")) == {singular.pk, definite.pk, plural.pk}
    assert pks(client, "program") == []  # the bokmål pressroom searches its own releases only


def test_ukraina_finds_ukrainske(client):
    release = ReleaseFactory(published=True, title="Flere ukrainske flyktninger", lead="", body="")

    assert pks(client, "Ukraina") == [release.pk]


def test_an_english_release_is_stemmed_in_english(client):
    release = ReleaseFactory(published=True, language="en", title="Refugees settled", lead="", body="")

    assert pks(client, "refugee settle", language="en") == [release.pk]


def test_only_the_last_word_is_read_as_a_beginning(client):
    release = ReleaseFactory(published=True, title="Bosetting i kommunene", lead="", body="")

    assert pks(client, "kommunene bos") == [release.pk]
    assert pks(client, "bos kommunene") == []


# What is indexed


def test_markup_is_not_text(client):
    release = ReleaseFactory(
        published=True, title="Tall", lead="", body="<blockquote><p><strong>Sitat</strong></p></blockquote>"
    )

    assert pks(client, "blockquote") == []
    assert pks(client, "strong") == []
    assert pks(client, "sitat") == [release.pk]


def test_captions_and_contact_names_are_found(client):
    release = ReleaseFactory(published=True, title="Tall", lead="", body="")
    AttachmentFactory(release=release, caption="Mottak på Gardermoen")
    link = ReleaseContactFactory(release=release, contact=ContactFactory(name="Ingrid Bjørnstad"))

    assert pks(client, "gardermoen") == [release.pk]
    assert pks(client, "bjørnstad") == [release.pk]

    link.contact.name = "Solveig Haugen"
    link.contact.save()
    assert pks(client, "bjørnstad") == []
    assert pks(client, "haugen") == [release.pk]


def test_an_edited_release_is_found_by_its_new_words(client):
    release = ReleaseFactory(published=True, title="Gammel tittel", lead="", body="")
    release.title = "Ny overskrift"
    release.save()

    assert pks(client, "gammel") == []
    assert pks(client, "overskrift") == [release.pk]


# Typos


def test_a_typo_shows_the_results_for_the_word_meant(client, releases):
    response, found = found_with(client, "flyktnnger")

    assert set(found) == {releases["title"].pk, releases["lead"].pk, releases["body"].pk}
    assert "Viser treff for «flyktninger»" in response.content.decode()


def test_a_typo_is_not_corrected_to_a_word_only_a_draft_or_an_embargoed_release_has(client):
    ReleaseFactory(title="Hemmelighetsfulle planer", lead="", body="")
    ReleaseFactory(scheduled=True, title="Embargobelagte tall", lead="", body="")

    for typo in ("hemmelighetsfule", "embargobelagde"):
        response, found = found_with(client, typo)
        assert found == []
        assert "Showing results" not in response.content.decode()


def test_nothing_close_suggests_nothing(client, releases):
    response, found = found_with(client, "qxzvw")
    assert found == []
    assert "Ingen pressemeldinger passet til søket." in response.content.decode()


# Filters and pages


@pytest.fixture
def filtered():
    topic = TopicFactory(name="Bosetting")
    old = timezone.make_aware(datetime(2021, 6, 1, 12))
    return {
        "topic": topic,
        "news": ReleaseFactory(published=True, kind=Release.Kind.NEWS, title="Bosetting nyhet"),
        "topical": ReleaseFactory(published=True, title="Bosetting med tema", topics=[topic]),
        "old": ReleaseFactory(
            published=True, title="Bosetting i fjor", published_at=old, first_published_at=old
        ),  # fmt: skip
        "english": ReleaseFactory(published=True, language="en", title="Bosetting in English"),
    }


def test_filters_by_kind_topic_and_year_in_the_pressrooms_language(client, filtered):
    assert pks(client, "bosetting", kind="news") == [filtered["news"].pk]
    assert pks(client, "bosetting", topic=filtered["topic"].pk) == [filtered["topical"].pk]
    assert pks(client, "bosetting", year=2021) == [filtered["old"].pk]
    assert pks(client, "bosetting", language="en") == [filtered["english"].pk]
    assert len(pks(client, "bosetting")) == 3
    assert pks(client, "bosetting", language="nn") == []


def test_the_old_language_filter_leads_to_that_languages_search(client, filtered):
    response = client.get("/search/", {"q": "bosetting", "language": "en", "kind": "news"})
    assert response.status_code == 301
    assert response["Location"] == "/en/search/?q=bosetting&kind=news"
    response = client.get("/en/search/", {"q": "bosetting", "language": "en"})
    assert response.status_code == 200 and [r.pk for r in response.context["releases"]] == [
        filtered["english"].pk
    ]


@pytest.mark.parametrize("language", ["xx", "\x00", "", "NB", "nb-x"])
def test_an_unknown_language_in_the_query_is_a_clear_400(client, filtered, language):
    response = client.get("/search/", {"q": "bosetting", "language": language})
    assert response.status_code == 400
    assert (
        "Ukjent språk" in response.content.decode()
        and "Språkene er: nb, nn, en." in response.content.decode()
    )
    response = client.get("/en/search/", {"q": "bosetting", "language": language})
    assert response.status_code == 400
    assert "The languages are: nb, nn, en." in response.content.decode()


def test_filters_offer_only_public_topics_and_years(client, filtered):
    hidden = TopicFactory(name="Hemmelig tema")
    ReleaseFactory(scheduled=True, title="Bosetting snart", topics=[hidden])

    html = found_with(client, "bosetting")[0].content.decode()

    assert "Hemmelig tema" not in html
    assert f'<option value="{filtered["topic"].pk}">Bosetting</option>' in html
    assert '<option value="2021">2021</option>' in html


@pytest.mark.parametrize(
    "filters",
    [{"kind": "nope"}, {"topic": "abc"}, {"topic": "99999"}, {"year": "1066"}, {"year": "9" * 400}],
)  # fmt: skip
def test_a_filter_that_is_not_a_choice_is_left_out(client, filtered, filters):
    assert len(pks(client, "bosetting", **filters)) == 3


def test_pages_keep_the_query_and_the_filters(client, settings, filtered):
    settings.PRESSROOM_PAGE_SIZE = 1
    ReleaseFactory(published=True, kind=Release.Kind.NEWS, title="Bosetting nyhet to")

    response = client.get("/search/", {"q": "bosetting", "kind": "news"})

    assert 'href="?q=bosetting&amp;kind=news&amp;page=2"' in response.content.decode()
    assert len(client.get("/search/", {"q": "bosetting", "kind": "news", "page": 2}).context["releases"]) == 1


def test_more_matches_than_are_ranked_says_so(client, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 3)
    for n in range(5):
        ReleaseFactory(published=True, title=f"Bosetting {n}",
                       published_at=timezone.now() - timedelta(hours=n + 1))  # fmt: skip

    response, found = found_with(client, "bosetting")

    assert len(found) == 3
    assert "Mer enn 3 treff for «bosetting»: de 3 nyeste vises" in response.content.decode()


# Snippets


def test_snippets_mark_the_words_found_and_escape_the_rest(client):
    ReleaseFactory(
        published=True, title="Tall", lead="",
        body="<p>Innledning. " + "fyll " * 30
        + "Kommunene bosatte 500 flyktninger &lt;b&gt;i år&lt;/b&gt;.</p>",
    )  # fmt: skip

    html = found_with(client, "flyktning")[0].content.decode()

    assert "bosatte 500 <mark>flyktninger</mark> &lt;b&gt;i år&lt;/b&gt;." in html
    assert html.count("<mark>") == 1
    assert "… fyll" in html


# The publication rule


def test_embargoed_releases_are_never_found_suggested_or_corrected_to(client):
    ReleaseFactory(scheduled=True, title="Embargotall fra departementet", lead="", body="")
    ReleaseFactory(title="Embargotall i utkast", lead="", body="")

    for q in ("embargotall", "embargo", "embargotal", '"embargotall fra"'):
        assert pks(client, q) == []
    assert client.get("/search/suggest/", {"q": "embargo"}).json() == {"suggestions": []}


def test_a_scheduled_release_is_found_once_its_time_has_come(client):
    release = ReleaseFactory(scheduled=True, title="Tidsstyrt nyhet", lead="", body="")
    assert pks(client, "tidsstyrt") == []

    Release.objects.filter(pk=release.pk).update(published_at=timezone.now() - timedelta(minutes=1))

    assert pks(client, "tidsstyrt") == [release.pk]


# Suggestions as one types


def test_suggestions_are_titles_of_the_best_public_matches(client, releases):
    response = client.get("/search/suggest/", {"q": "flykt"})

    assert response.status_code == 200
    assert response.json()["suggestions"][0] == {
        "title": "Bosetting av flyktninger",
        "url": releases["title"].get_absolute_url(),
    }
    assert {s["title"] for s in response.json()["suggestions"]} == {
        releases["title"].title,
        releases["lead"].title,
        releases["body"].title,
    }


def test_the_search_box_works_without_script_and_offers_suggestions_with_it(client):
    html = client.get("/search/").content.decode()

    assert 'action="/search/" method="get"' in html
    assert 'data-suggest="/search/suggest/"' in html
    assert "pressroom/search.js" in html


# Hostile queries


HOSTILE = [
    "a" * 10_000,
    "flyktninger " * 2_000,
    "\x00",
    "flykt\x00ninger",
    "'; DROP TABLE newsroom_release; --",
    '" OR 1=1 --',
    "' & | ! <-> :* ( ) \\",
    "flyktninger:* & !(",
    "title:flyktninger",
    "NEAR(flyktninger arbeid)",
    "flyktninger NOT arbeid AND OR",
    '"""',
    '"unclosed phrase',
    "-",
    "-flyktninger",
    "*",
    "^flyktninger",
    "{title lead}: flyktninger",
    "<script>alert(1)</script>",
    "%_%",
    "🙂 ☃",
    "ﬂyktninger",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_are_answered_without_an_error(client, releases, q):
    for path in ("/search/", "/search/suggest/", "/api/v1/releases/"):
        response = client.get(path, {"q": q, "kind": q, "topic": q, "year": q, "page": "1"})
        assert response.status_code in (200, 400), (path, response.status_code)
    assert "<script>alert(1)</script>" not in client.get("/search/", {"q": q}).content.decode()


def test_operators_are_words_not_syntax(client, releases):
    assert set(pks(client, "flyktninger & | ! arbeid")) == {releases["lead"].pk}
    assert set(pks(client, "flyktninger OR tolketjenester")) == set()


def test_an_exclusion_alone_finds_nothing(client, releases):
    assert pks(client, "-flyktninger") == []


def test_parse_reads_at_most_ten_words():
    query = search.parse(" ".join(f"ord{n}" for n in range(50)))
    assert sum(len(term.words) for term in query.terms) == search.MAX_WORDS


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN and trigram indexes are PostgreSQL's")
def test_postgres_reads_the_search_index_not_the_table(releases):
    # Every release, so that no other index could serve the query: the plan must use the GIN index.
    matching = search.matches(Release.objects.order_by(), "flyktninger arbeid")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = matching.explain()
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'searchword_trigram'")
        (words_index,) = cursor.fetchone()

    assert "Bitmap Index Scan on release_search_vector" in plan
    assert "USING gin (word gin_trgm_ops)" in words_index


@pytest.mark.skipif(connection.vendor != "postgresql", reason="text search configurations are PostgreSQL's")
@pytest.mark.parametrize(
    ("language", "config", "others"),
    [("nb", "norwegian", ("english", "simple")), ("en", "english", ("norwegian", "simple"))],
)
def test_a_pressroom_asks_only_its_own_language_configuration(client, releases, language, config, others):
    # Every configuration asked is one more estimate the planner adds up: for a word found nowhere, three
    # of them made walking the newest releases look cheaper than the index (the whole table, read).
    with CaptureQueriesContext(connection) as queries:
        found(client, "flyktninger", language)

    ranked = [query["sql"] for query in queries if "ts_rank" in query["sql"]]
    assert ranked
    for sql in ranked:
        assert f"'{config}'" in sql
        assert not any(f"'{other}'" in sql for other in others)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="completions are read on PostgreSQL")
def test_the_last_words_completions_follow_new_releases():
    first = ReleaseFactory(published=True, title="Bosetting i kommunene", lead="", body="")
    public = Release.objects.published()
    assert list(search.releases(public, "boset", "nb")) == [first]

    second = ReleaseFactory(published=True, title="Bosettingstallet", lead="", body="")

    # A word no release had when the beginning was first completed.
    assert set(search.releases(public, "boset", "nb")) == {first, second}


def test_a_word_deep_in_a_long_body_is_shown_and_marked(client):
    ReleaseFactory(
        published=True, title="Lang rapport", lead="Innledningen.",
        body="<p>" + "fyll " * 10_000 + "</p><h2>Funn</h2><p>Kommunene bosatte 500 flyktninger i år.</p>",
    )  # fmt: skip

    html = found_with(client, "flyktning")[0].content.decode()

    assert "Kommunene bosatte 500 <mark>flyktninger</mark> i år." in html
    assert html.count("<mark>") == 1


def test_a_snippet_is_text_even_where_an_attribute_holds_markup_characters(client):
    ReleaseFactory(
        published=True, title="Lenker", lead="",
        body='<p>Se <a href="https://example.org/?a=1&amp;b=2" title="a > b">tallene</a> for '
        "flyktninger.</p>",
    )  # fmt: skip

    html = found_with(client, "flyktninger")[0].content.decode()

    assert "Se tallene for <mark>flyktninger</mark>." in html


def test_results_show_their_topics_by_name_with_links(client):
    work, housing, figures = (
        TopicFactory(name="Arbeid"),
        TopicFactory(name="Bolig"),
        TopicFactory(name="Tall"),
    )
    release = ReleaseFactory(published=True, title="Bosetting og arbeid", topics=[housing, work])
    found_with(client, "bosetting")  # the filters' list of public topics is kept from here...
    # ...and a topic that became public since, without a signal (as from another process), is read too.
    Release.topics.through.objects.bulk_create([Release.topics.through(release=release, topic=figures)])

    html = found_with(client, "bosetting")[0].content.decode()

    links = [
        f'<li><a href="{topic.get_absolute_url()}">{topic.name}</a></li>'
        for topic in (work, housing, figures)
    ]
    assert "".join(links) in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the walk's time limit is PostgreSQL's")
def test_a_walk_for_the_newest_matches_that_takes_too_long_reads_the_index_instead(releases, caplog):
    # A walk made slow on purpose: a tenth of a second a row, where the limit is WALK_MS.
    slow = search.matches(Release.objects.published(), "flyktninger", "nb").filter(
        RawSQL("pg_sleep(0.1) IS NOT NULL", [], output_field=BooleanField())
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        (before,) = cursor.fetchone()

    with caplog.at_level("INFO", logger="pressroom.newsroom.search"):
        newest = search.newest_first(slow.values_list("pk", flat=True), 2)

    assert newest == [releases["body"].pk, releases["lead"].pk]
    assert "reading the index" in caplog.text
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == (before,)  # the limit ended with the walk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the walk's time limit is PostgreSQL's")
def test_a_walk_within_its_time_leaves_the_limit_as_it_was(releases):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        (before,) = cursor.fetchone()

    found = search.releases(Release.objects.published(), "flyktninger", "nb")

    assert {release.pk for release in found[:10]} == {releases[name].pk for name in ("title", "lead", "body")}
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == (before,)
