"""Health: /healthz for web processes, `check_workers` for Celery workers, and JSON logs."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.test import override_settings

from pressroom.celery import app
from pressroom.ops import health
from pressroom.ops.logs import JsonFormatter
from tests.integration import celery_worker

BASE_DIR = Path(__file__).resolve().parents[3]


# /healthz


@pytest.mark.django_db
def test_healthz_answers_ok_in_json(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert "no-store" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
)
def test_healthz_is_degraded_not_failed_when_the_cache_is_unreachable(client, caplog):
    response = client.get("/healthz")

    # Pages are served uncached without Redis: a load balancer must keep sending traffic.
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "checks": {"database": "ok", "cache": "error"}}
    assert "health check cache failed: ConnectionError" in caplog.text


@pytest.mark.django_db
def test_healthz_fails_when_the_database_is_unreachable(client, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", Unreachable())

    response = client.get("/healthz")

    assert response.status_code == 503
    # The answer says what failed, not why: the cause is in the log.
    assert response.json() == {"status": "error", "checks": {"database": "error", "cache": "ok"}}
    assert b"refused" not in response.content


# check_workers


@pytest.fixture
def queued_tasks():
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        yield
    app.conf.task_always_eager = eager


def test_check_workers_refuses_in_eager_mode():
    with pytest.raises(CommandError, match="CELERY_TASK_ALWAYS_EAGER is on"):
        call_command("check_workers", timeout=0.1)


def test_check_workers_fails_when_no_worker_answers(queued_tasks):
    with pytest.raises(CommandError, match=r"0 of 1 expected worker\(s\) answered within 0.5 s"):
        call_command("check_workers", timeout=0.5)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_check_workers_sees_a_running_worker(queued_tasks):
    with celery_worker() as worker:
        out = io.StringIO()
        call_command("check_workers", timeout=5, stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2, worker.log
    assert lines[0].startswith("test-") and lines[0].endswith(": pong")
    assert lines[1] == "1 worker(s) answered."
    with pytest.raises(CommandError, match=r"0 of 1"):
        call_command("check_workers", timeout=0.5)


# Structured logs


def test_json_log_lines_carry_the_message_extra_fields_and_the_exception():
    formatter = JsonFormatter()
    logger = logging.getLogger("pressroom.test")
    try:
        raise ValueError("bad value")
    except ValueError:
        record = logger.makeRecord(
            "pressroom.test", logging.ERROR, __file__, 1, "mailing %s failed", (42,), sys.exc_info(),
            extra={"mailing": 42, "release": "nye-tall"},
        )  # fmt: skip

    data = json.loads(formatter.format(record))

    assert data["level"] == "ERROR"
    assert data["logger"] == "pressroom.test"
    assert data["message"] == "mailing 42 failed"
    assert (data["mailing"], data["release"]) == (42, "nye-tall")
    assert data["exception"].startswith("Traceback") and "ValueError: bad value" in data["exception"]
    assert data["time"].endswith("+00:00")
    assert "\n" not in formatter.format(record)


def settings_run(env, tmp_path, code):
    return subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "PYTHONPATH": str(BASE_DIR),
            "PRESSROOM_VAR_DIR": str(tmp_path / "var"),
            "DJANGO_SETTINGS_MODULE": "pressroom.settings",
            "DEBUG": "true",
            **env,
        },
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_log_format_json_switches_django_and_celery_to_json_lines(tmp_path):
    code = (
        "import django, logging; django.setup(); from django.conf import settings; "
        "print(settings.CELERY_WORKER_HIJACK_ROOT_LOGGER); "
        "logging.getLogger('pressroom').warning('hello %s', 'x')"
    )
    result = settings_run({"LOG_FORMAT": "json"}, tmp_path, code)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert (line["level"], line["logger"], line["message"]) == ("WARNING", "pressroom", "hello x")


def test_an_unknown_log_format_is_refused(tmp_path):
    result = settings_run({"LOG_FORMAT": "xml"}, tmp_path, "from django.conf import settings; settings.DEBUG")
    assert result.returncode != 0
    assert "LOG_FORMAT must be plain or json, not 'xml'." in result.stderr
