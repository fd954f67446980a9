"""Liveness and readiness as load balancers use them: a Redis outage makes the site slower, not down, so
readiness stays 200 (degraded); only the database being unreachable takes a process out."""

import socket

import pytest
from django.test import override_settings

from tests.factories import ReleaseFactory

pytestmark = pytest.mark.django_db


def closed_port():
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down():
    """The cache and the project's own Redis client (page cache, view counters) pointed at a closed port."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "pressroom",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with override_settings(CACHES=caches, REDIS_URL=url):
        yield


@pytest.fixture
def database_down(settings):
    """The database refuses every query: on SQLite a connection to a file that cannot be opened, on
    PostgreSQL one to a closed port."""
    from django.db import connection

    real = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/dir/db.sqlite3"
    else:
        connection.settings_dict["PORT"] = closed_port()
        connection.settings_dict["HOST"] = "127.0.0.1"
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(real)


def test_liveness_answers_without_asking_anything_else(client):
    response = client.get("/healthz/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_readiness_is_ok_when_everything_answers(client):
    for url in ("/healthz/ready", "/healthz"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
        assert "no-store" in response["Cache-Control"]


def test_redis_down_degrades_readiness_but_does_not_fail_it(client, redis_down, caplog):
    for url in ("/healthz/ready", "/healthz"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.json() == {"status": "degraded", "checks": {"database": "ok", "cache": "error"}}
    assert client.get("/healthz/live").status_code == 200
    assert "health check cache failed: ConnectionError" in caplog.text


def test_redis_down_pages_are_still_served(client, redis_down):
    release = ReleaseFactory(published=True)

    response = client.get(release.get_absolute_url())

    assert response.status_code == 200
    assert release.title in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_database_down_fails_readiness_but_not_liveness(client, database_down):
    assert client.get("/healthz/live").status_code == 200
    for url in ("/healthz/ready", "/healthz"):
        response = client.get(url)
        assert response.status_code == 503
        assert response.json() == {"status": "error", "checks": {"database": "error", "cache": "ok"}}


def test_probes_answer_only_get_and_head(client):
    assert client.post("/healthz/live").status_code == 405
    assert client.post("/healthz/ready").status_code == 405
    assert client.head("/healthz/live").status_code == 200
