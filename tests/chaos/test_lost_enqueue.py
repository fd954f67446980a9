"""Scenario 7: the publication commits, but its task never reaches a worker: the broker is down when it
is queued, the broker loses it (killed before a worker took it, without persistence), or the process dies
between the commit and the enqueue. The mailing waits in the database; the sweeper starts it."""

import subprocess
import sys
import time

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from pressroom.newsroom.models import Release
from subscriptions.models import Mailing
from tests.factories import ReleaseFactory
from tests.pressroom.newsroom.test_admin import CHANGELIST

from .conftest import RUNS
from .processes import BASE_DIR, worker_env

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

# Publish RELEASE and die (SIGKILL) at the moment the committed publication's task would be queued.
CRASH_AFTER_COMMIT = """
import os, signal, sys
import django
django.setup()
from pressroom.newsroom.models import Release
from pressroom.newsroom.services import publish_release
from subscriptions import tasks
tasks.prepare_mailing.delay = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
publish_release(release=Release.objects.get(pk=int(sys.argv[1])))
print("the process survived the enqueue")
"""


def assert_waiting(release):
    assert Release.objects.get(pk=release.pk).status == Release.Status.PUBLISHED
    assert Mailing.objects.get(release=release).status == Mailing.Status.PREPARING


def test_a_publication_whose_task_never_reached_a_worker_is_sent_by_the_sweeper(scenario, admin_client):
    chaos = scenario("7. publication committed, its task lost")
    chaos.create_audience()
    for _run in range(RUNS):
        # The broker takes the task and dies (no persistence) before any worker is there to take it.
        started = time.monotonic()
        release = chaos.publish()
        chaos.broker.kill()
        chaos.broker.start()
        worker = chaos.worker(pool="solo")
        assert_waiting(release)
        chaos.wait(release)
        chaos.check(release, started)

        # The broker is down when the editor publishes: the editor sees the publication succeed.
        started = time.monotonic()
        release = ReleaseFactory(language="nb")
        chaos.broker.kill()
        response = admin_client.post(
            CHANGELIST,
            {"action": "publish_now", ACTION_CHECKBOX_NAME: [release.pk], "index": "0", "confirm": "1"},
        )
        assert response.status_code == 302
        assert_waiting(release)
        chaos.broker.start()
        chaos.wait(release)
        chaos.check(release, started)

        # The publishing process is killed between the commit and the enqueue.
        started = time.monotonic()
        release = ReleaseFactory(language="nb")
        env = worker_env(chaos.broker, chaos.provider)
        crash = subprocess.run(
            [sys.executable, "-c", CRASH_AFTER_COMMIT, str(release.pk)],
            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert crash.returncode == -9, crash.stdout + crash.stderr
        assert_waiting(release)
        chaos.wait(release)
        chaos.check(release, started)
        chaos.retire(worker)
