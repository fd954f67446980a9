"""Scenario 1: workers SIGKILLed at random moments of the fan-out (before a provider call, during it,
while the results are written), many times: a pool process alone, or the whole worker, which its
supervisor starts again. acks_late and reject_on_worker_lost bring back a killed pool process's task; the
sweeper brings back what a killed main process held, and settles the rows a killed batch left in flight."""

import time

import pytest

from tests.mockprovider import Fault

from .conftest import RUNS
from .faults import RandomKills

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

KILLS = 8
WHOLE_WORKER_KILLS = 3  # at most, per run: each costs a restart of a few seconds


def run_with_kills(chaos, worker):
    rng = chaos.random
    started = time.monotonic()
    # Slow answers spread the fan-out over a few seconds, so the kills land all through it.
    chaos.provider.faults.clear()
    chaos.provider.fail_next(*[Fault(delay=rng.uniform(0.05, 0.4)) for _ in range(500)])
    release = chaos.publish()
    kills = RandomKills(worker, rng, limit=KILLS, whole_limit=WHOLE_WORKER_KILLS)
    chaos.wait(release, during=kills, poll=0.1)
    chaos.check(release, started)
    print(f"kills: {dict(kills.kills)}")
    assert kills.kills.total() >= KILLS // 2, f"the fan-out ended after {dict(kills.kills)} kills"


def test_workers_killed_at_random_moments_lose_and_repeat_nothing(scenario):
    chaos = scenario("1. worker processes SIGKILLed")
    chaos.create_audience()
    worker = chaos.worker(pool="prefork", concurrency=2)
    for _run in range(RUNS):
        run_with_kills(chaos, worker)
