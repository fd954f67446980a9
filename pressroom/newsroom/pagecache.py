"""A server-side cache of the public pages, shared by every web process through Redis.

A public page is the same for every anonymous visitor who reads it in the same language, so it is
rendered once and then served from the cache: a hit costs one Redis read and no query, template or
view. What may be stored is decided by the response itself: a 200 to a GET that says `public` in its
Cache-Control (pressroom/ops/cache_headers.py), varies on nothing but the language and sets no cookie.
Pages with a visitor's CSRF token or session, staff previews, private files and API answers to a token
are never stored, and requests that carry a session cookie or an Authorization header are never
served from it.

Freshness, which the embargo depends on:
- every save or delete of the published content (releases, their files, contacts and topics, the
  newsroom profile, corrections...) moves the cache to a new generation, so the next request renders
  afresh; the move happens at once and again when the transaction commits, so a page rendered from
  data that was about to change is not kept;
- an entry never outlives the next scheduled publication time: a page rendered before an embargo
  lifts expires when it lifts, even if the beat task that marks the release published is late;
- and never more than PAGE_CACHE_SECONDS (default 60, the most a shared cache may keep a page too).
Each process reads the generation at most once a second (PAGE_CACHE_GENERATION_SECONDS), so an edit
shows in the process that made it at once and in the others within that second.

Pages whose query string chooses what they show (a search, the media bank's filters) are stored when
the view says so (`cache_per_query(response)`) and only once the same address is asked for a second time
within PAGE_CACHE_SECONDS: a search journalists repeat is served from the cache, while a search asked
once, like any number of made-up ones, leaves nothing in Redis but a small marker that expires with it.
A plain archive page (`?page=3`) is stored at once, as a page without a query string is.

Parts of pages that are the same for every request (the newsroom profile, the search page's filter
choices) are kept in each process under the same rules (`part`): pages rendered afresh still skip them.

PAGE_CACHE_SECONDS=0 turns it off. If Redis does not answer, pages are served uncached.
"""

import hashlib
import logging
import math
import pickle
import re
import time

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone, translation

from pressroom.ops.redisclient import client
from pressroom.ops.redisclient import key as prefixed

from . import languages

log = logging.getLogger(__name__)

GENERATION = "pagecache:generation"
# Archive pagination is stored at once; other query strings only if the view asks and on a second request.
PAGINATION_ONLY = re.compile(r"(page=\d{1,6})?")
# Longer query strings are never looked up or stored (a search is at most 200 characters of words).
MAX_QUERY_STRING = 1000
# The apps whose rows public pages show (the press app's announcements and corrections among them), less
# the bookkeeping that no public page shows: saving it leaves the pages as they are.
CONTENT_APPS = {"newsroom", "press"}
NOT_CONTENT = {"Journalist", "PressList", "PreSendRecipient", "CorrectionNotice"}


# This process's copy of the generation and when it was read: Redis is asked again after
# PAGE_CACHE_GENERATION_SECONDS, so a hit costs one Redis read, not two.
_seen = {"generation": 0, "at": -math.inf}


def generation():
    now = time.monotonic()
    if now - _seen["at"] >= settings.PAGE_CACHE_GENERATION_SECONDS:
        _seen["generation"], _seen["at"] = int(client().get(prefixed(GENERATION)) or 0), now
    return _seen["generation"]


# Parts of pages that depend on the published content alone, whatever the request (the search page's
# filter choices, the base template's head, header and footer): {name: (generation, monotonic time it
# expires, value)}, in this process; under KEEP, the last reading of seconds_to_keep().
_parts = {}
KEEP = ("seconds_to_keep",)


def part(name, compute):
    """COMPUTE()'s value, kept in this process as long as a page rendered now may be kept: until the
    published content changes (a new generation), the next publication time or PAGE_CACHE_SECONDS.
    For what is the same for every request and small; never for what a request chooses (the one bounded
    exception: search.known_beginning keeps the prefixes asked for in a dict of at most 2,000)."""
    if not settings.PAGE_CACHE_SECONDS:
        return compute()
    try:
        current = generation()
    except Exception as exc:  # noqa: BLE001 - computed afresh rather than fail
        log.warning("page cache: generation not read: %s", exc)
        return compute()
    now = time.monotonic()
    kept = _parts.get(name)
    if kept is not None and kept[0] == current and now < kept[1]:
        return kept[2]
    value = compute()
    _parts[name] = (current, now + seconds_to_keep_now(current), value)
    return value


def seconds_to_keep_now(current):
    """seconds_to_keep(), read at most once a second in this process and generation: a page's parts and
    the page itself ask for it within the same request, and the next publication time is a query."""
    now = time.monotonic()
    kept = _parts.get(KEEP)
    if kept is None or kept[0] != current or now - kept[1] >= 1:
        kept = _parts[KEEP] = (current, now, seconds_to_keep())
    return kept[2] - (now - kept[1])


def invalidate():
    """Start a new generation: every page is rendered afresh on its next request (in this process at
    once, in the others within PAGE_CACHE_GENERATION_SECONDS)."""
    value = time.time_ns()
    try:
        client().set(prefixed(GENERATION), value)
    except Exception as exc:  # noqa: BLE001 - the cache being down must not fail the edit
        log.warning("page cache: not invalidated: %s", exc)
    _seen["generation"], _seen["at"] = value, time.monotonic()


def invalidate_now_and_on_commit():
    invalidate()
    transaction.on_commit(invalidate)


def is_content(model):
    return model._meta.app_label in CONTENT_APPS and model.__name__ not in NOT_CONTENT


def content_changed(sender, **kwargs):
    if is_content(sender):
        invalidate_now_and_on_commit()


def connect_signals():
    post_save.connect(content_changed, dispatch_uid="pagecache-save")
    post_delete.connect(content_changed, dispatch_uid="pagecache-delete")
    m2m_changed.connect(content_changed, dispatch_uid="pagecache-m2m")


def seconds_to_keep(now=None):
    """How long a page rendered now may be kept: PAGE_CACHE_SECONDS, cut at the next publication time."""
    now = now or timezone.now()
    next_at = apps.get_model("newsroom", "Release").objects.next_publication_at(now)
    seconds = settings.PAGE_CACHE_SECONDS
    if next_at is not None:
        seconds = min(seconds, math.floor((next_at - now).total_seconds()))
    return seconds


def request_is_cacheable(request):
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
        # Conditional requests go to the views, which answer 304 Not Modified themselves.
        and "HTTP_IF_NONE_MATCH" not in request.META
        and "HTTP_IF_MODIFIED_SINCE" not in request.META
        and len(request.META.get("QUERY_STRING", "")) <= MAX_QUERY_STRING
    )


def cache_per_query(response):
    """Let the page cache store RESPONSE under its query string (see the module docstring): for views whose
    query string only chooses among public content. Such a view has as many addresses as anyone cares to
    make up, hence the rule of the second request (admitted())."""
    response.page_cache_per_query = True
    return response


def admitted(request, response, page_key):
    """Whether RESPONSE is stored: at once without a query string or with a page number alone; under
    another query string only if the view allows it and the address was asked for before, within
    PAGE_CACHE_SECONDS."""
    if PAGINATION_ONLY.fullmatch(request.META.get("QUERY_STRING", "")):
        return True
    if not getattr(response, "page_cache_per_query", False):
        return False
    # SET NX answers None when the marker is there already: the second request for the address.
    return client().set(f"{page_key}:asked", 1, nx=True, ex=settings.PAGE_CACHE_SECONDS) is None


def response_is_cacheable(request, response):
    cache_control = response.get("Cache-Control", "")
    return (
        request.method == "GET"
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "public" in cache_control
        and "no-store" not in cache_control
        # Copies are keyed by language (and path, host): a response that varies on anything else
        # (Cookie, Authorization, *) is not for everyone.
        and varies_on(response) <= {"accept-language"}
        and getattr(response, "page_cache", True)
    )


def varies_on(response):
    return {name.strip().lower() for name in response.get("Vary", "").split(",") if name.strip()}


def key(request, generation):
    language = languages.page_language(request.path_info) or translation.get_language_from_request(request)
    digest = hashlib.blake2b(request.get_full_path().encode(), digest_size=16).hexdigest()
    return prefixed(f"pagecache:{generation}:{language}:{request.get_host()}:{digest}")


class PageCacheMiddleware:
    """Serves stored public pages; stores the public pages it lets through. See the module docstring."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.PAGE_CACHE_SECONDS or not request_is_cacheable(request):
            return self.get_response(request)
        try:
            current = generation()
            page_key = key(request, current)
            entry = client().get(page_key)
        except Exception as exc:  # noqa: BLE001 - serve the page uncached rather than fail
            log.warning("page cache: not read: %s", exc)
            return self.get_response(request)
        if entry is not None:
            return restore(entry)
        response = self.get_response(request)
        if response_is_cacheable(request, response):
            try:
                if (
                    admitted(request, response, page_key)
                    and (seconds := int(seconds_to_keep_now(current))) > 0
                ):
                    client().set(page_key, freeze(response), ex=seconds)
            except Exception as exc:  # noqa: BLE001
                log.warning("page cache: not stored: %s", exc)
        return response


def freeze(response):
    entry = (
        response.status_code,
        list(response.headers.items()),
        response.content,
        getattr(response, "release_id", None),
    )
    return pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)


def restore(entry):
    # Written by freeze() into the installation's own Redis, as Django's cache pickles its values.
    status, headers, content, release_id = pickle.loads(entry)  # noqa: S301
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response.headers[name] = value
    response.release_id = release_id
    return response
