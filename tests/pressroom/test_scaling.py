"""docs/scaling.md walks from one laptop to several machines: its sections are there, every setting it
names is one the settings read, every command it names exists, and the queues it describes are routed."""

import re
from pathlib import Path

import pytest
from django.core.management import get_commands

from tests.pressroom.test_storage_s3 import settings_under

BASE_DIR = Path(__file__).resolve().parents[2]
DOC = (BASE_DIR / "docs" / "scaling.md").read_text()
SETTINGS = (BASE_DIR / "pressroom" / "settings.py").read_text()


def test_the_walk_through_has_its_sections():
    headings = re.findall(r"^#+ (.+)$", DOC, re.MULTILINE)
    assert headings == [
        "Scaling: from one laptop to several machines",
        "1. One laptop",
        "2. One server",
        "3. Several machines",
        "PostgreSQL",
        "Redis",
        "Web machines",
        "Workers, queues and concurrency",
        "Beat: exactly one",
        "Media on S3-compatible storage",
        "Logs",
        "Checklist",
    ]


NAMED = set(re.findall(r"`([A-Z][A-Z0-9_]{3,})(?:=[^`]*)?`", DOC)) | set(
    re.findall(r"\b([A-Z][A-Z0-9_]{3,})=", DOC)
)


@pytest.mark.parametrize("name", sorted(NAMED))
def test_every_setting_it_names_is_read_by_the_settings(name):
    base = name.removesuffix("_FILE")
    assert re.search(rf"env\w*\(\s*\"{base}\"", SETTINGS), f"{name} is not read in pressroom/settings.py"


@pytest.mark.parametrize("command", sorted(set(re.findall(r"manage\.py (\w+)", DOC))))
def test_every_command_it_names_exists(command):
    assert command in get_commands()


def test_the_queues_it_describes_are_routed(tmp_path):
    env = {"CELERY_MAIL_QUEUE": "mail", "CELERY_FILES_QUEUE": "files"}
    routes = settings_under(env, tmp_path, "CELERY_TASK_ROUTES")["CELERY_TASK_ROUTES"]
    assert routes["subscriptions.tasks.send_mailing"] == {"queue": "mail"}
    assert routes["subscriptions.tasks.send_digests"] == {"queue": "mail"}
    assert routes["pressroom.press.tasks.build_presskit"] == {"queue": "files"}
    defaults = settings_under({}, tmp_path, "CELERY_TASK_ROUTES")["CELERY_TASK_ROUTES"]
    assert {route["queue"] for route in defaults.values()} == {"celery"}
