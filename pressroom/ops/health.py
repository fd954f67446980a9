"""Health checks for load balancers and orchestrators.

- `/healthz/live` (liveness): the process answers. It checks nothing else, so an orchestrator restarts
  a process only when the process itself is stuck, never because the database or Redis is down.
- `/healthz/ready` (readiness), also at `/healthz`: the process can serve pages. The database is
  required: without it the answer is 503, and a load balancer sends the traffic elsewhere. The cache
  (Redis) is not: pages are then served uncached, slower but right, so a cache outage answers 200 with
  the status "degraded" rather than turning into a full outage.

The answers are JSON, never cached, and say which check failed without details an outsider could use;
the cause is logged. The workers are checked by the `check_workers` command (a ping through the broker,
answered by every running worker).
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
# Without these the process is still ready, only slower.
OPTIONAL = {"cache"}


def run_checks():
    """{name: "ok" or "error"}; failures are logged with their cause."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure is reported, whatever its kind
            level = logging.WARNING if name in OPTIONAL else logging.ERROR
            log.log(level, "health check %s failed: %s: %s", name, exc.__class__.__name__, exc)
            results[name] = "error"
        else:
            results[name] = "ok"
    return results


@never_cache
@require_safe
def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request):
    checks = run_checks()
    failed = {name for name, value in checks.items() if value != "ok"}
    if failed - OPTIONAL:
        return JsonResponse({"status": "error", "checks": checks}, status=503)
    return JsonResponse({"status": "degraded" if failed else "ok", "checks": checks})


# The address load balancers were first given; it answers as readiness does.
healthz = ready
