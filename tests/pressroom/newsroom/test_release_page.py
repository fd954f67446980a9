import json
import re
from datetime import datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

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

OSLO = ZoneInfo("Europe/Oslo")

# The seed release (/work/shared/seed/imdi-release.txt) as an editor enters it: subheadings, a quote,
# and a list.
SEED_BODY = """
<h2>Flere flyktninger går over til arbeid</h2>
<p>41 prosent av alle flykninger gikk til arbeid direkte etter avsluttet introduksjonsprogram i 2023.</p>
<blockquote><p>Det er positivt at en høy andel av deltakerne i introduksjonsprogrammet går direkte ut i
arbeid, sier direktør i IMDi Libe Rieber-Mohn.</p></blockquote>
<h3>Fylkene med best resultater</h3>
<ul><li>Troms og Finnmark</li><li>Nordland</li><li>Trøndelag</li></ul>
<p>Nye tall for 2023 publiseres her 24. juni</p>
"""
SEED_ABOUT = (
    "<p>Integrerings- og mangfoldsdirektoratet (IMDi) er et fagdirektorat og kompetansesenter.</p>"
    "<ul><li>ivareta arbeidet med bosetting av flyktninger</li>"
    "<li>være fagmyndighet for tolking i offentlig sektor</li></ul>"
)


@pytest.fixture
def newsroom():
    return NewsroomFactory(about=SEED_ABOUT)


@pytest.fixture
def seed(newsroom):
    release = ReleaseFactory(
        published=True,
        title="Flere flyktninger over til arbeid etter endt introduksjonsprogram",
        lead="Av de 11 400 flyktninger som avsluttet introduksjonsprogram i 2023, gikk om lag halvparten "
        "direkte over til arbeid eller utdanning etter avsluttet program.",
        body=SEED_BODY,
        topics=[TopicFactory(name="Introduksjonsprogram"), TopicFactory(name="Arbeid")],
    )
    # 1 March 2024 09:30 in Oslo is 08:30 UTC.
    Release.objects.filter(pk=release.pk).update(published_at=datetime(2024, 3, 1, 9, 30, tzinfo=OSLO))
    release.refresh_from_db()
    image = AttachmentFactory(
        release=release,
        title="Deltakere",
        caption="Deltakere i introduksjonsprogrammet.",
        alt_text="Fire personer rundt et bord.",
        credit="Foto: Ola Nordmann",
        licence="CC BY 4.0",
    )
    pdf = AttachmentFactory(release=release, pdf=True, title="Tall for 2023")
    contact = ContactFactory(
        name="Libe Rieber-Mohn",
        role="Direktør",
        email="libe@imdi.no",
        phone="+47 24 16 88 00",
        photo=AttachmentFactory.build().file,
    )
    ReleaseContactFactory(release=release, contact=contact)
    inactive = ContactFactory(name="Sluttet Rådgiver", is_active=False)
    ReleaseContactFactory(release=release, contact=inactive)
    return {"release": release, "image": image, "pdf": pdf, "contact": contact}


def page(client, release):
    response = client.get(release.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def page_context(client, release):
    response = client.get(release.get_absolute_url())
    assert response.status_code == 200
    return response.context


def test_release_page_shows_every_section_of_the_seed_release(client, seed, newsroom):
    release, image, pdf, contact = seed["release"], seed["image"], seed["pdf"], seed["contact"]
    other = ReleaseFactory(published=True, title="En annen pressemelding")

    html = page(client, release)

    # Date in Oslo time, localized for the release's language (nb), and the kind.
    assert '<time datetime="2024-03-01T09:30:00+01:00">1. mars 2024 kl. 09.30</time>' in html
    assert '<span class="kind">' in html
    assert "<h1>Flere flyktninger over til arbeid etter endt introduksjonsprogram</h1>" in html
    assert '<p class="lead">Av de 11 400 flyktninger' in html
    # The body with its structure.
    assert "<h2>Flere flyktninger går over til arbeid</h2>" in html
    assert "<h3>Fylkene med best resultater</h3>" in html
    assert "<blockquote><p>Det er positivt" in html
    assert "<li>Troms og Finnmark</li>" in html
    # Images: web rendition with alt and caption, credit, licence, the downloads with their sizes.
    assert f'<img src="/images/{image.pk}/web/" srcset="/images/{image.pk}/web-480/ 24w"' in html
    assert 'alt="Fire personer rundt et bord."' in html
    assert "Deltakere i introduksjonsprogrammet." in html
    assert "Foto: Ola Nordmann" in html
    assert "CC BY 4.0" in html
    assert f'href="/images/{image.pk}/download/original/"' in html
    assert "(24 × 16 px)" in html
    # Documents: title, type and size.
    assert f'<a href="/files/{pdf.pk}/rapport.pdf" download>Tall for 2023</a>' in html
    assert f"(PDF, {pdf.size}" in html
    # Contacts: active ones only, with every way to reach them.
    assert "Libe Rieber-Mohn" in html and "Direktør" in html
    assert 'href="mailto:libe@imdi.no"' in html
    assert 'href="tel:+4724168800"' in html
    assert f'href="/contacts/{contact.pk}.vcf"' in html
    assert f'src="/contacts/{contact.pk}/photo/"' in html
    assert "Sluttet Rådgiver" not in html
    # About us, from the newsroom profile.
    assert SEED_ABOUT in html
    # Other published releases, and the way back to the pressroom.
    assert f'href="{other.get_absolute_url()}"' in html
    # The page links itself only as the current language of the language switch.
    assert html.count(f'href="{release.get_absolute_url()}"') == 1
    assert f'<a href="{release.get_absolute_url()}" hreflang="nb" lang="nb" aria-current="page">' in html
    assert '<a class="button" href="/">' in html
    # Topics.
    for topic in release.topics.all():
        assert f'href="{topic.get_absolute_url()}"' in html


def test_release_page_has_plain_share_links_and_no_scripts(client, seed):
    release = seed["release"]
    url = f"http://testserver{release.get_absolute_url()}"

    html = page(client, release)

    links = dict(re.findall(r'class="share share--(\w+)" href="([^"]+)"', html))
    assert set(links) == {"email", "linkedin", "x", "facebook"}
    mailto = urlsplit(unescape(links["email"]))
    assert mailto.scheme == "mailto"
    assert parse_qs(mailto.query) == {"subject": [release.title], "body": [url]}
    assert "%20" in mailto.query and "+" not in mailto.query
    assert parse_qs(urlsplit(unescape(links["linkedin"])).query) == {"url": [url]}
    assert parse_qs(urlsplit(unescape(links["x"])).query) == {"url": [url], "text": [release.title]}
    assert parse_qs(urlsplit(unescape(links["facebook"])).query) == {"u": [url]}
    # The only <script> is the JSON-LD data block.
    assert re.findall(r"<script[^>]*>", html) == ['<script type="application/ld+json">']


def test_release_head_has_canonical_opengraph_and_twitter_tags(client, seed):
    release, image = seed["release"], seed["image"]

    html = page(client, release)

    head = html.split("</head>")[0]
    canonical = f"http://testserver{release.get_absolute_url()}"
    assert f'<link rel="canonical" href="{canonical}">' in head
    assert f'<meta property="og:url" content="{canonical}">' in head
    assert f'<meta property="og:title" content="{release.title}">' in head
    assert '<meta property="og:type" content="article">' in head
    assert '<meta property="og:locale" content="nb_NO">' in head
    assert f'<meta property="og:image" content="http://testserver/images/{image.pk}/web/">' in head
    assert '<meta property="og:image:alt" content="Fire personer rundt et bord.">' in head
    assert '<meta name="twitter:card" content="summary_large_image">' in head
    assert f'<meta name="twitter:image" content="http://testserver/images/{image.pk}/web/">' in head
    assert '<meta property="og:description" content="Av de 11 400 flyktninger' in head


def test_release_without_images_shows_the_newsrooms_card(client, newsroom):
    release = ReleaseFactory(published=True)
    head = page(client, release).split("</head>")[0]
    card = re.search(r'<meta property="og:image" content="(http://testserver/cards/\w+\.png)">', head)
    assert card, "no card"
    assert '<meta property="og:image:width" content="1200">' in head
    assert '<meta property="og:image:height" content="630">' in head
    assert '<meta name="twitter:card" content="summary_large_image">' in head
    assert f'<meta name="twitter:image" content="{card.group(1)}">' in head


def json_ld(html):
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


def test_release_has_news_article_json_ld(client, seed, newsroom):
    release, image = seed["release"], seed["image"]

    data = json_ld(page(client, release))

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == release.title
    assert data["description"] == release.lead
    assert data["inLanguage"] == "nb"
    assert data["url"] == f"http://testserver{release.get_absolute_url()}"
    assert data["datePublished"] == "2024-03-01T08:30:00+00:00"
    assert data["image"] == [
        {
            "@type": "ImageObject",
            "url": f"http://testserver/images/{image.pk}/web/",
            "width": 24,
            "height": 16,
        }
    ]
    assert data["publisher"]["name"] == newsroom.name and data["publisher"]["url"] == newsroom.website
    assert data["author"] == {"@type": "Organization", "name": newsroom.name, "url": newsroom.website}
    assert data["keywords"] == ["Arbeid", "Introduksjonsprogram"]
    assert data["articleBody"].startswith("Flere flyktninger går over til arbeid 41 prosent")


def test_json_ld_cannot_close_the_script_element(client, newsroom):
    title = '</script><script>alert("x")</script><!--'
    release = ReleaseFactory(published=True, title=title, lead="a & b </SCRIPT>")

    html = page(client, release)

    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and ">" not in block
    assert json_ld(html)["headline"] == title
    assert json_ld(html)["description"] == "a & b </SCRIPT>"
    assert '<script>alert("x")' not in html


def test_body_is_sanitized_when_saved_and_shown(client, newsroom):
    release = ReleaseFactory(published=True, body='<p onclick="x()">a<script>alert(1)</script></p>')
    assert release.body == "<p>a</p>"
    html = page(client, release)
    assert "alert(1)" not in html and "onclick" not in html


def test_release_page_is_rendered_in_the_release_language(client, newsroom):
    english = ReleaseFactory(published=True, language="en", title="More refugees in work")

    response = client.get(english.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="nb")

    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Visit our pressroom" in html
    assert '<meta property="og:locale" content="en_GB">' in html


def test_release_links_its_published_translation_both_ways(client, newsroom):
    norwegian = ReleaseFactory(published=True, language="nb", title="Flere i arbeid")
    english = ReleaseFactory(published=True, language="en", title="More in work", version_of=norwegian)

    nb_html = page(client, norwegian)
    en_html = page(client, english)

    assert f'<a href="{english.get_absolute_url()}" hreflang="en" lang="en">' in nb_html
    assert (
        f'<link rel="alternate" hreflang="en" href="http://testserver{english.get_absolute_url()}">'
        in nb_html
    )
    assert f'<a href="{norwegian.get_absolute_url()}" hreflang="nb" lang="nb">' in en_html
    # Each version lists itself among the alternates too, as the sitemap does.
    for html, release in ((nb_html, norwegian), (en_html, english)):
        assert (
            f'<link rel="alternate" hreflang="{release.language}" '
            f'href="http://testserver{release.get_absolute_url()}">'
        ) in html


def test_release_does_not_link_an_unpublished_translation(client, newsroom):
    norwegian = ReleaseFactory(published=True, language="nb")
    english = ReleaseFactory(language="en", version_of=norwegian)

    html = page(client, norwegian)

    assert english.get_absolute_url() not in html
    assert '<link rel="alternate" hreflang="en"' not in html
    # The switch leads to the English pressroom instead.
    assert '<a href="/en/" hreflang="en" lang="en">' in html


def test_latest_releases_lists_only_other_published_releases(client, newsroom):
    release = ReleaseFactory(published=True)
    others = [ReleaseFactory(published=True) for _ in range(6)]
    draft = ReleaseFactory(title="Ikke publisert ennå")

    response = client.get(release.get_absolute_url())

    latest = list(response.context["latest"])
    assert latest == list(reversed(others))[:5]
    assert draft.title not in response.content.decode()


def test_unknown_release_is_404(client, newsroom):
    assert client.get(reverse("pressroom:release", kwargs={"slug": "finnes-ikke"})).status_code == 404


# Translation groups: a release in any of the languages


@pytest.fixture
def group(newsroom):
    norwegian = ReleaseFactory(published=True, language="nb", title="Kommunene bes om å bosette flyktninger")
    nynorsk = ReleaseFactory(
        published=True,
        language="nn",
        title="Kommunane blir bedne om å busetje flyktningar",
        version_of=norwegian,
    )
    english = ReleaseFactory(
        published=True, language="en", title="Municipalities asked", version_of=norwegian
    )
    return {"nb": norwegian, "nn": nynorsk, "en": english}


def switch(html):
    """{language: address} of the language switch."""
    nav = html.split('<nav class="language-nav"', 1)[1].split("</nav>", 1)[0]
    return dict((code, url) for url, code in re.findall(r'<a href="([^"]+)" hreflang="([^"]+)"', nav))


def test_each_version_links_the_others_and_lists_all_with_x_default(client, group):
    for language, release in group.items():
        html = page(client, release)
        assert f'<html lang="{language}">' in html
        for other_language, other in group.items():
            alternate = f'<link rel="alternate" hreflang="{other_language}" href="http://testserver{other.get_absolute_url()}">'
            assert alternate in html, (language, other_language)
            if other is not release:
                assert (
                    f'<a href="{other.get_absolute_url()}" hreflang="{other_language}" '
                    f'lang="{other_language}">' in html
                )
        assert (
            f'<link rel="alternate" hreflang="x-default" href="http://testserver{group["nb"].get_absolute_url()}">'
            in html
        )
    nb_html = page(client, group["nb"])
    assert "Read this release in English" in nb_html and "Les pressemeldinga på nynorsk" in nb_html


def test_the_language_switch_on_a_release_goes_to_its_version_or_that_languages_home(client, group):
    assert switch(page(client, group["nn"])) == {
        code: release.get_absolute_url() for code, release in group.items()
    }
    alone = ReleaseFactory(published=True, language="nn", title="Berre på nynorsk")
    assert switch(page(client, alone)) == {"nb": "/", "nn": alone.get_absolute_url(), "en": "/en/"}
    # The switch's targets answer, in their own language.
    for code, url in switch(page(client, group["en"])).items():
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Language"] == code


def test_a_release_lives_at_its_languages_address_and_old_addresses_lead_there(client, group):
    assert group["nb"].get_absolute_url() == f"/releases/{group['nb'].slug}/"
    assert group["nn"].get_absolute_url() == f"/nn/releases/{group['nn'].slug}/"
    assert group["en"].get_absolute_url() == f"/en/releases/{group['en'].slug}/"
    # Before there was a pressroom per language every release was at the root.
    for old, release in [
        (f"/releases/{group['en'].slug}/", group["en"]),
        (f"/en/releases/{group['nb'].slug}/", group["nb"]),
    ]:
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, release.get_absolute_url())
    response = client.get(f"/nb/releases/{group['nb'].slug}/?utm=x")
    assert (response.status_code, response["Location"]) == (301, f"/releases/{group['nb'].slug}/?utm=x")


@pytest.mark.parametrize(
    "url", ["/xx/", "/xx/releases/a/", "/de/archive/", "/nb//evil.example/", "/zz-latn/feed/rss/"]
)
def test_an_unknown_language_in_the_address_is_a_404(client, newsroom, url):
    response = client.get(url)
    assert response.status_code in (404, 301)
    if response.status_code == 301:  # /nb/... leads to the root, never to another site
        assert response["Location"].startswith("/") and not response["Location"].startswith("//")
    else:
        assert response.status_code == 404


def test_latest_releases_never_lists_a_version_of_the_release_being_read(client, group, settings):
    settings.PAGE_CACHE_SECONDS = 0
    other = ReleaseFactory(published=True, language="nn", title="Anna pressemelding")
    for release in group.values():
        latest = list(page_context(client, release)["latest"])
        assert all(item.translation_group_id != release.translation_group_id for item in latest)
        assert all(item.language == release.language for item in latest)
    assert list(page_context(client, group["nn"])["latest"]) == [other]


def test_og_locale_and_json_ld_follow_the_releases_language(client, group):
    for language, locale in [("nb", "nb_NO"), ("nn", "nn_NO"), ("en", "en_GB")]:
        html = page(client, group[language])
        assert f'<meta property="og:locale" content="{locale}">' in html
        data = json.loads(
            re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
        )
        assert data["inLanguage"] == language


def test_dates_are_norwegian_in_nb_and_nn_and_british_in_en(client, group):
    at = datetime(2026, 11, 29, 9, 0, tzinfo=ZoneInfo("Europe/Oslo"))
    Release.objects.filter(pk__in=[r.pk for r in group.values()]).update(published_at=at)
    expected = {
        "nb": "29. november 2026 kl. 09.00",
        "nn": "29. november 2026 kl. 09.00",
        "en": "29 November 2026, 09:00",
    }
    for language, text in expected.items():
        html = page(client, group[language])
        assert f'<time datetime="2026-11-29T09:00:00+01:00">{text}</time>' in html, language
    assert "Nov. 29" not in page(client, group["en"]) and "a.m." not in page(client, group["en"])
