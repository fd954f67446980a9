import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and cached pages live in the cache: every test starts with it empty."""
    from django.core.cache import cache

    cache.clear()
    yield
