"""The public pressroom: pages for journalists, file downloads and the staff preview.

Every list and every file goes through `Release.objects.published()`; the only way around it is the
staff preview.
"""

import json
import mimetypes
import re
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_permission_codename
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import ExtractYear
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.generic import ListView, TemplateView

from . import brand, embeds, filelinks, languages, linkpreview, mediabank, pagecache, renditions, search
from .forms import ReleaseFilterForm, SearchFilterForm
from .models import Attachment, Contact, Newsroom, Release, ReleaseContact, Topic
from .text import plain_text
from .vcard import contact_vcard as build_vcard
from .vcard import vcard_filename

LATEST_COUNT = 5
# Images Pressroom serves inline (logo, contact photos, renditions); anything else is a download.
INLINE_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
DOCUMENT_LABELS = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/vnd.oasis.opendocument.text": "OpenDocument Text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument Spreadsheet",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument Presentation",
    "text/plain": "Text",
    "text/csv": "CSV",
    "video/mp4": "MP4",
    "video/webm": "WebM",
}
# One byte range, as video players ask for one when seeking ("bytes=START-END", "bytes=START-",
# "bytes=-LAST").
BYTE_RANGE = re.compile(r"bytes=(\d{0,19})-(\d{0,19})\Z")
RANGE_CHUNK = 256 * 1024
# Escapes that keep JSON from ending a <script> element or opening an HTML comment.
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def absolute(url):
    return f"{settings.SITE_URL}{url}"


def in_this_language():
    """The public releases of the pressroom being read: the publication rule, in the page's language."""
    return Release.objects.published().filter(language=translation.get_language())


def listed(queryset):
    """Releases as the lists show them: topics and the header image without a query per item."""
    return queryset.prefetch_related("topics", "attachments")


def public_topics(language=None):
    """Topics with at least one public release, so a draft's topic does not announce it: LANGUAGE's
    topics with a public release in LANGUAGE, or (None) every pressroom language's. Each topic's test
    stops at its first public release, whatever the size of the archive."""
    public, topics = Release.objects.published().filter(topics=OuterRef("pk")), Topic.objects.all()
    if language is None:
        public = public.in_pressroom_languages()
        topics = topics.filter(language__in=languages.codes())
    else:
        public, topics = public.filter(language=language), topics.filter(language=language)
    return topics.filter(Exists(public))


def public_years():
    """The years from the first public release to the latest, newest first (two index reads)."""
    public = in_this_language().values_list("published_at", flat=True)
    first, last = public.order_by("published_at").first(), public.order_by("-published_at").first()
    if first is None:
        return []
    first, last = timezone.localtime(first).year, timezone.localtime(last).year
    return list(range(last, first - 1, -1))


class PageSizeMixin:
    def get_paginate_by(self, queryset):
        return settings.PRESSROOM_PAGE_SIZE


class HomeView(PageSizeMixin, ListView):
    template_name = "pressroom/home.html"
    context_object_name = "releases"

    def get_queryset(self):
        return listed(in_this_language().for_listing())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(topics=public_topics(translation.get_language()), **kwargs)
        return with_contacts(context)


home = HomeView.as_view()


def with_contacts(context):
    """CONTEXT with the newsroom in the page's language and its active press contacts."""
    newsroom = Newsroom.load().in_language()
    return {
        **context,
        "newsroom": newsroom,
        "contacts": newsroom.contacts(Contact.objects.filter(is_active=True)),
    }


def with_page_data(queryset):
    active_contacts = ReleaseContact.objects.filter(contact__is_active=True).select_related("contact")
    return queryset.prefetch_related(
        "topics", "attachments", "video_links", Prefetch("release_contacts", queryset=active_contacts)
    )


def release_versions(release):
    """{language: address} of RELEASE and its public versions in other languages."""
    others = Release.objects.published().filter(pk__in=release.other_versions()).only("slug", "language")
    return {
        release.language: release.get_absolute_url(),
        **{o.language: o.get_absolute_url() for o in others},
    }


def render_release(request, release, *, preview=False):
    """The release page, in the release's own language."""
    newsroom = Newsroom.load().in_language(release.language)
    versions = release_versions(release)
    latest = (
        Release.objects.published()
        .filter(language=release.language)
        .exclude(pk=release.pk)
        .exclude(Q(translation_group__isnull=False) & Q(translation_group=release.translation_group_id))
        .for_listing()
    )
    latest = listed(latest)[:LATEST_COUNT]
    documents = release.documents
    for document in documents:
        document.type_label = DOCUMENT_LABELS.get(document.content_type, document.content_type)
    for video in release.videos:
        video.type_label = DOCUMENT_LABELS.get(video.content_type, video.content_type)
    video_links = list(release.video_links.all())
    with translation.override(release.language):
        context = {
            "release": release,
            "preview": preview,
            "images": release.images,
            "videos": release.videos,
            "video_links": video_links,
            "documents": documents,
            "newsroom": newsroom,
            "contacts": newsroom.contacts(rc.contact for rc in release.release_contacts.all()),
            "topics": list(release.topics.all()),
            "latest": latest,
            **language_context(release.language, versions),
            "canonical_url": absolute(release.get_absolute_url()),
            "share_links": share_links(release),
        }
        context["preview_image"] = linkpreview.release_image(release, newsroom)
        context["json_ld"] = json_ld(release, newsroom, context["preview_image"])
        response = TemplateResponse(request, "pressroom/release.html", context)
        response.render()
    # LocaleMiddleware only sets the header if the view has not: this page is in the release's language.
    response["Content-Language"] = release.language
    allow_players(response, video_links)
    if preview:
        response["X-Robots-Tag"] = "noindex"
        response["Cache-Control"] = "private, no-store"
    else:
        # Counted as a view by analytics.CountingMiddleware, also when served from the page cache.
        response.release_id = release.pk
    return response


def allow_players(response, video_links):
    """The players of VIDEO_LINKS, and no other frame, in RESPONSE's CSP, once the reader asks for one."""
    if video_links:
        response._csp_update = {
            "frame-src": sorted({embeds.FRAME_SOURCES[link.provider] for link in video_links})
        }


def release_page(request, slug):
    # A release in a language switched off has no page (and no pressroom to be redirected to).
    public = Release.objects.published().in_pressroom_languages()
    obj = get_object_or_404(with_page_data(public), slug=slug)
    if obj.language != translation.get_language():
        # Its address is in its own language's pressroom (and was at the root before there was one
        # per language).
        return redirect(obj.get_absolute_url(), permanent=True)
    return render_release(request, obj)


def language_context(language, urls, *, fallback_home=True):
    """The language switch and hreflang alternates of a page in LANGUAGE whose versions are URLS."""
    versions = languages.versions(language, urls, fallback_home=fallback_home)
    return {
        "language_versions": versions,
        "other_versions": [
            version for version in versions if version["is_version"] and not version["is_current"]
        ],
        "x_default_url": languages.x_default(urls),
    }


def may_preview(user):
    """Drafts, scheduled releases and their files are for staff who may view releases in the admin
    (the view or the change permission, as the admin itself decides), not for every staff member. The
    permission's name is built from the model, whichever app it lives in."""
    if not (user.is_active and user.is_staff):
        return False
    opts = Release._meta
    return any(
        user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
        for action in ("view", "change")
    )


@staff_member_required
def preview(request, pk):
    if not may_preview(request.user):
        raise PermissionDenied
    obj = get_object_or_404(with_page_data(Release.objects.all()), pk=pk)
    return render_release(request, obj, preview=True)


def share_links(release):
    url = absolute(release.get_absolute_url())
    return [
        # %20 rather than + for spaces: mail programs show a + literally.
        (
            "email",
            _("Email"),
            "mailto:?" + urlencode({"subject": release.title, "body": url}, quote_via=quote),
        ),
        (
            "linkedin",
            "LinkedIn",
            "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url}),
        ),
        (
            "x",
            "X (Twitter)",
            "https://twitter.com/intent/tweet?" + urlencode({"url": url, "text": release.title}),
        ),
        ("facebook", "Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
    ]


def image_object(image):
    data = {"@type": "ImageObject", "url": image.url, "width": image.width, "height": image.height}
    return {key: value for key, value in data.items() if value is not None}


def json_ld(release, newsroom, preview_image):
    """The NewsArticle description for search engines (with what Google's article rich results ask
    for: image, dates, publisher logo, author URL), safe to place inside a <script> element."""
    organisation_url = newsroom.website or absolute(reverse("pressroom:home"))
    if newsroom.logo:
        width, height = linkpreview.image_size(newsroom.logo.name)
        logo = linkpreview.PreviewImage(
            absolute(reverse("pressroom:newsroom_logo")), width, height, "", newsroom.name
        )
    else:
        logo = linkpreview.newsroom_card(newsroom)
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": release.title,
        "description": release.lead,
        "inLanguage": release.language,
        "url": absolute(release.get_absolute_url()),
        "mainEntityOfPage": absolute(release.get_absolute_url()),
        "datePublished": release.published_at.isoformat() if release.published_at else None,
        "dateModified": release.updated_at.isoformat() if release.updated_at else None,
        "articleBody": plain_text(release.body),
        "publisher": {
            "@type": "Organization",
            "name": newsroom.name,
            "url": organisation_url,
            "logo": image_object(logo),
        },
        "author": {"@type": "Organization", "name": newsroom.name, "url": organisation_url},
        "image": [image_object(preview_image)],
    }
    for image in release.images:
        url = absolute(image.get_rendition_url("web"))
        if image.web and url != preview_image.url:
            data["image"].append(url)
    keywords = [topic.name for topic in release.topics.all()]
    if keywords:
        data["keywords"] = keywords
    data = {key: value for key, value in data.items() if value not in (None, "")}
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES))  # noqa: S308


class TopicView(PageSizeMixin, ListView):
    template_name = "pressroom/topic.html"
    context_object_name = "releases"

    def get_queryset(self):
        self.topic = get_object_or_404(Topic, language=translation.get_language(), slug=self.kwargs["slug"])
        return listed(in_this_language().filter(topics=self.topic).for_listing())

    def get_context_data(self, **kwargs):
        # A topic is in one language: the switch leads to the other pressrooms' home pages.
        versions = language_context(self.topic.language, {self.topic.language: self.topic.get_absolute_url()})
        return super().get_context_data(topic=self.topic, **versions, **kwargs)


topic = TopicView.as_view()


class ArchiveView(TemplateView):
    template_name = "pressroom/archive.html"

    def get_context_data(self, **kwargs):
        years = (
            in_this_language()
            .annotate(year=ExtractYear("published_at"))
            .values("year")
            .annotate(count=Count("pk"))
            .order_by("-year")
        )
        return super().get_context_data(
            years=years, topics=public_topics(translation.get_language()), **kwargs
        )


archive = ArchiveView.as_view()


class ArchiveYearView(PageSizeMixin, ListView):
    template_name = "pressroom/archive_year.html"
    context_object_name = "releases"

    def get_queryset(self):
        # Outside this range the date arithmetic for the year's bounds overflows.
        if not 1900 <= self.kwargs["year"] <= 9000:
            raise Http404
        return listed(in_this_language().filter(published_at__year=self.kwargs["year"]).for_listing())

    def get_context_data(self, **kwargs):
        return super().get_context_data(year=self.kwargs["year"], **kwargs)


archive_year = ArchiveYearView.as_view()


# What a search result shows of a release (templates/pressroom/search.html) and its snippet reads.
SEARCH_RESULT_FIELDS = ("title", "slug", "kind", "language", "published_at", "lead", "body")


class CachedPerQueryMixin:
    """For pages whose query string only chooses among public content (a search, the media bank's
    filters): an address asked for again is served from the page cache (pagecache.cache_per_query)."""

    def render_to_response(self, context, **response_kwargs):
        return pagecache.cache_per_query(super().render_to_response(context, **response_kwargs))


class SearchView(CachedPerQueryMixin, PageSizeMixin, ListView):
    """Search with filters; a query that finds nothing is tried again with its typos corrected."""

    template_name = "pressroom/search.html"
    context_object_name = "releases"

    def get(self, request, *args, **kwargs):
        # Each pressroom searches its own language. ?language= was the filter before there was one
        # pressroom per language: a known language leads to its pressroom's search, anything else is
        # an error the reader can read.
        language = request.GET.get("language")
        if language is not None and language != translation.get_language():
            return language_redirect(request, language, "pressroom:search")
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        self.query = search.clean(self.request.GET.get("q", ""))
        # Kept per language: each pressroom's filters list its own language's topics and years.
        self.language = language = translation.get_language()
        self.topics, years = pagecache.part(
            f"search_filters:{language}",
            lambda: ({topic.pk: topic for topic in public_topics(language)}, public_years()),
        )
        self.form = SearchFilterForm(self.request.GET, topics=self.topics.values(), years=years)
        self.filters = self.form.filters()
        self.public = in_this_language()
        lookups = {"kind": "kind", "topic": "topics", "year": "published_at__year"}
        for name, value in self.filters.items():
            self.public = self.public.filter(**{lookups[name]: value})
        return search.releases(self.shown(), self.query, language)

    def shown(self):
        """The releases of the page as the results show them: no files, topics added by topic_links()."""
        return self.public.only(*SEARCH_RESULT_FIELDS)

    def get_context_data(self, **kwargs):
        page_query = urlencode(
            {"q": self.query, **{name: self.form.data[name] for name in self.filters}} if self.query else {}
        )
        kwargs |= {"query": self.query, "form": self.form, "page_query": page_query,
                   "candidates": search.CANDIDATES}  # fmt: skip
        context = super().get_context_data(**kwargs)
        searched = self.query
        correction = (
            search.correction(self.shown(), self.query, self.language)
            if self.query and not context["paginator"].count
            else None
        )
        if correction:
            searched, self.object_list = correction
            kwargs |= {"object_list": self.object_list, "corrected": searched}
            context = super().get_context_data(**kwargs)
        links = self.topic_links(context["releases"])
        for release in context["releases"]:
            release.snippet = search.snippet(release, searched)
            release.topic_links = links.get(release.pk, [])
        return context

    def topic_links(self, releases):
        """{release: [(name, url)]} of the topics of RELEASES, by name: which topics in one small query,
        the topics themselves from the filter's list (a public release's topics are public; one that
        became so since the list was read is read here)."""
        through = Release.topics.through.objects
        pairs = (
            list(through.filter(release__in=releases).values_list("release_id", "topic_id"))
            if releases
            else []
        )
        topics = dict(self.topics)
        if missing := {topic for _release, topic in pairs} - topics.keys():
            topics |= {topic.pk: topic for topic in Topic.objects.filter(pk__in=missing)}
        urls = {pk: topics[pk].get_absolute_url() for pk in {topic for _release, topic in pairs}}
        links = {}
        for release, topic in sorted(pairs, key=lambda pair: topics[pair[1]].name):
            links.setdefault(release, []).append((topics[topic].name, urls[topic]))
        return links


search_page = SearchView.as_view()


class MediaView(CachedPerQueryMixin, PageSizeMixin, ListView):
    """The media bank's public page: the assets of this language's public releases, one tab per kind
    (images at /media/, then /media/video/ and /media/documents/), filtered by topic and year, each asset
    once however many releases use it."""

    template_name = "pressroom/media.html"
    context_object_name = "assets"

    def get_queryset(self):
        self.tab = self.kwargs.get("tab", "images")
        if self.tab not in mediabank.TABS:
            raise Http404
        language = translation.get_language()
        self.topics, years = pagecache.part(
            f"media_filters:{language}",
            lambda: ({topic.pk: topic for topic in public_topics(language)}, public_years()),
        )
        self.form = ReleaseFilterForm(self.request.GET, topics=self.topics.values(), years=years)
        self.filters = self.form.filters()
        public = (
            Attachment.objects.public().of_kind(mediabank.TABS[self.tab]).filter(release__language=language)
        )
        if "topic" in self.filters:
            public = public.filter(release__topics=self.filters["topic"])
        if "year" in self.filters:
            public = public.filter(release__published_at__year=self.filters["year"])
        return mediabank.assets(public)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["assets"] = mediabank.attachments_of(context["page_obj"].object_list)
        for asset in context["assets"]:
            asset.type_label = DOCUMENT_LABELS.get(asset.content_type, asset.content_type)
        context |= {
            "tab": self.tab,
            "tabs": [
                (
                    name,
                    reverse("pressroom:media")
                    if name == "images"
                    else reverse("pressroom:media_tab", kwargs={"tab": name}),
                )
                for name in mediabank.TABS
            ],
            "form": self.form,
            "page_query": urlencode({name: self.form.data[name] for name in self.filters}),
        }
        return context


media = MediaView.as_view()


def asset_page(request, pk, slug):
    """One asset of the media bank: its caption, alt text, credit and licence, the public releases that use
    it and its downloads. It is in the pressroom of each language a public release using it is in."""
    asset = get_object_or_404(Attachment.objects.public().select_related("release"), pk=pk)
    releases = list(mediabank.public_releases_using(asset).only("title", "slug", "language", "published_at"))
    urls = {}
    for release in releases:
        urls.setdefault(release.language, asset.get_media_url(release.language))
    if not urls:
        # Used only by releases in a language switched off (PRESSROOM_LANGUAGES).
        raise Http404
    language = translation.get_language()
    if language not in urls:
        return redirect(languages.x_default(urls), permanent=False)
    if slug != asset.media_slug:
        return redirect(urls[language], permanent=True)
    asset.type_label = DOCUMENT_LABELS.get(asset.content_type, asset.content_type)
    context = {
        "asset": asset,
        "preview_image": linkpreview.attachment_image(asset, Newsroom.load()),
        "releases": releases,
        "downloads": asset.downloads if asset.is_image else [],
        "canonical_url": absolute(urls[language]),
        **language_context(language, urls),
    }
    return TemplateResponse(request, "pressroom/asset.html", context)


def language_redirect(request, language, name):
    """The page NAME of LANGUAGE's pressroom, with REQUEST's query but its `language`; a 400 that says
    which languages there are when LANGUAGE is not one of them."""
    if language not in dict(settings.LANGUAGES):
        known = ", ".join(code for code, _name in settings.LANGUAGES)
        return HttpResponseBadRequest(
            _("Unknown language “%(language)s”. The languages are: %(known)s.")
            % {"language": language, "known": known},
            content_type="text/plain; charset=utf-8",
        )
    query = request.GET.copy()
    del query["language"]
    with translation.override(language):
        url = reverse(name)
    return redirect(f"{url}?{query.urlencode()}" if query else url, permanent=True)


SUGGESTIONS = 6


@require_GET
def search_suggestions(request):
    """Titles of the best matches as one types, for the search box (static/pressroom/search.js)."""
    public = in_this_language().only("title", "slug", "language")
    found = search.releases(public, request.GET.get("q", ""), translation.get_language())
    suggestions = [
        {"title": release.title, "url": release.get_absolute_url()} for release in found[:SUGGESTIONS]
    ]
    response = JsonResponse({"suggestions": suggestions})
    response["Cache-Control"] = "public, max-age=60"
    return response


class ContactsView(TemplateView):
    template_name = "pressroom/contacts.html"

    def get_context_data(self, **kwargs):
        return with_contacts(super().get_context_data(**kwargs))


contacts = ContactsView.as_view()


@require_GET
def contact_vcard(request, pk):
    contact = get_object_or_404(Contact, pk=pk, is_active=True)
    # The visitor's language (the address has none): the cookie, else Accept-Language.
    newsroom = Newsroom.load().in_language()
    [contact] = newsroom.contacts([contact])
    response = HttpResponse(build_vcard(contact, newsroom), content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{vcard_filename(contact)}"'
    return response


def image_response(name, *, cache="public, max-age=3600"):
    """A stored image, inline, if it is one of the image types Pressroom accepts."""
    content_type, _encoding = mimetypes.guess_type(name)
    if content_type not in INLINE_IMAGE_TYPES or not default_storage.exists(name):
        raise Http404
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache
    return response


def file_download(name, *, filename, content_type, cache, request=None):
    """A stored file, always as a download: an upload is never rendered by the browser on our origin.
    With REQUEST, a single byte range it asks for is answered (206), as a video player seeks."""
    content_type = content_type or "application/octet-stream"
    response = request and byte_range_response(request, name, content_type)
    if response:
        response["Content-Disposition"] = content_disposition_header(True, filename)
    else:
        response = FileResponse(
            default_storage.open(name, "rb"), as_attachment=True, filename=filename, content_type=content_type
        )
    if request is not None:
        response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache
    return response


def byte_range_response(request, name, content_type):
    """The part of the stored file NAME that REQUEST's Range header asks for (206), 416 for a range
    outside the file, or None to send the whole file: no Range header, one that is not a single byte
    range, or an If-Range (no validator is sent, so it cannot match)."""
    match = BYTE_RANGE.match(request.headers.get("Range", "").strip())
    if match is None or "If-Range" in request.headers or match.groups() == ("", ""):
        return None
    size = default_storage.size(name)
    first, last = match.groups()
    if first == "":  # the last LAST bytes ("bytes=-0" asks for none: 416)
        start, end = size - min(int(last), size), size - 1
    else:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    if start >= size or start > end:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    length = end - start + 1
    source = default_storage.open(name, "rb")
    source.seek(start)

    def chunks():
        left = length
        with source:
            while left > 0 and (chunk := source.read(min(RANGE_CHUNK, left))):
                left -= len(chunk)
                yield chunk

    response = StreamingHttpResponse(chunks(), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    return response


def download_response(attachment, *, cache, request=None):
    """An uploaded file as it was uploaded, under its own name (a video's in byte ranges as asked)."""
    return file_download(
        attachment.file.name, filename=attachment.filename, content_type=attachment.content_type,
        cache=cache, request=request if attachment.is_video else None,
    )  # fmt: skip


def brand_rendition(images, name):
    """The stored file of rendition NAME (or of its WebP, NAME with ".webp") in IMAGES, or Http404."""
    name, _dot, image_format = name.partition(".")
    if image_format not in ("", renditions.WEBP):
        raise Http404
    stored = images.get(name, {}).get(image_format or "file")
    if not stored:
        raise Http404
    return stored


@require_GET
def contact_photo(request, pk, name=None):
    """A contact's photo as uploaded, or its square rendition (NAME: brand.PHOTO_NAME, or that in WebP)."""
    contact = get_object_or_404(Contact.objects.exclude(photo=""), pk=pk, is_active=True)
    if name is None:
        return image_response(contact.photo.name)
    if name.partition(".")[0] != brand.PHOTO_NAME:
        raise Http404
    return image_response(brand_rendition(contact.photo_renditions, name))


@require_GET
def newsroom_image(request, field):
    """The newsroom's logo or cover (FIELD) as uploaded."""
    upload = getattr(Newsroom.load(), field)
    if not upload:
        raise Http404
    return image_response(upload.name)


@require_GET
def brand_image(request, name):
    """One of the images made from the logo and the cover (brand.NEWSROOM_IMAGES; a cover width also
    with ".webp")."""
    if name.partition(".")[0] not in brand.NEWSROOM_IMAGES:
        raise Http404
    return image_response(brand_rendition(Newsroom.load().brand_images, name))


@require_GET
def newsroom_card(request, version):
    """The newsroom's link preview card; an old version's address leads to the current card."""
    newsroom = Newsroom.load()
    # Each language's name has its card (a page links the card of its own language).
    texts = [newsroom.in_language(code) for code, _name in settings.LANGUAGES]
    for text in texts:
        if version == linkpreview.card_version(text):
            # The address changes with the card, so it may be kept for long.
            return image_response(linkpreview.ensure_card(text), cache="public, max-age=86400")
    return redirect("pressroom:newsroom_card", version=linkpreview.card_version(newsroom.in_language()))


def visible_attachment(request, pk):
    """The attachment if its release is public, or for staff who may preview whatever its release, or
    through a signed link from an editor's test email (filelinks).

    Returns the attachment and whether it is public, so staff-only files are never cached by proxies.
    """
    attachment = Attachment.objects.public().filter(pk=pk).first()
    if attachment is not None:
        return attachment, True
    if may_preview(request.user) or filelinks.allows(request.GET.get("preview"), pk):
        return get_object_or_404(Attachment, pk=pk), False
    raise Http404


@require_GET
def attachment(request, pk, filename):
    obj, public = visible_attachment(request, pk)
    if filename != obj.filename:
        raise Http404
    # A minute at most in a shared cache: an unpublished release's files leave it as fast as its pages.
    cache = "public, max-age=60" if public else "private, no-store"
    if obj.is_image:
        # An image as uploaded may say where it was taken: it leaves as its "original" rendition, at
        # full resolution with the credit, without the location. Until the worker has made it, only
        # staff get the upload itself.
        stored = obj.original_without_location()
        if stored is not None:
            name, download_name = stored
            return file_download(
                name, filename=download_name, content_type=mimetypes.guess_type(name)[0], cache=cache
            )
        if public:
            raise Http404
    if not default_storage.exists(obj.file.name):
        raise Http404
    return download_response(obj, cache=cache, request=request)


@require_GET
def captions(request, pk, filename):
    """A video's WebVTT captions, for its <track> element and as a download."""
    obj, public = visible_attachment(request, pk)
    if not obj.is_video or not obj.captions or filename != obj.captions_filename:
        raise Http404
    response = captions_response(obj)
    response["Cache-Control"] = "public, max-age=60" if public else "private, no-store"
    return response


def captions_response(video):
    """VIDEO's stored WebVTT captions, as text the browser does not sniff."""
    if not default_storage.exists(video.captions.name):
        raise Http404
    response = FileResponse(
        default_storage.open(video.captions.name, "rb"), content_type="text/vtt; charset=utf-8"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def rendition(request, pk, name):
    """A page rendition: NAME is one of renditions.PAGE_RENDITIONS, or that with ".webp"."""
    name, _dot, image_format = name.partition(".")
    if name not in renditions.PAGE_RENDITIONS or image_format not in ("", renditions.WEBP):
        raise Http404
    obj, public = visible_attachment(request, pk)
    entry = obj.rendition(name) if obj.is_image or obj.is_video else None
    stored = entry and entry.get(image_format or "file")
    if not stored:
        raise Http404
    return image_response(stored, cache="public, max-age=60" if public else "private, no-store")


@require_GET
def image_download(request, pk, size):
    """An image in one of the named sizes (renditions.DOWNLOADS), as a download with a descriptive name:
    `<release-slug>-<title-slug>-<size>.<ext>`."""
    if size not in renditions.DOWNLOADS:
        raise Http404
    obj, public = visible_attachment(request, pk)
    entry = obj.rendition(size) if obj.is_image else None
    if not entry or not default_storage.exists(entry["file"]):
        raise Http404
    extension = entry["file"].rsplit(".", 1)[-1]
    title = obj.title or obj.filename.rsplit(".", 1)[0]
    return file_download(
        entry["file"],
        filename=renditions.download_filename(obj.release.slug, title, size, extension),
        content_type=mimetypes.guess_type(entry["file"])[0],
        cache="public, max-age=60" if public else "private, no-store",
    )


@require_GET
def favicon(request):
    """Browsers and crawlers ask for /favicon.ico whatever the page says: send them to the icon, the one
    made from the logo where there is one."""
    icon = Newsroom.load().icons.get("small")
    return redirect(icon or staticfiles_storage.url("pressroom/favicon.svg"))


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /subscribe/",
        "",
        *(
            f"Sitemap: {absolute(languages.reverse_in(code, 'pressroom:sitemap'))}"
            for code, _n in settings.LANGUAGES
        ),
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
