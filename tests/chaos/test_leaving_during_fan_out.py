"""Scenario 8: subscribers leave while their release is being sent, through the one-click unsubscribe POST
of the email's List-Unsubscribe header and through the provider's bounce webhook, and both requests are
replayed. Nobody who had left when a batch was claimed is sent to in that batch or any later one."""

import time

import pytest
from django.test import Client
from django.utils import timezone

from subscriptions.models import Delivery, Mailing, Subscriber, TrackingEvent
from tests.mockprovider import Fault
from tests.subscriptions.test_tracking import ANYMAIL, mailgun_event, post

from .conftest import RUNS

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]


def unsubscribe_one_click(client, subscriber):
    return client.post(
        f"/subscribe/u/{subscriber.token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )


def run_with_leavers(chaos):
    rng = chaos.random
    client = Client()
    started = time.monotonic()
    chaos.provider.faults.clear()
    chaos.provider.fail_next(*[Fault(delay=rng.uniform(0.2, 0.4)) for _ in range(500)])
    Subscriber.objects.filter(email__in=chaos.audience).update(status=Subscriber.Status.ACTIVE)
    events_before = TrackingEvent.objects.count()
    release = chaos.publish()
    left_at = {}  # subscriber pk -> when their leaving was committed
    bounces = set()

    def leave():
        mailing = Mailing.objects.filter(release=release).first()
        rows = Delivery.objects.filter(mailing=mailing, subscriber__status=Subscriber.Status.ACTIVE)
        if mailing is None or not rows.exists():
            return
        # Mostly people whose row is still queued: the interesting ones.
        if rng.random() < 0.7:
            rows = rows.filter(status=Delivery.Status.QUEUED)
        pks = list(rows.values_list("subscriber_id", flat=True)[:500])
        for pk in rng.sample(pks, min(3, len(pks))):
            person = Subscriber.objects.get(pk=pk)
            replays = 2 if rng.random() < 0.3 else 1
            if rng.random() < 0.5:
                for _ in range(replays):
                    assert unsubscribe_one_click(client, person).status_code == 200
            else:
                payload = mailgun_event("failed", person.email, severity="permanent")
                bounces.add(payload["event-data"]["id"])
                for _ in range(replays):
                    assert post(client, payload).status_code == 200
            left_at.setdefault(pk, timezone.now())

    chaos.wait(release, during=leave, poll=0.05)
    result = chaos.check(release, started)

    rows = Delivery.objects.filter(mailing__release=release, subscriber_id__in=left_at).select_related(
        "subscriber"
    )
    rows = {row.subscriber_id: row for row in rows}
    sent_after_leaving = [
        (row.subscriber.email, row.claimed_at, left_at[pk])
        for pk, row in rows.items()
        if row.status in (Delivery.Status.SENT, Delivery.Status.UNCERTAIN) and row.claimed_at >= left_at[pk]
    ]
    assert not sent_after_leaving
    assert {row.subscriber.status for row in rows.values()} <= {"unsubscribed", "bounced"}
    skipped = sum(row.status == Delivery.Status.SKIPPED for row in rows.values())
    print(f"{len(left_at)} left during the fan-out, {skipped} of them before their batch was claimed")
    assert skipped, "nobody left before their batch: the scenario did not happen"
    assert result.by_status[Delivery.Status.SKIPPED] == skipped
    assert TrackingEvent.objects.count() == events_before + len(bounces)  # each replay handled once


def test_nobody_who_left_is_sent_to_in_a_later_batch(scenario, settings):
    settings.ANYMAIL = ANYMAIL  # the webhook's signing key and basic auth
    chaos = scenario("8. unsubscribes and bounce webhooks during the fan-out, replayed")
    chaos.create_audience()
    chaos.worker(pool="prefork", concurrency=2)
    for _run in range(RUNS):
        run_with_leavers(chaos)
