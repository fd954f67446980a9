import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from pressroom.demo.management.commands import rundemo
from pressroom.newsroom.models import Release
from subscriptions.models import Mailing
from tests.factories import ReleaseFactory

OSLO = ZoneInfo("Europe/Oslo")
BASE_DIR = Path(__file__).resolve().parents[3]


def publish(*args):
    out = StringIO()
    call_command("publish_release", *args, stdout=out)
    return out.getvalue()


# publish_release


@pytest.mark.django_db
def test_publish_release_now():
    release = ReleaseFactory(title="Ny rapport", slug="ny-rapport")

    output = publish("ny-rapport")

    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED
    assert release.is_public
    assert Mailing.objects.filter(release=release).count() == 1
    assert output.startswith("Published “Ny rapport” at ")
    assert output.rstrip().endswith("http://testserver/releases/ny-rapport/")


@pytest.mark.django_db
def test_publish_release_at_a_time_with_an_offset():
    release = ReleaseFactory(title="Ny rapport", slug="ny-rapport")
    when = (
        (timezone.now() + timedelta(days=10))
        .astimezone(OSLO)
        .replace(hour=9, minute=0, second=0, microsecond=0)
    )

    output = publish("ny-rapport", "--at", when.isoformat())

    release.refresh_from_db()
    assert release.status == Release.Status.SCHEDULED
    assert release.published_at == when
    assert not release.is_public
    assert f"Scheduled “Ny rapport” for {when:%Y-%m-%d} 09:00 {when.tzname()}." in output


@pytest.mark.django_db
def test_publish_release_reads_a_naive_time_in_oslo_and_says_so():
    release = ReleaseFactory(slug="ny-rapport")
    naive = (
        (timezone.now() + timedelta(days=10))
        .astimezone(OSLO)
        .replace(hour=9, minute=30, second=0, microsecond=0, tzinfo=None)
    )

    output = publish("ny-rapport", "--at", naive.isoformat(timespec="minutes"))

    release.refresh_from_db()
    expected = naive.replace(tzinfo=OSLO)
    assert release.published_at == expected
    assert f"No time zone in '{naive:%Y-%m-%dT%H:%M}': reading it as Europe/Oslo time" in output
    assert f"{naive:%Y-%m-%d} 09:30 {expected.tzname()}" in output


@pytest.mark.django_db
def test_publish_release_dry_run_changes_nothing():
    release = ReleaseFactory(title="Ny rapport", slug="ny-rapport")
    when = timezone.now() + timedelta(days=3)

    now_output = publish("ny-rapport", "--dry-run")
    at_output = publish("ny-rapport", "--at", when.isoformat(), "--dry-run")

    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT
    assert release.published_at is None
    assert not Mailing.objects.exists()
    assert now_output == "Dry run: “Ny rapport” would be published now. Nothing was changed.\n"
    assert at_output.startswith("Dry run: “Ny rapport” would be scheduled for ")
    assert at_output.endswith(". Nothing was changed.\n")


@pytest.mark.django_db
def test_publish_release_twice_says_it_is_already_published():
    release = ReleaseFactory(published=True, title="Gammel", slug="gammel")
    published_at = release.published_at

    output = publish("gammel")

    release.refresh_from_db()
    assert release.published_at == published_at
    assert output.startswith("“Gammel” is already published (")
    assert not Mailing.objects.exists()


@pytest.mark.django_db
def test_publish_release_unknown_slug():
    with pytest.raises(CommandError, match=r"^No release has the address 'finnes-ikke'\. "):
        publish("finnes-ikke")


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["i morgen", "2025-13-01T09:00", "24.06.2025 09:00", ""])
def test_publish_release_bad_date(value):
    release = ReleaseFactory(slug="ny-rapport")

    with pytest.raises(CommandError) as raised:
        publish("ny-rapport", "--at", value)

    assert str(raised.value) == (
        f"--at must be an ISO 8601 date and time such as 2025-06-24T09:00+02:00, not {value!r}."
    )
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT


@pytest.mark.django_db
def test_publish_release_time_in_the_past():
    release = ReleaseFactory(slug="ny-rapport")

    with pytest.raises(CommandError, match=r"is in the past\. Leave out --at to publish now\.$"):
        publish("ny-rapport", "--at", "2020-01-01T09:00+01:00")

    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT


@pytest.mark.django_db
@pytest.mark.parametrize("local", ["2099-03-29T02:30", "2099-10-25T02:30"], ids=["skipped", "repeated"])
def test_publish_release_refuses_a_time_that_daylight_saving_makes_unclear(local):
    ReleaseFactory(slug="ny-rapport")

    with pytest.raises(CommandError, match=r"does not exist or happens twice in Europe/Oslo"):
        publish("ny-rapport", "--at", local)


# rundemo: the pieces


@pytest.mark.django_db
def test_demo_admin_password_is_made_once_and_reused(settings, tmp_path):
    settings.VAR_DIR = tmp_path

    username, password = rundemo.ensure_demo_admin()
    again = rundemo.ensure_demo_admin()

    assert (username, len(password)) == ("admin", 16)
    assert again == (username, password)
    assert (tmp_path / "demo-admin-password").read_text() == password + "\n"
    assert (tmp_path / "demo-admin-password").stat().st_mode & 0o077 == 0
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.is_staff
    assert user.check_password(password)


@pytest.mark.django_db
def test_demo_admin_login_is_repaired_when_changed(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    _, password = rundemo.ensure_demo_admin()
    user = get_user_model().objects.get(username="admin")
    user.set_password("something else")
    user.is_staff = False
    user.save()

    rundemo.ensure_demo_admin()

    user.refresh_from_db()
    assert user.check_password(password)
    assert user.is_staff


@override_settings(DEBUG=False)
def test_rundemo_needs_debug():
    with pytest.raises(CommandError, match=r"^rundemo is the local demo and needs DEBUG=true"):
        call_command("rundemo", "--port", "8999")


@override_settings(DEBUG=True)
def test_rundemo_refuses_a_busy_port():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=rf"^Port {port} is in use\. Choose another: make run PORT="):
            call_command("rundemo", "--port", str(port))


# rundemo: the real thing


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def is_alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.integration
def test_rundemo_serves_the_demo_and_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "pressroom.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "PRESSROOM_VAR_DIR": str(tmp_path / "var"),
        # The suite's own Valkey, another database: the worker's queue is its own.
        "REDIS_URL": re.sub(r"/\d+$", "/7", os.environ["REDIS_URL"]),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SECRET_KEY", None)
    log = (tmp_path / "rundemo.log").open("w+")
    demo = subprocess.Popen(
        [sys.executable, "manage.py", "rundemo", "--port", str(port)],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        output = ""
        while "Press Ctrl-C to stop." not in output:
            assert demo.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, Path(log.name).read_text()
            time.sleep(0.5)
            output = Path(log.name).read_text()

        password = (tmp_path / "var" / "demo-admin-password").read_text().strip()
        assert f"Newsroom:  http://127.0.0.1:{port}/" in output
        assert f"Admin:     http://127.0.0.1:{port}/admin/" in output
        assert f"user: admin    password: {password}" in output
        assert f"Mailbox:   http://127.0.0.1:{port}/dev/mail/" in output
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            home = response.read().decode()
        assert "Flere flyktninger over til arbeid etter endt introduksjonsprogram" in home
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=10) as response:
            assert response.status == 200
        children = children_of(demo.pid)
        assert len(children) == 2

        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=40) == 0
        time.sleep(0.5)
        assert not [pid for pid in children if is_alive(pid)]
        assert "Stopping the demo" in Path(log.name).read_text()
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        log.close()
