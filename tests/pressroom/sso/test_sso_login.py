"""Staff log in through a real OpenID Connect provider on loopback: the Django test client follows the
site's redirect to the provider, the person approves there, and the provider's redirect comes back."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from pressroom.sso.models import Identity
from pressroom.sso.signals import staff_logged_in_with_sso
from tests import oidc

pytestmark = pytest.mark.django_db

User = get_user_model()


def sso_login(client, provider, sub, next_url="/admin/"):
    """Log in as SUB through the provider; the site's last response."""
    start = client.get("/sso/login/", {"next": next_url})
    assert start.status_code == 302
    assert start["Location"].startswith(f"{provider.url}/oauth2/authorize?")
    back = provider.authorize(start["Location"], sub)
    parts = urlsplit(back)
    assert f"{parts.scheme}://{parts.netloc}" == "http://testserver"
    return client.get(parts.path, parse_qs(parts.query))


def logged_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_first_login_creates_a_staff_user_with_the_roles_of_the_groups_claim(client, provider):
    provider.set_user("kari-1", email="kari@example.no", given_name="Kari", groups=["Editor", "Publisher"])

    response = sso_login(client, provider, "kari-1")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    user = logged_in_user(client)
    assert user.email == "kari@example.no"
    assert user.first_name == "Kari"
    assert user.is_staff is True
    assert user.is_superuser is False
    assert sorted(user.groups.values_list("name", flat=True)) == ["Editor", "Publisher"]
    assert list(Identity.objects.values_list("user", "subject")) == [(user.pk, "kari-1")]
    assert client.get("/admin/").status_code == 200


def test_an_existing_user_is_linked_by_a_verified_address_when_the_setting_allows(client, provider, settings):
    settings.OIDC_LINK_BY_EMAIL = True
    existing = User.objects.create_user("ola", email="Ola@Example.no")
    provider.set_user("ola-sub", email="ola@example.no", email_verified=True, groups=["Contributor"])

    sso_login(client, provider, "ola-sub")

    assert logged_in_user(client) == existing
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert existing.is_staff is True
    assert list(existing.groups.values_list("name", flat=True)) == ["Contributor"]
    assert list(Identity.objects.values_list("user", "issuer", "subject")) == [
        (existing.pk, provider.url, "ola-sub")
    ]


def test_the_claim_that_says_the_address_is_verified_can_be_entras(client, provider, settings):
    settings.OIDC_LINK_BY_EMAIL = True
    settings.OIDC_EMAIL_VERIFIED_CLAIM = "xms_edov"
    existing = User.objects.create_user("ola", email="ola@example.no")
    provider.set_user("ola-oid", email="ola@example.no", xms_edov=True, groups=["Editor"])

    sso_login(client, provider, "ola-oid")

    assert logged_in_user(client) == existing
    assert Identity.objects.get().user == existing


def test_without_the_setting_an_existing_users_address_is_refused_and_not_taken_over(client, provider):
    existing = User.objects.create_user("ola", email="ola@example.no")
    provider.set_user("ola-sub", email="ola@example.no", email_verified=True, groups=["Publisher"])

    response = sso_login(client, provider, "ola-sub")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/"
    assert logged_in_user(client) is None
    assert list(User.objects.all()) == [existing]
    assert not Identity.objects.exists()
    assert not existing.groups.exists()


def test_an_unverified_address_links_no_account_even_when_the_setting_allows(client, provider, settings):
    settings.OIDC_LINK_BY_EMAIL = True
    existing = User.objects.create_user("ola", email="ola@example.no")
    provider.set_user("mallory", email="ola@example.no", email_verified=False, groups=["Publisher"])

    sso_login(client, provider, "mallory")

    assert logged_in_user(client) is None
    assert list(User.objects.all()) == [existing]
    assert not Identity.objects.exists()


def test_an_address_changed_at_the_provider_logs_into_the_same_account(client, provider):
    provider.set_user("kari-sub", email="kari@example.no", groups=["Editor"])
    sso_login(client, provider, "kari-sub")
    kari = logged_in_user(client)
    client.logout()
    provider.set_user("kari-sub", email="kari.nordmann@example.no", groups=["Editor"])

    sso_login(client, provider, "kari-sub")

    assert logged_in_user(client) == kari
    assert User.objects.count() == 1
    kari.refresh_from_db()
    assert kari.email == "kari.nordmann@example.no"


def test_an_address_changed_to_someone_elses_does_not_log_into_their_account(client, provider, settings):
    settings.OIDC_LINK_BY_EMAIL = True
    ola = User.objects.create_user("ola", email="ola@example.no", is_staff=True)
    provider.set_user("kari-sub", email="kari@example.no", email_verified=True, groups=["Editor"])
    sso_login(client, provider, "kari-sub")
    kari = logged_in_user(client)
    client.logout()
    provider.set_user("kari-sub", email="ola@example.no", email_verified=True, groups=["Editor"])

    sso_login(client, provider, "kari-sub")

    assert logged_in_user(client) == kari
    assert User.objects.count() == 2
    assert not Identity.objects.filter(user=ola).exists()


def test_an_address_passed_to_a_new_person_does_not_log_them_into_the_old_account(client, provider, settings):
    settings.OIDC_LINK_BY_EMAIL = True
    provider.set_user("kari-sub", email="kari@example.no", email_verified=True, groups=["Publisher"])
    sso_login(client, provider, "kari-sub")
    kari = logged_in_user(client)
    client.logout()
    # Kari has left; the provider gives her address to a newcomer, under a subject of their own.
    provider.set_user("kari-2-sub", email="kari@example.no", email_verified=True, groups=["Contributor"])

    sso_login(client, provider, "kari-2-sub")

    newcomer = logged_in_user(client)
    assert newcomer not in (None, kari)
    assert list(newcomer.groups.values_list("name", flat=True)) == ["Contributor"]
    assert list(kari.groups.values_list("name", flat=True)) == ["Publisher"]


def test_the_role_map_translates_claim_values_to_groups(client, provider, settings):
    settings.OIDC_ROLE_MAP = {"0b3c-publishers": "Publisher"}
    settings.OIDC_GROUPS_CLAIM = "roles"
    provider.set_user("per", email="per@example.no", roles=["0b3c-publishers", "unrelated"])

    sso_login(client, provider, "per")

    assert list(logged_in_user(client).groups.values_list("name", flat=True)) == ["Publisher"]


def test_a_role_removed_from_the_claim_is_removed_at_the_next_login(client, provider):
    hand_made = Group.objects.create(name="Photo desk")
    provider.set_user("lise", email="lise@example.no", groups=["Editor", "Publisher"])
    sso_login(client, provider, "lise")
    user = logged_in_user(client)
    user.groups.add(hand_made)

    provider.set_user("lise", email="lise@example.no", groups=["Editor"])
    client.logout()
    sso_login(client, provider, "lise")

    assert sorted(user.groups.values_list("name", flat=True)) == ["Editor", "Photo desk"]


def test_without_the_required_group_nobody_logs_in(client, provider, settings):
    settings.OIDC_REQUIRED_GROUP = "Pressroom staff"
    provider.set_user("guest", email="guest@example.no", groups=["Editor"])

    response = sso_login(client, provider, "guest")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/"
    assert logged_in_user(client) is None
    assert not User.objects.filter(email="guest@example.no").exists()
    page = client.get("/admin/login/").content.decode()
    assert "Login through your organisation failed" in page

    provider.set_user("guest", email="guest@example.no", groups=["Editor", "Pressroom staff"])
    sso_login(client, provider, "guest")
    assert logged_in_user(client).email == "guest@example.no"


def test_a_deactivated_user_cannot_log_in_through_the_provider(client, provider):
    gone = User.objects.create_user("gone", email="gone@example.no", is_active=False)
    Identity.objects.create(user=gone, issuer=provider.url, subject="gone")
    provider.set_user("gone", email="gone@example.no", groups=["Editor"])

    sso_login(client, provider, "gone")

    assert logged_in_user(client) is None


def test_a_forged_callback_is_refused_without_an_error_page(client, provider):
    provider.set_user("mallory", email="mallory@example.no", groups=["Administrator"])
    # A code issued for someone else's login, brought back with a state this browser never started.
    victim = Client()
    start = victim.get("/sso/login/")
    back = urlsplit(provider.authorize(start["Location"], "mallory"))
    code = parse_qs(back.query)["code"][0]

    client.get("/sso/login/")  # this browser has a login of its own under way
    response = client.get("/sso/callback/", {"code": code, "state": "forged-state"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/"
    assert logged_in_user(client) is None
    assert not User.objects.filter(email="mallory@example.no").exists()


def test_a_callback_replayed_after_use_is_refused(client, provider):
    provider.set_user("anne", email="anne@example.no", groups=["Editor"])
    start = client.get("/sso/login/")
    back = urlsplit(provider.authorize(start["Location"], "anne"))
    assert client.get(back.path, parse_qs(back.query))["Location"] == "/admin/"

    other = Client()
    other.get("/sso/login/")
    response = other.get(back.path, parse_qs(back.query))

    assert response.status_code == 302
    assert logged_in_user(other) is None


def test_a_token_with_another_nonce_is_refused(client, provider):
    provider.set_user("nina", email="nina@example.no", groups=["Editor"])
    start = client.get("/sso/login/")
    # The state is this browser's, but the nonce in the session no longer matches the one the provider
    # put in the ID token: a token minted for another login.
    session = client.session
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    session["oidc_states"][state]["nonce"] = "another-nonce"
    session.save()
    back = urlsplit(provider.authorize(start["Location"], "nina"))

    response = client.get(back.path, parse_qs(back.query))

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/"
    assert logged_in_user(client) is None


def test_a_token_for_another_client_is_refused(client, provider, settings):
    provider.set_user("ivar", email="ivar@example.no", groups=["Editor"])
    start = client.get("/sso/login/")
    back = urlsplit(provider.authorize(start["Location"], "ivar"))
    settings.OIDC_RP_CLIENT_ID = "another-application"

    response = client.get(back.path, parse_qs(back.query))

    assert response["Location"] == "/admin/login/"
    assert logged_in_user(client) is None


def test_the_login_is_signalled_for_the_audit_log(client, provider):
    heard = []

    def receiver(sender, request, user, claims, groups, **kwargs):
        heard.append((user.email, claims["sub"], groups))

    staff_logged_in_with_sso.connect(receiver)
    try:
        provider.set_user("eva", email="eva@example.no", groups=["Publisher"])
        sso_login(client, provider, "eva")
    finally:
        staff_logged_in_with_sso.disconnect(receiver)

    assert heard == [("eva@example.no", "eva", ["Publisher"])]


def test_an_unreachable_provider_sends_back_to_the_login_page_with_a_message(client, settings):
    oidc.configure(settings, oidc.Provider(url="http://127.0.0.1:9"))

    response = client.get("/sso/login/", follow=True)

    assert response.redirect_chain == [("/admin/login/", 302)]
    assert "The login service cannot be reached." in response.content.decode()


def test_without_configuration_the_sso_addresses_do_not_exist(client, settings):
    settings.OIDC_ENABLED = False

    assert client.get("/sso/login/").status_code == 404
    assert client.get("/sso/callback/", {"code": "x", "state": "y"}).status_code == 404


def test_a_new_person_whose_address_is_taken_as_a_user_name_gets_a_user_of_their_own(client, provider):
    other = User.objects.create_user("siri@example.no", email="siri.old@example.no")
    provider.set_user("siri", email="siri@example.no", groups=["Editor"])

    sso_login(client, provider, "siri")

    user = logged_in_user(client)
    assert user != other
    assert user.email == "siri@example.no"
    assert user.username != "siri@example.no"


def test_the_login_asks_for_the_code_with_a_nonce_and_a_pkce_challenge(client, provider):
    query = parse_qs(urlsplit(client.get("/sso/login/")["Location"]).query)

    assert query["client_id"] == [oidc.CLIENT_ID]
    assert query["redirect_uri"] == ["http://testserver/sso/callback/"]
    assert query["scope"] == ["openid email profile"]
    assert len(query["state"][0]) >= 32
    assert len(query["nonce"][0]) >= 32
    assert query["code_challenge_method"] == ["S256"]
