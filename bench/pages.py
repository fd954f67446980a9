"""Pages: gunicorn serving the site with DEBUG off over many releases, loaded by wrk on loopback; SQL
queries per page in-process; the one-click unsubscribe POST timed against gunicorn."""

import contextlib
import http.client
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from . import fanout, procs

GUNICORN_WORKERS = 2  # one per core
WRK = ["wrk", "--threads", "1", "--connections", "4", "--latency"]


def seed_releases(start, stop):
    """Published releases START..STOP (newest first), each with a topic and two press contacts."""
    from pressroom.newsroom.models import Contact, Release, ReleaseContact, Topic

    if not Topic.objects.exists():
        for name in ("Integrering", "Bosetting", "Arbeid", "Statistikk", "Introduksjonsprogrammet"):
            Topic.objects.create(name=name, language="nb")
        for order, name in enumerate(("Kari Nordmann", "Ola Nordmann"), start=1):
            Contact.objects.create(name=name, role="Pressevakt", email=f"presse{order}@bench.example",
                                   phone=f"+47 400 00 00{order}", order=order)  # fmt: skip
    table = Release._meta.db_table
    topics = Release.topics.through._meta.db_table
    contacts = ReleaseContact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (title, slug, kind, lead, body, language, status, published_at, "  # noqa: S608
            "first_published_at, created_at, updated_at, translation_group_id) "
            "SELECT 'Pressemelding nummer ' || i, 'pressemelding-' || i, 'press_release', %s, %s, 'nb', "
            "'published', now() - i * interval '1 hour', now() - i * interval '1 hour', now(), now(), NULL "
            "FROM generate_series(%s, %s) AS i",
            [fanout.LEAD, fanout.BODY, start, stop],
        )
        cursor.execute(
            f"INSERT INTO {topics} (release_id, topic_id) "  # noqa: S608
            f"SELECT r.id, (SELECT id FROM {Topic._meta.db_table} ORDER BY id OFFSET r.id % 5 LIMIT 1) "
            f"FROM {table} r WHERE r.slug LIKE 'pressemelding-%%' "
            f"AND NOT EXISTS (SELECT 1 FROM {topics} t WHERE t.release_id = r.id)"
        )
        cursor.execute(
            f'INSERT INTO {contacts} (release_id, contact_id, "order") '  # noqa: S608
            f"SELECT r.id, c.id, c.id FROM {table} r CROSS JOIN {Contact._meta.db_table} c "
            f"WHERE r.slug LIKE 'pressemelding-%%' "
            f"AND NOT EXISTS (SELECT 1 FROM {contacts} x WHERE x.release_id = r.id)"
        )
        cursor.execute(f"ANALYZE {table}")


def queries_per_page(paths):
    """Queries to render each page (the page cache emptied first), and to serve it again from the cache."""
    from pressroom.newsroom import pagecache

    client = Client(HTTP_HOST="127.0.0.1")
    rendered, cached = {}, {}
    for name, path in paths.items():
        client.get(path)  # warm: template loading, the manifest, the first connection
        pagecache.invalidate()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code} in-process")
        rendered[name] = len(queries.captured_queries)
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        cached[name] = len(queries.captured_queries)
    return rendered, cached


def run(bench):
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command

    total = bench.config["releases"]
    seed_releases(1, 30)
    paths = {"home": "/", "release": "/releases/pressemelding-1/", "feed": "/feed/rss/"}
    call_command("collectstatic", interactive=False, verbosity=0)
    small, _cached = queries_per_page(paths)
    started = time.monotonic()
    seed_releases(31, total)
    print(f"   {total:,} releases in {time.monotonic() - started:.1f} s", flush=True)
    large, cached = queries_per_page(paths)
    bench.results["queries_per_page"] = large
    bench.results["details"]["queries_per_page_from_the_page_cache"] = cached
    bench.results["details"]["queries_per_page_at_30_releases"] = small
    bench.results["details"]["queries_constant"] = small == large
    print(f"   queries per page: {large} (at 30 releases: {small}; from the cache: {cached})", flush=True)

    # robots.txt: the smallest page Django serves (from the page cache, like the pages above), to
    # tell the cost of a page's size from Django's own. The static file is the server's own limit.
    paths["robots"] = "/robots.txt"
    paths["static"] = staticfiles_storage.url("pressroom/site.css")
    with serve(bench) as gunicorn:
        for name, path in paths.items():
            load(bench, gunicorn, name, path)
        bench.results["unsubscribe_post_ms"] = unsubscribe_latency(bench, bench.web_port)
        print(f"   one-click unsubscribe: {bench.results['unsubscribe_post_ms']}", flush=True)


@contextlib.contextmanager
def serve(bench):
    """The site under gunicorn (GUNICORN_WORKERS sync workers, DEBUG off) on bench.web_port."""
    from django.conf import settings

    port = bench.web_port
    gunicorn = bench.start(
        "gunicorn",
        [str(Path(sys.executable).parent / "gunicorn"), "pressroom.wsgi:application",
         "--workers", str(GUNICORN_WORKERS), "--bind", f"127.0.0.1:{port}", "--error-logfile", "-",
         "--log-level", "warning"],
        env=dict(bench.env), cwd=settings.BASE_DIR,
    )  # fmt: skip
    try:
        procs.wait_for_port(port, 30, gunicorn.process)
        bench.results["details"]["wrk"] = " ".join([*WRK, "--duration", f"{bench.config['wrk_seconds']}s"])
        bench.results["details"]["gunicorn_workers"] = GUNICORN_WORKERS
        yield gunicorn
    finally:
        bench.stop(gunicorn)


def load(bench, gunicorn, name, path):
    """Requests per second of PATH under wrk (after a 1 s warm-up), with latency and the CPU of each
    group of processes, recorded as page NAME."""
    url = f"http://127.0.0.1:{bench.web_port}{path}"
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
    bench.results["details"].setdefault("page_bytes", {})[name] = len(body)
    seconds = bench.config["wrk_seconds"]
    groups = {
        "gunicorn": lambda: procs.descendants(gunicorn.pid),
        "postgres": lambda: procs.processes_named("postgres", "postmaster"),
        "wrk": lambda: procs.processes_named("wrk"),
        "redis": lambda: [bench.redis.pid] if bench.redis.pid else [],
    }
    subprocess.run([*WRK, "--duration", "1s", url], capture_output=True, timeout=60)  # warm-up
    with procs.CpuSampler(groups) as cpu:
        output = subprocess.run(
            [*WRK, "--duration", f"{seconds}s", url], capture_output=True, text=True, timeout=seconds + 60,
            check=True,
        )  # fmt: skip
    measured = parse_wrk(output.stdout)
    if measured["errors"]:
        raise RuntimeError(f"wrk saw {measured['errors']} errors on {path}:\n{output.stdout}")
    bench.results["page_rps"][name] = measured["rps"]
    bench.results["details"].setdefault("page_latency_ms", {})[name] = measured["latency_ms"]
    bench.results["details"].setdefault("page_cpu_seconds", {})[name] = cpu.used
    others = cpu.used["everything_else"] / cpu.used["wall_seconds"]
    print(f"   {name:8} {measured['rps']:>8,.0f} requests/s  {measured['latency_ms']}  others kept "
          f"{others:.2f} cores busy", flush=True)  # fmt: skip


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        # Reads that end because the sync worker closes the connection are not errors; the rest are.
        errors += int(match.group(1)) + int(match.group(3)) + int(match.group(4))
    latency = {}
    for percent, value, unit in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M):
        latency[f"p{percent}"] = round(float(value) * UNITS[unit], 2)
    return {"rps": round(rps), "errors": errors, "latency_ms": latency}


def unsubscribe_latency(bench, port):
    """The RFC 8058 one-click POST, as a mail program sends it: no cookies, each to another subscriber."""
    from subscriptions.models import Subscriber

    count = bench.config["unsubscribe_requests"]
    tokens = list(
        Subscriber.objects.filter(status=Subscriber.Status.ACTIVE, language="nb")
        .order_by("pk")
        .values_list("token", flat=True)[:count]
    )
    if len(tokens) < count:
        fanout.seed(bench, count)
        return unsubscribe_latency(bench, port)
    timings, statuses = [], {}
    for token in tokens:
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request(
            "POST",
            f"/subscribe/u/{token}/",
            body="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = conn.getresponse()
        response.read()
        timings.append((time.perf_counter() - started) * 1000)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()
    unsubscribed = Subscriber.objects.filter(
        token__in=tokens, status=Subscriber.Status.UNSUBSCRIBED, unsubscribe_method="one_click"
    ).count()
    if statuses != {200: count} or unsubscribed != count:
        raise RuntimeError(
            f"one-click unsubscribe: statuses {statuses}, {unsubscribed} of {count} unsubscribed"
        )
    return {
        "p50": round(procs.percentile(timings, 50), 2),
        "p95": round(procs.percentile(timings, 95), 2),
        "max": round(max(timings), 2),
        "requests": count,
    }
