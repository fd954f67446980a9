"""A pressroom per language: the language of a public page is in its address.

The default language (settings.LANGUAGE_CODE, bokmål) is at the root, the others under their code
(/nn/..., /en/...): Django's i18n_patterns without a prefix for the default language, so that the
addresses the newsroom has handed out for years keep working. The pages that have a language are
those of `pressroom.newsroom.urls.localized_patterns`; every other address (the admin, the subscription
pages, the API, files) keeps the visitor's choice, the language cookie or else Accept-Language.

A page whose language is in its address is the same for every visitor, so it varies on neither
Accept-Language nor the cookie, and shared caches keep one copy of it.
"""

import contextlib
import functools

from django.conf import settings
from django.http import Http404, HttpResponsePermanentRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import (
    LocalePrefixPattern,
    NoReverseMatch,
    Resolver404,
    URLResolver,
    get_resolver,
    get_urlconf,
    reverse,
)
from django.utils import translation
from django.utils.encoding import iri_to_uri


@functools.cache
def localized_resolver(urlconf):
    """The resolver of the i18n_patterns in URLCONF, reached through includes at "" only (so that a
    path without a language prefix resolves in it as it is)."""

    def find(resolver):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if isinstance(pattern.pattern, LocalePrefixPattern):
                    return pattern
                if str(pattern.pattern) == "":
                    found = find(pattern)
                    if found is not None:
                        return found
        return None

    return find(get_resolver(urlconf))


def page_language(path_info, urlconf=None):
    """The language of the pressroom page at PATH_INFO, or None for an address without a language."""
    language = translation.get_language_from_path(path_info)
    if language is not None and language != settings.LANGUAGE_CODE:
        return language
    resolver = localized_resolver(urlconf or get_urlconf() or settings.ROOT_URLCONF)
    if resolver is None:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        try:
            resolver.resolve(path_info.removeprefix("/"))
        except Resolver404:
            return None
    return settings.LANGUAGE_CODE


class PathLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, with the address deciding on the pressroom's pages only (Django's own
    would force the default language on every address without a prefix: the admin and the
    subscription pages too)."""

    def process_request(self, request):
        urlconf = getattr(request, "urlconf", None)
        request.page_language = page_language(request.path_info, urlconf)
        language = request.page_language or translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        if getattr(request, "page_language", None) is None:
            return super().process_response(request, response)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


# "Read this release in ...", each in the language it leads to: a reader who does not read the page's
# language still finds their own.
READ_IN = {
    "nb": "Les pressemeldingen på bokmål",
    "nn": "Les pressemeldinga på nynorsk",
    "en": "Read this release in English",
}


def codes():
    """The languages that have a pressroom: settings.LANGUAGES (PRESSROOM_LANGUAGES switches one off)."""
    return [code for code, _name in settings.LANGUAGES]


def choices(all_choices, *, keep=None):
    """ALL_CHOICES of a language field without the languages switched off (a blank choice stays), but
    with KEEP: the language a row already has, which stays readable and may be kept."""
    on = [*codes(), ""]
    return [(code, label) for code, label in all_choices if code in on or (keep and code == keep)]


def reverse_in(language, name, kwargs=None, *, args=None):
    """The address of page NAME in LANGUAGE's pressroom."""
    # Most links of a page are to its own language: override() would activate it twice more.
    if language == translation.get_language():
        return reverse(name, args=args, kwargs=kwargs)
    with translation.override(language):
        return reverse(name, args=args, kwargs=kwargs)


def home_url(language):
    return reverse_in(language, "pressroom:home")


def language_name(code):
    return translation.get_language_info(code)["name_local"]


def versions(current, urls, *, fallback_home=True):
    """The page in each language, for the language switch and the hreflang alternates.

    CURRENT: the page's language; URLS: {language: address} of the versions the page has. A language
    without a version links to its pressroom's home (FALLBACK_HOME) and is no alternate."""
    result = []
    for code, _name in settings.LANGUAGES:
        url = urls.get(code)
        result.append(
            {
                "code": code,
                "name": language_name(code),
                "url": url or (home_url(code) if fallback_home else ""),
                "is_version": url is not None,
                "is_current": code == current,
                "read_in": READ_IN.get(code, language_name(code)),
            }
        )
    return result


def x_default(urls):
    """The address for readers of any other language: the default language's version, else the
    first there is in the order of settings.LANGUAGES."""
    for code in [settings.LANGUAGE_CODE, *(code for code, _name in settings.LANGUAGES)]:
        if code in urls:
            return urls[code]
    return None


def same_page_versions(request):
    """{language: address} of the page REQUEST asks for in every language (its query kept, but not the
    page number: another language has other pages). An address that no pressroom page answers has no
    other version."""
    query = request.GET.copy()
    query.pop("page", None)
    suffix = f"?{query.urlencode()}" if query else ""
    match = request.resolver_match
    if match is None or match.url_name is None:  # no page, or one of no pressroom (the page not found)
        return {translation.get_language(): request.path + suffix}
    # The view the address resolved to, reversed in each language (rather than the address resolved again
    # for each).
    urls = {}
    for code, _name in settings.LANGUAGES:
        with contextlib.suppress(NoReverseMatch):  # no such page in CODE's pressroom
            urls[code] = reverse_in(code, match.view_name, args=match.args, kwargs=match.kwargs) + suffix
    return urls


def old_topic_address(request, language, slug, feed):
    """/topics/<language>/<slug>/ (and its feeds) is now /<language>/topics/<slug>/."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    name = {"": "pressroom:topic", "rss/": "pressroom:topic_feed_rss", "atom/": "pressroom:topic_feed_atom"}
    with translation.override(language):
        return HttpResponsePermanentRedirect(reverse(name[feed], kwargs={"slug": slug}))


def default_prefix(request, language, rest):
    """/nb/... is the default language's page, which is at the root. Any other unknown prefix: 404."""
    if language != settings.LANGUAGE_CODE:
        raise Http404
    query = request.META.get("QUERY_STRING", "")
    # Never "//host": that would send the reader to another site.
    path = iri_to_uri("/" + rest.lstrip("/\\"))
    return HttpResponsePermanentRedirect(path + (f"?{query}" if query else ""))
