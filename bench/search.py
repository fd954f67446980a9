"""Search: the search page's latency at 1,000 and at 100,000 releases, and the public read mix under
gunicorn with and without 5 % searches (BENCH_ONLY=search, results in search.json).

Latency is measured in-process (DEBUG off, the run's PostgreSQL and Redis), twice for each query: the
search alone (find and rank, read the page's releases, a correction when nothing is found) and the whole
search page through Django's test client (view, filters, snippets, template), for a mix of queries that
cover each path of pressroom/newsroom/search.py. Every release of the benchmark has the same lead and
body (bench/fanout.py), so a word of the body matches every release: the worst case for ranking, which
must still not grow with the archive.

The read mix is served by gunicorn (gunicorn.conf.py, 2 sync workers) to the client of bench/faults.py
(4 threads, a new connection per request): home, release pages, topics, archive, feed and sitemap, then
the same with 5 % searches, in two windows:
- searches as a newsroom's come: drawn from the query kinds below, six of which are the same words every
  time (what many journalists look for) and two new each time (a release's number, a word found nowhere).
  The page cache keeps a search once its address is asked for a second time (pagecache.cache_per_query),
  so the repeated ones are mostly served from it; the window records how many were;
- every search new to the page cache (the same kinds, each address made unique by a parameter the view
  ignores), so that every one is rendered: the worst case, which no cache helps.
The windows take turns in slots of SLOT_SECONDS within a round, one client whose mix changes between
them, until each has had WINDOW_SECONDS; each round starts from a new page-cache generation with every
page rendered once (start_afresh), and begins with the next window. A share is pooled over the ROUNDS
rounds: the requests (or CPU per request) of all slots of one mix against all of the other's. On a
shared machine the same mix was seen to serve a third more or less from one ten seconds to the next
(with no worker restarting, and little CPU stolen); slots of two seconds in turn meet the same
conditions on both sides, where windows one after the other did not. Each round's own share is kept.
Each window also records the CPU its requests cost (gunicorn, this database's PostgreSQL backends,
Redis, the client); on a shared machine that moves with other people's load too, if less.
"""

import itertools
import os
import random
import sys
import time
from pathlib import Path

from django.db import connection
from django.test import Client

from . import faults, pages, procs

SIZES = (1_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
REQUESTS = 400  # per size, after a warm-up
WINDOW_SECONDS = 12
QUICK_WINDOW_SECONDS = 8
# The three windows of the read mix take turns in slots of SLOT_SECONDS, each for WINDOW_SECONDS in a
# round (within PAGE_CACHE_SECONDS of the round's fresh start), in ROUNDS rounds; the shares are pooled.
SLOT_SECONDS = 2
ROUNDS = 6
QUICK_ROUNDS = 1
WINDOWS = ("without_search", "with_5_percent_search", "with_5_percent_new_searches")
TOPICS = ("integrering", "bosetting", "arbeid", "statistikk", "introduksjonsprogrammet")


def query_for(kind, rng, releases):
    """One search of KIND, as a query string."""
    number = rng.randint(1, releases)
    return {
        # In every release's body: every release matches.
        "common": "q=flyktninger",
        "two_words": "q=flyktninger+arbeid",
        "typed": "q=introduksjonsprog",  # as typed so far: the last word as a beginning
        "rare": f"q=pressemelding+nummer+{number}",  # one release (and those whose number begins so)
        "phrase": "q=%22fordrevne+fra+ukraina%22",
        "typo": "q=flyktnnger",  # nothing found: corrected, then searched again
        "nothing": f"q=kvantefysikk{number}",  # nothing found, nothing similar
        "filtered": f"q=arbeid&year={time.gmtime().tm_year}&kind=press_release",
    }[kind]


QUERY_KINDS = ("common", "two_words", "typed", "rare", "phrase", "typo", "nothing", "filtered")
MIX = (
    ("home", 20),
    ("release", 35),
    ("feed", 10),
    ("archive", 10),
    ("topic", 10),
    ("sitemap", 10),
    ("search", 5),
)
MIX_WITHOUT_SEARCH = tuple((kind, weight) for kind, weight in MIX if kind != "search")
# A number never used before for each address that must be new to the page cache.
_fresh = itertools.count(1)


def path_for(kind, rng, releases):
    if kind == "sitemap":
        return "/sitemap.xml"
    if kind == "search":
        return "/search/?" + query_for(rng.choice(QUERY_KINDS), rng, releases)
    return faults.path_for(kind, rng, releases)


def new_to_the_cache(path):
    """PATH with a parameter the view ignores, so that the page cache has never seen the address."""
    return f"{path}{'&' if '?' in path else '?'}n={next(_fresh)}"


class SearchPaths:
    """path_for, remembering when each search address was asked for; NEW: every search new to the cache."""

    def __init__(self, new=False):
        self.new, self.asked = new, []

    def __call__(self, kind, rng, releases):
        path = path_for(kind, rng, releases)
        if kind == "search":
            path = new_to_the_cache(path) if self.new else path
            self.asked.append((time.monotonic(), path))
        return path

    def served_from_the_cache(self, start, end):
        """The share of the searches between START and END whose address had been asked for twice before
        (stored on the second request, served from the cache from the third; none expires in a window)."""
        seen, kept, counted = {}, 0, 0
        for at, path in self.asked:
            if start <= at < end:
                counted += 1
                kept += seen.get(path, 0) >= 2
            seen[path] = seen.get(path, 0) + 1
        return round(kept / counted, 2) if counted else None


def seed(start, stop):
    from pressroom.newsroom import search
    from pressroom.newsroom.models import Release

    before = Release.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    started = time.monotonic()
    pages.seed_releases(start, stop)
    seeded = time.monotonic()
    search.index_releases(Release.objects.filter(pk__gt=before))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"seed_s": round(seeded - started, 1), "index_s": round(time.monotonic() - seeded, 1)}


def search_only(query_string):
    """What pressroom/newsroom/search.py does for a search page, without the page: find and rank, read
    the first page's releases, and try a correction when nothing is found."""
    from django.http import QueryDict

    from pressroom.newsroom import search
    from pressroom.newsroom.models import Release

    params = QueryDict(query_string)
    # As the Norwegian pressroom searches: its releases, its language's configuration.
    public = Release.objects.published().filter(language="nb")
    if params.get("year"):
        public = public.filter(published_at__year=int(params["year"]), kind=params["kind"])
    found = search.releases(public, params["q"], "nb")
    page = found[:10]
    if not found:
        corrected = search.correction(public, params["q"], "nb")
        if corrected:
            page = corrected[1][:10]
    return page


def latency(releases):
    """p50, p95 and max in ms, overall and per kind of query: of the search alone (search_only) and of
    the whole search page (Django's test client: view, snippets, template)."""
    client = Client(HTTP_HOST="127.0.0.1")
    rng = random.Random(1)
    for kind in QUERY_KINDS * 3:  # warm-up
        client.get("/search/?" + query_for(kind, rng, releases))
        search_only(query_for(kind, rng, releases))
    timings = {"search": {kind: [] for kind in QUERY_KINDS}, "page": {kind: [] for kind in QUERY_KINDS}}
    for n in range(REQUESTS):
        kind = QUERY_KINDS[n % len(QUERY_KINDS)]
        query_string = query_for(kind, rng, releases)
        started = time.perf_counter()
        search_only(query_string)
        timings["search"][kind].append((time.perf_counter() - started) * 1000)
        # The page rendered, never served from the page cache.
        started = time.perf_counter()
        response = client.get(new_to_the_cache("/search/?" + query_string))
        timings["page"][kind].append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"/search/?{query_string} answered {response.status_code}")

    def summary(values):
        return {
            "p50": round(procs.percentile(values, 50), 1),
            "p95": round(procs.percentile(values, 95), 1),
            "max": round(max(values), 1),
        }

    return {
        what: {
            **summary([t for values in by_kind.values() for t in values]),
            "requests": REQUESTS,
            "by_query": {kind: summary(values) for kind, values in by_kind.items()},
        }
        for what, by_kind in timings.items()
    }


def plans():
    """What PostgreSQL does for the common word, the rare one and one found nowhere (EXPLAIN ANALYZE, for the
    docs)."""
    from pressroom.newsroom import search
    from pressroom.newsroom.models import Release

    found = {}
    for name, query in (("common", "flyktninger"), ("rare", "pressemelding nummer 4711"),
                        ("nothing", "kvantefysikk4711")):  # fmt: skip
        # The query search.releases() runs in the Norwegian pressroom, its rank left out.
        public = Release.objects.published().filter(language="nb")
        newest = search.matches(public, query, "nb").order_by("-published_at", "-pk")
        found[name] = newest.values("pk")[: search.CANDIDATES].explain(analyze=True).splitlines()
    return found


def read_mix(bench, seconds):
    from django.conf import settings

    port = bench.web_port
    gunicorn = bench.start(
        "gunicorn-search",
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(faults.GUNICORN_WORKERS),
         "--bind", f"127.0.0.1:{port}", "--error-logfile", "-", "--log-level", "warning"],
        env=dict(bench.env), cwd=settings.BASE_DIR,
    )  # fmt: skip
    rounds = []
    try:
        procs.wait_for_port(port, 30, gunicorn.process)
        for number in range(QUICK_ROUNDS if bench.quick else ROUNDS):
            # Each round begins with another window, and every other round takes the turns the other way
            # round, so that no window always follows the same one (requests in flight at a change are
            # counted in the next window).
            order = WINDOWS[number % len(WINDOWS) :] + WINDOWS[: number % len(WINDOWS)]
            order = order[::-1] if number % 2 else order
            rounds.append(one_round(bench, gunicorn, order, seconds))
    finally:
        bench.stop(gunicorn)
    return rounds


class Interleaved(faults.Load):
    """The client of faults.Load, whose mix is the one of the window named by `window` when each request is
    drawn. A request drawn just before a change and answered just after it is counted in the next
    window (one per client thread in a slot of about a thousand requests)."""

    def __init__(self, port, releases, mixes):
        super().__init__(port, releases)
        self.mixes = {name: ([kind for kind, _w in mix], [w for _kind, w in mix], paths)
                      for name, (mix, paths) in mixes.items()}  # fmt: skip
        self.window = next(iter(mixes))

    def draw(self, rng):
        kinds, weights, paths = self.mixes[self.window]
        kind = rng.choices(kinds, weights)[0]
        return kind, paths(kind, rng, self.releases)


class Joined:
    """The records and health probes of LOAD that fall in SLOTS [(start, end)], on one timeline of the
    slots put end to end: faults.summarize() of it is that of one window as long as the slots together."""

    def __init__(self, load, slots):
        self.records, self.health, self.seconds = [], [], 0.0
        records, health = list(load.records), list(load.health)
        for start, end in slots:
            moved = self.seconds - start
            self.records += [
                (kind, ended + moved, *rest) for kind, ended, *rest in records if start <= ended < end
            ]
            self.health += [(at + moved, *rest) for at, *rest in health if start <= at < end]
            self.seconds += end - start


def one_round(bench, gunicorn, order, seconds):
    """The three windows of a round, from a fresh start (start_afresh), taking turns in slots of
    SLOT_SECONDS until each has had SECONDS: {window: its summary}."""
    from django.conf import settings

    port, releases = bench.web_port, bench.config["releases"]
    fresh = time.monotonic()
    start_afresh(port, releases)
    paths = {name: SearchPaths(new=name == "with_5_percent_new_searches") for name in WINDOWS}
    mixes = {name: (MIX_WITHOUT_SEARCH if name == "without_search" else MIX, paths[name]) for name in WINDOWS}
    slots = {name: [] for name in WINDOWS}
    cpu = {name: {} for name in WINDOWS}
    groups = cpu_groups(bench, gunicorn)
    # The warm-up (not counted) draws from the first of WINDOWS, the mix without search: no window's
    # searches are asked before its own slots.
    with Interleaved(port, releases, mixes) as load:
        time.sleep(3)
        for turn in range(round(seconds / SLOT_SECONDS) * len(order)):
            name = load.window = order[turn % len(order)]
            start = time.monotonic()
            with procs.CpuSampler(groups) as used:
                time.sleep(SLOT_SECONDS)
            slots[name].append((start, time.monotonic()))
            for group, value in used.exact.items():
                cpu[name][group] = cpu[name].get(group, 0.0) + value
    # Every page rendered by start_afresh must still be in the cache at the end of the round.
    kept = time.monotonic() - fresh
    if kept > settings.PAGE_CACHE_SECONDS:
        print(f"   warning: the round took {kept:.0f} s, longer than PAGE_CACHE_SECONDS", flush=True)
    measured = {}
    for name in WINDOWS:
        joined = Joined(load, slots[name])
        result = faults.summarize(joined, name, 0.0, joined.seconds, {}, mix=mixes[name][0])
        result["searches_from_the_page_cache"] = paths[name].served_from_the_cache(
            slots[name][0][0], slots[name][-1][1]
        )
        used = cpu[name]
        used["cores_busy"] = used["machine_busy"] / used["wall_seconds"]
        result["cpu_seconds"] = {group: round(value, 2) for group, value in used.items()}
        ours = sum(used[group] for group in groups)
        result["cpu_ms_per_request"] = round(ours * 1000 / max(result["requests"], 1), 2)
        result["round_seconds_from_fresh_start"] = round(kept, 1)
        print(faults.format_row(result), f" CPU {result['cpu_ms_per_request']} ms/request",
              f" searches from the cache {result['searches_from_the_page_cache']}", flush=True)  # fmt: skip
        measured[name] = result
    return measured


def start_afresh(port, releases):
    """A new page-cache generation (as after an edit), then every page the mix draws from rendered once:
    each window starts with every page fresh (kept PAGE_CACHE_SECONDS, longer than a round), so that
    none pays for filling the cache or for pages expiring in it (the sitemap of 100,000 releases takes
    seconds to render)."""
    from django.conf import settings

    from pressroom.newsroom import pagecache

    pagecache.invalidate()
    time.sleep(settings.PAGE_CACHE_GENERATION_SECONDS + 0.2)  # every worker has seen it
    for kind, _weight in MIX:
        for query_kind in QUERY_KINDS if kind == "search" else (None,):
            path = "/search/?" + query_for(query_kind, random.Random(0), releases) if query_kind else None
            # The first render of a page (the sitemap) may take seconds on a busy machine.
            status, error = faults.fetch(port, path or path_for(kind, random.Random(0), releases), timeout=60)
            if status != 200:
                raise RuntimeError(f"{path or kind} answered {status or error} before the measurement")
    numbers = range(1, min(releases, faults.RECENT_RELEASES) + 1)
    for path in [*(f"/releases/pressemelding-{number}/" for number in numbers),
                 *(f"/topics/{topic}/" for topic in faults.TOPICS)]:  # fmt: skip
        faults.fetch(port, path, timeout=60)


def cpu_groups(bench, gunicorn):
    """The processes a request of the mix costs CPU in: gunicorn's, this database's PostgreSQL backends
    (not other people's on a shared server), Redis and the client (this process's threads)."""
    name = bench.database_url.rsplit("/", 1)[1]

    def backends():
        return [pid for pid in procs.processes_named("postgres") if f" {name} " in _cmdline(pid)]

    return {
        "gunicorn": lambda: procs.descendants(gunicorn.pid),
        "postgres": backends,
        "redis": lambda: [bench.redis.pid] if bench.redis.pid else [],
        "client": lambda: [os.getpid()],
    }


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _start_from_an_empty_archive():
    """Search is measured at its own sizes: the releases an earlier phase of the run seeded (the pages,
    under the same slugs) go first, with what hangs on them. It runs last, so nothing needs them again."""
    from pressroom.newsroom.models import Release
    from subscriptions.models import DeliveryTally

    if Release.objects.exists():
        with connection.cursor() as cursor:
            # The mailings go with their releases, and their tallies (which TRUNCATE's triggerless cascade
            # leaves) with them.
            cursor.execute(
                f"TRUNCATE {Release._meta.db_table}, {DeliveryTally._meta.db_table} RESTART IDENTITY CASCADE"  # noqa: S608
            )


def run(bench):
    from django.core.management import call_command

    sizes = QUICK_SIZES if bench.quick else SIZES
    seconds = QUICK_WINDOW_SECONDS if bench.quick else WINDOW_SECONDS
    call_command("collectstatic", interactive=False, verbosity=0)
    _start_from_an_empty_archive()
    measured = {"sizes": list(sizes), "latency_ms": {}, "setup": {}}
    seeded = 0
    for size in sizes:
        measured["setup"][str(size)] = seed(seeded + 1, size)
        seeded = size
        print(f"   {size:,} releases: {measured['setup'][str(size)]}", flush=True)
        measured["latency_ms"][str(size)] = latency(size)
        for what, result in measured["latency_ms"][str(size)].items():
            print(f"   {what} at {size:,}: p50 {result['p50']} ms, p95 {result['p95']} ms", flush=True)
            for kind, values in result["by_query"].items():
                print(f"     {kind:10} p50 {values['p50']:>6} ms  p95 {values['p95']:>6} ms", flush=True)
    measured["plans"] = plans()
    bench.config["releases"] = sizes[-1]
    rounds = read_mix(bench, seconds)
    # Each window as in the round whose share with new searches is the median; every round in "rounds".
    shares = sorted(
        (one["with_5_percent_new_searches"]["rps"] / one["without_search"]["rps"], index)
        for index, one in enumerate(rounds)
    )
    measured["read_mix"] = rounds[shares[len(shares) // 2][1]]
    measured["read_mix_rounds"] = rounds
    measured["mix_percent"] = dict(MIX)
    small, large = (measured["latency_ms"][str(size)]["search"]["p95"] for size in sizes)
    measured["p95_growth"] = round(large / small, 2)
    small, large = (measured["latency_ms"][str(size)]["page"]["p95"] for size in sizes)
    measured["page_p95_growth"] = round(large / small, 2)
    share = dict(MIX)["search"] / sum(dict(MIX).values())
    without = pooled([one["without_search"] for one in rounds])
    for name, suffix in (("with_5_percent_search", ""), ("with_5_percent_new_searches", "_new_to_the_cache")):
        with_search = pooled([one[name] for one in rounds])
        measured[f"rps_share_with_search{suffix}"] = round(with_search["rps"] / without["rps"], 2)
        # The same share from the CPU each request cost (gunicorn, our PostgreSQL backends, Redis, the
        # client): what the requests per second would be on cores of our own.
        measured[f"cpu_share_with_search{suffix}"] = round(without["cpu_ms"] / with_search["cpu_ms"], 2)
        # What one search cost, all else as in the mix without search.
        measured[f"cpu_ms_per_search{suffix}"] = round(
            (with_search["cpu_ms"] - (1 - share) * without["cpu_ms"]) / share, 1
        )
        # Each round's own share, against the window without search of the same round.
        measured[f"rps_shares_by_round{suffix}"] = [
            round(one[name]["rps"] / one["without_search"]["rps"], 2) for one in rounds
        ]
    bench.results["search"] = measured


def pooled(windows):
    """The requests per second and CPU ms per request of WINDOWS (of one mix, equally long) taken together."""
    requests = sum(one["requests"] for one in windows)
    return {
        "rps": sum(one["rps"] for one in windows) / len(windows),
        "cpu_ms": sum(one["cpu_ms_per_request"] * one["requests"] for one in windows) / max(requests, 1),
    }
