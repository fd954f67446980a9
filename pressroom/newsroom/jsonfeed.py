"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1) of the published releases, beside RSS and Atom.

The feed is Django's syndication `Feed` with a JSON generator: the same items, links, dates and
attachments as the RSS and Atom feeds, plus the lead as `summary` and the header image as `image`.
"""

import json

from django.urls import reverse
from django.utils.feedgenerator import SyndicationFeed

from .feeds import ReleasesFeed, absolute

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def rfc3339(value):
    return value.isoformat() if value else None


class JsonFeedGenerator(SyndicationFeed):
    content_type = "application/feed+json; charset=utf-8"

    def feed_data(self):
        feed = self.feed
        data = {
            "version": JSON_FEED_VERSION,
            "title": feed["title"],
            "home_page_url": feed["link"],
            "feed_url": feed["feed_url"],
            "description": feed["description"],
            "language": feed["language"],
            "authors": [{"name": feed["author_name"], "url": feed["author_link"]}],
            "items": [self.item_data(item) for item in self.items],
        }
        if feed.get("icon"):
            data["icon"] = feed["icon"]
        return data

    def item_data(self, item):
        data = {
            "id": item["unique_id"] or item["link"],
            "url": item["link"],
            "title": item["title"],
            "content_html": item["description"],
            "summary": item.get("summary") or None,
            "image": item.get("image"),
            "date_published": rfc3339(item["pubdate"]),
            "date_modified": rfc3339(item["updateddate"]),
            "language": item.get("language"),
            "tags": list(item["categories"] or []),
            "attachments": [
                {
                    "url": enclosure.url,
                    "mime_type": enclosure.mime_type,
                    "size_in_bytes": int(enclosure.length),
                }
                for enclosure in item["enclosures"] or []
            ],
        }
        # JSON Feed leaves out what an item does not have rather than sending nulls or empty lists.
        return {key: value for key, value in data.items() if value not in (None, [], "")}

    def write(self, outfile, encoding):
        outfile.write(json.dumps(self.feed_data(), ensure_ascii=False, indent=1))


class ReleasesJsonFeed(ReleasesFeed):
    feed_type = JsonFeedGenerator

    def feed_url(self, obj):
        return absolute(reverse("pressroom:feed_json"))

    def feed_extra_kwargs(self, obj):
        return {"icon": absolute(reverse("pressroom:newsroom_logo")) if obj.logo else None}

    def item_extra_kwargs(self, item):
        image = item.header_image
        return {
            "summary": item.lead,
            "language": item.language,
            "image": absolute(image.get_rendition_url("web")) if image and image.web else None,
        }
