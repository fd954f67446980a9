"""Sign-ups and one-click unsubscribes under load, against gunicorn on loopback (two worker processes, the
test database, the suite's cache): a few hundred requests a second for a few seconds. No server error;
the sign-up limit per visitor holds exactly, forwarded-for headers or not; no unsubscribe is lost.
"""

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from urllib.parse import urlencode

import pytest
from django.conf import settings

from subscriptions.forms import make_stamp
from subscriptions.models import Subscriber
from tests.factories import NewsroomFactory
from tests.integration import BASE_DIR, database_url, free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CLIENTS = 16  # concurrent connections


@pytest.fixture(autouse=True)
def newsroom(transactional_db):
    return NewsroomFactory()


@contextlib.contextmanager
def gunicorn():
    """gunicorn on a free loopback port, serving the test settings on the test database."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        # One rate-limit window for the whole test, so that no window boundary falls inside it.
        "SUBSCRIPTIONS_SIGNUP_IP_WINDOW": str(10**8),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "pressroom.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "8", "--log-level", "warning"],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError):
                connection = HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/robots.txt")
                if connection.getresponse().status == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "gunicorn did not start:\n" + (process.stdout.read() if process.stdout else "")
                )
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


class Load:
    """Requests from CLIENTS threads, each on its own keep-alive connection; counts answers by status."""

    def __init__(self, port):
        self.port = port
        self.local = threading.local()
        self.statuses = Counter()
        self.lock = threading.Lock()

    def request(self, method, path, body=None, headers=None):
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            response.read()
        except OSError:
            self.local.connection = None
            raise
        with self.lock:
            self.statuses[response.status] += 1
        return response

    def run(self, calls):
        """Make every (method, path, body, headers) call; return requests per second."""
        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(lambda call: self.request(*call), calls))
        return len(calls) / (time.monotonic() - started)


def test_sign_ups_under_load_get_no_server_error_and_the_limit_per_visitor_holds():
    with gunicorn() as port:
        # No CSRF cookie or token: the sign-up form has none (subscriptions/views.py says why).
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        calls = []
        for number in range(600):
            body = urlencode(
                {"email": f"last{number}@example.org",
                 "stamp": make_stamp(time.time() - 60), "website": "", "language": "nb"}
            )  # fmt: skip
            # Half of them claim another address through X-Forwarded-For: not behind a proxy, it is ignored.
            spoofed = {"X-Forwarded-For": f"10.0.{number % 250}.1"} if number % 2 else {}
            calls.append(("POST", "/subscribe/", body, headers | spoofed))
        load = Load(port)
        rate = load.run(calls)

    print(f"sign-ups: {rate:.0f} requests/s, {dict(load.statuses)}")
    assert set(load.statuses) <= {200, 429}, load.statuses
    assert load.statuses[200] == settings.SUBSCRIPTIONS_SIGNUP_LIMIT_PER_IP
    assert Subscriber.objects.count() == settings.SUBSCRIPTIONS_SIGNUP_LIMIT_PER_IP


def test_one_click_unsubscribes_under_load_are_all_kept():
    Subscriber.objects.bulk_create(
        Subscriber(email=f"reader{number}@example.org", status=Subscriber.Status.ACTIVE)
        for number in range(600)
    )
    tokens = list(Subscriber.objects.values_list("token", flat=True))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    # Every link once, a sixth of them twice (a mail program retrying), all mixed up.
    calls = [("POST", f"/subscribe/u/{token}/", "List-Unsubscribe=One-Click", headers) for token in tokens]
    calls += calls[::6]
    calls.sort(key=lambda call: hash(call[1]))
    with gunicorn() as port:
        load = Load(port)
        rate = load.run(calls)

    print(f"one-click unsubscribes: {rate:.0f} requests/s, {dict(load.statuses)}")
    assert load.statuses == {200: len(calls)}
    assert not Subscriber.objects.filter(status=Subscriber.Status.ACTIVE).exists()
    assert set(Subscriber.objects.values_list("unsubscribe_method", flat=True)) == {"one_click"}
