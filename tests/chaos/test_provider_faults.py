"""Scenario 4: the provider answers 500 and 503, 429 with Retry-After, too slowly (past anymail's
timeout), or resets the connection. Refusals are retried until accepted; a slow answer or a reset after
the request went out may have been accepted, so those rows are uncertain and never sent again by
themselves."""

import time

import pytest

from tests.mockprovider import Fault

from .conftest import RUNS

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

TIMEOUT = 1  # ANYMAIL_REQUESTS_TIMEOUT, seconds


def test_provider_errors_are_retried_and_ambiguous_answers_are_uncertain(scenario):
    chaos = scenario("4. provider 500/503, 429 Retry-After, slow past the timeout, resets")
    chaos.create_audience()
    rng = chaos.random
    chaos.worker(pool="prefork", concurrency=2, ANYMAIL_REQUESTS_TIMEOUT=TIMEOUT)
    for _run in range(RUNS):
        started = time.monotonic()
        faults = [
            *[Fault(status=500) for _ in range(6)],
            *[Fault(status=503) for _ in range(3)],
            *[Fault(status=429, retry_after=1) for _ in range(6)],
            *[Fault(delay=TIMEOUT + 0.5) for _ in range(2)],
            *[Fault(reset=True) for _ in range(2)],
            # Fewer clean answers than batches: every fault is drawn before the last batch is accepted.
            *[None for _ in range(10)],
        ]
        rng.shuffle(faults)
        chaos.provider.faults.clear()
        chaos.provider.fail_next(*faults)
        release = chaos.publish()

        chaos.wait(release)
        result = chaos.check(release, started)
        assert not chaos.provider.faults, "some faults were never drawn"

        # Each slow answer and each reset leaves its batch of 100 uncertain; every refusal was retried.
        assert result.uncertain == 4 * 100, result.by_status
        assert result.by_status["sent"] == len(chaos.audience) - 400
        assert len(result.answer_lost) == 200  # the slow ones were accepted after the client gave up
