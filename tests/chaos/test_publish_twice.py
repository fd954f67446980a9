"""Scenario 6: publishing twice. The editor's double click on "Save and publish now", the bulk action
submitted twice, two requests at the same moment, and the publish tasks delivered twice: one mailing,
one ledger, one email per subscriber."""

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test import Client
from django.utils import timezone

from pressroom.newsroom import tasks as pressroom_tasks
from pressroom.newsroom.models import Release
from pressroom.newsroom.services import publish_release
from subscriptions import tasks
from subscriptions.models import Mailing
from tests.factories import ReleaseFactory
from tests.pressroom.newsroom.test_admin import CHANGELIST, change_url, form_data

from .conftest import RUNS

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]


def publish_action(client, release):
    return client.post(
        CHANGELIST,
        {"action": "publish_now", ACTION_CHECKBOX_NAME: [release.pk], "index": "0", "confirm": "1"},
    )


def test_double_submits_and_duplicated_publish_tasks_send_once(scenario, admin_client):
    chaos = scenario("6. publishing twice (double submit, duplicated tasks)")
    chaos.create_audience()
    chaos.worker(pool="prefork", concurrency=2)
    for _run in range(RUNS):
        # "Save and publish…" and its confirmation, submitted twice.
        started = time.monotonic()
        release = ReleaseFactory(language="nb")
        for _ in range(2):
            response = admin_client.post(change_url(release), form_data(title=release.title, _publish="1"))
            assert response.status_code == 302
            response = admin_client.post(response["Location"], {"confirm": "1"})
            assert response.status_code == 302
        chaos.wait(release)
        chaos.check(release, started)

        # The bulk action, submitted twice.
        started = time.monotonic()
        release = ReleaseFactory(language="nb")
        assert publish_action(admin_client, release).status_code == 302
        assert publish_action(admin_client, release).status_code == 302
        chaos.wait(release)
        chaos.check(release, started)

        # A scheduled release whose publish task is delivered twice, then its mailing's tasks too.
        started = time.monotonic()
        release = ReleaseFactory(language="nb")
        publish_release(release=release, at=timezone.now() + timedelta(seconds=1))
        time.sleep(1.1)
        pressroom_tasks.publish_due_releases.delay()
        pressroom_tasks.publish_due_releases.delay()
        deadline = time.monotonic() + 30
        while (
            not (mailing := Mailing.objects.filter(release=release).first()) and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        assert mailing is not None, chaos.workers[-1].log
        for _ in range(2):
            tasks.prepare_mailing.delay(mailing.pk)
            tasks.send_mailing.delay(mailing.pk)
        chaos.wait(release)
        chaos.check(release, started)
        assert Mailing.objects.filter(release=release).count() == 1


def publish_at_once(chaos, admin_user):
    """Two editors' requests to publish the same release, let go at the same moment."""
    started = time.monotonic()
    release = ReleaseFactory(language="nb")
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(admin_user)
    barrier = threading.Barrier(len(clients))
    answers = []

    def submit(client):
        try:
            barrier.wait()
            answers.append(publish_action(client, release).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert answers == [302, 302]
    chaos.wait(release)
    chaos.check(release, started)
    assert Mailing.objects.filter(release=release).count() == 1
    assert Release.objects.get(pk=release.pk).status == Release.Status.PUBLISHED


def test_two_publish_requests_at_the_same_moment_send_once(scenario, admin_user):
    # On SQLite the second request waits for the first one's write lock (IMMEDIATE transactions); on
    # PostgreSQL for its row lock on the release (select_for_update in publish_release).
    chaos = scenario("6. publishing twice (two requests at once)")
    chaos.create_audience()
    chaos.worker(pool="prefork", concurrency=2)
    for _run in range(RUNS):
        publish_at_once(chaos, admin_user)
