"""The press app's public views: the personal embargo pages, upcoming releases and press kits."""

from datetime import timedelta

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from pressroom.analytics import counts as analytics
from pressroom.analytics.models import ReleaseStat
from pressroom.newsroom import languages
from pressroom.newsroom.models import Attachment, Newsroom, Release
from pressroom.newsroom.views import (
    DOCUMENT_LABELS,
    allow_players,
    captions_response,
    download_response,
    file_download,
    image_response,
    with_page_data,
)

from .models import Announcement
from .presend import captions_url, file_url, local_time_text, poster_url, recipient_for, record_open
from .presskit import current_kit
from .upcoming import CALENDAR_PAST_DAYS, RECENT_DAYS, calendar, with_public_releases

# Embargoed pre-sends: each journalist's own links


def private(response):
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The token is in the address: links on the page must not carry it to other sites.
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
def embargo_page(request, token):
    row = recipient_for(token)
    release = row.presend.release
    if request.method == "GET":
        record_open(row)
    if release.is_public:
        return redirect(release.get_absolute_url())
    release = with_page_data(Release.objects.filter(pk=release.pk)).get()
    documents = release.documents
    for attachment in [*documents, *release.videos]:
        attachment.type_label = DOCUMENT_LABELS.get(attachment.content_type, attachment.content_type)
    video_links = list(release.video_links.all())
    with translation.override(release.language):
        context = {
            "release": release,
            "journalist": row.journalist,
            "token": token,
            "embargo": local_time_text(release.published_at),
            "images": [(image, file_url(token, image)) for image in release.images],
            "documents": [(document, file_url(token, document)) for document in documents],
            "videos": [
                (video, file_url(token, video), captions_url(token, video), poster_url(token, video))
                for video in release.videos
            ],
            "video_links": video_links,
            "contacts": Newsroom.load()
            .in_language(release.language)
            .contacts(rc.contact for rc in release.release_contacts.all()),
        }
        response = TemplateResponse(request, "pressroom/embargo.html", context)
        response.render()
    response["Content-Language"] = release.language
    allow_players(response, video_links)
    return private(response)


@require_safe
def embargo_file(request, token, pk, filename):
    row = recipient_for(token)
    release = row.presend.release
    attachment = get_object_or_404(Attachment, pk=pk, release=release)
    if filename != attachment.filename or not default_storage.exists(attachment.file.name):
        raise Http404
    if request.method == "GET":
        record_open(row, download=True)
    if release.is_public:
        return redirect(attachment.get_absolute_url())
    if attachment.is_image:
        # As on the public pages: the original size without the location it was taken at.
        stored = attachment.original_without_location()
        if stored is None:
            raise Http404
        name, download_name = stored
        return private(
            file_download(name, filename=download_name, content_type=None, cache="private, no-store")
        )
    # A video in byte ranges, as a player seeks.
    return private(download_response(attachment, cache="private, no-store", request=request))


@require_safe
def embargo_image(request, token, pk, name):
    """The page's image renditions and video posters (not counted: the page open already is)."""
    if name not in ("web", "thumb"):
        raise Http404
    row = recipient_for(token)
    shown = [Attachment.Kind.IMAGE, Attachment.Kind.VIDEO]
    attachment = get_object_or_404(Attachment, pk=pk, release=row.presend.release, kind__in=shown)
    field_file = getattr(attachment, name)
    if not field_file:
        raise Http404
    return private(image_response(field_file.name, cache="private, no-store"))


@require_safe
def embargo_captions(request, token, pk, filename):
    """A video's WebVTT captions, for its <track> element and as a download (not counted, as above)."""
    row = recipient_for(token)
    video = get_object_or_404(Attachment, pk=pk, release=row.presend.release, kind=Attachment.Kind.VIDEO)
    if not video.captions or filename != video.captions_filename:
        raise Http404
    return private(captions_response(video))


# Upcoming releases


class UpcomingView(TemplateView):
    template_name = "pressroom/upcoming.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        # Announcements in a language switched off (PRESSROOM_LANGUAGES) are not shown.
        on = languages.codes()
        recent = (
            Announcement.objects.turned(now)
            .filter(language__in=on, release__published_at__gte=now - timedelta(days=RECENT_DAYS))
            .select_related("topic")
            .order_by("-release__published_at")
        )
        return super().get_context_data(
            upcoming=Announcement.objects.upcoming(now).filter(language__in=on).select_related("topic"),
            recent=with_public_releases(recent, now),
            **kwargs,
        )


upcoming = UpcomingView.as_view()


@require_safe
def ical_feed(request):
    now = timezone.now()
    announcements = with_public_releases(
        Announcement.objects.filter(date__gte=timezone.localdate(now) - timedelta(days=CALENDAR_PAST_DAYS))
        .filter(language__in=languages.codes())
        .select_related("topic")
        .order_by("date", "time", "pk"),
        now,
    )
    response = HttpResponse(
        calendar(announcements, Newsroom.load().in_language()), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="upcoming.ics"'
    response["Cache-Control"] = "public, max-age=60"  # it links releases: gone a minute after unpublishing
    return response


# Press kits


@require_safe
def download(request, slug):
    release = get_object_or_404(Release.objects.published().prefetch_related("attachments"), slug=slug)
    kit = current_kit(release)
    response = FileResponse(
        default_storage.open(kit.file.name, "rb"),
        as_attachment=True,
        filename=f"{release.slug}-presskit.zip",
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=60"  # an unpublished release's kit leaves shared caches fast
    if request.method == "GET":
        analytics.count(ReleaseStat.Metric.PRESSKIT, release_id=release.pk, request=request)
    return response
