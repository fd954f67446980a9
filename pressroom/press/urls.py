"""The press app's public pages: upcoming releases, press kits and the personal embargo links."""

from django.urls import path

from . import views

urlpatterns = [
    path("upcoming/", views.upcoming, name="upcoming"),
    path("upcoming.ics", views.ical_feed, name="upcoming_ics"),
    path("releases/<slug:slug>/presskit.zip", views.download, name="presskit"),
    path("embargo/<str:token>/", views.embargo_page, name="embargo"),
    path("embargo/<str:token>/files/<int:pk>/<str:filename>", views.embargo_file, name="embargo_file"),
    path("embargo/<str:token>/images/<int:pk>/<str:name>/", views.embargo_image, name="embargo_image"),
    path(
        "embargo/<str:token>/captions/<int:pk>/<str:filename>",
        views.embargo_captions,
        name="embargo_captions",
    ),  # fmt: skip
]
