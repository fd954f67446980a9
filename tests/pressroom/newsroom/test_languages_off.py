"""A newsroom may switch nynorsk or English off (PRESSROOM_LANGUAGES, settings.LANGUAGES): that language
has no pressroom, is offered nowhere, and its releases and topics stay in the admin without being public.
Each surface is tried with nynorsk off and with English off."""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pressroom.newsroom import language_report
from pressroom.newsroom.models import Release
from pressroom.press.models import Announcement
from subscriptions import languages as subscription_languages
from subscriptions.models import Subscriber
from tests.factories import NewsroomFactory, ReleaseFactory, TopicFactory
from tests.pressroom.api.api_helpers import api_client, editor, token_for
from tests.pressroom.newsroom.test_media_bank import photo
from tests.pressroom.newsroom.test_renditions import striped
from tests.subscriptions.conftest import signup_data
from tests.subscriptions.factories import SubscriberFactory

from .test_language_report import viewer  # noqa: F401 - staff who may view releases

pytestmark = pytest.mark.django_db

NAMES = {"nb": "Norwegian bokmål", "nn": "Norwegian nynorsk", "en": "English"}


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


@pytest.fixture(params=["nn", "en"])
def off(request, settings):
    """The language switched off; the other two are on."""
    settings.LANGUAGES = [(code, name) for code, name in NAMES.items() if code != request.param]
    return request.param


@pytest.fixture
def on(off):
    return next(code for code in ("nn", "en") if code != off)


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def released(off):
    """A topic and a public release in each language, the three versions of one release."""
    topics = {code: TopicFactory(language=code, slug=f"emne-{code}") for code in NAMES}
    nb = ReleaseFactory(published=True, slug="melding-nb", topics=[topics["nb"]])
    releases = {"nb": nb}
    for code in ("nn", "en"):
        releases[code] = ReleaseFactory(
            published=True, language=code, slug=f"melding-{code}", topics=[topics[code]], version_of=nb
        )
    return releases, topics


def hreflangs(html):
    return set(re.findall(r'<link rel="alternate" hreflang="([^"]+)"', html))


def switch(html):
    """The languages the language switch offers."""
    nav = re.search(r'<nav class="language-nav".*?</nav>', html, re.S)
    return set(re.findall(r'hreflang="([^"]+)"', nav.group(0)))


# Its pressroom is gone


@pytest.mark.parametrize(
    "page", ["/", "/archive/", "/search/", "/contacts/", "/feed/rss/", "/feed/json/", "/sitemap.xml"]
)
def test_the_pressroom_of_a_language_switched_off_answers_404(client, off, page):
    assert client.get(f"/{off}{page}").status_code == 404
    assert client.get(page).status_code == 200


def test_its_releases_and_topics_have_no_page_and_no_redirect(client, off, on, released):
    releases, topics = released

    assert client.get(f"/{off}/releases/{releases[off].slug}/").status_code == 404
    # At the root (where it was before there was a pressroom per language): no redirect to nowhere.
    assert client.get(f"/releases/{releases[off].slug}/").status_code == 404
    assert client.get(f"/{off}/topics/{topics[off].slug}/").status_code == 404
    assert client.get(f"/topics/{off}/{topics[off].slug}/").status_code == 404
    # The language on is untouched: its old root address still redirects to its pressroom.
    assert client.get(f"/releases/{releases[on].slug}/")["Location"] == f"/{on}/releases/{releases[on].slug}/"


def test_the_search_filter_names_only_the_languages_on(client, off, on):
    response = client.get(f"/search/?language={off}")

    assert response.status_code == 400
    # In the bokmål pressroom's language: "... Språkene er: nb, en."
    assert response.content.decode().endswith(f": nb, {on}.")


# Offered nowhere


@pytest.mark.parametrize("page", ["/", "/archive/", "/search/", "/contacts/"])
def test_no_page_links_the_language_switched_off(client, off, on, page):
    html = client.get(page).content.decode()

    assert hreflangs(html) == {"nb", on, "x-default"}
    assert switch(html) == {"nb", on}
    assert f"/{off}/" not in html


def test_a_release_does_not_link_its_version_in_the_language_switched_off(client, off, on, released):
    releases, _topics = released

    html = client.get(releases["nb"].get_absolute_url()).content.decode()

    assert hreflangs(html) == {"nb", on, "x-default"}
    assert releases[off].slug not in html


def test_sitemap_and_robots_leave_the_language_out(client, off, on, released):
    sitemap = client.get("/sitemap.xml").content.decode()
    robots = client.get("/robots.txt").content.decode()

    assert f'hreflang="{off}"' not in sitemap
    assert f'hreflang="{on}"' in sitemap
    assert f"/{off}/" not in sitemap
    assert f"/{off}/sitemap.xml" not in robots
    assert f"/{on}/sitemap.xml" in robots


def test_the_interface_falls_back_when_the_browser_asks_for_the_language_switched_off(off):
    response = Client(HTTP_ACCEPT_LANGUAGE=off).get("/subscribe/")

    assert response.status_code == 200
    assert response["Content-Language"] != off


def test_the_media_bank_leaves_out_what_only_the_language_switched_off_uses(client, off, on, released):
    releases, _topics = released
    shared = photo(releases["nb"], title="Felles bilde")
    only_off = photo(releases[off], data=striped(700, 500), title="Bare avslått")

    asset = client.get(shared.get_media_url("nb")).content.decode()

    assert client.get(only_off.get_media_url("nb")).status_code == 404
    assert client.get(f"/{on}/media/").status_code == 200
    assert client.get(f"/{off}/media/").status_code == 404
    assert "Bare avslått" not in client.get("/media/").content.decode()
    assert releases["nb"].get_absolute_url() in asset


# Signing up


def test_the_sign_up_form_offers_only_the_languages_on(client, off, on):
    html = client.get("/subscribe/").content.decode()

    assert f'name="language" value="{off}"' not in html
    assert f'name="language" value="{on}"' in html
    assert ('name="releases" value="en"' in html) is (off != "en")
    assert 'name="releases" value="no"' in html
    # The interface's own language menu on pages without a language in their address.
    assert f'<option value="{off}"' not in html
    assert f'<option value="{on}"' in html


def test_english_releases_cannot_be_chosen_with_english_off(
    client, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGES = [("nb", "Norwegian bokmål"), ("nn", "Norwegian nynorsk")]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/subscribe/", signup_data("kari@example.no", releases=["en"], language="nb"))

    assert response.status_code == 200
    assert "releases" in response.context["form"].errors
    assert not Subscriber.objects.exists()


def test_topics_of_the_language_switched_off_are_not_offered(client, off, on, released):
    _releases, topics = released

    html = client.get("/subscribe/").content.decode()

    assert f'value="{topics[on].pk}"' in html
    assert f'value="{topics[off].pk}"' not in html


def test_a_release_in_the_language_switched_off_is_mailed_to_nobody(off, released):
    releases, _topics = released
    everything = {"norwegian": True, "english": True, "other_standards": set()}
    assert subscription_languages.gets(releases[off], language="nb", **everything) is False
    assert subscription_languages.gets(releases["nb"], language="nb", **everything) is True
    SubscriberFactory(email="alle@example.no", norwegian=True, english=True, language="nb")
    SubscriberFactory(email="nynorsk@example.no", norwegian=True, english=True, language="nn")

    assert list(Subscriber.objects.for_release(releases[off])) == []
    assert Subscriber.objects.for_release(releases["nb"]).count() == (2 if off == "nn" else 1)


def test_upcoming_releases_leave_out_announcements_in_the_language_switched_off(client, off, on):
    tomorrow = timezone.localdate() + timedelta(days=1)
    for code in NAMES:
        Announcement.objects.create(title=f"Varsel {code}", date=tomorrow, language=code)

    page = client.get("/upcoming/").content.decode()
    ical = client.get("/upcoming.ics").content.decode()

    assert "Varsel nb" in page and f"Varsel {on}" in page
    assert f"Varsel {off}" not in page
    assert f"Varsel {on}" in ical
    assert f"Varsel {off}" not in ical


# The API


def test_the_api_neither_lists_nor_filters_by_the_language_switched_off(client, off, on, released):
    releases, topics = released

    listed = {item["slug"] for item in client.get("/api/v1/releases/").json()["results"]}
    refused = client.get(f"/api/v1/releases/?language={off}")

    assert listed == {releases["nb"].slug, releases[on].slug}
    assert refused.status_code == 400
    assert "language" in refused.content.decode()
    assert client.get(f"/api/v1/releases/?language={on}").status_code == 200
    assert client.get(f"/api/v1/releases/{releases[off].slug}/").status_code == 404
    assert releases[off].slug not in client.get(f"/api/v1/releases/{releases['nb'].slug}/").content.decode()
    topic_slugs = {item["slug"] for item in client.get("/api/v1/topics/").json()["results"]}
    assert topic_slugs == {topics["nb"].slug, topics[on].slug}
    pressrooms = client.get("/api/v1/newsroom/").json()["pressrooms"]
    assert [pressroom["language"] for pressroom in pressrooms] == ["nb", on]


def test_the_editors_api_refuses_a_new_release_in_the_language_switched_off(off, on):
    client = api_client(token_for(editor())[1])

    def create(language):
        body = json.dumps({"title": "Ny melding", "language": language})
        return client.post("/api/v1/editor/releases/", body, content_type="application/json")

    refused = create(off)

    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["language"]
    assert not Release.objects.filter(language=off).exists()
    assert create(on).status_code == 201


# The admin


def language_choices(response):
    return [value for value, _label in response.context["adminform"].form.fields["language"].choices if value]


def test_the_admin_offers_only_the_languages_on_for_new_releases_and_topics(admin_client, off, on):
    releases = admin_client.get(reverse("admin:newsroom_release_add"))
    topics = admin_client.get(reverse("admin:newsroom_topic_add"))
    announcements = admin_client.get(reverse("admin:press_announcement_add"))

    assert language_choices(releases) == ["nb", on]
    assert off not in language_choices(topics)
    assert off not in language_choices(announcements)


def test_a_release_in_the_language_switched_off_stays_readable_and_keeps_its_language(
    admin_client, off, released
):
    releases, topics = released

    response = admin_client.get(reverse("admin:newsroom_release_change", args=[releases[off].pk]))
    topic = admin_client.get(reverse("admin:newsroom_topic_change", args=[topics[off].pk]))

    assert response.status_code == 200
    assert off in language_choices(response)
    assert response.context["adminform"].form.initial["language"] == off
    assert off in language_choices(topic)


# The language-act report


@pytest.mark.usefixtures("viewer")
def test_with_nynorsk_off_the_report_says_so_instead_of_warning(client, settings):
    settings.LANGUAGES = [("nb", "Norwegian bokmål"), ("en", "English")]
    ReleaseFactory(published=True, language="nb")
    ReleaseFactory(published=True, language="nn")  # not public: no pressroom in nynorsk

    html = client.get(reverse("admin:newsroom_release_language_report")).content.decode()
    (period,) = [row for row in language_report.rows() if not row.quarter]

    assert 'id="language-switched-off"' in html
    assert "⚠" not in html
    assert period.releases == {"nb": 1, "nn": 0}
    assert period.warning == ""


@pytest.mark.usefixtures("viewer")
def test_with_english_off_the_report_warns_as_before(client, settings):
    settings.LANGUAGES = [("nb", "Norwegian bokmål"), ("nn", "Norwegian nynorsk")]
    ReleaseFactory(published=True, language="nb")

    html = client.get(reverse("admin:newsroom_release_language_report")).content.decode()

    assert 'id="language-switched-off"' not in html
    assert "⚠" in html
