"""The sitemap of each language's pressroom (/sitemap.xml, /nn/sitemap.xml, /en/sitemap.xml): its
published releases, its topics that have them, and its own pages. Pages and releases that exist in
other languages list every version, and x-default, as `xhtml:link` alternates, as search engines read
them. robots.txt names the three."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.utils import translation

from . import languages
from .models import Release, Topic


class SiteUrlSitemap(Sitemap):
    """Addresses on settings.SITE_URL, the canonical site, whatever host the request came in on."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def absolute(self, path):
        return f"{self.get_protocol()}://{self.get_domain()}{path}"

    def alternates_of(self, urls):
        """`xhtml:link` alternates of a page whose versions are URLS ({language: path}), and x-default."""
        alternates = [
            {"lang_code": code, "location": self.absolute(urls[code])}
            for code, _name in settings.LANGUAGES
            if code in urls
        ]
        return [*alternates, {"lang_code": "x-default", "location": self.absolute(languages.x_default(urls))}]


class ReleaseSitemap(SiteUrlSitemap):
    changefreq = "monthly"

    def items(self):
        return (
            Release.objects.published()
            .filter(language=translation.get_language())
            .only("slug", "language", "updated_at", "translation_group_id")
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, item):
        return item.updated_at

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        versions = public_versions([url["item"] for url in urls])
        for url in urls:
            group = versions.get(url["item"].translation_group_id, {})
            if len(group) > 1:
                url["alternates"] = self.alternates_of(group)
        return urls


def public_versions(releases):
    """{translation group id: {language: path}} of the public releases in the groups of RELEASES."""
    groups = {release.translation_group_id for release in releases if release.translation_group_id}
    versions = {}
    for release in (
        Release.objects.published()
        .filter(translation_group__in=groups)
        .only("slug", "language", "translation_group_id")
    ):
        versions.setdefault(release.translation_group_id, {})[release.language] = release.get_absolute_url()
    return versions


class TopicSitemap(SiteUrlSitemap):
    changefreq = "weekly"

    def items(self):
        language = translation.get_language()
        public = Release.objects.published().filter(language=language)
        return Topic.objects.filter(language=language, releases__in=public).distinct().order_by("pk")


class PageSitemap(SiteUrlSitemap):
    """The pressroom's own pages, which every language has."""

    changefreq = "daily"

    def items(self):
        return ["pressroom:home", "pressroom:archive", "pressroom:media", "pressroom:contacts"]

    def location(self, item):
        return languages.reverse_in(translation.get_language(), item)

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        for url in urls:
            name = url["item"]
            url["alternates"] = self.alternates_of(
                {code: languages.reverse_in(code, name) for code, _name in settings.LANGUAGES}
            )
        return urls


sitemaps = {"pages": PageSitemap, "releases": ReleaseSitemap, "topics": TopicSitemap}
