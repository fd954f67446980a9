"""Scenario 5: the provider accepts a batch and the connection drops before its answer arrives. Exactly
those recipients are uncertain; nothing is sent to them again by itself, and everyone else gets one."""

import time

import pytest

from subscriptions.models import Delivery, Mailing
from tests.mockprovider import Fault

from .conftest import RUNS, SUBSCRIBERS

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

BATCH = 100


def test_exactly_the_recipients_of_a_batch_whose_answer_was_lost_are_uncertain(scenario):
    chaos = scenario("5. answer lost after the provider accepted")
    chaos.create_audience()
    chaos.worker(pool="prefork", concurrency=2)
    batches = -(-SUBSCRIBERS // BATCH)
    for _run in range(RUNS):
        started = time.monotonic()
        dropped = set(chaos.random.sample(range(batches), 3))
        chaos.provider.faults.clear()
        chaos.provider.fail_next(
            *[Fault(drop_after_accept=True) if i in dropped else None for i in range(batches)]
        )
        release = chaos.publish()

        chaos.wait(release)
        result = chaos.check(release, started)

        mailing = Mailing.objects.get(release=release)
        uncertain = set(
            Delivery.objects.filter(mailing=mailing, status=Delivery.Status.UNCERTAIN).values_list(
                "subscriber__email", flat=True
            )
        )
        assert len(uncertain) == len(dropped) * BATCH
        assert uncertain == result.answer_lost  # the provider has every one of them, once
        assert result.by_status[Delivery.Status.SENT] == SUBSCRIBERS - len(uncertain)
