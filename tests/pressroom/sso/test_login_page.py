"""The admin's login page offers the organisation's login, and refuses passwords on the server when
PASSWORD_LOGIN is off."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests import oidc

pytestmark = pytest.mark.django_db

PASSWORD = "korrekt-hest-batteri-stift"


@pytest.fixture
def editor():
    return get_user_model().objects.create_user("redaktor", password=PASSWORD, is_staff=True)


def test_the_login_page_offers_the_organisations_login_beside_the_password_form(provider):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/admin/login/?next=/admin/newsroom/").content.decode()

    assert 'href="/sso/login/?next=%2Fadmin%2Fnewsroom%2F"' in page
    assert "Log in with Testdirektoratet" in page
    assert 'name="password"' in page


def test_the_login_page_is_translated(provider, settings):
    settings.OIDC_ORGANISATION = ""

    page = Client(HTTP_ACCEPT_LANGUAGE="nb").get("/admin/login/").content.decode()

    assert "Logg inn med felles innlogging" in page
    assert "eller med brukernavn og passord:" in page


def test_without_single_sign_on_the_page_has_only_the_password_form(settings):
    settings.OIDC_ENABLED = False

    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/admin/login/").content.decode()

    assert "/sso/login/" not in page
    assert 'name="password"' in page


def test_with_password_login_off_the_form_refuses_a_correct_password(provider, settings, editor):
    oidc.configure(settings, provider, PASSWORD_LOGIN=False)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    assert 'name="password"' not in client.get("/admin/login/").content.decode()
    response = client.post("/admin/login/?next=/admin/", {"username": "redaktor", "password": PASSWORD})

    assert response.status_code == 200
    assert "Login with a password is switched off." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_with_password_login_off_no_backend_checks_passwords(provider, settings, editor):
    from django.contrib.auth import authenticate

    oidc.configure(settings, provider, PASSWORD_LOGIN=False)

    assert authenticate(username="redaktor", password=PASSWORD) is None


def test_with_password_login_on_the_password_still_works(provider, editor):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    response = client.post("/admin/login/?next=/admin/", {"username": "redaktor", "password": PASSWORD})

    assert response.status_code == 302
    assert "_auth_user_id" in client.session
