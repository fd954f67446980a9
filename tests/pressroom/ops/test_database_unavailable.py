"""Bounded work per request: a database that refuses, drops the connection or cancels a statement at its
timeout gives a clean 503 with Retry-After, never a 500; web processes run under a statement timeout,
workers and commands do not."""

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.db import connection

from tests.factories import ReleaseFactory

BASE_DIR = Path(__file__).resolve().parents[3]

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: SQLite has no statement timeout or backends"
)


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_unavailable(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "no-store" in response["Cache-Control"]
    assert b"Traceback" not in response.content


def second_connection():
    """A connection of the test's own, apart from Django's, to act on the server as an operator would."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    return psycopg.connect(**params, autocommit=True)


@pytest.fixture
def database_refuses():
    """Django's connection pointed where no database answers."""
    real = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/dir/db.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=closed_port())
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(real)


@pytest.mark.django_db(transaction=True)
def test_a_database_that_refuses_connections_gives_503_with_retry_after(client, database_refuses, caplog):
    response = client.get("/en/")

    assert_unavailable(response)
    assert b"Please try again in 5 seconds" in response.content
    assert "database unavailable, answered 503: GET /en/: OperationalError" in caplog.text


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_terminated_backend_gives_503_and_the_next_request_reconnects(client):
    release = ReleaseFactory(published=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with second_connection() as operator:
        operator.execute("SELECT pg_terminate_backend(%s)", [pid])

    # A POST (a one-click unsubscribe: its subscriber is looked up first) is not run again on a new
    # connection, as a GET is (test_database_connection_lost.py): it may have changed something.
    assert_unavailable(
        client.post("/subscribe/u/an-unsubscribe-token-of-32-chars/", {"List-Unsubscribe": "One-Click"})
    )
    # Django drops the broken connection when the request ends; the next request gets a new one.
    connection.close_if_unusable_or_obsolete()
    assert client.get(release.get_absolute_url()).status_code == 200


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_statement_cancelled_at_its_timeout_gives_503(client):
    release_table = ReleaseFactory(published=True)._meta.db_table
    # Another session holds the releases table, so the page's query waits until the timeout cancels it.
    with second_connection() as operator, operator.transaction():
        operator.execute("SET lock_timeout = '10s'")
        operator.execute(f"LOCK TABLE {release_table} IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 200")
        try:
            response = client.get("/")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")

    assert_unavailable(response)


def show_statement_timeout(code_before):
    """statement_timeout of a fresh process's database connection, after CODE_BEFORE has run."""
    code = code_before + (
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('SHOW statement_timeout')\n"
        "    print(cursor.fetchone()[0])\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PRESSROOM_PROCESS", "DJANGO_SETTINGS_MODULE")
    }
    # The test database: the one DATABASE_URL names may not exist.
    database_url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}")
    env |= {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url.geturl(),
        "DATABASE_STATEMENT_TIMEOUT_MS": "2500",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@postgres_only
@pytest.mark.django_db
def test_web_processes_run_under_the_statement_timeout():
    assert show_statement_timeout("import pressroom.wsgi\n") == "2500ms"


@postgres_only
@pytest.mark.django_db
def test_workers_and_commands_run_without_one():
    assert show_statement_timeout("import django\ndjango.setup()\n") == "0"
