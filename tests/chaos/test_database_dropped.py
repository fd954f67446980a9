"""Scenario 9: the database drops the workers' connections while batches are claimed, handed over and
their results written (pg_terminate_backend, again and again). A transaction cut short rolls back; the
rows it would have changed are settled by the sweeper: queued again if never handed over, uncertain if
the provider may have them."""

import time

import pytest
from django.db import connection

from tests.mockprovider import Fault

from .conftest import RUNS
from .faults import RandomDrops

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

DROPS = 4  # drops that cut at least one connection, per run


def run_with_drops(chaos):
    rng = chaos.random
    started = time.monotonic()
    chaos.provider.faults.clear()
    chaos.provider.fail_next(*[Fault(delay=rng.uniform(0.05, 0.3)) for _ in range(500)])
    release = chaos.publish()
    drops = RandomDrops(rng, limit=DROPS)
    chaos.wait(release, during=drops, poll=0.05)
    chaos.check(release, started)
    print(f"connections dropped: {drops.dropped}")
    assert drops.dropped, "no connection was dropped: the scenario did not happen"


def test_database_connections_dropped_mid_batch_lose_and_repeat_nothing(scenario):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server connections to drop: each process opens the database file itself")
    chaos = scenario("9. database connections dropped (pg_terminate_backend)")
    chaos.create_audience()
    chaos.worker(pool="prefork", concurrency=2)
    for _run in range(RUNS):
        run_with_drops(chaos)
