"""Scenarios 15 and 16: a release mailing over SMTP, one message at a time on a pipelined connection, while
the workers are SIGKILLed or their database connections dropped. Each message is handed over just before
it goes (mailings.OneByOne), so a fault leaves uncertain only the messages in flight when it struck: at
most two per sender cut short (the one whose content was going out, and the next, whose commands went
with it), never its whole claim."""

import asyncio
import time

import pytest
from django.db import connection

from subscriptions.models import Mailing
from tests.integration import SMTPSink, free_port
from tests.subscriptions.test_digest_delivery import running

from .audit import audit, sink_entries
from .conftest import RUNS, record
from .faults import RandomDrops, RandomKills

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]


class SlowSink(SMTPSink):
    """An SMTP server taking a few milliseconds over each message, so that a mailing lasts long enough
    for the faults to land all through it."""

    def __init__(self, port, rng):
        super().__init__(port)
        self.rng = rng

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.rng.uniform(0.001, 0.006))
        return await super().handle_DATA(server, session, envelope)


def smtp_worker(chaos, sink, **options):
    return chaos.worker(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=sink.port,
        EMAIL_USE_TLS="false",
        **options,
    )


def mailing_with_faults(chaos, sink, fault):
    """Publish, call FAULT between sweeps until the mailing is done, and audit the ledger against what
    the sink received."""
    started = time.monotonic()
    sink.messages.clear()
    sink.envelopes.clear()
    release = chaos.publish()
    chaos.wait(release, during=fault, poll=0.05)
    time.sleep(1)  # what the sink is still reading is counted before the audit
    mailing = Mailing.objects.get(kind=Mailing.Kind.RELEASE, release=release)
    result = audit(mailing, sink_entries(sink), eligible=chaos.audience)
    record(chaos.name, result, time.monotonic() - started, 0)
    assert not result.problems(), result.problems()
    return result


def test_workers_killed_while_sending_over_smtp_leave_only_the_messages_in_flight_uncertain(scenario):
    chaos = scenario("15. SMTP one by one, worker processes SIGKILLed")
    chaos.create_audience()
    with running(SlowSink(free_port(), chaos.random)) as sink:
        worker = smtp_worker(chaos, sink, pool="prefork", concurrency=2)
        for _run in range(RUNS):
            kills = RandomKills(
                worker, chaos.random, limit=6, first=(0.2, 0.6), gap=(0.3, 1.0), alternate=True
            )
            result = mailing_with_faults(chaos, sink, kills)
            print(f"kills: {dict(kills.kills)}, uncertain: {result.uncertain}")
            assert kills.kills, "the mailing ended before any kill"
            # A killed pool process cuts one sender short, a killed worker both of its own.
            assert result.uncertain <= 2 * 2 * kills.kills.total(), result.by_status


def test_database_connections_dropped_while_sending_over_smtp_leave_only_the_messages_in_flight_uncertain(
    scenario,
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server connections to drop: each process opens the database file itself")
    chaos = scenario("16. SMTP one by one, database connections dropped")
    chaos.create_audience()
    with running(SlowSink(free_port(), chaos.random)) as sink:
        smtp_worker(chaos, sink, pool="prefork", concurrency=2)
        for _run in range(RUNS):
            drops = RandomDrops(chaos.random, limit=4)
            result = mailing_with_faults(chaos, sink, drops)
            print(f"connections dropped: {drops.dropped}, uncertain: {result.uncertain}")
            assert drops.dropped, "no connection was dropped: the scenario did not happen"
            assert result.uncertain <= 2 * sum(drops.dropped), result.by_status
