"""Health checks for load balancers and orchestrators.

`/healthz` answers for a web process: can it reach the database and the cache? It is JSON, never cached,
and says which check failed without details an outsider could use. The workers are checked by the
`check_workers` command (a ping through the broker, answered by every running worker).
"""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

log = logging.getLogger(__name__)
CACHE_KEY = "healthz"


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache():
    cache.set(CACHE_KEY, "ok", timeout=10)
    if cache.get(CACHE_KEY) != "ok":
        raise RuntimeError("the cache did not return what was just written")


CHECKS = {"database": check_database, "cache": check_cache}


def run_checks():
    """{name: "ok" or "error"}; failures are logged with their cause."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure makes the process unhealthy
            log.error("health check %s failed: %s: %s", name, exc.__class__.__name__, exc)
            results[name] = "error"
        else:
            results[name] = "ok"
    return results


@never_cache
@require_safe
def healthz(request):
    checks = run_checks()
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )
