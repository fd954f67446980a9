"""Counters in the cache (Redis), for throttling sign-ups per visitor and per address.

A window starts with a key's first attempt and lasts WINDOW seconds, so a refusal can say how long is
left (Retry-After). Refusals are not logged one by one: each scope logs one line when refusals begin in
a window of its own, with the number of refusals in the window before.
"""

import hashlib
import ipaddress
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def hit(scope, key, *, limit, window):
    """Count an attempt for KEY in SCOPE; False once more than LIMIT attempts fall in WINDOW seconds."""
    return attempt(scope, key, limit=limit, window=window)[0]


def attempt(scope, key, *, limit, window):
    """Count an attempt for KEY in SCOPE. Returns (allowed, seconds until KEY's window ends)."""
    now = time.time()
    digest = hashlib.sha256(str(key).encode("utf-8", "replace")).hexdigest()[:32]
    start_key = f"ratelimit:{scope}:{digest}:start"
    try:
        # The window is named by its start: add() keeps the first attempt's time, so concurrent first
        # attempts agree on it, and a count never outlives its window.
        cache.add(start_key, now, timeout=window)
        start = cache.get(start_key, now)
        cache_key = f"ratelimit:{scope}:{digest}:{int(start * 1000)}"
        cache.add(cache_key, 0, timeout=window + 1)
        count = cache.incr(cache_key)
    except ValueError:
        # The key expired between add() and incr(): this is the window's first attempt.
        cache.set(cache_key, 1, timeout=window + 1)
        count = 1
    except Exception:
        # A throttle that fails closed would take sign-up down with the cache; log and let it through.
        logger.exception("Rate limit counter unavailable for %s", scope)
        return True, 0
    left = max(1, math.ceil(start + window - now))
    if count <= limit:
        return True, left
    _count_refusal(scope, window, now)
    return False, left


def _count_refusal(scope, window, now):
    """Count a refusal in SCOPE; log one line per scope and window instead of one per refusal."""
    bucket = int(now // window)
    try:
        key = f"ratelimit-refused:{scope}:{bucket}"
        cache.add(key, 0, timeout=2 * window + 1)
        if cache.incr(key) == 1:
            before = cache.get(f"ratelimit-refused:{scope}:{bucket - 1}", 0)
            logger.warning(
                "Rate limit %s is refusing requests; further refusals in this %s s window are counted, "
                "not logged (%s in the window before).",
                scope, window, before,
            )  # fmt: skip
    except Exception:
        logger.exception("Refusal counter unavailable for %s", scope)


def client_ip(request):
    """The visitor's address: REMOTE_ADDR, or behind trusted proxies the last X-Forwarded-For hop that is
    not one of them.

    X-Forwarded-For is read only when SUBSCRIPTIONS_TRUST_X_FORWARDED_FOR (BEHIND_PROXY) is on and the
    request comes from an address in TRUSTED_PROXIES: anyone else who reaches the app directly could
    write any address there. Hops are read from the right, as each proxy appends the address it saw;
    the first one that is not a trusted proxy is the visitor, and what is left of it is whatever the
    visitor sent."""
    remote = request.META.get("REMOTE_ADDR", "")[:64]
    if not settings.SUBSCRIPTIONS_TRUST_X_FORWARDED_FOR or not _is_trusted_proxy(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted_proxy(hop):
            return hop[:64]
    # Every hop is a trusted proxy: the request started inside.
    return (hops[0] if hops else remote)[:64]


def _is_trusted_proxy(address):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.TRUSTED_PROXIES if network.version == ip.version)
