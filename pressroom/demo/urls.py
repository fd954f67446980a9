"""The demo mailbox: mounted only while the demo's email backend keeps mail on disk."""

from django.urls import path

from . import devmail

urlpatterns = [
    path("dev/mail/", devmail.mailbox, name="devmail"),
    path("dev/mail/<str:message_id>/", devmail.message, name="devmail_message"),
    path("dev/mail/<str:message_id>/html/", devmail.message_html, name="devmail_html"),
]
