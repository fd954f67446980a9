"""A page whose database connection is lost while it is being served (its backend terminated under a
query) is run once more on a new connection: the reader gets the page, not a 503. A statement cancelled
at its timeout is not run again."""

import threading
import time

import pytest
from django.db import connection

from pressroom.newsroom.models import Release
from tests.factories import ReleaseFactory

from .test_database_unavailable import assert_unavailable, postgres_only, second_connection

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def terminate_when_waiting(pid, operator, done):
    """End backend PID once it waits for the lock OPERATOR holds, then let the lock go."""
    with second_connection() as watcher:
        for _ in range(1000):  # at most ~20 s: the request has started and reaches the lock well before
            waiting = watcher.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'", [pid]
            ).fetchone()
            if waiting:
                done["terminated"] = watcher.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
                break
            time.sleep(0.02)
    operator.rollback()


def test_a_page_whose_backend_is_terminated_under_a_query_is_served_on_a_new_connection(client, caplog):
    release = ReleaseFactory(published=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    done = {}
    # Another session holds the releases table, so the page's query waits on it; the backend is
    # terminated while it waits, and the lock let go.
    with second_connection() as operator:
        operator.autocommit = False
        operator.execute(f"LOCK TABLE {Release._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        thread = threading.Thread(target=terminate_when_waiting, args=(pid, operator, done))
        thread.start()
        try:
            response = client.get(release.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
        finally:
            thread.join(30)

    assert done.get("terminated") is True
    assert response.status_code == 200
    assert release.title.encode() in response.content
    assert f"database connection lost, running GET {release.get_absolute_url()} again" in caplog.text


def test_a_statement_cancelled_at_its_timeout_is_not_run_again(client, caplog):
    ReleaseFactory(published=True)
    with second_connection() as operator, operator.transaction():
        operator.execute(f"LOCK TABLE {Release._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 200")
        try:
            response = client.get("/")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")

    assert_unavailable(response)
    assert "running GET / again" not in caplog.text
