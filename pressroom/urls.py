"""The root URLconf: the admin, the subscription flow, the demo mailbox and the public pressroom."""

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from . import devmail, feeds, health, jsonfeed, login_throttle, presend, presskit, upcoming, views
from .sitemaps import sitemaps

public_patterns = [
    path("", views.home, name="home"),
    path("releases/<slug:slug>/", views.release_page, name="release"),
    path("preview/<int:pk>/", views.preview, name="preview"),
    path("topics/<str:language>/<slug:slug>/", views.topic, name="topic"),
    path("topics/<str:language>/<slug:slug>/rss/", feeds.TopicFeed(), name="topic_feed_rss"),
    path("topics/<str:language>/<slug:slug>/atom/", feeds.TopicAtomFeed(), name="topic_feed_atom"),
    path("archive/", views.archive, name="archive"),
    path("archive/<int:year>/", views.archive_year, name="archive_year"),
    path("search/", views.search, name="search"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/<int:pk>.vcf", views.contact_vcard, name="contact_vcard"),
    path("contacts/<int:pk>/photo/", views.contact_photo, name="contact_photo"),
    path("logo/", views.newsroom_logo, name="newsroom_logo"),
    path("files/<int:pk>/<str:filename>", views.attachment, name="attachment"),
    path("images/<int:pk>/<str:name>/", views.rendition, name="rendition"),
    path("feed/rss/", feeds.ReleasesFeed(), name="feed_rss"),
    path("feed/atom/", feeds.ReleasesAtomFeed(), name="feed_atom"),
    path("feed/json/", jsonfeed.ReleasesJsonFeed(), name="feed_json"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("api/v1/", include("pressroom.api_urls")),
    # Issue 9: upcoming releases, press kits, embargoed pre-sends (personal links only), health.
    path("upcoming/", upcoming.upcoming, name="upcoming"),
    path("upcoming.ics", upcoming.ical_feed, name="upcoming_ics"),
    path("releases/<slug:slug>/presskit.zip", presskit.download, name="presskit"),
    path("embargo/<str:token>/", presend.embargo_page, name="embargo"),
    path("embargo/<str:token>/files/<int:pk>/<str:filename>", presend.embargo_file, name="embargo_file"),
    path("embargo/<str:token>/images/<int:pk>/<str:name>/", presend.embargo_image, name="embargo_image"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", health.live, name="healthz_live"),
    path("healthz/ready", health.ready, name="healthz_ready"),
]

# The admin's login stops checking passwords after repeated failures (pressroom/login_throttle.py).
admin.site.login_form = login_throttle.ThrottledLoginForm

urlpatterns = [
    path("admin/", admin.site.urls),
    # Without a CSRF token, like the sign-up box: the switcher is on every public page, which then stay
    # cacheable. A forged request can only change the visitor's interface language.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("subscribe/", include("subscriptions.urls")),
    # Provider webhooks (bounces, complaints, unsubscribes, deliveries), authenticated as anymail requires.
    path("anymail/", include("anymail.urls")),
    path("", include((public_patterns, "pressroom"))),
]

if settings.EMAIL_BACKEND == "pressroom.devmail.EmailBackend":
    urlpatterns += [
        path("dev/mail/", devmail.mailbox, name="devmail"),
        path("dev/mail/<str:message_id>/", devmail.message, name="devmail_message"),
        path("dev/mail/<str:message_id>/html/", devmail.message_html, name="devmail_html"),
    ]
