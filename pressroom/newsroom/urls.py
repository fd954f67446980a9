"""The public pressroom's pages, files, feeds and sitemap (named in the root URLconf's "pressroom"
namespace, with the press app's public pages)."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import feeds, jsonfeed, views
from .sitemaps import sitemaps

urlpatterns = [
    path("", views.home, name="home"),
    path("releases/<slug:slug>/", views.release_page, name="release"),
    path("preview/<int:pk>/", views.preview, name="preview"),
    path("topics/<str:language>/<slug:slug>/", views.topic, name="topic"),
    path("topics/<str:language>/<slug:slug>/rss/", feeds.TopicFeed(), name="topic_feed_rss"),
    path("topics/<str:language>/<slug:slug>/atom/", feeds.TopicAtomFeed(), name="topic_feed_atom"),
    path("archive/", views.archive, name="archive"),
    path("archive/<int:year>/", views.archive_year, name="archive_year"),
    path("search/", views.search_page, name="search"),
    path("search/suggest/", views.search_suggestions, name="search_suggestions"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/<int:pk>.vcf", views.contact_vcard, name="contact_vcard"),
    path("contacts/<int:pk>/photo/", views.contact_photo, name="contact_photo"),
    path("logo/", views.newsroom_logo, name="newsroom_logo"),
    path("cards/<str:version>.png", views.newsroom_card, name="newsroom_card"),
    path("files/<int:pk>/<str:filename>", views.attachment, name="attachment"),
    path("images/<int:pk>/<str:name>/", views.rendition, name="rendition"),
    path("images/<int:pk>/download/<str:size>/", views.image_download, name="image_download"),
    path("feed/rss/", feeds.ReleasesFeed(), name="feed_rss"),
    path("feed/atom/", feeds.ReleasesAtomFeed(), name="feed_atom"),
    path("feed/json/", jsonfeed.ReleasesJsonFeed(), name="feed_json"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
]
