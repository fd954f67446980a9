import gettext as gettext_module
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from pressroom.newsroom.models import Release
from subscriptions import emails
from tests.factories import NewsroomFactory, ReleaseFactory, full_release
from tests.subscriptions.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


def html_lang(response):
    return re.search(r'<html lang="([^"]+)">', response.content.decode()).group(1)


PRESSROOMS = {"nb": "/", "nn": "/nn/", "en": "/en/"}


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
@pytest.mark.parametrize("reader", ["nb", "en"])
def test_a_pressroom_pages_language_is_its_addresss_whatever_the_reader_asks(client, language, reader):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = reader
    response = client.get(PRESSROOMS[language] + "archive/", HTTP_ACCEPT_LANGUAGE=reader)

    assert html_lang(response) == language
    assert response["Content-Language"] == language
    assert language == response.wsgi_request.LANGUAGE_CODE  # what the locale middleware activated


@pytest.mark.parametrize("language", ["nb", "en"])
def test_pages_without_a_language_in_their_address_follow_accept_language(client, language):
    response = client.get("/subscribe/", HTTP_ACCEPT_LANGUAGE=language)

    assert html_lang(response) == language
    assert response["Content-Language"] == language


def test_pages_without_a_language_in_their_address_follow_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/subscribe/", HTTP_ACCEPT_LANGUAGE="nb")
    assert html_lang(response) == "en"


def test_interface_strings_are_translated(client):
    english = client.get("/en/").content.decode()
    norwegian = client.get("/").content.decode()

    assert '<h2 id="latest-title">Latest releases</h2>' in english
    # "Search" comes from Django's own nb catalog, so this holds before the project's catalog exists.
    assert '<button type="submit">Search</button>' in english
    assert '<button type="submit">Søk</button>' in norwegian


LOCALE = Path(settings.BASE_DIR) / "pressroom" / "locale"
NAME = "Integrerings- og mangfoldsdirektoratet"


def nav_labels(html):
    nav = re.search(r'<nav class="site-nav"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav)


@pytest.mark.parametrize(
    "language, expected",
    [
        (
            "nb",
            {
                "nav": ["Pressemeldinger", "Arkiv", "Media", "Pressekontakter", "Søk"],
                "latest": '<h2 id="latest-title">Siste pressemeldinger</h2>',
                "signup": f'<h2 id="signup-title">Følg pressemeldinger fra {NAME}</h2>',
                "about": '<h2 id="about-title">Om oss</h2>',
                "skip": '<a class="skip-link" href="#main">Gå til hovedinnholdet</a>',
                "subscribe": '<button type="submit">Abonner</button>',
                "switch": '<a href="/" hreflang="nb" lang="nb" aria-current="page">Norsk (bokmål)</a>',
            },
        ),
        (
            "nn",
            {
                "nav": ["Pressemeldingar", "Arkiv", "Media", "Pressekontaktar", "Søk"],
                "latest": '<h2 id="latest-title">Siste pressemeldingar</h2>',
                "signup": f'<h2 id="signup-title">Følg pressemeldingar frå {NAME}</h2>',
                "about": '<h2 id="about-title">Om oss</h2>',
                "skip": '<a class="skip-link" href="#main">Gå til hovudinnhaldet</a>',
                "subscribe": '<button type="submit">Abonner</button>',
                "switch": '<a href="/nn/" hreflang="nn" lang="nn" aria-current="page">Norsk (nynorsk)</a>',
                "search": '<label for="home-search">Søk i pressemeldingar</label>',
                "empty": "<p>Ingen pressemeldingar er publiserte enno.</p>",
            },
        ),
        (
            "en",
            {
                "nav": ["Releases", "Archive", "Media", "Press contacts", "Search"],
                "latest": '<h2 id="latest-title">Latest releases</h2>',
                "signup": f'<h2 id="signup-title">Follow press releases from {NAME}</h2>',
                "about": '<h2 id="about-title">About us</h2>',
                "skip": '<a class="skip-link" href="#main">Skip to content</a>',
                "subscribe": '<button type="submit">Subscribe</button>',
                "switch": '<a href="/en/" hreflang="en" lang="en" aria-current="page">English</a>',
            },
        ),
    ],
)
def test_home_page_interface_is_in_the_pressrooms_language(client, language, expected):
    html = client.get(
        PRESSROOMS[language], HTTP_ACCEPT_LANGUAGE="nb" if language == "en" else "en"
    ).content.decode()

    assert nav_labels(html) == expected.pop("nav")
    for snippet in expected.values():
        assert snippet in html


def test_release_page_interface_is_in_norwegian_for_a_norwegian_release(client):
    release = full_release(published=True, language="nb")

    html = client.get(release.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert nav_labels(html) == ["Pressemeldinger", "Arkiv", "Media", "Pressekontakter", "Søk"]
    assert ">Pressekontakter</h2>" in html
    assert ">Bilder</h2>" in html
    assert ">Dokumenter</h2>" in html
    assert ">Om oss</h2>" in html
    assert ">Besøk vårt presserom</a>" in html
    assert "Visit our pressroom" not in html


def test_confirmation_email_is_in_the_subscribers_language(mailoutbox):
    emails.confirmation_message(SubscriberFactory(pending=True, language="nb", email="nb@example.no")).send()
    emails.confirmation_message(SubscriberFactory(pending=True, language="en", email="en@example.no")).send()

    nb, en = mailoutbox
    assert nb.subject == f"Bekreft abonnementet ditt på pressemeldinger fra {NAME}"
    assert en.subject == f"Confirm your subscription to press releases from {NAME}"
    assert nb.body.startswith(f"Bekreft at du vil ha pressemeldinger fra {NAME}\n")
    assert "Lenken er gyldig i 7 dager." in nb.body
    assert ">Bekreft abonnement</a>" in nb.alternatives[0][0]
    assert "The link is valid for 7 days." in en.body


@pytest.mark.parametrize("language, many", [("nb", "3 pressemeldinger"), ("nn", "3 pressemeldingar")])
def test_plural_forms_follow_the_count_in_norwegian(language, many):
    with translation.override(language):
        one = translation.ngettext("%(counter)s release", "%(counter)s releases", 1) % {"counter": 1}
        three = translation.ngettext("%(counter)s release", "%(counter)s releases", 3) % {"counter": 3}
    assert (one, three) == ("1 pressemelding", many)


PO_STRING = re.compile(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$')


def po_entries(path):
    """(flags, {keyword: text}) for each entry of the .po file at PATH, without header and obsolete ones."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        flags, fields, key = "", {}, None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags = line
            elif match := PO_STRING.match(line):
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            entries.append((flags, fields))
    return entries


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_every_norwegian_string_is_translated_and_compiled(language):
    """The .po is what translators edit, the committed .mo is what a fresh clone serves: both complete."""
    entries = po_entries(LOCALE / language / "LC_MESSAGES" / "django.po")
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        compiled = gettext_module.GNUTranslations(mo)._catalog

    assert len(entries) > 300
    assert [f["msgid"] for flags, f in entries if "fuzzy" in flags] == []
    untranslated = [
        f["msgid"] for flags, f in entries if not all(v for k, v in f.items() if k.startswith("msgstr"))
    ]
    assert untranslated == []
    # Each msgid, unescaped the way gettext stores it, is in the compiled catalog.
    missing = []
    for _, f in entries:
        msgid = f["msgid"].encode().decode("unicode_escape").encode("latin-1").decode()
        key = (msgid, 0) if "msgid_plural" in f else msgid
        if key not in compiled:
            missing.append(msgid)
    assert missing == [], "the .mo is stale: run `manage.py compilemessages`"


def test_on_a_pressroom_page_the_language_switch_is_links_to_the_same_page_in_each_language(client):
    html = client.get("/archive/2024/?page=1").content.decode()
    nav = re.search(r'<nav class="language-nav" aria-label="Språk">(.*?)</nav>', html, re.S)
    assert nav, "no language switch"
    # No form, no per-visitor token: the page stays cacheable. The page number stays behind (another
    # language has other pages).
    assert "csrfmiddlewaretoken" not in html and '<form class="language-form"' not in html
    assert re.findall(
        r'<a href="([^"]+)" hreflang="([^"]+)" lang="[^"]+"( aria-current="page")?>', nav.group(1)
    ) == [
        ("/archive/2024/", "nb", ' aria-current="page"'),
        ("/nn/archive/2024/", "nn", ""),
        ("/en/archive/2024/", "en", ""),
    ]


def test_on_other_pages_the_language_switch_is_a_post_form_without_csrf_that_sets_the_language(client):
    html = client.get("/subscribe/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    form = re.search(
        r'<form class="language-form" action="/i18n/setlang/" method="post">(.*?)</form>', html, re.S
    )
    assert form, "no language form"
    # No per-visitor token, so that pages can be cached; a forged post only changes the language.
    assert "csrfmiddlewaretoken" not in form.group(1)
    assert '<input type="hidden" name="next" value="/subscribe/">' in form.group(1)
    assert '<label for="language-select">' in form.group(1)
    assert '<option value="nb" lang="nb" selected>' in form.group(1)

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/i18n/setlang/", {"language": "en", "next": "/subscribe/"})
    client.cookies.update(response.cookies)

    assert response.status_code == 302
    assert response["Location"] == "/subscribe/"
    assert html_lang(client.get("/subscribe/")) == "en"
    # Posted with a pressroom page as the next one, it leads to that page in the chosen language.
    response = Client(enforce_csrf_checks=True).post(
        "/i18n/setlang/", {"language": "nn", "next": "/archive/"}
    )
    assert response["Location"] == "/nn/archive/"


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
    assert ">1. mars 2024 kl. 09.30</time>" in nb_page.content.decode()
    assert ">1 March 2024, 09:30</time>" in en_page.content.decode()
    # After the page, the visitor's own language is active again for the next one.
    assert html_lang(client.get("/subscribe/", HTTP_ACCEPT_LANGUAGE="en")) == "en"


def test_the_nynorsk_catalog_has_every_msgid_of_the_bokmal_catalog():
    def msgids(language):
        return {f["msgid"] for _flags, f in po_entries(LOCALE / language / "LC_MESSAGES" / "django.po")}

    assert msgids("nb") - msgids("nn") == set()
    assert msgids("nn") - msgids("nb") == set()


def test_nynorsk_is_not_bokmal_under_another_name():
    """A sample of words that differ between the written standards, as nynorsk writes them."""
    with translation.override("nn"):
        assert translation.gettext("Latest releases") == "Siste pressemeldingar"
        assert translation.gettext("About us") == "Om oss"
        assert translation.gettext("Search") == "Søk"
        assert translation.gettext("Not found.") == "Ikkje funne."
        assert translation.gettext("Change what you receive") == "Endre kva du får"
        assert translation.gettext("Unsubscribe") == "Meld deg av"
        assert translation.gettext("Images") == "Bilete"


def test_nynorsk_asks_the_reader_to_open_in_the_imperative():
    """Nynorsk's imperative is "opn" (of "opne"), as "stadfest" beside it: "opna" is the past tense."""
    with translation.override("nn"):
        assert translation.gettext("Open the release and its files") == "Opn pressemeldinga og filene"
        check_inbox = translation.gettext(
            "If the address can receive our press releases, an email with a confirmation link is on its way. "
            "Open it and confirm to start receiving press releases."
        )
        confirmation = translation.gettext(
            "Someone, probably you, asked for press releases to be sent to this email address. To start "
            "receiving them, open this link and confirm:"
        )
    assert "Opn han og stadfest" in check_inbox
    assert "Opn denne lenkja og stadfest" in confirmation


def test_the_subscription_pages_are_in_nynorsk(client):
    signup = client.get("/subscribe/", HTTP_ACCEPT_LANGUAGE="nn").content.decode()
    subscriber = SubscriberFactory(language="nn")
    manage = client.get(emails.manage_url(subscriber).removeprefix(settings.SITE_URL)).content.decode()
    unsubscribe = client.get(
        emails.unsubscribe_url(subscriber).removeprefix(settings.SITE_URL)
    ).content.decode()

    assert html_lang_of(signup) == "nn"
    assert f"<h1>Følg pressemeldingar frå {NAME}</h1>" in signup
    assert "<legend>Kor ofte</legend>" in signup
    assert "Dagleg samandrag" in signup
    assert "Abonnementet byrjar først når du har stadfesta med den lenkja." in signup
    assert html_lang_of(manage) == "nn"
    assert "<h1>Abonnementet ditt</h1>" in manage
    assert ">Lagre vala</button>" in manage
    assert "<legend>Pressemeldingar på</legend>" in manage
    assert f"Vil du slutte å få pressemeldingar frå {NAME} på e-post?" in unsubscribe


def html_lang_of(html):
    return re.search(r'<html lang="([^"]+)">', html).group(1)


def test_emails_to_a_nynorsk_subscriber_are_in_nynorsk(mailoutbox):
    emails.confirmation_message(SubscriberFactory(pending=True, language="nn", email="nn@example.no")).send()

    (message,) = mailoutbox
    assert message.subject == f"Stadfest abonnementet ditt på pressemeldingar frå {NAME}"
    assert message.body.startswith(f"Stadfest at du vil ha pressemeldingar frå {NAME}\n")
    assert "Lenkja er gyldig i 7 dagar." in message.body
    assert ">Stadfest abonnement</a>" in message.alternatives[0][0]
    assert '<html lang="nn">' in message.alternatives[0][0]


def test_the_release_emails_chrome_is_in_nynorsk_for_a_nynorsk_subscriber():
    from subscriptions.release_email import ReleaseMessage

    release = full_release(published=True, language="nn")
    message = ReleaseMessage(release, chrome="nn")

    assert "Les ho på nett:" in message.text
    assert "Bilete og dokument" in message.text
    assert f"Du får denne e-posten fordi du følgjer pressemeldingar frå {NAME}." in message.text
    assert "Endre innstillingane dine:" in message.text
    assert ">Meld deg av</a>" in message.html
