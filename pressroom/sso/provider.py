"""The organisation's OpenID Connect provider, as its discovery document describes it.

The document is read on first use and kept for the life of the process, so that a provider that is down
when the site starts does not stop the site (only the single sign-on waits for it). A failed read is not
kept: the next login tries again.
"""

import functools

import requests
from django.conf import settings


class ProviderUnavailable(Exception):
    pass


@functools.cache
def _discover(url):
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"The provider's discovery document {url} cannot be read: {exc}") from exc
    missing = {"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"} - document.keys()
    if missing:
        raise ProviderUnavailable(f"The discovery document {url} lacks {', '.join(sorted(missing))}.")
    return document


def configuration():
    """The discovery document of the configured provider (issuer, endpoints, keys' address)."""
    return _discover(settings.OIDC_DISCOVERY_URL)
