import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from pressroom.newsroom import pagecache
from pressroom.newsroom.languages import reverse_in
from pressroom.newsroom.models import Release
from pressroom.newsroom.services import set_version_of
from tests.factories import (
    AttachmentFactory,
    ContactFactory,
    NewsroomFactory,
    ReleaseFactory,
    TopicFactory,
    full_release,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


@pytest.fixture
def client(client):
    # The interface in English, so the assertions on its strings hold once the nb catalog exists.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_home_lists_published_releases_newest_first(client):
    older = ReleaseFactory(published=True, title="Eldre melding")
    Release.objects.filter(pk=older.pk).update(published_at=timezone.now() - timedelta(days=3))
    newer = ReleaseFactory(published=True, title="Nyere melding")
    ReleaseFactory(title="Et utkast")

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(newer.get_absolute_url()) < html.index(older.get_absolute_url())
    assert "Et utkast" not in html
    assert list(response.context["releases"]) == [newer, older]


def test_home_shows_topics_contacts_about_search_and_feeds(client, newsroom):
    topic = TopicFactory(name="Bosetting")
    ReleaseFactory(published=True, topics=[topic])
    TopicFactory(name="Tema uten meldinger")
    contact = ContactFactory(name="Libe Rieber-Mohn", role="Direktør")
    ContactFactory(name="Sluttet Person", is_active=False)

    html = client.get("/").content.decode()

    assert f'href="{topic.get_absolute_url()}"' in html
    # A topic with no public release is not listed: it could announce a draft.
    assert "Tema uten meldinger" not in html
    assert "Libe Rieber-Mohn" in html
    assert f'href="{reverse("pressroom:contact_vcard", kwargs={"pk": contact.pk})}"' in html
    assert "Sluttet Person" not in html
    assert newsroom.about in html
    assert 'action="/search/"' in html and 'name="q"' in html
    assert 'href="/feed/rss/"' in html and 'href="/feed/atom/"' in html
    assert html.count("<h1") == 1


def test_home_paginates(client, settings):
    settings.PRESSROOM_PAGE_SIZE = 2
    for _ in range(3):
        ReleaseFactory(published=True)

    first = client.get("/")
    second = client.get("/?page=2")

    assert len(first.context["releases"]) == 2
    assert len(second.context["releases"]) == 1
    assert 'rel="next" href="?page=2"' in first.content.decode()
    assert client.get("/?page=9").status_code == 404
    assert client.get("/?page=abc").status_code == 404


def test_home_without_releases_says_so_in_its_language(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Ingen pressemeldinger er publisert ennå." in response.content.decode()
    assert "No releases have been published yet." in client.get("/en/").content.decode()


def test_topic_page_lists_only_that_topics_published_releases(client):
    topic = TopicFactory(name="Introduksjonsprogram", language="nb")
    on_topic = ReleaseFactory(published=True, topics=[topic])
    off_topic = ReleaseFactory(published=True)

    response = client.get(topic.get_absolute_url())

    assert response.status_code == 200
    assert list(response.context["releases"]) == [on_topic]
    html = response.content.decode()
    assert "<h1>Introduksjonsprogram</h1>" in html
    assert off_topic.title not in html


def test_topic_page_404s_for_unknown_topic_or_a_topic_of_another_language(client):
    topic = TopicFactory(language="nb")
    assert client.get(f"/topics/{topic.slug}/").status_code == 200
    assert client.get(f"/en/topics/{topic.slug}/").status_code == 404
    assert client.get("/topics/finnes-ikke/").status_code == 404


def test_archive_counts_releases_per_year(client):
    now = timezone.now()
    for _ in range(2):
        ReleaseFactory(published=True, language="en")
    old = ReleaseFactory(published=True, language="en")
    Release.objects.filter(pk=old.pk).update(published_at=now.replace(year=2021, month=6))
    ReleaseFactory(language="en")  # a draft is not counted
    ReleaseFactory(published=True, language="nb")  # nor a release of another pressroom

    response = client.get("/en/archive/")

    assert response.status_code == 200
    assert [(row["year"], row["count"]) for row in response.context["years"]] == [(now.year, 2), (2021, 1)]
    html = response.content.decode()
    assert 'href="/en/archive/2021/"' in html
    assert "2 releases" in html and "1 release<" in html


def test_archive_year_lists_that_year_grouped_by_month(client):
    old = ReleaseFactory(published=True, title="Fra 2021")
    Release.objects.filter(pk=old.pk).update(published_at=timezone.now().replace(year=2021, month=6, day=10))
    ReleaseFactory(published=True, title="Fra i år")

    response = client.get("/archive/2021/")

    assert response.status_code == 200
    assert [r.title for r in response.context["releases"]] == ["Fra 2021"]
    assert '<h2 id="month-1" class="month-title">Juni</h2>' in response.content.decode()
    english = client.get("/en/archive/2021/")
    assert list(english.context["releases"]) == []


@pytest.mark.parametrize("year", [0, 1, 1899, 9001, 99999])
def test_archive_year_out_of_range_is_404_not_500(client, year):
    assert client.get(f"/archive/{year}/").status_code == 404


def test_contacts_page_lists_active_contacts_and_press_desk(client, newsroom):
    active = ContactFactory(name="Aktiv Kontakt", phone="+47 22 33 44 55")
    ContactFactory(name="Inaktiv Kontakt", is_active=False)

    html = client.get("/contacts/").content.decode()

    assert "Aktiv Kontakt" in html
    assert 'href="tel:+4722334455"' in html
    assert f'href="mailto:{active.email}"' in html
    assert f'href="/contacts/{active.pk}.vcf"' in html
    assert "Inaktiv Kontakt" not in html
    assert f'href="mailto:{newsroom.email}"' in html


def test_robots_txt_disallows_private_paths_and_names_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "Disallow: /admin/" in lines
    assert "Disallow: /preview/" in lines
    assert "Disallow: /subscribe/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_pages_name_their_icon_and_favicon_ico_leads_to_it(client):
    html = client.get("/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert icon, "no icon link"
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == icon.group(1)
    assert icon.group(1) == "/static/pressroom/favicon.svg"  # collected and hashed in production
    assert "<svg" in Path(finders.find("pressroom/favicon.svg")).read_text()


def test_unknown_page_renders_the_404_template(client):
    response = client.get("/finnes/ikke/")
    assert response.status_code == 404
    html = response.content.decode()
    # An address of no pressroom: in the reader's language (Accept-Language here), with its feeds.
    assert "Page not found" in html
    assert 'href="/en/feed/rss/"' in html
    html = client.get("/releases/finnes-ikke/").content.decode()
    assert "Fant ikke siden" in html and 'href="/feed/rss/"' in html


def test_500_template_needs_no_context():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "<h1>Noe gikk galt</h1>" in html
    assert "Something went wrong" in html


# The preview


def test_preview_shows_a_draft_to_staff_with_banner_and_noindex(admin_client):
    draft = full_release(title="Hemmelig utkast")

    response = admin_client.get(reverse("pressroom:preview", kwargs={"pk": draft.pk}))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Hemmelig utkast</h1>" in html
    assert 'class="preview-banner"' in html
    assert '<meta name="robots" content="noindex">' in html
    assert response["X-Robots-Tag"] == "noindex"
    assert "no-store" in response["Cache-Control"]


def test_preview_redirects_anonymous_users_to_login(client):
    draft = ReleaseFactory(title="Hemmelig utkast")

    response = client.get(reverse("pressroom:preview", kwargs={"pk": draft.pk}))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert b"Hemmelig utkast" not in response.content


def test_preview_refuses_non_staff_users(client, django_user_model):
    user = django_user_model.objects.create_user("journalist", password="x")
    client.force_login(user)
    draft = ReleaseFactory(title="Hemmelig utkast")

    response = client.get(reverse("pressroom:preview", kwargs={"pk": draft.pk}))

    assert response.status_code == 302
    assert b"Hemmelig utkast" not in response.content


def test_release_page_has_no_preview_banner(client):
    release = ReleaseFactory(published=True)
    html = client.get(release.get_absolute_url()).content.decode()
    assert "preview-banner" not in html
    assert 'content="noindex"' not in html


# The publication rule on every public surface


def surfaces(client, release):
    """Which public surfaces show RELEASE (keyed by surface), as an anonymous visitor sees them."""
    url = release.get_absolute_url()
    topic = release.topics.get()
    image = release.attachments.get(kind="image")
    pdf = release.attachments.get(kind="document")
    topic_kwargs = {"slug": topic.slug}
    year = (
        release.published_at.astimezone(timezone.get_current_timezone()).year
        if release.published_at
        else 2000
    )

    def at(name, **kwargs):  # the address in the release's own pressroom
        return reverse_in(release.language, name, kwargs)

    page = client.get(url)
    return {
        "home": url in client.get(at("pressroom:home")).content.decode(),
        "release page": page.status_code == 200,
        "og tags": release.title in page.content.decode(),
        "topic": url in client.get(topic.get_absolute_url()).content.decode(),
        "archive year": url in client.get(at("pressroom:archive_year", year=year)).content.decode(),
        "search": url in client.get(at("pressroom:search"), {"q": release.title}).content.decode(),
        "rss": url in client.get(at("pressroom:feed_rss")).content.decode(),
        "atom": url in client.get(at("pressroom:feed_atom")).content.decode(),
        "json feed": url in client.get(at("pressroom:feed_json")).content.decode(),
        "topic rss": url in client.get(at("pressroom:topic_feed_rss", **topic_kwargs)).content.decode(),
        "topic atom": url in client.get(at("pressroom:topic_feed_atom", **topic_kwargs)).content.decode(),
        "sitemap": url in client.get(at("pressroom:sitemap")).content.decode(),
        "image file": client.get(image.get_absolute_url()).status_code == 200,
        "pdf file": client.get(pdf.get_absolute_url()).status_code == 200,
        "web rendition": client.get(image.get_rendition_url("web")).status_code == 200,
        "thumb rendition": client.get(image.get_rendition_url("thumb")).status_code == 200,
    }


def archive_total(client):
    return sum(row["count"] for row in client.get("/archive/").context["years"])


def test_scheduled_and_draft_releases_are_invisible_everywhere_until_their_time(client):
    topic = TopicFactory()
    scheduled = full_release(scheduled=True, title="Planlagt melding", topics=[topic])
    draft = full_release(title="Utkast melding", topics=[topic])
    # A public release on the same topic, so the topic page and topic feeds exist and list something.
    full_release(published=True, title="Offentlig melding", topics=[topic])
    assert scheduled.published_at > timezone.now()

    for release in (scheduled, draft):
        seen = surfaces(client, release)
        assert not any(seen.values()), {name for name, shown in seen.items() if shown}
    assert archive_total(client) == 1

    # Time passes: the scheduled time is now in the past. Nothing needs to run for it to show.
    Release.objects.filter(pk__in=[scheduled.pk, draft.pk]).update(
        published_at=timezone.now() - timedelta(minutes=1)
    )
    # The update stands in for time passing; the page cache ends its pages at the scheduled time
    # itself (tests/pressroom/newsroom/test_pagecache.py), so here they end with it.
    pagecache.invalidate()
    scheduled.refresh_from_db()
    draft.refresh_from_db()

    seen = surfaces(client, scheduled)
    assert all(seen.values()), {name for name, shown in seen.items() if not shown}
    # A draft stays hidden whatever its time says.
    seen = surfaces(client, draft)
    assert not any(seen.values()), {name for name, shown in seen.items() if shown}
    assert archive_total(client) == 2


def test_unpublished_release_disappears_again(client):
    from pressroom.newsroom.services import unpublish_release

    release = full_release(published=True)
    assert all(surfaces(client, release).values())
    assert archive_total(client) == 1

    unpublish_release(release=release)

    assert not any(surfaces(client, release).values())
    assert archive_total(client) == 0


# The feed links in every page's head

FEED_LINKS = (
    '<link rel="alternate" type="application/rss+xml"',
    '<link rel="alternate" type="application/atom+xml"',
)


def head(html):
    return html.split("</head>", 1)[0]


def test_every_public_page_links_the_feeds_in_its_head(client):
    topic = TopicFactory()
    release = full_release(published=True, topics=[topic])
    year = release.published_at.astimezone(timezone.get_current_timezone()).year
    pages = ["/", release.get_absolute_url(), topic.get_absolute_url(), "/archive/", f"/archive/{year}/",
             "/search/", "/search/?q=melding", "/contacts/", "/releases/finnes-ikke/"]  # fmt: skip

    for page in pages:
        html = head(client.get(page).content.decode())
        for link in FEED_LINKS:
            assert link in html, (page, link)
        assert re.search(r'type="application/rss\+xml"[^>]*href="/feed/rss/"', html), page
        assert re.search(r'type="application/atom\+xml"[^>]*href="/feed/atom/"', html), page


def test_topic_page_also_links_its_own_feeds(client):
    topic = TopicFactory(language="nb", name="Bosetting")
    html = head(client.get(topic.get_absolute_url()).content.decode())
    assert f'href="/topics/{topic.slug}/rss/"' in html
    assert f'href="/topics/{topic.slug}/atom/"' in html
    english = TopicFactory(language="en", name="Settlement")
    html = head(client.get(english.get_absolute_url()).content.decode())
    assert f'href="/en/topics/{english.slug}/rss/"' in html


def test_pages_have_one_h1_landmarks_and_a_skip_link(client):
    release = full_release(published=True)
    for page in ["/", release.get_absolute_url(), "/archive/", "/contacts/", "/search/?q=x"]:
        html = client.get(page).content.decode()
        assert html.count("<h1") == 1, page
        assert '<a class="skip-link" href="#main">' in html
        for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
            assert landmark in html, (page, landmark)
        # The language switch: links to the page in each language, no form and no token.
        assert '<nav class="language-nav"' in html and "csrfmiddlewaretoken" not in html


def test_release_in_list_shows_its_thumbnail(client):
    release = ReleaseFactory(published=True)
    image = AttachmentFactory(release=release)
    html = client.get("/").content.decode()
    assert f'src="/images/{image.pk}/thumb/"' in html


# A pressroom per language: every public page advertises its own language's feeds and its versions


def alternates(html):
    """{hreflang: href} of the page's head."""
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', head(html)))


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_every_public_page_advertises_its_languages_feeds_and_its_versions(client, language):
    topic = TopicFactory(language=language)
    release = full_release(published=True, language=language, topics=[topic])
    year = release.published_at.astimezone(timezone.get_current_timezone()).year
    prefix = "" if language == "nb" else f"/{language}"
    same_everywhere = ["/", "/archive/", f"/archive/{year}/", "/search/", "/search/?q=melding", "/contacts/"]
    pages = [
        *(prefix + page for page in same_everywhere),
        release.get_absolute_url(),
        topic.get_absolute_url(),
    ]

    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert f'<html lang="{language}">' in html, page
        for kind, name in [("rss\\+xml", "rss"), ("atom\\+xml", "atom"), ("feed\\+json", "json")]:
            assert re.search(rf'type="application/{kind}"[^>]*href="{prefix}/feed/{name}/"', head(html)), (
                page,
                name,
            )
        found = alternates(html)
        assert found[language] == f"http://testserver{page}", page
        assert "x-default" in found, page
    # A page that every language has lists all three, and x-default is the bokmål one at the root.
    found = alternates(client.get(f"{prefix}/search/?q=melding&page=1").content.decode())
    assert found == {
        "nb": "http://testserver/search/?q=melding",
        "nn": "http://testserver/nn/search/?q=melding",
        "en": "http://testserver/en/search/?q=melding",
        "x-default": "http://testserver/search/?q=melding",
    }
    # A release or a topic without other versions has only itself.
    assert set(alternates(client.get(release.get_absolute_url()).content.decode())) == {language, "x-default"}


def test_a_missing_release_links_to_the_same_address_in_every_pressroom(client):
    # The view's address in each language, though the view found nothing.
    response = client.get("/nn/releases/finnes-ikke/")
    assert response.status_code == 404
    assert alternates(response.content.decode()) == {
        "nb": "http://testserver/releases/finnes-ikke/",
        "nn": "http://testserver/nn/releases/finnes-ikke/",
        "en": "http://testserver/en/releases/finnes-ikke/",
        "x-default": "http://testserver/releases/finnes-ikke/",
    }


def test_an_address_no_page_answers_claims_no_version_in_another_language(client):
    response = client.get("/nn/finnes/ikke/")
    assert response.status_code == 404
    html = response.content.decode()
    # Not hreflang="nb" for an address of the nynorsk pressroom: the switch leads to each pressroom's home.
    here = "http://testserver/nn/finnes/ikke/"
    assert alternates(html) == {"nn": here, "x-default": here}
    assert '<a href="/" hreflang="nb"' in html and '<a href="/en/" hreflang="en"' in html


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_each_pressroom_lists_only_its_own_languages_releases_on_every_surface(client, language, settings):
    settings.PAGE_CACHE_SECONDS = 0
    topics = {code: TopicFactory(language=code, name=f"Tema {code}") for code in ("nb", "nn", "en")}
    releases = {code: full_release(published=True, language=code, topics=[topics[code]]) for code in topics}
    for code in ("nn", "en"):  # one group: still each in its own pressroom only
        set_version_of(release=releases[code], original=releases["nb"])
        releases[code].save()
    for code, release in releases.items():
        seen = surfaces(client, release)
        assert all(seen.values()), (code, {name for name, shown in seen.items() if not shown})
    # And no other language's release shows in this pressroom's lists.
    prefix = "" if language == "nb" else f"/{language}"
    for page in ["/", "/feed/rss/", "/feed/atom/", "/feed/json/", "/sitemap.xml"]:
        html = client.get(prefix + page).content.decode()
        if page == "/sitemap.xml":  # the entries, not their alternates (the other versions)
            html = " ".join(re.findall(r"<loc>([^<]+)</loc>", html))
        for code, release in releases.items():
            assert (release.get_absolute_url() in html) == (code == language), (page, code)
    topic_list = client.get(prefix + "/").context["topics"]
    assert [topic.language for topic in topic_list] == [language]
    suggestions = client.get(prefix + "/search/suggest/", {"q": "Pressemelding"}).json()["suggestions"]
    assert [s["url"] for s in suggestions] == [releases[language].get_absolute_url()]
