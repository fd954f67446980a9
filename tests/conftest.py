import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and cached pages live in the cache: every test starts with it empty, and without the
    parts of pages this process keeps."""
    from django.core.cache import cache

    from pressroom.newsroom import pagecache

    cache.clear()
    pagecache._parts.clear()
    yield


@pytest.fixture(scope="session")
def oidc_server():
    """A real OpenID Connect provider on loopback (tests/oidc.py), shared by the session's tests."""
    from tests import oidc

    with oidc.provider() as server:
        yield server
