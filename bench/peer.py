"""The peer: django-newsletter, in its own virtualenv (bench/.peer-venv), sending to the same smtp-sink.

A tiny Django project is written to the run's work directory. The same N subscribers are loaded, one
message with the same text is prepared as its admin's "submit" action does (a Submission marked
prepared), and the mail goes out the way its documentation says to run it: `manage.py submit_newsletter`
(normally from cron), with NEWSLETTER_EMAIL_DELAY and NEWSLETTER_BATCH_DELAY set to zero.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

from . import fanout, procs

PEER_VENV = Path(__file__).resolve().parent / ".peer-venv"
# django-newsletter needs sorl-thumbnail (or easy-thumbnails) but does not declare it.
PEER_PACKAGES = [
    "django-newsletter==1.2.1",
    "sorl-thumbnail==13.4.0",
    "Django>=5.2,<5.3",
    "psycopg[binary]>=3.2",
]

SETTINGS = """\
SECRET_KEY = "peer-benchmark-secret-key-that-is-only-used-on-loopback-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sites",
    "sorl.thumbnail",
    "newsletter",
]
ROOT_URLCONF = "peerproj.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": @NAME@,
             "USER": @USER@, "HOST": @HOST@, "PORT": @PORT@}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TIME_ZONE = "Europe/Oslo"
SITE_ID = 1
STATIC_URL = "/static/"
MEDIA_URL = "/media/"
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = @SINK_PORT@
DEFAULT_FROM_EMAIL = "presse@bench.example"
NEWSLETTER_THUMBNAIL = "sorl-thumbnail"
NEWSLETTER_USE_HTTPS = False
NEWSLETTER_CONFIRM_EMAIL = False
# Throttling off: the peer's documented delays between emails and between batches.
NEWSLETTER_EMAIL_DELAY = 0
NEWSLETTER_BATCH_DELAY = 0
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"handlers": [], "level": "WARNING"}}
"""

URLS = """\
from django.urls import include, path

urlpatterns = [path("newsletter/", include("newsletter.urls"))]
"""

MANAGE = """\
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproj.settings")
from django.core.management import execute_from_command_line

execute_from_command_line(sys.argv)
"""

SEED = """\
import json
import os
import sys
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproj.settings")
django.setup()
from django.contrib.sites.models import Site
from django.core.management import call_command
from django.utils import timezone
from newsletter.models import Article, Message, Newsletter, Submission, Subscription

call_command("migrate", verbosity=0)
n = int(sys.argv[1])
content = json.loads(open(sys.argv[2]).read())
Site.objects.update_or_create(pk=1, defaults={"domain": "127.0.0.1", "name": "bench"})
Submission.objects.all().delete()
Message.objects.all().delete()
Subscription.objects.all().delete()
Newsletter.objects.all().delete()
newsletter = Newsletter.objects.create(title="IMDi", slug="imdi", email="presse@bench.example", sender="IMDi")
Subscription.objects.bulk_create(
    (Subscription(newsletter=newsletter, email_field=f"reader{i}@bench.example", subscribed=True)
     for i in range(1, n + 1)),
    batch_size=5000,
)
message = Message.objects.create(title=content["title"], slug="benchmark", newsletter=newsletter)
Article.objects.create(post=message, title=content["title"], text=content["text"], sortorder=10)
submission = Submission.from_message(message)
submission.prepared = True
submission.publish_date = timezone.now() - timedelta(minutes=1)
submission.save()
import django as dj
from importlib.metadata import version
print(json.dumps({"recipients": submission.subscriptions.count(), "django": dj.get_version(),
                  "django_newsletter": version("django-newsletter"),
                  "sorl_thumbnail": version("sorl-thumbnail")}))
"""


class PeerUnavailable(Exception):
    pass


def ensure_venv(bench):
    python = PEER_VENV / "bin" / "python"
    if python.exists():
        check = subprocess.run([str(python), "-c", "import newsletter, sorl, psycopg"], capture_output=True)
        if check.returncode == 0:
            return python
    print("   creating bench/.peer-venv (django-newsletter, sorl-thumbnail)", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEER_VENV)], check=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PEER_PACKAGES],
                       check=True, timeout=900, capture_output=True, text=True)  # fmt: skip
    except subprocess.CalledProcessError as exc:
        raise PeerUnavailable(f"pip install {' '.join(PEER_PACKAGES)} failed: {exc.stderr[-500:]}") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PeerUnavailable(f"cannot create the peer's virtualenv: {exc}") from None
    return python


def write_project(bench):
    import psycopg

    project = bench.workdir / "peer"
    if project.exists():
        return project
    (project / "peerproj").mkdir(parents=True)
    info = psycopg.conninfo.conninfo_to_dict(bench.database_url.replace("postgres://", "postgresql://"))
    name = f"{info['dbname']}_peer"
    with psycopg.connect(bench.database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    (project / "peerproj" / "__init__.py").write_text("")
    values = {
        "@NAME@": repr(name),
        "@USER@": repr(info.get("user", "postgres")),
        "@HOST@": repr(info.get("host", "127.0.0.1")),
        "@PORT@": repr(str(info.get("port", 5432))),
        "@SINK_PORT@": str(bench.sink_port),
    }
    settings = SETTINGS
    for placeholder, value in values.items():
        settings = settings.replace(placeholder, value)
    (project / "peerproj" / "settings.py").write_text(settings)
    (project / "peerproj" / "urls.py").write_text(URLS)
    (project / "manage.py").write_text(MANAGE)
    (project / "seed.py").write_text(SEED)
    content = {"title": "Flere flyktninger over til arbeid", "text": f"<p>{fanout.LEAD}</p>{fanout.BODY}"}
    (project / "content.json").write_text(json.dumps(content))
    return project


def run(bench, n):
    key = str(n)
    try:
        python = ensure_venv(bench)
    except PeerUnavailable as exc:
        bench.results["peer_smtp_rps"][key] = None
        bench.note(f"django-newsletter did not run: {exc}")
        return
    project = write_project(bench)
    env = {k: v for k, v in bench.env.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    seeded = subprocess.run(
        [str(python), "seed.py", str(n), "content.json"], cwd=project, env=env,
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    if seeded.returncode != 0:
        bench.results["peer_smtp_rps"][key] = None
        bench.note(f"django-newsletter did not run: seeding failed: {seeded.stderr[-800:]}")
        return
    info = json.loads(seeded.stdout.strip().splitlines()[-1])
    bench.results["versions"]["peer"] = {k: v for k, v in info.items() if k != "recipients"}
    before = bench.sink_count()
    started = time.time()
    sender = bench.start("peer-submit", [str(python), "manage.py", "submit_newsletter", "-v", "0"], env=env,
                         cwd=project)  # fmt: skip
    last_seen, last_value, last_change = None, 0, time.monotonic()
    try:
        groups = {
            "peer": lambda: procs.descendants(sender.pid),
            "postgres": lambda: procs.processes_named("postgres", "postmaster"),
            "smtp_sink": lambda: [bench.sink.pid],
        }
        with procs.RssSampler(sender.pid) as rss, procs.CpuSampler(groups) as cpu:
            while True:
                done = bench.sink_count() - before
                now = time.monotonic()
                if done != last_value:
                    last_value, last_change, last_seen = done, now, time.time()
                if done >= n:
                    break
                if sender.process.poll() is not None and done < n:
                    time.sleep(0.5)
                    if bench.sink_count() - before < n:
                        raise RuntimeError(
                            f"submit_newsletter exited ({sender.process.returncode}) after {done:,} of "
                            f"{n:,}: " + sender.log_path.read_text(errors="replace")[-800:]
                        )
                if now - last_change > 120:
                    raise RuntimeError(f"django-newsletter stalled at {done:,} of {n:,} for 120 s")
                time.sleep(0.02)
            sender.process.wait(120)
    finally:
        bench.stop(sender)
    seconds = last_seen - started
    rps = round(n / seconds)
    bench.results["peer_smtp_rps"][key] = rps
    bench.results["peer_rss_mb"][key] = rss.peak_mb
    bench.results["details"]["peer"][key] = {
        "recipients": info["recipients"],
        "accepted": last_value,
        "seconds_command_start_to_last": round(seconds, 2),
        "recipients_per_second": rps,
        "rss_peak_mb": rss.peak_mb,
        "pss_peak_mb": rss.peak_pss_mb,
        "exit_code": sender.process.returncode,
        "cpu_seconds": cpu.used,
        "cpu_ms_per_recipient": {
            "peer": round(cpu.used["peer"] * 1000 / n, 3),
            "postgres": round(cpu.used["postgres"] * 1000 / n, 3),
            "receiver": round(cpu.used["smtp_sink"] * 1000 / n, 3),
        },
        "others_cores_busy": round(cpu.used["everything_else"] / cpu.used["wall_seconds"], 2),
    }
    ours = bench.results["details"]["smtp"].get(key, {}).get("cpu_ms_per_recipient")
    if ours:
        # Rates follow whatever else runs on the machine; CPU per recipient does not.
        theirs = bench.results["details"]["peer"][key]["cpu_ms_per_recipient"]
        bench.results["details"]["peer"][key]["cpu_ratio_peer_to_ours"] = round(
            (theirs["peer"] + theirs["postgres"]) / (ours["worker"] + ours["postgres"]), 1
        )
    ours = bench.results["fanout_smtp_rps"].get(key)
    if ours:
        bench.results["smtp_ratio_ours_to_peer"][key] = round(ours / rps, 1)
    details = bench.results["details"]["peer"][key]
    print(f"   {rps:,} recipients/s, peak RSS {rss.peak_mb} MB; CPU ms per recipient "
          f"{details['cpu_ms_per_recipient']}; others kept {details['others_cores_busy']} cores busy",
          flush=True)  # fmt: skip
