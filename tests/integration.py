"""Helpers for integration tests that run real processes on loopback: a Celery worker on the test
database and the test Redis, and an SMTP sink that keeps what it receives.

    with smtp_sink() as sink, celery_worker({"EMAIL_PORT": str(sink.port)}):
        ...  # queue work; sink.wait_for(1) returns the parsed messages

The worker shares the test database, so tests using it need `@pytest.mark.django_db(transaction=True)`
(the rows must be committed for another process to see them). tests/settings.py keeps the SQLite test
database in a file for this reason; on PostgreSQL the worker connects to the test database by name.
"""

import contextlib
import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url():
    """A DATABASE_URL for the test database this process is using (not the one settings name)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name == ":memory:" or name.startswith("file:memorydb"):
            raise RuntimeError(
                "The SQLite test database is in memory, so a worker process cannot share it: set "
                'DATABASES["default"]["TEST"]["NAME"] to a file in tests/settings.py.'
            )
        return f"sqlite:///{name}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "localhost"
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"
    raise RuntimeError(f"No worker support for the database engine {db['ENGINE']}.")


class Worker:
    def __init__(self, process):
        self.process = process
        self.lines = []
        self.ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if " ready." in line:
                self.ready.set()

    @property
    def log(self):
        return "\n".join(self.lines)


@contextlib.contextmanager
def celery_worker(env_overrides=None, *, timeout=60):
    """A real `celery worker -P solo` process on the test database and Redis, stopped on exit."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "REDIS_URL": os.environ["REDIS_URL"],
        "DATABASE_URL": database_url(),
        "PYTHONUNBUFFERED": "1",
        **(env_overrides or {}),
    }
    command = [
        sys.executable,
        *("-m", "celery", "-A", "pressroom", "worker", "-P", "solo", "-l", "info"),
        *(
            "-n",
            f"test-{uuid.uuid4().hex[:8]}@%h",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ),
    ]
    process = subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    worker = Worker(process)
    try:
        deadline = time.monotonic() + timeout
        while not worker.ready.wait(0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The Celery worker did not start:\n{worker.log}")
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        worker._reader.join(timeout=5)


class SMTPSink:
    def __init__(self, port):
        self.port = port
        self.messages = []  # email.message.EmailMessage, parsed with the default policy
        self.envelopes = []  # (MAIL FROM, [RCPT TO, ...])
        self._received = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        with self._received:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._received.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count, timeout=30):
        """The messages once COUNT have arrived; AssertionError after TIMEOUT seconds."""
        with self._received:
            arrived = self._received.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        assert arrived, f"{len(self.messages)} of {count} messages arrived within {timeout} s"
        return list(self.messages)


@contextlib.contextmanager
def smtp_sink():
    """An SMTP server on a free loopback port that keeps every message it receives."""
    from aiosmtpd.controller import Controller

    sink = SMTPSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, enable_SMTPUTF8=True)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
