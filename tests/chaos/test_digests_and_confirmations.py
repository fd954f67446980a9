"""Scenarios 10–13: the emails that are not release mailings go through the same ledger, so the same faults
cost them nothing either. Digests sent by real workers that are killed mid-run; frequencies changed while a
digest run is being sent, with a release published exactly at DIGEST_HOUR; confirmation emails of sign-ups
made while the broker was down, or whose tasks the broker lost; and the time a restarted worker takes to
resume a mailing on its own, with no sweep from outside.

Each run ends with the provider's log compared with the ledger (audit.py): 0 lost, 0 duplicated, and no
more uncertain rows than messages were in flight."""

import asyncio
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.test import override_settings

from pressroom.newsroom.models import Release
from subscriptions import digests, emails, services, tasks
from subscriptions.digests import DigestMessage
from subscriptions.models import Delivery, DigestRun, Mailing, Subscriber
from tests.factories import ReleaseFactory
from tests.integration import free_port
from tests.mockprovider import Fault
from tests.subscriptions.conftest import signup_data
from tests.subscriptions.test_digest_delivery import UnreliableSink, running

from .audit import RunAudit
from .conftest import RUNS, SUBSCRIBERS, record
from .faults import RandomKills

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

DAILY = Subscriber.Frequency.DAILY


def daily_audience(count, prefix):
    addresses = [f"{prefix}{i:05d}@example.org" for i in range(count)]
    Subscriber.objects.bulk_create(
        [
            Subscriber(email=a, status=Subscriber.Status.ACTIVE, language="nb", frequency=DAILY)
            for a in addresses
        ]
    )
    return addresses


def in_last_period(hours_before_end=2):
    """A time inside the daily period that ended at the latest DIGEST_HOUR."""
    _start, end = digests.period(DAILY)
    return end - timedelta(hours=hours_before_end)


def forget_earlier_runs(chaos):
    """A run of a scenario starts from an empty ledger and provider log: its emails have the same
    subject as the last run's, to other addresses."""
    Mailing.objects.all().delete()
    DigestRun.objects.all().delete()
    Subscriber.objects.all().delete()
    with chaos.provider.lock:
        chaos.provider.accepted.clear()


def start(mailing_ids):
    for mailing_id in mailing_ids:
        tasks.start_sending(mailing_id)


def subject_of(mailing_id):
    return DigestMessage(Mailing.objects.get(pk=mailing_id)).subject


def digest_run_with_kills(chaos, worker, run):
    forget_earlier_runs(chaos)
    chaos.audience = daily_audience(SUBSCRIBERS, f"digest{run}-")
    ReleaseFactory(language="nb", published=True, published_at=in_last_period())
    chaos.provider.faults.clear()
    chaos.provider.fail_next(*[Fault(delay=chaos.random.uniform(0.05, 0.4)) for _ in range(500)])
    started = time.monotonic()
    planned = digests.plan(frequency=DAILY)
    assert len(planned) == 1  # one content, one mailing: sent in batches like a release
    start(planned)
    kills = RandomKills(worker, chaos.random, limit=6, alternate=True)
    found = chaos.wait_for(lambda: Mailing.objects.filter(pk__in=planned), during=kills, poll=0.1)
    result, _row = chaos.check_mailings(found, subject_of(planned[0]), started)
    # Uncertain rows are the messages in flight when a sender died: at most a batch call per kill.
    assert result.uncertain <= kills.kills.total() * 100
    assert kills.kills, "the digest run ended before any kill"


def test_a_digest_run_whose_workers_are_killed_loses_and_repeats_nothing(scenario):
    chaos = scenario("10. digest run, worker processes SIGKILLed")
    worker = chaos.worker(pool="prefork", concurrency=2)
    for run in range(RUNS):
        digest_run_with_kills(chaos, worker, run)


def releases_had():
    """{address: [release id, …]} over every digest and release mailing row that was sent."""
    had = {}
    sent = Delivery.objects.filter(status=Delivery.Status.SENT).select_related("subscriber", "mailing")
    for row in sent:
        if row.mailing.kind == Mailing.Kind.DIGEST:
            ids = list(row.mailing.releases.values_list("pk", flat=True))
        else:
            ids = [row.mailing.release_id]
        had.setdefault(row.subscriber.email, []).extend(ids)
    return had


@override_settings(DIGEST_HOUR=7)
def test_frequencies_changed_during_a_digest_run_repeat_and_drop_nothing(scenario):
    chaos = scenario("11. digest: frequency changed during the run, release at DIGEST_HOUR")
    chaos.worker(pool="solo")
    for run in range(RUNS):
        forget_earlier_runs(chaos)
        Release.objects.all().delete()
        audience = daily_audience(min(SUBSCRIBERS, 600), f"freq{run}-")
        _start, boundary = digests.period(DAILY)
        boundary -= timedelta(days=1)  # the end of yesterday's period: a past DIGEST_HOUR
        earlier = ReleaseFactory(language="nb", published=True, published_at=boundary - timedelta(hours=3))
        on_the_hour = ReleaseFactory(language="nb", published=True, published_at=boundary)
        started = time.monotonic()

        # The run of the period that ends at BOUNDARY: the release published on the hour is not in it.
        first = digests.plan(frequency=DAILY, now=boundary + timedelta(minutes=30))
        chaos.provider.faults.clear()
        chaos.provider.fail_next(*[Fault(delay=0.2) for _ in range(20)])
        start(first)
        # While it is being sent, a third go weekly and a third immediately (a catch-up digest).
        subscribers = list(Subscriber.objects.order_by("pk"))
        for index, subscriber in enumerate(subscribers):
            if index % 3 == 1:
                services.update_preferences(
                    subscriber=subscriber, language="nb", topics=[], frequency="weekly"
                )
            elif index % 3 == 2:
                services.update_preferences(
                    subscriber=subscriber, language="nb", topics=[], frequency="immediately"
                )
        chaos.wait_for(lambda: Mailing.objects.filter(kind=Mailing.Kind.DIGEST))
        # The next day's daily run and the week's weekly run.
        second = digests.plan(frequency=DAILY, now=boundary + timedelta(days=1, minutes=30))
        weekly = digests.plan(frequency=Subscriber.Frequency.WEEKLY, now=boundary + timedelta(days=6))
        start(second + weekly)
        found = chaos.wait_for(lambda: Mailing.objects.filter(kind=Mailing.Kind.DIGEST))

        # Every subscriber had each release once, by whatever way their frequency took them.
        had = releases_had()
        assert sorted(had) == sorted(audience)
        wrong = {a: ids for a, ids in had.items() if sorted(ids) != sorted([earlier.pk, on_the_hour.pk])}
        assert not wrong, list(wrong.items())[:5]
        # And the provider's log matches the ledger: per address, as many digests as rows sent.
        chaos.provider.settle()
        with chaos.provider.lock:
            accepted = Counter(entry["to"] for entry in chaos.provider.accepted)
            chaos.provider.accepted.clear()
        rows = Delivery.objects.filter(mailing__in=found)
        sent = Counter(rows.filter(status=Delivery.Status.SENT).values_list("subscriber__email", flat=True))
        result = RunAudit(recipients=rows.count())
        result.by_status.update(rows.values_list("status", flat=True))
        result.lost = [address for address in sent if accepted[address] < sent[address]]
        result.duplicated = [address for address in accepted if accepted[address] > sent[address]]
        record(chaos.name, result, time.monotonic() - started, 0)
        assert not (result.lost or result.duplicated or result.uncertain), result


def test_confirmations_asked_for_while_the_broker_was_down_or_lost_arrive_once(scenario, client):
    chaos = scenario("12. confirmation emails: broker down at sign-up, tasks lost")
    chaos.worker(pool="solo")
    for run in range(RUNS):
        started = time.monotonic()
        forget_earlier_runs(chaos)
        addresses = [f"signup{run}-{i:04d}@example.org" for i in range(60)]
        # The broker is down when people sign up: each is answered, and each row is in the ledger.
        chaos.broker.kill()
        with override_settings(SUBSCRIPTIONS_SIGNUP_LIMIT_PER_IP=1000):
            for address in addresses[:20]:
                response = client.post("/subscribe/", signup_data(address))
                assert response.status_code == 200
        chaos.broker.start()
        # The broker takes the tasks of the next ones and dies before a worker takes them.
        worker = chaos.workers[0]
        worker.kill()
        for address in addresses[20:]:
            services.sign_up(email=address)
        chaos.broker.kill()
        chaos.broker.start()
        worker.start()
        assert Subscriber.objects.owed_confirmation().count() == len(addresses)

        found = chaos.wait_for(lambda: Mailing.objects.filter(kind=Mailing.Kind.CONFIRMATION))
        assert not Subscriber.objects.owed_confirmation().exists()
        subject = emails.confirmation_message(Subscriber.objects.first()).subject
        result, _row = chaos.check_mailings(found, subject, started, audience=addresses)
        assert result.by_status[Delivery.Status.SENT] == len(addresses)


def resume_after_restart(chaos, worker):
    started = time.monotonic()
    chaos.provider.faults.clear()
    chaos.provider.fail_next(*[Fault(delay=0.3) for _ in range(200)])
    release = chaos.publish()
    rows = Delivery.objects.filter(mailing__kind=Mailing.Kind.RELEASE, mailing__release=release)
    deadline = time.monotonic() + 60
    while rows.filter(status=Delivery.Status.SENT).count() < 200:
        assert time.monotonic() < deadline, "the mailing did not start"
        time.sleep(0.1)
    worker.kill()
    time.sleep(10)
    with chaos.provider.lock:
        before = len(chaos.provider.accepted)
    worker.start()
    restarted = time.monotonic()
    # No sweep from outside: the worker resumes by itself (its start-up sweep).
    while True:
        with chaos.provider.lock:
            if len(chaos.provider.accepted) > before:
                break
        assert time.monotonic() - restarted < 60, "the restarted worker did not resume"
        time.sleep(0.05)
    resumed = time.monotonic() - restarted
    chaos.wait(release)
    mailing = Mailing.objects.get(kind=Mailing.Kind.RELEASE, release=release)
    _result, row = chaos.check_mailings(mailing, release.title, started)
    row["seconds to resume"] = max(row["seconds to resume"], round(resumed, 1))
    print(f"resumed {resumed:.1f} s after the restart")
    assert resumed < 10


def test_a_restarted_worker_resumes_a_mailing_within_seconds_on_its_own(scenario):
    chaos = scenario("13. worker killed mid-mailing, restarted 10 s later")
    chaos.create_audience()
    worker = chaos.worker(pool="solo")
    for _run in range(RUNS):
        resume_after_restart(chaos, worker)


class DroppingSink(UnreliableSink):
    """An SMTP server that closes the connection after every EVERY-th message (as servers limiting the
    messages per connection do) and reads one message's content without ever answering it."""

    every = 150

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if len(self.messages) % self.every == 0:
            asyncio.get_running_loop().call_soon(server.transport.close)
        return reply


def digest_over_dropping_smtp(chaos, run):
    forget_earlier_runs(chaos)
    audience = daily_audience(min(SUBSCRIBERS, 1000), f"smtp{run}-")
    ReleaseFactory(language="nb", published=True, published_at=in_last_period())
    sink = DroppingSink(free_port())
    sink.drop_during.add(audience[len(audience) // 2])  # its answer is lost: uncertain, at most once
    started = time.monotonic()
    with running(sink):
        chaos.worker(
            pool="solo",
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=sink.port,
            EMAIL_USE_TLS="false",
        )
        planned = digests.plan(frequency=DAILY)
        start(planned)
        found = chaos.wait_for(lambda: Mailing.objects.filter(pk__in=planned))
        time.sleep(1)  # the sink has handled what it was sent
        received = Counter(rcpt for _sender, rcpts in sink.envelopes for rcpt in rcpts)
    chaos.retire(chaos.workers[-1])
    rows = Delivery.objects.filter(mailing__in=found)
    by_address = dict(rows.values_list("subscriber__email", "status"))
    result = RunAudit(recipients=rows.count())
    result.by_status.update(by_address.values())
    result.lost = [
        a for a, status in by_address.items() if status == Delivery.Status.SENT and not received[a]
    ]
    result.duplicated = [a for a, times in received.items() if times > 1]
    result.strangers = [a for a in received if by_address.get(a) not in (Delivery.Status.SENT, "uncertain")]
    result.answer_lost = {a for a, s in by_address.items() if s == Delivery.Status.UNCERTAIN and received[a]}
    record(chaos.name, result, time.monotonic() - started, 0)
    assert not (result.lost or result.duplicated or result.strangers), result
    assert sorted(by_address) == sorted(audience)
    # Connections closed between messages cost nothing: only the message whose answer was lost is uncertain.
    assert result.uncertain <= 1
    assert len(sink.messages) // DroppingSink.every >= 3, "the server closed the connection too rarely"


def test_a_digest_run_over_smtp_whose_connections_drop_loses_and_repeats_nothing(scenario):
    chaos = scenario("14. digest over SMTP, connections closed every 150 messages, an answer lost")
    for run in range(RUNS):
        digest_over_dropping_smtp(chaos, run)
