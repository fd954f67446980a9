"""Scenario 3: a broker visibility timeout shorter than a batch. A sender task still running after a second
is handed to another worker process as well, so two copies of it claim and send side by side: the claims
must keep them off each other's rows."""

import re
import time
from collections import Counter

import pytest

from tests.mockprovider import Fault

from .conftest import RUNS

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

RECEIVED = re.compile(r"Task (subscriptions\.tasks\.send_mailing\[[0-9a-f-]+\]) received")


def test_a_task_delivered_again_while_it_runs_sends_nothing_twice(scenario):
    chaos = scenario("3. visibility timeout (1 s) shorter than a batch")
    chaos.create_audience()
    rng = chaos.random
    worker = chaos.worker(pool="prefork", concurrency=3, CELERY_VISIBILITY_TIMEOUT=1)
    for _run in range(RUNS):
        started = time.monotonic()
        chaos.provider.faults.clear()
        # Every other answer takes longer than the visibility timeout.
        chaos.provider.fail_next(*[Fault(delay=rng.choice([0.1, rng.uniform(1.2, 2.0)])) for _ in range(500)])
        release = chaos.publish()

        chaos.wait(release)
        chaos.check(release, started)

    redelivered = [
        task for task, times in Counter(RECEIVED.findall("\n".join(worker.all_lines))).items() if times > 1
    ]
    print(f"tasks delivered more than once: {len(redelivered)}")
    assert redelivered, "no task was delivered twice: the scenario did not happen"
