"""An explicit Cache-Control on every response that does not set its own.

A shared cache (a CDN, a proxy) may keep a response without one for as long as its heuristics say: a
feed whose Last-Modified is a week old, for most of a day, past an unpublication. So every public
response says how long it may be kept: a minute at most (PUBLIC_MAX_AGE), the time within which a
publication, an embargo lifting or an unpublication shows everywhere. Pages that carry a visitor's CSRF
token or session vary on Cookie and are private: a shared cache must not hand one visitor's token to the
next. Errors (4xx, 5xx: a bad Host header, a missing page, a database that does not answer) are never
kept: they say nothing worth sharing, and a kept one would outlive its cause.

The pressroom's own pages have their language in their address (/, /nn/, /en/:
pressroom/newsroom/languages.py) and vary on nothing else. The other public pages (the sign-up pages)
take their language from the language cookie (set by the switcher those pages show) or else from
Accept-Language, and Django's LocaleMiddleware names only Accept-Language in Vary. So a shared cache
could hand the English page that one reader chose to Norwegian readers. LanguageVaryMiddleware adds
Cookie to the Vary of every public response that varies on the language. It stays public: a shared cache
then keeps one copy per Accept-Language for the visitors without cookies (most readers), and one per
cookie for the others, which is correct if less shared. It runs outside the page cache, which keys its
copies by the language itself (cookie included) and so stores them as they were; the decision above
(Vary: Cookie from the session or CSRF middleware means private) is taken before it, so it still sees
only those.
"""

from django.utils.cache import has_vary_header, patch_cache_control, patch_vary_headers

PUBLIC_MAX_AGE = 60  # seconds


class CacheControlMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code >= 400:
            if "no-store" not in response.get("Cache-Control", ""):
                response["Cache-Control"] = "no-store"
            return response
        if response.has_header("Cache-Control"):
            return response
        if request.method in ("GET", "HEAD") and not has_vary_header(response, "Cookie"):
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        else:
            patch_cache_control(response, private=True)
        return response


class LanguageVaryMiddleware:
    """Public responses whose language was negotiated also vary on the language cookie (see above)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        cache_control = response.get("Cache-Control", "")
        if "public" in cache_control and has_vary_header(response, "Accept-Language"):
            patch_vary_headers(response, ["Cookie"])
        return response
