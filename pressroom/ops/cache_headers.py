"""An explicit Cache-Control on every response that does not set its own.

A shared cache (a CDN, a proxy) may keep a response without one for as long as its heuristics say: a
feed whose Last-Modified is a week old, for most of a day, past an unpublication. So every public
response says how long it may be kept: a minute at most (PUBLIC_MAX_AGE), the time within which a
publication, an embargo lifting or an unpublication shows everywhere. Pages that carry a visitor's CSRF
token or session vary on Cookie and are private: a shared cache must not hand one visitor's token to the
next.
"""

from django.utils.cache import has_vary_header, patch_cache_control

PUBLIC_MAX_AGE = 60  # seconds


class CacheControlMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        if request.method in ("GET", "HEAD") and not has_vary_header(response, "Cookie"):
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        else:
            patch_cache_control(response, private=True)
        return response
