"""RSS and Atom feeds of the published releases, for all releases and per topic.

Items carry the full release (lead and body), the topics as categories and the attachments as
enclosures. RSS 2.0 allows one <enclosure> per item: the first video if there is one, else the first
attachment; the RSS feed lists every attachment as Media RSS <media:content> as well, a video with its
captions (<media:subTitle>) and poster (<media:thumbnail>). The newsroom is the author of the feed and
of every item (Atom requires one). Each language's pressroom has its feeds (/feed/rss/, /nn/feed/rss/,
/en/feed/rss/), with that language's releases only, written in that language and saying so; a topic is
in one language, so its feeds are in that language's pressroom.
"""

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.html import escape, strip_tags
from django.utils.translation import gettext as _

from .models import Newsroom, Release, Topic

MEDIA_RSS = "http://search.yahoo.com/mrss/"
XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xml_safe(text):
    """TEXT without the control characters XML 1.0 cannot hold: one vertical tab pasted from a word
    processor into a title would otherwise turn every feed that lists it into a server error."""
    return XML_INVALID.sub("", text)


def absolute(url):
    return f"{settings.SITE_URL}{url}"


class MediaRssFeed(Rss201rev2Feed):
    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:media": MEDIA_RSS}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for enclosure, extra in item.get("media", ()):
            attrs = {"url": enclosure.url, "fileSize": enclosure.length, "type": enclosure.mime_type}
            handler.startElement("media:content", {**attrs, **extra.get("attrs", {})})
            if extra.get("captions"):
                handler.addQuickElement("media:subTitle", attrs=extra["captions"])
            if extra.get("thumbnail"):
                handler.addQuickElement("media:thumbnail", attrs={"url": extra["thumbnail"]})
            handler.endElement("media:content")


class ReleasesFeed(Feed):
    feed_type = MediaRssFeed

    def get_object(self, request):
        # The feed's language is its address's (/nn/feed/...): the newsroom's texts in it.
        return Newsroom.load().in_language()

    def title(self, obj):
        return _("Press releases from %(name)s") % {"name": obj.name}

    def link(self, obj):
        return absolute(reverse("pressroom:home"))

    def feed_url(self, obj):
        return absolute(reverse("pressroom:feed_rss"))

    def description(self, obj):
        return obj.tagline or self.title(obj)

    def newsroom(self, obj):
        return obj

    def author_name(self, obj):
        return self.newsroom(obj).name

    def author_link(self, obj):
        return self.newsroom(obj).website or absolute(reverse("pressroom:home"))

    def releases(self, obj):
        return Release.objects.published().filter(language=translation.get_language())

    def items(self, obj):
        releases = self.releases(obj).for_listing().prefetch_related("attachments")
        return releases[: settings.PRESSROOM_FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        lead = f"<p><strong>{escape(item.lead)}</strong></p>" if item.lead else ""
        content = lead + item.body  # The body is sanitized when it is saved.
        # A release of a title only still has content: readers (and JSON Feed) need some.
        return content if strip_tags(content).strip() else f"<p>{escape(item.title)}</p>"

    def item_link(self, item):
        return absolute(item.get_absolute_url())

    def item_guid(self, item):
        return absolute(item.get_absolute_url())

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [topic.name for topic in item.topics.all()]

    def item_enclosures(self, item):
        return [
            Enclosure(absolute(attachment.get_absolute_url()), str(attachment.size), attachment.content_type)
            for attachment in item.attachments.all()
        ]

    def item_extra_kwargs(self, item):
        return {
            "media": list(
                zip(self.item_enclosures(item), map(media_extra, item.attachments.all()), strict=True)
            )
        }

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        for item in feed.items:
            item["author_name"] = feed.feed["author_name"]
            item["author_link"] = feed.feed["author_link"]
        for data in (feed.feed, *feed.items):
            for key, value in data.items():
                if isinstance(value, str):
                    data[key] = xml_safe(value)
                elif key == "categories":
                    data[key] = [xml_safe(category) for category in value]
        # RSS 2.0 allows one <enclosure>: the first video, else the first attachment (the header image);
        # every attachment is a media:content.
        if self.feed_type is MediaRssFeed:
            for item in feed.items:
                videos = [e for e in item["enclosures"] if e.mime_type.startswith("video/")]
                item["enclosures"] = (videos or item["enclosures"])[:1]
        return feed


def media_extra(attachment):
    """What Media RSS says of ATTACHMENT beside its address, size and type: its medium, and a video's
    captions and poster."""
    medium = {"image": "image", "video": "video"}.get(attachment.kind, "document")
    extra = {"attrs": {"medium": medium}}
    if attachment.is_video and attachment.captions:
        extra["captions"] = {
            "type": "text/vtt",
            "lang": attachment.captions_srclang,
            "href": absolute(attachment.captions_url),
        }
    if attachment.poster_url:
        extra["thumbnail"] = absolute(attachment.poster_url)
    return extra


class ReleasesAtomFeed(ReleasesFeed):
    feed_type = Atom1Feed

    def feed_url(self, obj):
        return absolute(reverse("pressroom:feed_atom"))

    def subtitle(self, obj):
        return self.description(obj)


class TopicFeed(ReleasesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Topic, language=translation.get_language(), slug=slug)

    def newsroom(self, obj):
        return Newsroom.load().in_language()

    def title(self, obj):
        return _("%(topic)s: press releases from %(name)s") % {
            "topic": obj.name,
            "name": self.newsroom(obj).name,
        }

    def link(self, obj):
        return absolute(obj.get_absolute_url())

    def feed_url(self, obj):
        return absolute(reverse("pressroom:topic_feed_rss", kwargs={"slug": obj.slug}))

    def description(self, obj):
        return self.title(obj)

    def releases(self, obj):
        return super().releases(obj).filter(topics=obj)


class TopicAtomFeed(TopicFeed):
    feed_type = Atom1Feed

    def feed_url(self, obj):
        return absolute(reverse("pressroom:topic_feed_atom", kwargs={"slug": obj.slug}))

    def subtitle(self, obj):
        return self.description(obj)
