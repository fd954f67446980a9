"""The sitemap: published releases, topics that have them, and the pressroom's own pages."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
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
        return Release.objects.published().only("slug", "updated_at").order_by("-published_at", "-pk")

    def lastmod(self, item):
        return item.updated_at


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
