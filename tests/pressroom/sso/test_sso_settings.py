"""The single sign-on's settings: read from the environment, and refused when unsafe with DEBUG off."""

from tests.pressroom.test_settings import PRODUCTION, load_settings, refusal

ENTRA = {
    **PRODUCTION,
    "OIDC_ISSUER": "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
    "OIDC_CLIENT_ID": "6731de76-14a6-49ae-97bc-6eba6914391e",
    "OIDC_CLIENT_SECRET": "app-registration-secret",
}


def test_an_entra_configuration_is_read_from_the_environment(tmp_path):
    env = {
        **ENTRA,
        "OIDC_GROUPS_CLAIM": "roles",
        "OIDC_ROLE_MAP": "Pressroom.Editor=Editor, Pressroom.Admin=Administrator",
    }

    values = load_settings(
        env,
        tmp_path,
        "OIDC_ENABLED",
        "OIDC_DISCOVERY_URL",
        "OIDC_GROUPS_CLAIM",
        "OIDC_ROLE_MAP",
        "AUTHENTICATION_BACKENDS",
    )

    assert values == {
        "OIDC_ENABLED": True,
        "OIDC_DISCOVERY_URL": f"{ENTRA['OIDC_ISSUER']}/.well-known/openid-configuration",
        "OIDC_GROUPS_CLAIM": "roles",
        "OIDC_ROLE_MAP": {"Pressroom.Editor": "Editor", "Pressroom.Admin": "Administrator"},
        "AUTHENTICATION_BACKENDS": [
            "pressroom.sso.backend.OrganisationBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
    }


def test_linking_by_a_verified_address_is_off_unless_asked_and_its_claim_can_be_entras(tmp_path):
    names = ("OIDC_LINK_BY_EMAIL", "OIDC_EMAIL_VERIFIED_CLAIM")

    assert load_settings(ENTRA, tmp_path, *names) == {
        "OIDC_LINK_BY_EMAIL": False,
        "OIDC_EMAIL_VERIFIED_CLAIM": "email_verified",
    }
    linking = {**ENTRA, "OIDC_LINK_BY_EMAIL": "true", "OIDC_EMAIL_VERIFIED_CLAIM": "xms_edov"}
    assert load_settings(linking, tmp_path, *names) == {
        "OIDC_LINK_BY_EMAIL": True,
        "OIDC_EMAIL_VERIFIED_CLAIM": "xms_edov",
    }


def test_the_default_role_map_names_the_four_roles(tmp_path):
    values = load_settings(PRODUCTION, tmp_path, "OIDC_ENABLED", "OIDC_ROLE_MAP", "AUTHENTICATION_BACKENDS")

    assert values["OIDC_ENABLED"] is False
    assert values["OIDC_ROLE_MAP"] == {
        "Contributor": "Contributor",
        "Editor": "Editor",
        "Publisher": "Publisher",
        "Administrator": "Administrator",
    }
    assert values["AUTHENTICATION_BACKENDS"] == ["django.contrib.auth.backends.ModelBackend"]


def test_the_client_secret_can_come_from_a_file(tmp_path):
    secret = tmp_path / "oidc-secret"
    secret.write_text("from-a-file\n")
    env = {k: v for k, v in ENTRA.items() if k != "OIDC_CLIENT_SECRET"} | {
        "OIDC_CLIENT_SECRET_FILE": str(secret)
    }

    assert load_settings(env, tmp_path, "OIDC_RP_CLIENT_SECRET") == {"OIDC_RP_CLIENT_SECRET": "from-a-file"}


def test_production_refuses_a_client_without_its_secret(tmp_path):
    env = {k: v for k, v in ENTRA.items() if k != "OIDC_CLIENT_SECRET"}

    assert refusal(env, tmp_path).startswith("OIDC_CLIENT_ID is set without OIDC_CLIENT_SECRET")


def test_a_client_without_a_provider_is_refused(tmp_path):
    env = {k: v for k, v in ENTRA.items() if k != "OIDC_ISSUER"}

    assert refusal(env, tmp_path).startswith("OIDC_CLIENT_ID is set but the provider is not")


def test_production_refuses_a_provider_over_http(tmp_path):
    env = {**ENTRA, "OIDC_ISSUER": "http://idp.example.no"}

    assert refusal(env, tmp_path).startswith("OIDC_ISSUER / OIDC_DISCOVERY_URL must use https://")


def test_a_malformed_role_map_is_refused(tmp_path):
    message = refusal({**ENTRA, "OIDC_ROLE_MAP": "Editor"}, tmp_path)

    assert message == "OIDC_ROLE_MAP must be a comma-separated list of claim value=group name, not 'Editor'."


def test_password_login_off_without_single_sign_on_is_refused(tmp_path):
    message = refusal({**PRODUCTION, "PASSWORD_LOGIN": "false"}, tmp_path)

    assert message.startswith("PASSWORD_LOGIN is off and single sign-on is not configured")


def test_password_login_off_leaves_only_the_providers_backend(tmp_path):
    values = load_settings({**ENTRA, "PASSWORD_LOGIN": "false"}, tmp_path, "AUTHENTICATION_BACKENDS")

    assert values == {"AUTHENTICATION_BACKENDS": ["pressroom.sso.backend.OrganisationBackend"]}
