"""Faults: the public read mix under gunicorn while the services it depends on fail.

gunicorn (gunicorn.conf.py from the repository: sync workers, its timeouts) serves the site; a small
client of our own (threads, raw sockets on loopback, bounded in count and time) keeps requesting a mix
of public pages the whole time and records, for every request, when it ended, how long it took and its
status or error. Meanwhile the run goes through windows:

- baseline: nothing fails;
- Redis stopped: the run's own Redis (never anyone else's) is killed (SIGKILL), kept down, restarted;
- Redis back: the first seconds after the restart (an empty page cache);
- database backends terminated: every gunicorn worker's PostgreSQL backend is ended with
  pg_terminate_backend, from a connection of the run's own, every second; the page cache is emptied at
  the start, so that pages are rendered (and queries are in flight) when backends end;
- web worker killed: one gunicorn worker is SIGKILLed, twice (gunicorn's master starts another).

Per window: requests/s, p50 and p99 latency (of every request answered; p99 without search too, when
search is in the mix: it is slow enough to be the whole of a p99 at 2%), the statuses, the 5xx,
connection errors (resets, refusals, timeouts) and the longest time without a successful (2xx/3xx)
answer ("served throughout": never more than a second). /healthz is asked twice a second on the side.
"""

import contextlib
import os
import random
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from . import procs

GUNICORN_WORKERS = 2  # one per core, as in the pages measurement
CLIENT_THREADS = 4  # as wrk's four connections in the pages measurement
REQUEST_TIMEOUT = 15  # seconds; beyond gunicorn's 30 s timeout nothing is waited for
MAX_REQUESTS = 2_000_000  # a bound on the records kept, far above what two cores serve in a run
APPLICATION_NAME = "pressroom-bench-web"  # the gunicorn workers' backends, as pg_stat_activity names them
GAP_LIMIT_S = 1.0  # "served throughout": no longer than this without a successful answer
SEARCH_WORDS = ("pressemelding", "integrering", "nummer", "arbeid", "bosetting")
TOPICS = ("integrering", "bosetting", "arbeid", "statistikk", "introduksjonsprogrammet")

# The public read mix (weights in percent). Release pages are drawn from the newest RECENT_RELEASES, so
# that the first request for each renders it and later ones come from the page cache. Search is left out
# unless BENCH_FAULTS_SEARCH_PERCENT asks for it: it is never cached, and has a benchmark of its own
# (bench/search.py: the same mix with and without 5 % searches).
SEARCH_PERCENT = int(os.environ.get("BENCH_FAULTS_SEARCH_PERCENT", "0"))
MIX = (
    ("home", 25),
    ("release", 40),
    ("feed", 15),
    ("archive", 10),
    ("topic", 10),
    ("search", SEARCH_PERCENT),
)
RECENT_RELEASES = 100


def path_for(kind, rng, releases):
    if kind == "home":
        return "/"
    if kind == "release":
        return f"/releases/pressemelding-{rng.randint(1, min(releases, RECENT_RELEASES))}/"
    if kind == "feed":
        return "/feed/rss/"
    if kind == "archive":
        return "/archive/"
    if kind == "topic":
        return f"/topics/{rng.choice(TOPICS)}/"
    return f"/search/?q={rng.choice(SEARCH_WORDS)}"


def fetch(port, path, timeout=REQUEST_TIMEOUT):
    """One GET on a new connection (sync workers close it after the answer): (status, error)."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(request)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    except TimeoutError:
        return None, "timeout"
    except ConnectionRefusedError:
        return None, "refused"
    except ConnectionResetError:
        return None, "reset"
    except OSError as exc:
        return None, exc.__class__.__name__
    head = b"".join(chunks[:1])[:64]
    if not head.startswith(b"HTTP/1."):
        return None, "empty" if not head else "malformed"
    return int(head.split(b" ", 2)[1]), None


class Load:
    """CLIENT_THREADS threads requesting the mix until stopped; every request is a record
    (kind, ended at, seconds, status, error)."""

    def __init__(self, port, releases, mix=MIX, path=path_for):
        self.port, self.releases, self.path = port, releases, path
        self.records = []
        self.health = []  # (at, status, error)
        self._stop = threading.Event()
        weights = [weight for _kind, weight in mix]
        self._kinds = [kind for kind, _weight in mix]
        self._weights = weights
        self._threads = [
            threading.Thread(target=self._run, args=(seed,), daemon=True) for seed in range(CLIENT_THREADS)
        ]
        self._threads.append(threading.Thread(target=self._probe, daemon=True))

    def _run(self, seed):
        rng = random.Random(seed)
        while not self._stop.is_set() and len(self.records) < MAX_REQUESTS:
            kind, path = self.draw(rng)
            started = time.monotonic()
            status, error = fetch(self.port, path)
            ended = time.monotonic()
            self.records.append((kind, ended, ended - started, status, error))
            if error == "refused":
                time.sleep(0.01)  # nothing listens: do not spin

    def draw(self, rng):
        """The next request: (kind, path)."""
        kind = rng.choices(self._kinds, self._weights)[0]
        return kind, self.path(kind, rng, self.releases)

    def _probe(self):
        while not self._stop.wait(0.5):
            status, error = fetch(self.port, "/healthz", timeout=5)
            self.health.append((time.monotonic(), status, error))

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(REQUEST_TIMEOUT + 5)


def summarize(load, name, start, end, extra, mix=MIX):
    records = [r for r in load.records if start <= r[1] < end]
    answered = [r for r in records if r[3] is not None]
    latencies = [r[2] * 1000 for r in answered]
    statuses, errors, by_kind = {}, {}, {}
    for kind, _ended, _seconds, status, error in records:
        if status is not None:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        else:
            errors[error] = errors.get(error, 0) + 1
        if status is not None and status >= 500:
            by_kind[kind] = by_kind.get(kind, 0) + 1
    served = sorted(r[1] for r in answered if r[3] < 400)
    moments = [start, *served, end]
    gap, gap_end = max((b - a, b) for a, b in zip(moments, moments[1:], strict=False))
    health = {}
    for at, status, error in load.health:
        if start <= at < end:
            key = str(status) if status is not None else error
            health[key] = health.get(key, 0) + 1
    seconds = end - start

    def pct(q, values=latencies):
        value = procs.percentile(values, q)
        return round(value, 1) if value is not None else None

    pages = {}
    for kind, _weight in mix:
        values = [r[2] * 1000 for r in answered if r[0] == kind]
        pages[kind] = {"requests": len(values), "p50_ms": pct(50, values), "p99_ms": pct(99, values)}

    return {
        "window": name,
        "seconds": round(seconds, 1),
        "requests": len(records),
        "rps": round(len(answered) / seconds) if seconds else None,
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "p99_ms_without_search": pct(99, [r[2] * 1000 for r in answered if r[0] != "search"]),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "status": dict(sorted(statuses.items())),
        "5xx": sum(n for status, n in statuses.items() if status.startswith("5")),
        "5xx_by_page": by_kind,
        "connection_errors": sum(errors.values()),
        "errors": errors,
        "longest_gap_s": round(gap, 2),
        "longest_gap_ended_at_s": round(gap_end - start, 2),  # from the window's start
        "served_throughout": gap <= GAP_LIMIT_S,
        "healthz": health,
        "pages": pages,
        **extra,
    }


def gunicorn_workers(gunicorn):
    return [pid for pid in procs.descendants(gunicorn.pid) if pid != gunicorn.pid]


def stop_redis(bench):
    """SIGKILL the run's own Redis (a crash, not a shutdown); the argv to start it again."""
    if isinstance(bench.redis, procs.Service):
        argv = list(bench.redis.process.args)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(bench.redis.pid, signal.SIGKILL)
        bench.stop(bench.redis)
        return argv
    bench.redis.stop()
    bench.services.remove(bench.redis)
    return None


def start_redis(bench, argv):
    if argv is None:
        from .run import EmbeddedValkey

        bench.redis = EmbeddedValkey(bench.redis_port)
        bench.services.append(bench.redis)
    else:
        bench.redis = bench.start("redis", argv, env=os.environ.copy())
    procs.wait_for_port(bench.redis_port, 10, getattr(bench.redis, "process", None))


def terminate_backends(admin):
    rows = admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = %s AND pid <> pg_backend_pid()",
        [APPLICATION_NAME],
    ).fetchall()
    return sum(1 for (done,) in rows if done)


def prepare(bench):
    """The releases and static files the pages need, when the pages measurement has not made them."""
    from django.core.management import call_command

    from pressroom.newsroom.models import Release

    from . import pages

    if not Release.objects.exists():
        started = time.monotonic()
        pages.seed_releases(1, bench.config["releases"])
        print(f"   {bench.config['releases']:,} releases in {time.monotonic() - started:.1f} s", flush=True)
        call_command("collectstatic", interactive=False, verbosity=0)


def run(bench):
    import psycopg
    from django.conf import settings

    prepare(bench)
    window_s = bench.config["fault_window_seconds"]
    redis_down_s = bench.config["redis_down_seconds"]
    port = bench.web_port
    env = dict(bench.env) | {"PGAPPNAME": APPLICATION_NAME}
    # gunicorn.conf.py (read from the working directory) gives the worker class, timeouts and backlog.
    gunicorn = bench.start(
        "gunicorn-faults",
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(GUNICORN_WORKERS),
         "--bind", f"127.0.0.1:{port}", "--error-logfile", "-", "--log-level", "warning"],
        env=env, cwd=settings.BASE_DIR,
    )  # fmt: skip
    windows = []
    try:
        procs.wait_for_port(port, 30, gunicorn.process)
        for kind, weight in MIX:
            if not weight:
                continue
            status, error = fetch(port, path_for(kind, random.Random(0), bench.config["releases"]))
            if status != 200:
                raise RuntimeError(f"{kind} answered {status or error} before any fault")
        with (
            psycopg.connect(bench.database_url, autocommit=True) as admin,
            Load(port, bench.config["releases"]) as load,
        ):
            time.sleep(3)  # warm-up: not counted

            def window(name, seconds, fault=None):
                start = time.monotonic()
                extra = fault(start + seconds) if fault else {}
                time.sleep(max(0.0, start + seconds - time.monotonic()))
                windows.append(summarize(load, name, start, time.monotonic(), extra or {}))
                print(format_row(windows[-1]), flush=True)

            def redis_down(_end):
                argv = stop_redis(bench)
                time.sleep(redis_down_s)
                start_redis(bench, argv)
                return {"redis_down_s": redis_down_s}

            def terminate(end):
                bench.flush_redis()
                terminated, rounds = 0, 0
                while time.monotonic() < end - 0.5:
                    time.sleep(1)
                    terminated += terminate_backends(admin)
                    rounds += 1
                return {"backends_terminated": terminated, "terminate_rounds": rounds}

            def kill_worker(end):
                killed = []
                for at in (1.0, window_s / 2):
                    time.sleep(max(0.0, end - window_s + at - time.monotonic()))
                    workers = gunicorn_workers(gunicorn)
                    if workers:
                        os.kill(workers[0], signal.SIGKILL)
                        killed.append(workers[0])
                return {"workers_killed": len(killed)}

            window("baseline", window_s)
            window("redis_stopped", redis_down_s, redis_down)
            window("redis_back", window_s)
            window("db_backends_terminated", window_s, terminate)
            window("web_worker_killed", window_s, kill_worker)
        workers_after = len(gunicorn_workers(gunicorn))
    finally:
        bench.stop(gunicorn)
    # What the web processes logged (pressroom/ops/unavailable.py): requests run again on a new
    # connection, and 503s.
    log = gunicorn.log_path.read_text(errors="replace")
    logged = {
        "database_connection_lost_run_again": log.count("database connection lost, running"),
        "database_unavailable_503": log.count("database unavailable, answered 503"),
        "worker_timeouts": log.count("WORKER TIMEOUT"),
    }
    bench.results["faults"] = {
        "windows": windows,
        "mix_percent": dict(MIX),
        "client": f"{CLIENT_THREADS} threads, a new connection per request (bench/faults.py)",
        "gunicorn_workers": GUNICORN_WORKERS,
        "gunicorn_workers_after": workers_after,
        "five_xx": sum(w["5xx"] for w in windows),
        "connection_errors": sum(w["connection_errors"] for w in windows),
        "longest_gap_s": max(w["longest_gap_s"] for w in windows),
        "logged_by_the_web_processes": logged,
    }


def format_row(w):
    return (
        f"   {w['window']:24} {w['seconds']:>5.1f} s {w['rps']:>6,} req/s  p50 {w['p50_ms']:>7} ms  "
        f"p99 {w['p99_ms']:>7} ms  "
        f"5xx {w['5xx']:>3}  conn errors {w['connection_errors']:>3}  longest gap {w['longest_gap_s']:.2f} s"
    )
