"""The root URLconf: the admin, the subscription flow, the demo mailbox and the public pressroom."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import devmail, views

public_patterns = [
    path("", views.home, name="home"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("subscribe/", include("subscriptions.urls")),
    path("", include((public_patterns, "pressroom"))),
]

if settings.EMAIL_BACKEND == "pressroom.devmail.EmailBackend":
    urlpatterns += [
        path("dev/mail/", devmail.mailbox, name="devmail"),
        path("dev/mail/<str:message_id>/", devmail.message, name="devmail_message"),
        path("dev/mail/<str:message_id>/html/", devmail.message_html, name="devmail_html"),
    ]
