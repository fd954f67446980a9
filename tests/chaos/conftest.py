"""Fault scenarios: a real mailing to a few thousand subscribers through real Celery workers, a broker of
the scenario's own and the mock Mailgun provider on loopback, with something breaking on purpose.

The test process plays the periodic sweeper: it runs `tasks.sweep_mailings()` (the periodic task) in
this process between checks. At the end of every run the provider's log is compared with the ledger
(audit.py) and the figures are added to the table printed after the run (and written to CHAOS_REPORT if set).

CHAOS_RUNS repeats each scenario (default 1); CHAOS_SUBSCRIBERS sets the audience (default 2,000);
CHAOS_SEED replays the faults of a failed run.
"""

import contextlib
import json
import os
import random
import time
from collections import Counter

import pytest
from django.db.models import Count
from django.test import override_settings
from kombu.exceptions import OperationalError as BrokerError

from pressroom.celery import app
from pressroom.newsroom.services import publish_release
from subscriptions import mailings, tasks
from subscriptions.models import Delivery, Mailing, Subscriber
from tests.factories import ReleaseFactory

from .audit import RecordingProvider, audit
from .processes import Broker, Worker, worker_env

SUBSCRIBERS = int(os.environ.get("CHAOS_SUBSCRIBERS", "2000"))
RUNS = int(os.environ.get("CHAOS_RUNS", "1"))

# What the test process (the sweeper) uses; the workers get the same through worker_env().
SWEEPER_SETTINGS = {
    "MAILING_LEASE_SECONDS": 2,
    "MAILING_STALL_SECONDS": 3,
    "MAILING_PARALLELISM": 2,
    "MAILING_BATCH_SIZE": 100,
}

FIGURES = {}  # scenario -> Counter(runs, recipients, lost, duplicated, uncertain, …)


def record(scenario, result, seconds, crashes):
    row = FIGURES.setdefault(scenario, Counter())
    row["runs"] += 1
    row["recipients"] += result.recipients
    row["lost"] += len(result.lost)
    row["duplicated"] += len(result.duplicated)
    row["uncertain"] += result.uncertain
    row["uncertain, provider had it"] += len(result.answer_lost)
    row["failed"] += result.by_status[Delivery.Status.FAILED]
    row["skipped"] += result.by_status[Delivery.Status.SKIPPED]
    row["workers exited by themselves"] += crashes
    row["seconds"] += round(seconds, 1)
    return row


COLUMNS = ["runs", "recipients", "lost", "duplicated", "uncertain", "uncertain, provider had it",
           "failed", "skipped", "workers exited by themselves", "seconds", "seconds to resume"]  # fmt: skip


def _cell(row, column):
    if column == "seconds to resume":  # measured by one scenario only: the slowest of its runs
        return f"{row[column]:g}" if row[column] else "—"
    return f"{row[column]:g}" if column.startswith("seconds") else str(row[column])


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("fault scenarios: the provider's log against the ledger")
    terminalreporter.write_line("| scenario | " + " | ".join(COLUMNS) + " |")
    terminalreporter.write_line("|---" * (len(COLUMNS) + 1) + "|")
    for scenario, row in sorted(FIGURES.items(), key=lambda item: (int(item[0].split(".")[0]), item[0])):
        cells = [_cell(row, column) for column in COLUMNS]
        terminalreporter.write_line(f"| {scenario} | " + " | ".join(cells) + " |")
    if path := os.environ.get("CHAOS_REPORT"):
        with open(path, "w") as out:
            json.dump({scenario: dict(row) for scenario, row in FIGURES.items()}, out, indent=1)


def mailings_counted(mailing):
    rows = Delivery.objects.filter(mailing=mailing).values_list("status").annotate(n=Count("id"))
    return dict(rows.order_by())


def mailings_tallied(mailing):
    return mailings.counts(mailing.pk)


@contextlib.contextmanager
def queueing_on(broker_url):
    """This process queues its tasks on BROKER_URL instead of running them (the suite runs them eagerly)."""
    conf = app.conf
    saved = conf.broker_url, conf.task_always_eager

    def switch(url, eager):
        conf.broker_url, conf.task_always_eager = url, eager
        app._pool = None
        app.amqp._producer_pool = None

    switch(broker_url, False)
    try:
        yield
    finally:
        switch(*saved)


def create_audience(count, *, language="nb"):
    """COUNT active subscribers who want every release at once, and a few who must get nothing."""
    wanted = [f"chaos{i:05d}@example.org" for i in range(count)]
    Subscriber.objects.bulk_create(
        [Subscriber(email=address, status=Subscriber.Status.ACTIVE, language=language) for address in wanted]
        + [
            Subscriber(email="pending@example.org", status=Subscriber.Status.PENDING, language=language),
            Subscriber(email="left@example.org", status=Subscriber.Status.UNSUBSCRIBED, language=language),
            Subscriber(
                email="weekly@example.org",
                language=language,
                status=Subscriber.Status.ACTIVE,
                frequency=Subscriber.Frequency.WEEKLY,
            ),  # fmt: skip
            Subscriber(
                email="english@example.org",
                status=Subscriber.Status.ACTIVE,
                language="en",
                norwegian=False,
                english=True,
            ),
        ]
    )
    return wanted


# A mailing with queued rows and no progress for this long has no worker taking its tasks.
UNRESPONSIVE_SECONDS = 20


class Scenario:
    """One fault scenario's broker, provider, workers and sweeper loop."""

    def __init__(self, name, broker, provider):
        self.name = name
        self.broker = broker
        self.provider = provider
        self.workers = []
        self.audience = []
        # Faults are drawn from this generator: CHAOS_SEED=<the seed a failure names> replays a run.
        self.seed = int(os.environ.get("CHAOS_SEED") or random.randrange(10**6))
        self.random = random.Random(self.seed)
        self.swept = Counter()  # what the sweeper did, summed over the scenario
        self.crashes = []  # the last lines of each worker that exited by itself
        self.crashes_recorded = 0
        self.closed = False

    def worker(self, *, pool="solo", concurrency=1, **env):
        worker = Worker(worker_env(self.broker, self.provider, **env), pool=pool, concurrency=concurrency)
        self.workers.append(worker)
        return worker.start()

    def retire(self, worker):
        """Stop WORKER for good: the supervisor leaves it stopped."""
        worker.kill()
        self.workers.remove(worker)

    def create_audience(self, count=SUBSCRIBERS):
        self.audience = create_audience(count)
        return self.audience

    def publish(self, **release_fields):
        """A new release, published now: its mailing's tasks go to this scenario's broker."""
        release = ReleaseFactory(language="nb", **release_fields)
        publish_release(release=release)
        return release

    def supervise(self):
        """Start again every worker that is not running, as systemd (Restart=always) or a container's
        restart policy would; a worker that exited without being killed is recorded as a crash."""
        for worker in self.workers:
            if not worker.alive() and not self.closed:
                if not worker.killed:
                    self.crashes.append("\n".join(list(worker.lines)[-15:]))
                worker.start()

    def restart_unresponsive(self):
        """Restart workers that are running but no longer take tasks, as a liveness probe would (after a
        broker restart a kombu 5.7 worker can stay up without consuming). Counted with the crashes."""
        for worker in self.workers:
            if worker.alive():
                self.crashes.append("unresponsive:\n" + "\n".join(list(worker.lines)[-15:]))
                worker.kill()
                worker.start()

    def sweep(self):
        """What the periodic sweeper task does; a broker that is down makes it fail, as it would. Like a
        worker of this installation it reads the scenario's Redis, where the senders' heartbeats are."""
        try:
            with override_settings(REDIS_URL=self.broker.url):
                self.swept.update(tasks.sweep_mailings())
        except (BrokerError, OSError):
            self.swept["failed: broker down"] += 1

    def wait(self, release, *, during=None, timeout=120, poll=0.3):
        """Sweep until RELEASE's mailing is done with nothing queued or in flight; call DURING between
        sweeps (the fault). Fails with the ledger's counts and the workers' last lines after TIMEOUT."""
        found = self.wait_for(
            lambda: Mailing.objects.filter(kind=Mailing.Kind.RELEASE, release=release),
            during=during, timeout=timeout, poll=poll,
        )  # fmt: skip
        return found[0]

    def wait_for(self, find, *, during=None, timeout=120, poll=0.3, sweep=True):
        """Sweep until the mailings FIND() returns exist and are done with nothing queued or in flight;
        return them. As wait(); without SWEEP the workers are on their own."""
        deadline = time.monotonic() + timeout
        progress, progressed_at = None, time.monotonic()
        mailing = None
        while time.monotonic() < deadline:
            self.supervise()
            if during is not None:
                during()
            if sweep:
                self.sweep()
            found = list(find())
            mailing = found[0] if found else None
            pending = Delivery.objects.filter(
                mailing__in=found, status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
            )
            if found and all(m.status == Mailing.Status.DONE for m in found) and not pending.exists():
                return found
            done = Delivery.objects.filter(mailing__in=found).exclude(status=Delivery.Status.QUEUED).count()
            if done != progress:
                progress, progressed_at = done, time.monotonic()
            elif time.monotonic() - progressed_at > UNRESPONSIVE_SECONDS:
                self.restart_unresponsive()
                progressed_at = time.monotonic()
            time.sleep(poll)
        counts = mailing and mailings.progress(mailing)
        logs = "\n\n".join(worker.log for worker in self.workers[-2:])
        seed = f"CHAOS_SEED={self.seed}"
        pytest.fail(f"{self.name} ({seed}): the mailing did not finish in {timeout} s: {counts}\n{logs}")

    def check(self, release, started):
        """Audit RELEASE's mailing against the provider's log, record the figures, fail on any problem."""
        mailing = Mailing.objects.get(kind=Mailing.Kind.RELEASE, release=release)
        return self.check_mailings(mailing, release.title, started)[0]

    def check_mailings(self, mailings, subject, started, audience=None):
        """Audit MAILINGS (their emails have SUBJECT) against the provider's log, as check()."""
        audience = self.audience if audience is None else audience
        self.provider.settle()
        result = audit(mailings, self.provider.entries(subject), eligible=audience)
        row = record(self.name, result, time.monotonic() - started, len(self.crashes) - self.crashes_recorded)
        self.crashes_recorded = len(self.crashes)
        assert not result.problems(), (self.name, self.seed, result.problems(), result.by_status)
        assert result.recipients == len(audience)
        for mailing in [mailings] if isinstance(mailings, Mailing) else mailings:
            # The progress panel's counts, kept by triggers through every crash, equal a real count.
            assert mailings_counted(mailing) == mailings_tallied(mailing), (self.name, self.seed)
        return result, row

    def close(self):
        # The scenario is over and nothing is in flight: no need to wait for a warm shutdown.
        self.closed = True
        for worker in self.workers:
            worker.kill()
        if self.crashes:
            print(f"{self.name}: workers exited by themselves {len(self.crashes)} times; the last lines:")
            print("\n---\n".join(self.crashes))


@pytest.fixture
def scenario(request, transactional_db, tmp_path, settings):
    """scenario(name, persistent=False): a Scenario with its own broker and provider, stopped at the end
    (workers first, while the database still holds the rows they work on)."""
    opened = []
    stack = contextlib.ExitStack()
    for name, value in SWEEPER_SETTINGS.items():
        setattr(settings, name, value)

    def make(name, *, persistent=False):
        broker = Broker(tmp_path / f"valkey-{len(opened)}", persistent=persistent).start()
        stack.callback(broker.stop)
        provider = RecordingProvider().start()
        stack.callback(provider.stop)
        stack.enter_context(queueing_on(broker.url))
        created = Scenario(name, broker, provider)
        stack.callback(created.close)
        opened.append(created)
        return created

    with stack:
        yield make
