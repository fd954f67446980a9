"""No English on a Norwegian admin page: every changelist, add form and change form (with a demo object),
the task pages and the start page, in bokmål, as a superuser (tests/pressroom/dashboard/english.py says how
English is recognised)."""

import io

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from .english import english_in, english_strings, visible_texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def nb_client(client, django_user_model):
    call_command("seed_demo", stdout=io.StringIO())
    user = django_user_model.objects.create_superuser("redaktor", "redaktor@example.org", "pw")
    client.force_login(user)
    client.cookies["django_language"] = "nb"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nb"
    return client


def admin_pages():
    """Every page the admin's registered models offer, with an object where one exists."""
    pages = [reverse("admin:index"), reverse("admin:password_change")]
    for model in admin.site._registry:
        opts = model._meta
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]))
    return pages


def test_the_english_detector_finds_an_untranslated_admin_string():
    strings = english_strings("nb")
    texts = visible_texts('<input placeholder="Start typing to filter…"><p>Vi skal Update verden.</p>')
    assert [msgid for _text, msgid in english_in(texts, strings)] == ["Start typing to filter…"]


def test_no_admin_page_shows_english_in_bokmal(nb_client):
    strings = english_strings("nb")
    found = {}
    for url in admin_pages():
        response = nb_client.get(url, follow=True)
        if response.status_code == 403:  # an add form a model refuses to everyone (mailings, deliveries)
            continue
        assert response.status_code == 200, url
        assert response["Content-Language"] == "nb", url
        english = english_in(visible_texts(response.content.decode()), strings)
        if english:
            found[url] = sorted(set(english))
    assert not found, "English on Norwegian admin pages:\n" + "\n".join(
        f"{url}: {pairs}" for url, pairs in found.items()
    )
