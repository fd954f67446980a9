"""The sitemap: published releases, topics that have them, and the pressroom's own pages. A release with a
public translation lists both versions as `xhtml:link` alternates, as search engines read them."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Q
from django.urls import reverse

from .models import Release, Topic


class SiteUrlSitemap(Sitemap):
    """Addresses on settings.SITE_URL, the canonical site, whatever host the request came in on."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class ReleaseSitemap(SiteUrlSitemap):
    changefreq = "monthly"

    def items(self):
        return (
            Release.objects.published()
            .only("slug", "language", "updated_at")
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, item):
        return item.updated_at

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        versions = public_versions([url["item"].pk for url in urls])
        for url in urls:
            release = url["item"]
            if release.pk in versions:
                url["alternates"] = [
                    {
                        "lang_code": language,
                        "location": self.absolute(reverse("pressroom:release", args=[slug])),
                    }
                    for language, slug in sorted(versions[release.pk])
                ]
        return urls

    def absolute(self, path):
        return f"{self.get_protocol()}://{self.get_domain()}{path}"


def public_versions(ids):
    """{release id: {(language, slug), ...}} for the releases of IDS that have a public translation: the
    release itself and its translation, both public."""
    pairs = (
        Release.objects.published()
        .filter(translation_of__in=Release.objects.published())
        .filter(Q(pk__in=ids) | Q(translation_of__in=ids))
        .values_list(
            "pk", "language", "slug", "translation_of", "translation_of__language", "translation_of__slug"
        )
    )
    versions = {}
    for pk, language, slug, original_pk, original_language, original_slug in pairs:
        both = {(language, slug), (original_language, original_slug)}
        versions[pk] = versions[original_pk] = both
    return versions


class TopicSitemap(SiteUrlSitemap):
    changefreq = "weekly"

    def items(self):
        return Topic.objects.filter(releases__in=Release.objects.published()).distinct().order_by("pk")


class PageSitemap(SiteUrlSitemap):
    changefreq = "daily"

    def items(self):
        return ["pressroom:home", "pressroom:archive", "pressroom:contacts"]

    def location(self, item):
        return reverse(item)


sitemaps = {"pages": PageSitemap, "releases": ReleaseSitemap, "topics": TopicSitemap}
