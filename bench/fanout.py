"""Fan-out: N confirmed subscribers, one release published through `publish_release`, a real Celery
worker (2 processes) sending to the mock batch provider or to smtp-sink. Measured from the publish call
to the last recipient the provider (or sink) accepted."""

import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from django.db import connection
from django.db.models import Count

from . import procs

LATENCY_SUBSCRIBERS = 10  # English subscribers who get the small mailings of the latency phase

LEAD = (
    "Av de 11 400 flyktningene som avsluttet introduksjonsprogrammet i 2023, gikk om lag halvparten direkte "
    "over til arbeid eller utdanning. Fordrevne fra Ukraina utgjør den største gruppen."
)
BODY = (
    "<h2>Flere flyktninger går over til arbeid</h2>"
    "<p>41 prosent av alle flyktninger gikk til arbeid direkte etter avsluttet introduksjonsprogram i 2023. "
    "Det er en økning på 17 prosentpoeng sammenlignet med 2022. Økningen kan forklares med at fordrevne fra "
    "Ukraina primært har overgang til arbeid etter avsluttet program, og at majoriteten har et høyt "
    "utdanningsnivå ved ankomst til Norge.</p>"
    "<blockquote><p>– Det er positivt at en høy andel av deltakerne går direkte ut i arbeid. Samtidig må vi "
    "ha høye ambisjoner og fortsette det viktige arbeidet i kommunene, sier direktøren.</p></blockquote>"
    "<h2>Flere fordrevne fra Ukraina avsluttet program i 2023</h2>"
    "<p>Det er store forskjeller mellom gruppene. Blant fordrevne fra Ukraina gikk 47 prosent direkte til "
    "arbeid, mens andelen blant andre flyktninger var 32 prosent. Kvinner har lavere overgang enn menn.</p>"
    "<ul><li>11 400 deltakere avsluttet programmet i 2023</li><li>41 prosent gikk direkte til arbeid</li>"
    "<li>9 prosent gikk til utdanning</li></ul>"
    "<p>Tallene er hentet fra Nasjonalt introduksjonsregister og omfatter alle som avsluttet programmet "
    "i løpet av året. Statistikken oppdateres årlig.</p>"
)


def setup(bench):
    from pressroom.newsroom.models import Newsroom

    Newsroom.objects.update_or_create(
        pk=1,
        defaults={
            "name": "Integrerings- og mangfoldsdirektoratet (IMDi)",
            "tagline": "Pressemeldinger og nyheter",
            "about": "<p>IMDi er et fagdirektorat og kompetansesenter for integrering og mangfold.</p>",
            "email": "presse@bench.example",
        },
    )
    seed(bench, 0)


def seed(bench, n, frequency="immediately"):
    """N active, confirmed Norwegian subscribers who want everything at FREQUENCY, written set-wise."""
    from subscriptions.models import Delivery, DeliveryTally, Mailing, Subscriber

    table = Subscriber._meta.db_table
    ledger = f"{Delivery._meta.db_table}, {DeliveryTally._meta.db_table}, {Mailing._meta.db_table}"
    started = time.monotonic()
    with connection.cursor() as cursor:
        # TRUNCATE fires no trigger: the tallies are emptied with the ledger.
        cursor.execute(f"TRUNCATE {ledger}, {table} RESTART IDENTITY CASCADE")
        for count, language, local in ((n, "nb", "reader"), (LATENCY_SUBSCRIBERS, "en", "early")):
            cursor.execute(
                f"INSERT INTO {table} (email, status, language, norwegian, english, all_topics, frequency, "  # noqa: S608
                "token, consent_at, consent_method, consent_text_version, consent_source, consent_note, "
                "created_at, updated_at, confirmed_at, unsubscribed_at, confirmation_sent_at, "
                "unsubscribe_method) "
                "SELECT %s || i || '@bench.example', 'active', %s, %s, %s, true, %s, md5(%s || i), now(), "
                "'import', '1', 'benchmark', '', now(), now(), now(), NULL, NULL, '' "
                "FROM generate_series(1, %s) AS i",
                [
                    local,
                    language,
                    language != "en",  # the releases of their language
                    language == "en",
                    frequency if local == "reader" else "immediately",
                    f"{local}-{time.time()}-",
                    count,
                ],  # fmt: skip
            )
        cursor.execute(f"ANALYZE {table}")
    if n:
        print(f"   {n:,} subscribers in {time.monotonic() - started:.1f} s", flush=True)


def new_release(title, language="nb"):
    from pressroom.newsroom.models import Release

    return Release.objects.create(title=title, lead=LEAD, body=BODY, language=language)


def cpu_groups(bench, worker):
    """What the two cores are spent on: our worker, PostgreSQL, the receivers, Redis, this driver."""
    return {
        "worker": lambda: procs.descendants(worker.pid),
        "postgres": lambda: procs.processes_named("postgres", "postmaster"),
        "mock_provider": lambda: [bench.mock.pid],
        "smtp_sink": lambda: [bench.sink.pid],
        "redis": lambda: [bench.redis.pid] if bench.redis.pid else [],
        "bench_driver": lambda: [os.getpid()],
    }


def publish(release):
    """Send RELEASE to its subscribers at once, as an editor's publishing does; return its mailings."""
    from pressroom.newsroom.services import publish_release
    from subscriptions.models import Mailing

    publish_release(release=release)
    return lambda: Mailing.objects.filter(kind=Mailing.Kind.RELEASE, release=release)


def digest(release):
    """RELEASE was published in the daily period that just ended: run the daily digest, as the beat
    does at DIGEST_HOUR (the task plans the digests into the ledger and starts their senders)."""
    from pressroom.newsroom.models import Release
    from subscriptions import digests, tasks
    from subscriptions.models import Mailing

    _start, end = digests.period("daily")
    Release.objects.filter(pk=release.pk).update(
        status=Release.Status.PUBLISHED, published_at=end - timedelta(hours=1)
    )
    tasks.send_digests.delay("daily")
    return lambda: Mailing.objects.filter(kind=Mailing.Kind.DIGEST, releases=release)


def mailing_run(bench, n, backend, *, py_spy=None, send=publish):
    """Send one release to the N seeded subscribers (SEND: published at once, or in a daily digest);
    return what was measured."""
    from subscriptions.models import Delivery, Mailing

    bench.flush_redis()
    worker = bench.start_worker(f"{backend}-{n}", backend)
    spy = None
    try:
        if py_spy:
            spy = subprocess.Popen(
                [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(worker.pid),
                 "--subprocesses", "--nonblocking", "--rate", "67", "--format", "raw", "-o", py_spy],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(1)
        release = new_release(f"Benchmark {backend} N={n}")
        count = (lambda: bench.mock_stats()["accepted"]) if backend == "batch" else bench.sink_count
        requests_before = bench.mock_stats()["requests"]
        before = count()
        time.sleep(1)  # a quiet second: the RSS sampler sees the idle worker first
        with procs.RssSampler(worker.pid) as rss, procs.CpuSampler(cpu_groups(bench, worker)) as cpu:
            time.sleep(0.3)
            idle_mb = round((rss.first or 0) / 2**20, 1)
            started = time.time()
            mailings_of = send(release)
            published = time.time()
            last_value, last_change = 0, time.monotonic()
            poll = 0.1 if backend == "batch" else 0.02
            last_seen = None
            while True:
                done = count() - before
                now = time.monotonic()
                if done != last_value:
                    last_value, last_change, last_seen = done, now, time.time()
                if done >= n:
                    break
                if now - last_change > 120:
                    raise RuntimeError(f"stalled at {done:,} of {n:,} recipients for 120 s")
                time.sleep(poll)
            if backend == "batch":
                stats = bench.mock_stats()
                last_accepted = stats["last_accept_at"]
                first_accepted = next(at for at, _n in stats["batches"] if at >= started)
                requests = stats["requests"] - requests_before
            else:
                last_accepted, first_accepted, requests = last_seen, None, None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                sent = list(mailings_of())
                if sent and all(m.status == Mailing.Status.DONE for m in sent):
                    break
                time.sleep(0.2)
            mailing = sent[0]
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                spy.wait(60)
        bench.stop(worker)
    seconds = last_accepted - started
    statuses = Delivery.objects.filter(mailing__in=sent).values_list("status")
    ledger = dict(statuses.annotate(n=Count("id")).order_by())
    result = {
        "recipients": n,
        "accepted": count() - before,
        "seconds_publish_to_last": round(seconds, 2),
        "recipients_per_second": round(n / seconds),
        "publish_call_ms": round((published - started) * 1000, 1),
        "ledger_written_s": round((mailing.prepared_at.timestamp() - started), 2)
        if mailing.prepared_at
        else None,
        "mailing_status": mailing.status,
        "mailings": len(sent),
        "ledger": ledger,
        "worker_rss_peak_mb": rss.peak_mb,
        "worker_rss_idle_mb": idle_mb,
        "worker_pss_peak_mb": rss.peak_pss_mb,
        "cpu_seconds": cpu.used,
        # CPU per recipient holds still when other people's processes share the cores; rates do not.
        "cpu_ms_per_recipient": {
            "worker": round(cpu.used["worker"] * 1000 / n, 3),
            "postgres": round(cpu.used["postgres"] * 1000 / n, 3),
            "receiver": round((cpu.used["mock_provider"] + cpu.used["smtp_sink"]) * 1000 / n, 3),
        },
        "others_cores_busy": round(cpu.used["everything_else"] / cpu.used["wall_seconds"], 2),
    }
    if first_accepted is not None:
        result["publish_to_first_ms"] = round((first_accepted - started) * 1000)
    if requests is not None:
        result["http_requests"] = requests
        result["http_calls_per_1000"] = round(requests * 1000 / n, 2)
    if result["accepted"] != n:
        bench.note(f"{backend} N={n}: the receiver counted {result['accepted']:,} for {n:,} recipients")
    return result


def batch(bench, n):
    result = mailing_run(bench, n, "batch")
    key = str(n)
    bench.results["details"]["batch"][key] = result
    bench.results["fanout_batch_rps"][key] = result["recipients_per_second"]
    bench.results["http_calls_per_1000"][key] = result["http_calls_per_1000"]
    bench.results["worker_rss_mb"][key] = result["worker_rss_peak_mb"]
    print(f"   {result['recipients_per_second']:,} recipients/s, {result['http_calls_per_1000']} calls/1000, "
          f"peak RSS {result['worker_rss_peak_mb']} MB", flush=True)  # fmt: skip
    print_cpu(result)


def digests(bench, n, backend):
    """A daily digest of one release to N daily subscribers, against the immediate mailing of the same
    run to the same receiver: the digest's rate as a share of the mailing's."""
    seed(bench, n, frequency="daily")
    result = mailing_run(bench, n, backend, send=digest)
    key = f"{backend}-{n}"
    mailing_rps = bench.results[f"fanout_{backend}_rps"].get(str(n))
    result["share_of_mailing"] = (
        round(result["recipients_per_second"] / mailing_rps, 2) if mailing_rps else None
    )
    bench.results["details"].setdefault("digests", {})[key] = result
    bench.results.setdefault("digest_rps", {})[key] = result["recipients_per_second"]
    print(f"   {result['recipients_per_second']:,} recipients/s in {result['mailings']} mailing(s), "
          f"{result['share_of_mailing']} of the mailing's rate, peak RSS {result['worker_rss_peak_mb']} MB",
          flush=True)  # fmt: skip
    print_cpu(result)


def print_cpu(result):
    print(f"   CPU ms per recipient {result['cpu_ms_per_recipient']}; other people's processes kept "
          f"{result['others_cores_busy']} of the cores busy", flush=True)  # fmt: skip


def smtp(bench, n):
    result = mailing_run(bench, n, "smtp")
    key = str(n)
    bench.results["details"]["smtp"][key] = result
    bench.results["fanout_smtp_rps"][key] = result["recipients_per_second"]
    bench.results["worker_rss_mb_smtp"][key] = result["worker_rss_peak_mb"]
    print(f"   {result['recipients_per_second']:,} recipients/s, peak RSS {result['worker_rss_peak_mb']} MB",
          flush=True)  # fmt: skip
    print_cpu(result)


def first_accepted_latency(bench):
    """Publish → first recipient accepted by the batch provider, over many small mailings (warm worker)."""
    from pressroom.newsroom.services import publish_release

    bench.flush_redis()
    worker = bench.start_worker("latency", "batch")
    samples, cold = [], None
    try:
        for i in range(bench.config["latency_mailings"] + 1):
            release = new_release(f"Small mailing {i}", language="en")
            stats = bench.mock_stats()
            batches_before, accepted_before = len(stats["batches"]), stats["accepted"]
            started = time.time()
            publish_release(release=release)
            deadline = time.monotonic() + 30
            while stats["accepted"] - accepted_before < LATENCY_SUBSCRIBERS:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"small mailing {i} not delivered within 30 s")
                time.sleep(0.01)
                stats = bench.mock_stats()
            first = min(at for at, _n in stats["batches"][batches_before:])
            milliseconds = (first - started) * 1000
            if i == 0:
                cold = milliseconds  # the worker's first mailing loads templates: reported apart
            else:
                samples.append(milliseconds)
            time.sleep(0.2)
    finally:
        bench.stop(worker)
    bench.results["publish_to_first_ms"] = {
        "p50": round(procs.percentile(samples, 50)),
        "p95": round(procs.percentile(samples, 95)),
        "max": round(max(samples)),
        "mailings": len(samples),
        "recipients_each": LATENCY_SUBSCRIBERS,
        "first_after_worker_start_ms": round(cold),
    }
    print(f"   {bench.results['publish_to_first_ms']}", flush=True)


def sink_ceiling(bench):
    """smtp-sink's own rate for a message like ours, over one connection and over four."""
    from subscriptions.release_email import ReleaseMessage

    release = new_release("Sink ceiling message")
    message = ReleaseMessage(release).single((1, "reader1@bench.example", "x" * 32, 1), None)
    path = bench.workdir / "message.eml"
    path.write_bytes(message.message().as_bytes())
    bench.results["details"]["message_bytes"] = path.stat().st_size
    for connections in (1, 4):
        output = subprocess.run(
            [sys.executable, "-m", "bench.smtpblast", "--port", str(bench.sink_port), "--messages",
             str(bench.config["blast_messages"]), "--connections", str(connections), "--file", str(path)],
            capture_output=True, text=True, timeout=600, check=True, cwd=Path(__file__).parent.parent,
        )  # fmt: skip
        blast = json.loads(output.stdout)
        bench.results["smtp_sink_ceiling"][f"{connections}_connection{'s' if connections > 1 else ''}"] = (
            blast["per_second"]
        )
    print(
        f"   {bench.results['smtp_sink_ceiling']} messages/s ({path.stat().st_size:,} bytes each)", flush=True
    )


def profile(bench):
    """py-spy on the worker (parent and pool) during one batch and one SMTP fan-out; top frames printed.

    The batch run uses the largest of BENCH_SIZES; the SMTP run at most 20,000 recipients (enough samples).
    """
    out = Path(os.environ.get("BENCH_PROFILE_DIR", "/tmp/pressroom-bench-profile"))
    out.mkdir(parents=True, exist_ok=True)
    for backend, n in (
        ("batch", bench.config["batch_sizes"][-1]),
        ("smtp", min(bench.config["batch_sizes"][-1], 20_000)),
    ):
        seed(bench, n)
        raw = out / f"{backend}-{n}.txt"
        result = mailing_run(bench, n, backend, py_spy=str(raw))
        print(f"   {backend}: {result['recipients_per_second']:,} recipients/s under py-spy", flush=True)
        print_cpu(result)
        summary = summarize_profile(raw)
        (out / f"{backend}-{n}-summary.txt").write_text(summary)
        print(summary, flush=True)
    print(f"   collapsed stacks and summaries in {out}", flush=True)


def summarize_profile(path, top=25):
    """Time per package, self time and inclusive time per function, from py-spy's collapsed stacks.

    Only what runs inside the sending task counts (Celery's own loop is left out).
    """
    own, inclusive, packages, total = collections.Counter(), collections.Counter(), collections.Counter(), 0
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        start = next((i for i, frame in enumerate(frames) if frame.startswith("send_mailing (")), None)
        if start is None:
            continue
        frames, count = frames[start:], int(count)
        total += count
        own[_short(frames[-1])] += count
        packages[_package(frames[-1])] += count
        for frame in set(map(_short, frames)):
            inclusive[frame] += count
    if not total:
        return f"{path.name}: no samples inside the sending task\n"
    lines = [f"{path.name}: {total} samples inside send_mailing", "", "self time by package:"]
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in packages.most_common(15)]
    lines += ["", "self time:"]
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in own.most_common(top)]
    lines += ["", "inclusive time:"]
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in inclusive.most_common(top)]
    return "\n".join(lines) + "\n"


def _package(frame):
    """The top-level package of a frame (py-spy names files relative to their sys.path entry)."""
    where = frame.partition(" (")[2].rsplit(":", 1)[0]
    return where.split("/", 1)[0].removesuffix(".py") if where else frame


def _short(frame):
    # "function (path/to/module.py:123)" -> "function (module.py:123)"
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit('/', 1)[-1]}" if where else name
