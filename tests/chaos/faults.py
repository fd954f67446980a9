"""The faults the scenarios inject while a mailing runs, each a callable that `Scenario.wait` calls between
its polls: it strikes when its next moment has come, at random gaps, up to a limit, and counts what it did."""

import time
from collections import Counter

from django.db import connection


class RandomKills:
    """SIGKILL a worker's pool process or the whole worker (its supervisor starts it again), alternately or
    at random, up to LIMIT kills of which at most WHOLE_LIMIT whole workers."""

    def __init__(
        self, worker, rng, *, limit, whole_limit=None, first=(0.2, 0.8), gap=(0.3, 1.2), alternate=False
    ):
        self.worker, self.rng = worker, rng
        self.limit, self.whole_limit = limit, limit if whole_limit is None else whole_limit
        self.gap, self.alternate = gap, alternate
        self.kills = Counter()
        self.next = time.monotonic() + rng.uniform(*first)

    def __call__(self):
        if self.kills.total() >= self.limit or time.monotonic() < self.next or not self.worker.alive():
            return
        wants_child = self.kills.total() % 2 == 0 if self.alternate else self.rng.random() < 0.5
        if (wants_child or self.kills["whole worker"] >= self.whole_limit) and self.worker.kill_child():
            self.kills["pool process"] += 1
        else:
            self.worker.kill()
            self.kills["whole worker"] += 1
        self.next = time.monotonic() + self.rng.uniform(*self.gap)


def terminate_other_connections():
    """Drop every other connection to the test database (the workers'); return how many."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


class RandomDrops:
    """Drop every other connection to the test database (the workers'), up to LIMIT times that cut at
    least one; DROPPED lists how many each cut."""

    def __init__(self, rng, *, limit, first=(0.2, 0.6), gap=(0.2, 0.8)):
        self.rng, self.limit, self.gap = rng, limit, gap
        self.dropped = []
        self.next = time.monotonic() + rng.uniform(*first)

    def __call__(self):
        if len(self.dropped) >= self.limit or time.monotonic() < self.next:
            return
        if cut := terminate_other_connections():
            self.dropped.append(cut)
            self.next = time.monotonic() + self.rng.uniform(*self.gap)
