"""The API's HTTP conventions: JSON errors, CORS and conditional requests for the public endpoints, token
authentication, scopes and rate limits for the editors' endpoints."""

import hashlib
import logging
import time
from functools import wraps

from django.core.cache import cache
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

log = logging.getLogger(__name__)

PUBLIC_CACHE_CONTROL = "public, max-age=60"
# How long the time of a URL's last change is remembered (see last_changed()).
LAST_CHANGED_SECONDS = 30 * 24 * 3600


class ApiError(Exception):
    """An error answered as `{"errors": {"field": ["message", ...]}}` with STATUS."""

    def __init__(self, status, errors, headers=None):
        super().__init__(status, errors)
        self.status = status
        self.errors = errors
        self.headers = headers or {}


def json_response(data, status=200):
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def error_response(status, errors, headers=None):
    response = json_response({"errors": errors}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def not_allowed(allowed):
    response = error_response(405, {"__all__": [_("This method is not allowed here.")]})
    response["Allow"] = ", ".join(allowed)
    return response


def not_found():
    return ApiError(404, {"__all__": [_("Not found.")]})


def with_cors(response):
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
    return response


def last_changed(request, etag):
    """The time this URL's content last changed, as far as we have seen: the time its ETag last differed.

    The content of a list changes when a release is unpublished or a contact edited, which no timestamp
    in the data records; remembering when each URL's ETag changed gives a Last-Modified that is never
    earlier than the real change. Without the cache there is no Last-Modified, and ETags still work."""
    key = "api:changed:" + hashlib.sha256(request.get_full_path().encode()).hexdigest()
    try:
        seen = cache.get(key)
        if seen and seen[0] == etag:
            return seen[1]
        now = int(time.time())
        cache.set(key, (etag, now), timeout=LAST_CHANGED_SECONDS)
        return now
    except Exception:
        log.exception("API: the cache is unavailable; answering without Last-Modified")
        return None


def conditional(request, response):
    """ETag and Last-Modified on a 200, and a 304 when the client's copy is current."""
    if response.status_code != 200:
        return response
    etag = quote_etag(hashlib.sha256(response.content).hexdigest()[:40])
    response["ETag"] = etag
    response["Cache-Control"] = PUBLIC_CACHE_CONTROL
    last_modified = last_changed(request, etag)
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    return get_conditional_response(request, etag=etag, last_modified=last_modified, response=response)


def public_endpoint(view):
    """A public, read-only endpoint: GET and HEAD, CORS for any origin, ETag and Last-Modified, 304s."""
    allowed = ["GET", "HEAD", "OPTIONS"]

    # Exempt so that any other method meets the 405 below rather than a CSRF page: nothing here writes.
    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Allow"] = ", ".join(allowed)
            response["Access-Control-Allow-Methods"] = ", ".join(allowed)
            response["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
            response["Access-Control-Max-Age"] = "86400"
            return with_cors(response)
        if request.method not in allowed:
            return not_allowed(allowed)
        try:
            response = conditional(request, view(request, *args, **kwargs))
        except Http404:
            response = error_response(404, not_found().errors)
        except ApiError as exc:
            response = error_response(exc.status, exc.errors, exc.headers)
        if response.status_code not in (200, 304):
            # Errors are in the client's language and say nothing worth keeping in a shared cache.
            response["Cache-Control"] = "no-store"
        return with_cors(response)

    return wrapper
