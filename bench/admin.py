"""The editors' admin at scale (BENCH_ONLY=admin, results in admin.json): the start page, the release
list, the subscriber list, a live mailing's page and its progress poll, each timed through Django's test
client as a logged-in superuser, over 1,000,000 subscribers, 10,000 releases and a mailing to all of them
half sent. Target: p95 under 300 ms for each.
"""

import statistics
import time

from django.db import connection
from django.test import Client

from . import pages

SUBSCRIBERS = {"full": 1_000_000, "quick": 20_000}
RELEASES = {"full": 10_000, "quick": 1_000}
REQUESTS = 20
TARGET_MS = 300


def seed_subscribers(n):
    """N subscribers who joined over two years: most active, some unsubscribed in the last months, a few
    pending; written set-wise, like fanout.seed."""
    from subscriptions.models import Delivery, DeliveryTally, Mailing, Subscriber

    table = Subscriber._meta.db_table
    ledger = f"{Delivery._meta.db_table}, {DeliveryTally._meta.db_table}, {Mailing._meta.db_table}"
    with connection.cursor() as cursor:
        # TRUNCATE fires no trigger: the tallies are emptied with the ledger.
        cursor.execute(f"TRUNCATE {ledger}, {table} RESTART IDENTITY CASCADE")
        cursor.execute(
            f"INSERT INTO {table} (email, status, language, norwegian, english, all_topics, frequency, "  # noqa: S608
            "token, consent_at, consent_method, consent_text_version, consent_source, consent_note, "
            "created_at, updated_at, confirmed_at, unsubscribed_at, confirmation_sent_at, "
            "unsubscribe_method) "
            "SELECT 'admin' || i || '@bench.example', "
            "CASE WHEN i %% 100 < 90 THEN 'active' WHEN i %% 100 < 96 THEN 'unsubscribed' "
            "ELSE 'pending' END, "
            "CASE WHEN i %% 10 = 0 THEN 'en' ELSE 'nb' END, i %% 10 <> 0, i %% 10 = 0, true, 'immediately', "
            "md5('admin-' || i), "
            "now() - (i %% 730) * interval '1 day', 'form', '1', 'benchmark', '', "
            "now() - (i %% 730) * interval '1 day', now(), "
            "CASE WHEN i %% 100 < 96 THEN now() - (i %% 730) * interval '1 day' END, "
            "CASE WHEN i %% 100 BETWEEN 90 AND 95 THEN now() - (i %% 120) * interval '1 day' END, "
            "now() - (i %% 730) * interval '1 day', "
            "CASE WHEN i %% 100 BETWEEN 90 AND 95 THEN 'page' ELSE '' END "
            "FROM generate_series(1, %s) AS i",
            [n],
        )
        cursor.execute(f"ANALYZE {table}")


def seed_live_mailing():
    """A release mailing to every active subscriber, caught mid-send: most sent, many queued, some
    failed or uncertain. Returns its id."""
    from django.utils import timezone

    from pressroom.newsroom.models import Release
    from subscriptions.models import Delivery, Mailing, Subscriber

    release = Release.objects.filter(status=Release.Status.PUBLISHED).order_by("-published_at").first()
    mailing = Mailing.objects.create(
        release=release, kind=Mailing.Kind.RELEASE, status=Mailing.Status.SENDING, prepared_at=timezone.now()
    )
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (mailing_id, subscriber_id, email, status, attempts, claimed_by, "  # noqa: S608
            "message_id, event, error, sent_at) "
            "SELECT %s, s.id, '', CASE WHEN s.b < 55 THEN 'sent' WHEN s.b < 95 THEN 'queued' "
            "WHEN s.b < 97 THEN 'sending' WHEN s.b < 99 THEN 'failed' ELSE 'uncertain' END, "
            "1, '', '', CASE WHEN s.id %% 997 = 0 THEN 'bounced' ELSE '' END, '', "
            "CASE WHEN s.b < 55 THEN now() END "
            # Buckets of 100 ids, so that every status gets its share (the active are ids % 100 < 90).
            f"FROM (SELECT id, (id / 100) %% 100 AS b FROM {Subscriber._meta.db_table} "  # noqa: S608
            "WHERE status = 'active') s",
            [mailing.pk],
        )
        cursor.execute(f"ANALYZE {table}")
    mailing.recipients = mailing.deliveries.count()
    mailing.save(update_fields=["recipients"])
    return mailing.pk


def seed_drafts_and_scheduled():
    from datetime import timedelta

    from django.utils import timezone

    from pressroom.newsroom.models import Release

    for n in range(20):
        Release.objects.create(title=f"Utkast {n}", lead="Ingress.", language="nb")
        Release.objects.create(
            title=f"Planlagt {n}", lead="Ingress.", language="nb", status=Release.Status.SCHEDULED,
            published_at=timezone.now() + timedelta(days=n + 1),
        )  # fmt: skip


def timed(client, path):
    """p50, p95 and max in ms of REQUESTS requests to PATH, after two to warm up, and its query count."""
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        client.get(path)
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50": round(statistics.median(times), 1),
        "p95": round(times[int(len(times) * 0.95) - 1], 1),
        "max": round(times[-1], 1),
        "queries": len(queries),
    }


def run(bench):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    size = "quick" if bench.quick else "full"
    started = time.monotonic()
    seed_subscribers(SUBSCRIBERS[size])
    print(f"   {SUBSCRIBERS[size]:,} subscribers in {time.monotonic() - started:.0f} s", flush=True)
    started = time.monotonic()
    # The earlier phases seeded releases with the same slugs: the admin's archive starts empty, as search's.
    from pressroom.newsroom.models import Release
    from subscriptions.models import DeliveryTally

    with connection.cursor() as cursor:
        # The mailings go with their releases, and their tallies (which TRUNCATE's triggerless cascade
        # leaves) with them.
        cursor.execute(
            f"TRUNCATE {Release._meta.db_table}, {DeliveryTally._meta.db_table} RESTART IDENTITY CASCADE"  # noqa: S608
        )
    pages.seed_releases(1, RELEASES[size])
    seed_drafts_and_scheduled()
    mailing = seed_live_mailing()
    # The visibility map and statistics autovacuum keeps in a running installation: counts read the
    # indexes alone, as they would there.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"   releases and a live mailing in {time.monotonic() - started:.0f} s", flush=True)
    user = get_user_model().objects.create_superuser("bench-admin", "bench-admin@bench.example", "x")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    client.cookies["django_language"] = "nb"
    paths = {
        "start_page": "/admin/",
        "release_list": "/admin/newsroom/release/",
        "subscriber_list": "/admin/subscriptions/subscriber/",
        "mailing_page": f"/admin/subscriptions/mailing/{mailing}/change/",
        "mailing_progress": f"/admin/subscriptions/mailing/{mailing}/progress/",
    }
    latency = {name: timed(client, path) for name, path in paths.items()}
    for name, row in latency.items():
        print(f"   {name:<18} p50 {row['p50']:>7.1f} ms  p95 {row['p95']:>7.1f} ms  {row['queries']} queries")
    bench.results["admin"] = {
        "subscribers": SUBSCRIBERS[size],
        "releases": RELEASES[size],
        "requests": REQUESTS,
        "target_p95_ms": TARGET_MS,
        "latency_ms": latency,
    }
