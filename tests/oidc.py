"""A real OpenID Connect provider on loopback (oidc-provider-mock, a Flask app in a thread), and the
settings that point the single sign-on at it."""

import contextlib

import requests
from oidc_provider_mock import run_server_in_thread

CLIENT_ID = "pressroom-test"
CLIENT_SECRET = "test-client-secret"


class Provider:
    def __init__(self, url):
        self.url = url

    def set_user(self, sub, **claims):
        """The claims the provider gives SUB from now on (its groups too)."""
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10)
        response.raise_for_status()

    def authorize(self, authorize_url, sub):
        """SUB approves the login at the provider's page: the provider's redirect back to the site."""
        page = requests.get(authorize_url, timeout=10)
        assert page.status_code == 200, page.text
        response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text
        return response.headers["Location"]


@contextlib.contextmanager
def provider():
    with run_server_in_thread(require_nonce=True) as server:
        yield Provider(f"http://localhost:{server.server_port}")


def configure(settings, provider, **overrides):
    """Point the single sign-on at PROVIDER, with OVERRIDES (e.g. PASSWORD_LOGIN=False)."""
    from pressroom.sso import provider as discovery

    discovery._discover.cache_clear()
    settings.OIDC_ENABLED = True
    settings.OIDC_DISCOVERY_URL = f"{provider.url}/.well-known/openid-configuration"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ORGANISATION = "Testdirektoratet"
    settings.PASSWORD_LOGIN = True
    for name, value in overrides.items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [
        "pressroom.sso.backend.OrganisationBackend",
        *(["django.contrib.auth.backends.ModelBackend"] if settings.PASSWORD_LOGIN else []),
    ]
