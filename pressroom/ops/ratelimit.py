"""Fixed-window counters in the cache (Redis), for throttling sign-ups per visitor and per address."""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def hit(scope, key, *, limit, window):
    """Count an attempt for KEY in SCOPE; False once more than LIMIT attempts fall in WINDOW seconds."""
    bucket = int(time.time() // window)
    digest = hashlib.sha256(str(key).encode("utf-8", "replace")).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{digest}:{bucket}"
    try:
        # add() is a no-op when the key exists, so concurrent first hits don't reset each other's count.
        cache.add(cache_key, 0, timeout=window + 1)
        count = cache.incr(cache_key)
    except ValueError:
        # The key expired between add() and incr(): this is the window's first attempt.
        cache.set(cache_key, 1, timeout=window + 1)
        count = 1
    except Exception:
        # A throttle that fails closed would take sign-up down with the cache; log and let it through.
        logger.exception("Rate limit counter unavailable for %s", scope)
        return True
    return count <= limit


def client_ip(request):
    if settings.SUBSCRIPTIONS_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        # The last entry is the one our own proxy appended; earlier ones are whatever the client sent.
        if last := forwarded.rsplit(",", 1)[-1].strip():
            return last[:64]
    return request.META.get("REMOTE_ADDR", "")[:64]
