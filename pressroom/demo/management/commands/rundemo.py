"""The local demo behind `make run`: database, demo content, an admin login, a Celery worker with beat and
the development server, stopped together on Ctrl-C or SIGTERM."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from pressroom.ops.valkey import for_checkout

ADMIN_USERNAME = "admin"
STOP_TIMEOUT = 20  # seconds a child gets to shut down before it is killed


def password_file():
    return Path(settings.VAR_DIR) / "demo-admin-password"


def demo_admin_password():
    """The demo admin's password: made once, kept in var/ so that the login stays the same."""
    path = password_file()
    if path.exists() and (password := path.read_text().strip()):
        return password
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    path.touch(mode=0o600)
    path.write_text(password + "\n")
    return password


def ensure_demo_admin():
    password = demo_admin_password()
    user = get_user_model().objects.filter(username=ADMIN_USERNAME).first()
    if user is None:
        get_user_model().objects.create_superuser(ADMIN_USERNAME, "admin@example.no", password)
    elif not (user.is_active and user.is_staff and user.is_superuser and user.check_password(password)):
        # The login printed at start must work, even after someone changed it in the admin.
        user.is_active = user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
    return ADMIN_USERNAME, password


def port_is_free(port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def answers(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Command(BaseCommand):
    help = (
        "Run the demo: migrate, load the demo newsroom, make an admin login, and start a Celery worker "
        "(with beat) and the development server on 127.0.0.1. Ctrl-C stops everything."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="Port of the web server (default 8000).")

    def handle(self, *args, port, **options):
        if not settings.DEBUG:
            raise CommandError("rundemo is the local demo and needs DEBUG=true (`make run` sets it).")
        if not port_is_free(port):
            raise CommandError(f"Port {port} is in use. Choose another: make run PORT={port + 1}")

        call_command("migrate", interactive=False, verbosity=1)
        call_command("seed_demo")
        username, password = ensure_demo_admin()

        valkey, redis_url = None, settings.REDIS_URL
        if settings.REDIS_EMBEDDED:
            # Started through `make run`, pressroom.embedded already runs this checkout's Valkey; on its
            # own, start it here.
            redis_url, valkey = for_checkout(settings.VAR_DIR)

        site = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.setdefault("SITE_URL", site)  # links in the demo's emails point at this server
        env.setdefault("REDIS_URL", redis_url)
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        children = {}
        try:
            children["Celery worker"] = subprocess.Popen(
                # --quiet: no start-up banner, so that the login above stays in view.
                [sys.executable, "-m", "celery", "-A", "pressroom", "--quiet", "worker", "--beat",
                 "-l", "info", "--concurrency", "2",
                 "--schedule", str(Path(settings.VAR_DIR) / "celerybeat-schedule")],
                cwd=settings.BASE_DIR, env=env,
            )  # fmt: skip
            children["web server"] = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=settings.BASE_DIR, env=env,
            )  # fmt: skip
            return_code = self.supervise(children, port, site, username, password)
        finally:
            self.stop(children)
            if valkey is not None:
                valkey.stop()
        if return_code:
            sys.exit(return_code)

    def supervise(self, children, port, site, username, password):
        """Wait until Ctrl-C, SIGTERM or a child's exit; return the exit status for the demo."""
        stopping = []

        def request_stop(signum, frame):
            stopping.append(signum)

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        announced = False
        deadline = time.monotonic() + 60
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(
                        f"The {name} stopped (exit status {child.returncode}); stopping the demo."
                    )
                    return 1
            if not announced and answers(port):
                self.announce(site, username, password)
                announced = True
            elif not announced and time.monotonic() > deadline:
                self.stderr.write(f"The web server did not answer on port {port} within a minute.")
                return 1
            time.sleep(0.3)
        self.stdout.write("\nStopping the demo…")
        return 0

    def announce(self, site, username, password):
        lines = [
            "",
            "=" * 72,
            "  Pressroom demo is running",
            "",
            f"  Newsroom:  {site}/",
            f"  Admin:     {site}/admin/",
            f"             user: {username}    password: {password}",
            f"  Mailbox:   {site}/dev/mail/   (the emails the demo sends; log in as the admin above)",
            "",
            f"  The password is kept in {password_file()}.",
            "  Press Ctrl-C to stop.",
            "=" * 72,
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
        self.stdout.flush()

    def stop(self, children):
        # Ctrl-C in a terminal reaches the children too; SIGTERM to this process does not, so pass it on.
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, child in children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"The {name} did not stop in {STOP_TIMEOUT} s; killing it.")
                child.kill()
                child.wait()
