"""Scenario 2: the broker is killed with kill -9 in the middle of the fan-out and started again, with
persistence (append-only file, fsync always) and without. Without it every queued task is gone when it
comes back: the sweeper restarts the mailing once it has been idle for MAILING_STALL_SECONDS."""

import time

import pytest

from tests.mockprovider import Fault

from .conftest import RUNS

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

OUTAGES = 3


def run_with_outages(chaos):
    rng = chaos.random
    started = time.monotonic()
    chaos.provider.faults.clear()
    chaos.provider.fail_next(*[Fault(delay=rng.uniform(0.1, 0.4)) for _ in range(500)])
    release = chaos.publish()
    outages = []
    next_outage = time.monotonic() + rng.uniform(0.3, 1.0)

    def kill_the_broker():
        nonlocal next_outage
        if len(outages) >= OUTAGES or time.monotonic() < next_outage:
            return
        chaos.broker.kill()
        down = rng.uniform(0.2, 2.0)
        time.sleep(down)
        chaos.broker.start()
        outages.append(round(down, 1))
        next_outage = time.monotonic() + rng.uniform(0.5, 2.0)

    chaos.wait(release, during=kill_the_broker, poll=0.1)
    chaos.check(release, started)
    print(f"broker down for {outages} s; the sweeper: {dict(chaos.swept)}")
    assert outages, "the broker was never killed: the fan-out ended first"


@pytest.mark.parametrize("persistent", [False, True], ids=["no persistence", "append-only file"])
def test_a_broker_killed_mid_fan_out_loses_and_repeats_nothing(scenario, persistent):
    chaos = scenario(
        f"2. broker kill -9 and restart ({'append-only file' if persistent else 'no persistence'})",
        persistent=persistent,
    )
    chaos.create_audience()
    worker = chaos.worker(pool="prefork", concurrency=2)
    for _run in range(RUNS):
        run_with_outages(chaos)
    assert any("Connection to broker lost" in line for line in worker.all_lines)
