"""The public pressroom's pages, files, feeds and sitemap (named in the root URLconf's "pressroom"
namespace, with the press app's public pages).

`localized_patterns` are the pressroom of each language: at the root for the default language
(settings.LANGUAGE_CODE, bokmål), under /nn/ and /en/ for the others (pressroom/newsroom/languages.py).
`urlpatterns` are the same for every language: files, images, the staff preview, and the redirects
from addresses that changed when the pressroom got one per language.
"""

from django.contrib.sitemaps.views import sitemap
from django.urls import path, re_path

from . import feeds, jsonfeed, languages, views
from .sitemaps import sitemaps

localized_patterns = [
    path("", views.home, name="home"),
    path("releases/<slug:slug>/", views.release_page, name="release"),
    path("topics/<slug:slug>/", views.topic, name="topic"),
    path("topics/<slug:slug>/rss/", feeds.TopicFeed(), name="topic_feed_rss"),
    path("topics/<slug:slug>/atom/", feeds.TopicAtomFeed(), name="topic_feed_atom"),
    path("archive/", views.archive, name="archive"),
    path("archive/<int:year>/", views.archive_year, name="archive_year"),
    path("search/", views.search_page, name="search"),
    path("search/suggest/", views.search_suggestions, name="search_suggestions"),
    path("contacts/", views.contacts, name="contacts"),
    path("media/", views.media, name="media"),
    path("media/<slug:tab>/", views.media, name="media_tab"),
    path("media/<int:pk>/<slug:slug>/", views.asset_page, name="asset"),
    path("feed/rss/", feeds.ReleasesFeed(), name="feed_rss"),
    path("feed/atom/", feeds.ReleasesAtomFeed(), name="feed_atom"),
    path("feed/json/", jsonfeed.ReleasesJsonFeed(), name="feed_json"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
]

urlpatterns = [
    path("preview/<int:pk>/", views.preview, name="preview"),
    path("contacts/<int:pk>.vcf", views.contact_vcard, name="contact_vcard"),
    path("contacts/<int:pk>/photo/", views.contact_photo, name="contact_photo"),
    path("contacts/<int:pk>/photo/<str:name>/", views.contact_photo, name="contact_photo_rendition"),
    path("logo/", views.newsroom_image, {"field": "logo"}, name="newsroom_logo"),
    path("cover/", views.newsroom_image, {"field": "cover"}, name="newsroom_cover"),
    path("brand/<str:name>/", views.brand_image, name="brand_image"),
    path("cards/<str:version>.png", views.newsroom_card, name="newsroom_card"),
    path("files/<int:pk>/<str:filename>", views.attachment, name="attachment"),
    path("files/<int:pk>/captions/<str:filename>", views.captions, name="captions"),
    path("images/<int:pk>/<str:name>/", views.rendition, name="rendition"),
    path("images/<int:pk>/download/<str:size>/", views.image_download, name="image_download"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
    # Topic pages and feeds had the language in the middle: /topics/en/integration/ and its feeds.
    re_path(
        r"^topics/(?P<language>[a-z]{2})/(?P<slug>[-\w]+)/(?P<feed>(?:rss/|atom/)?)$",
        languages.old_topic_address,
    ),
]

# Last: /nb/... (the default language under its code) goes to the root; any other unknown prefix is a 404.
prefix_patterns = [
    re_path(r"^(?P<language>[a-z]{2}(?:-[a-z]{2,4})?)/(?P<rest>.*)$", languages.default_prefix)
]
