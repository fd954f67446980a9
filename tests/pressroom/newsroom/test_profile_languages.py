"""The newsroom's own texts per language (pressroom/newsroom/profile.py): name, tagline, "About us",
contacts' titles, the sign-up box and the email footer in the page's language, falling back to the
main language unmarked for the reader and marked for the editor."""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from pressroom.newsroom import linkpreview
from pressroom.newsroom.models import ContactTranslation, Newsroom, NewsroomTranslation
from pressroom.workspace import roles
from tests.factories import ContactFactory, NewsroomFactory, ReleaseContactFactory, ReleaseFactory

pytestmark = pytest.mark.django_db

NB_NAME = "Integrerings- og mangfoldsdirektoratet"
NN = {
    "name": "Integrerings- og mangfaldsdirektoratet",
    "tagline": "Nyheiter om busetjing og mangfald",
    "about": "<p>IMDi skal bidra til integrering og mangfald.</p>",
    "signup_text": "Få pressemeldingane våre på e-post.",
}
EN = {
    "name": "The Directorate of Integration and Diversity",
    "tagline": "News about settlement and diversity",
    "about": "<p>IMDi works for integration and diversity.</p>",
}
ROLES = {"nb": "Kommunikasjonsrådgiver", "nn": "Kommunikasjonsrådgivar", "en": "Communications adviser"}


@pytest.fixture
def newsroom():
    newsroom = NewsroomFactory(name=NB_NAME, signup_text="Få pressemeldingene våre på e-post.")
    NewsroomTranslation.objects.create(newsroom=newsroom, language="nn", **NN)
    NewsroomTranslation.objects.create(newsroom=newsroom, language="en", **EN)
    return newsroom


@pytest.fixture
def contact():
    contact = ContactFactory(name="Kari Nordmann", role=ROLES["nb"])
    ContactTranslation.objects.create(contact=contact, language="nn", role=ROLES["nn"])
    ContactTranslation.objects.create(contact=contact, language="en", role=ROLES["en"])
    return contact


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def title_of(html):
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def json_ld(html):
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))


@pytest.mark.parametrize(
    ("prefix", "name", "tagline", "about", "role"),
    [
        ("/", NB_NAME, "IMDi", "IMDi skal bidra til integrering og mangfold.", ROLES["nb"]),
        ("/nn/", NN["name"], NN["tagline"], "IMDi skal bidra til integrering og mangfald.", ROLES["nn"]),
        ("/en/", EN["name"], EN["tagline"], "IMDi works for integration and diversity.", ROLES["en"]),
    ],
)
def test_every_pressroom_shows_the_newsroom_in_its_language(
    client, newsroom, contact, prefix, name, tagline, about, role
):
    home = page(client, prefix)
    assert title_of(home).endswith(f"– {name}")
    assert f"<h1>{name}</h1>" in home
    assert f'<p class="tagline">{tagline}</p>' in home
    assert f'<meta property="og:site_name" content="{name}">' in home
    assert f'<p class="site-footer__name">{name}</p>' in home
    contacts = page(client, prefix + "contacts/")
    assert about in contacts
    assert f'<p class="contact__role">{role}</p>' in contacts
    others = {NB_NAME, NN["name"], EN["name"]} - {name}
    for html in (home, contacts):
        assert not any(other in html for other in others)


def test_a_release_page_has_the_newsroom_of_the_releases_language(client, newsroom, contact):
    release = ReleaseFactory(published=True, language="nn", title="Fleire i arbeid")
    ReleaseContactFactory(release=release, contact=contact)

    html = page(client, release.get_absolute_url())

    assert release.get_absolute_url().startswith("/nn/")
    assert title_of(html) == f"Fleire i arbeid – {NN['name']}"
    assert NN["about"] in html
    assert f'<p class="contact__role">{ROLES["nn"]}</p>' in html
    assert NN["signup_text"] in html
    assert f'<meta property="og:site_name" content="{NN["name"]}">' in html
    data = json_ld(html)
    assert data["publisher"]["name"] == data["author"]["name"] == NN["name"]
    assert data["inLanguage"] == "nn"
    assert NB_NAME not in html and ROLES["nb"] not in html


def test_what_is_not_translated_falls_back_to_the_main_language_without_a_mark(client, contact):
    newsroom = NewsroomFactory(name=NB_NAME, tagline="Nyheter om bosetting")
    NewsroomTranslation.objects.create(newsroom=newsroom, language="nn", name=NN["name"])
    untranslated = ContactFactory(name="Ola Nordmann", role="Pressevakt")
    release = ReleaseFactory(published=True, language="nn")
    ReleaseContactFactory(release=release, contact=untranslated)

    home = page(client, "/nn/")
    release_page = page(client, release.get_absolute_url())
    english = page(client, "/en/")

    assert f"<h1>{NN['name']}</h1>" in home
    assert '<p class="tagline">Nyheter om bosetting</p>' in home
    assert "IMDi skal bidra til integrering og mangfold." in release_page
    assert '<p class="contact__role">Pressevakt</p>' in release_page
    assert f"<h1>{NB_NAME}</h1>" in english
    for html in (home, release_page, english):
        assert "pressroom-badge" not in html
        assert "falls back" not in html and "bokmål" not in title_of(html)


def test_the_sign_up_box_falls_back_to_the_main_language_then_to_the_standard_text(client, newsroom):
    assert NN["signup_text"] in page(client, "/nn/")
    # No English text: the main language's.
    assert "Få pressemeldingene våre på e-post." in page(client, "/en/")
    newsroom.signup_text = ""
    newsroom.save()
    assert "Sign up with your email address below" in page(client, "/en/")


def test_feeds_have_the_title_and_description_of_their_language(client, newsroom):
    rss = ET.fromstring(client.get("/nn/feed/rss/").content).find("channel")
    assert NN["name"] in rss.findtext("title")
    assert rss.findtext("description") == NN["tagline"]

    atom = ET.fromstring(client.get("/en/feed/atom/").content)
    assert EN["name"] in atom.findtext("{http://www.w3.org/2005/Atom}title")
    assert atom.findtext("{http://www.w3.org/2005/Atom}subtitle") == EN["tagline"]
    assert (
        atom.findtext("{http://www.w3.org/2005/Atom}author/{http://www.w3.org/2005/Atom}name") == EN["name"]
    )

    feed = client.get("/en/feed/json/").json()
    assert EN["name"] in feed["title"]
    assert feed["description"] == EN["tagline"]

    default = ET.fromstring(client.get("/feed/rss/").content).find("channel")
    assert NB_NAME in default.findtext("title")


def test_each_language_has_its_own_card_with_its_name(client, newsroom):
    html = page(client, "/nn/")
    nynorsk = linkpreview.card_version(newsroom.in_language("nn"))
    assert f"/cards/{nynorsk}.png" in html
    assert nynorsk != linkpreview.card_version(newsroom.in_language("nb"))
    assert client.get(f"/cards/{nynorsk}.png").status_code == 200
    assert client.get("/cards/old.png")["Location"].endswith(
        f"/cards/{linkpreview.card_version(newsroom.in_language('nb'))}.png"
    )


def test_the_vcard_has_the_title_in_the_visitors_language(client, newsroom, contact):
    card = client.get(contact.get_vcard_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"TITLE:{ROLES['en']}" in card
    assert f"ORG:{EN['name']}" in card


# Caches


def test_saving_a_translation_renews_the_cached_pages_of_its_language(client, newsroom, contact):
    assert NN["name"] in page(client, "/nn/")
    assert ROLES["nn"] in page(client, "/nn/contacts/")

    translation = NewsroomTranslation.objects.get(language="nn")
    translation.name = "IMDi på nynorsk"
    translation.save()
    title = ContactTranslation.objects.get(contact=contact, language="nn")
    title.role = "Rådgivar"
    title.save()

    assert "<h1>IMDi på nynorsk</h1>" in page(client, "/nn/")
    assert '<p class="contact__role">Rådgivar</p>' in page(client, "/nn/contacts/")


def test_deleting_a_translation_brings_back_the_main_language_at_once(client, newsroom):
    assert f"<h1>{EN['name']}</h1>" in page(client, "/en/")
    NewsroomTranslation.objects.get(language="en").delete()
    assert f"<h1>{NB_NAME}</h1>" in page(client, "/en/")


# The admin


def test_the_profile_page_marks_what_falls_back_to_the_main_language(admin_client):
    newsroom = NewsroomFactory(name=NB_NAME)
    NewsroomTranslation.objects.create(
        newsroom=newsroom, language="nn", name=NN["name"], tagline=NN["tagline"]
    )

    html = admin_client.get(
        reverse("admin:newsroom_newsroom_change", args=[newsroom.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    summary = re.search(r'<ul class="pressroom-languages">(.*?)</ul>', html, re.S).group(1)
    nynorsk, english = re.findall(r"<li>(.*?)</li>", summary, re.S)
    assert nynorsk.startswith("Norwegian nynorsk:")
    assert "falls back to the main language (Norwegian bokmål)" in nynorsk
    assert "about us" in nynorsk and "name" not in nynorsk.split("</span>")[1].split(",")
    assert english.startswith("English:")
    assert (
        "falls back to the main language (Norwegian bokmål)" in english
        and "name, tagline, about us" in english
    )


def test_a_fully_translated_language_is_marked_translated(admin_client, newsroom):
    NewsroomTranslation.objects.filter(language="nn").update(email_footer="Postboks 1, 0001 Oslo")

    html = admin_client.get(
        reverse("admin:newsroom_newsroom_change", args=[newsroom.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    summary = re.search(r'<ul class="pressroom-languages">(.*?)</ul>', html, re.S).group(1)
    assert re.search(r"<li>Norwegian nynorsk: <span[^>]*>translated</span></li>", summary)


def test_a_contacts_page_marks_the_titles_that_fall_back(admin_client, newsroom):
    contact = ContactFactory(role="Pressevakt")
    ContactTranslation.objects.create(contact=contact, language="en", role="Press officer")

    html = admin_client.get(
        reverse("admin:newsroom_contact_change", args=[contact.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    summary = re.search(r'<ul class="pressroom-languages">(.*?)</ul>', html, re.S).group(1)
    nynorsk = re.search(r"<li>Norwegian nynorsk: <span[^>]*>(.*?)</li>", summary).group(1)
    assert nynorsk == "falls back to the main language (Norwegian bokmål)</span> Pressevakt"
    assert "<li>English: Press officer</li>" in summary


def profile_form(newsroom, **translation):
    data = {
        "name": newsroom.name,
        "default_language": newsroom.default_language,
        "translations-TOTAL_FORMS": "1",
        "translations-INITIAL_FORMS": "0",
    }
    data |= {f"translations-0-{key}": value for key, value in translation.items()}
    return data


def test_a_translation_is_added_in_the_admin(admin_client):
    newsroom = NewsroomFactory(name=NB_NAME)
    url = reverse("admin:newsroom_newsroom_change", args=[newsroom.pk])

    response = admin_client.post(
        url, profile_form(newsroom, language="nn", name=NN["name"], about="<p>Om oss</p>")
    )

    assert response.status_code == 302, response.content
    assert newsroom.in_language("nn").name == NN["name"]
    assert newsroom.in_language("nn").about == "<p>Om oss</p>"


def test_a_translation_into_the_main_language_is_refused_with_a_reason(admin_client):
    newsroom = NewsroomFactory(name=NB_NAME)
    url = reverse("admin:newsroom_newsroom_change", args=[newsroom.pk])

    response = admin_client.post(
        url, profile_form(newsroom, language="nb", name="Annet navn"), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert "Norwegian bokmål is the main language" in response.content.decode()
    assert not NewsroomTranslation.objects.exists()
    assert Newsroom.load().name == NB_NAME


def contact_form(contact, language, role):
    """The contact's change form with a title in LANGUAGE added."""
    return {
        "name": contact.name,
        "role": contact.role,
        "order": "0",
        "is_active": "on",
        "translations-TOTAL_FORMS": "1",
        "translations-INITIAL_FORMS": "0",
        "translations-0-language": language,
        "translations-0-role": role,
    }


def test_a_contact_title_in_the_main_language_is_refused(admin_client, newsroom):
    contact = ContactFactory()
    url = reverse("admin:newsroom_contact_change", args=[contact.pk])
    response = admin_client.post(url, contact_form(contact, "nb", "Noe annet"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "is the main language" in response.content.decode()
    assert not ContactTranslation.objects.exists()


# The API


def test_the_api_gives_the_profile_and_the_titles_in_every_language(client, newsroom, contact):
    data = client.get("/api/v1/newsroom/").json()
    pressrooms = {item["language"]: item for item in data["pressrooms"]}

    assert data["name"] == NB_NAME
    assert pressrooms["nn"]["name"] == NN["name"] and pressrooms["nn"]["about"] == NN["about"]
    assert pressrooms["en"]["tagline"] == EN["tagline"]
    # Not translated into English: the main language's, as the English pressroom shows it.
    assert pressrooms["en"]["signup_text"] == "Få pressemeldingene våre på e-post."

    [listed] = client.get("/api/v1/contacts/").json()["results"]
    assert listed["role"] == ROLES["nb"]
    assert listed["roles"] == ROLES


def test_a_release_in_the_api_has_its_contacts_titles_in_its_language(client, newsroom, contact):
    release = ReleaseFactory(published=True, language="en")
    ReleaseContactFactory(release=release, contact=contact)

    data = client.get(f"/api/v1/releases/{release.slug}/").json()

    assert data["contacts"][0]["role"] == ROLES["en"]
    assert data["contacts"][0]["roles"] == ROLES


# Who may translate


def staff_in(django_user_model, client, role):
    user = django_user_model.objects.create_user(role.lower(), f"{role.lower()}@imdi.no", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def test_an_administrator_translates_the_profile_and_an_editor_cannot(client, django_user_model):
    newsroom = NewsroomFactory(name=NB_NAME)
    url = reverse("admin:newsroom_newsroom_change", args=[newsroom.pk])
    form = profile_form(newsroom, language="en", name=EN["name"])

    editor = staff_in(django_user_model, client, roles.EDITOR)
    assert editor.post(url, form).status_code == 403
    administrator = staff_in(django_user_model, client, roles.ADMINISTRATOR)
    assert administrator.post(url, form).status_code == 302

    assert newsroom.in_language("en").name == EN["name"]


def test_an_editor_translates_a_contacts_title_and_a_contributor_cannot(client, django_user_model, newsroom):
    contact = ContactFactory(role="Pressevakt")
    url = reverse("admin:newsroom_contact_change", args=[contact.pk])
    form = contact_form(contact, "en", "Press officer")

    contributor = staff_in(django_user_model, client, roles.CONTRIBUTOR)
    assert contributor.post(url, form).status_code == 403
    editor = staff_in(django_user_model, client, roles.EDITOR)
    assert editor.post(url, form).status_code == 302

    assert newsroom.in_language("en").role(contact) == "Press officer"
