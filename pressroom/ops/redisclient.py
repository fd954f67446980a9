"""One Redis client per process for the paths a page request takes (the page cache, the view counters).

Django's cache API builds a new `redis.Redis` object for every call (about 0.15 ms of CPU, more than the
round trip itself), which a page served from the cache cannot afford; this client is built once.
"""

import functools

import redis
from django.conf import settings


@functools.cache
def _client(url):
    # Short timeouts: a page is never held up for long by Redis.
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def client():
    return _client(settings.REDIS_URL)


def key(name):
    """NAME under the installation's cache key prefix, so that installations can share a Redis."""
    return f"{settings.CACHES['default'].get('KEY_PREFIX', 'pressroom')}:{name}"
