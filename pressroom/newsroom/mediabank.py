"""The media bank: images, videos and documents as assets of the newsroom, each listed once however many
releases use it.

An asset is the content of an upload: attachments with the same content hash (Attachment.sha256) share
one stored file and are one asset, named by its first attachment (the one with the lowest id). What the
public may see of it follows the publication rule through `Attachment.objects.public()`: an asset is
public once a release using it is, and only the public releases using it are shown with it.

Editors add an asset to another release from the admin (`admin_view`): the new attachment points at the
same file and renditions and starts with the asset's title, caption, alt text, credit and licence.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, CharField, F, Max, Min, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from . import services
from .models import Attachment, Release

# The tabs of the media page, by the attachment kind each lists. "video" lists attachments of that kind
# once the model has it; until then the tab is empty.
TABS = {"images": "image", "video": "video", "documents": "document"}
ADMIN_PAGE_SIZE = 30


def asset_key():
    """What makes attachments one asset: their content hash, or the attachment alone when it has none
    (a file missing from storage when the hashes were first computed)."""
    return Case(
        When(sha256="", then=Concat(Value("pk:"), Cast("pk", CharField()))),
        default=F("sha256"),
        output_field=CharField(),
    )


def assets(attachments):
    """ATTACHMENTS grouped into assets, newest first: rows of {"first": the asset's first attachment's id
    among ATTACHMENTS, "latest": when a release using it was last published}."""
    return (
        attachments.order_by()
        .annotate(asset=asset_key())
        .values("asset")
        .annotate(first=Min("pk"), latest=Max("release__published_at"))
        .order_by(F("latest").desc(nulls_last=True), "-first")
    )


def attachments_of(rows):
    """The attachments named by ROWS (from assets()), in ROWS' order, with their release."""
    by_pk = Attachment.objects.select_related("release").in_bulk([row["first"] for row in rows])
    return [by_pk[row["first"]] for row in rows if row["first"] in by_pk]


def same_asset(attachment):
    """The attachments of ATTACHMENT's asset (itself included)."""
    if not attachment.sha256:
        return Attachment.objects.filter(pk=attachment.pk)
    return Attachment.objects.filter(sha256=attachment.sha256)


def public_releases_using(attachment):
    """The public releases that use ATTACHMENT's asset, newest first (in the languages that have a
    pressroom: one switched off has no page to link)."""
    using = same_asset(attachment).public().values("release")
    public = Release.objects.published().in_pressroom_languages()
    return public.filter(pk__in=using).order_by("-published_at", "-pk")


@transaction.atomic
def add_to_release(*, asset, release, user):
    """A new attachment of RELEASE for ASSET (an attachment of any release), sharing its stored file and
    renditions; the release counts as edited by USER."""
    order = (release.attachments.aggregate(last=Max("order"))["last"] or 0) + 1
    attachment = Attachment.from_asset(asset, release=release, order=order)
    attachment.save()
    services.record_edit(release=release, user=user)
    return attachment


def admin_view(model_admin):
    """The "add from the media bank" page of a release in the admin (MODEL_ADMIN is the release admin):
    every asset, searchable by title, caption and credit, each with a button that adds it. For staff who
    may change the release and add attachments."""

    def media_bank(request, object_id):
        release = get_object_or_404(Release, pk=object_id)
        allowed = model_admin.has_change_permission(request, release) and request.user.has_perm(
            "newsroom.add_attachment"
        )
        if not allowed:
            raise PermissionDenied
        change_url = reverse("admin:newsroom_release_change", args=[release.pk])
        if request.method == "POST":
            chosen = request.POST.get("asset", "")
            asset = (
                Attachment.objects.filter(pk=chosen).first()
                if chosen.isdigit() and len(chosen) < 12
                else None
            )
            if asset is None:
                messages.error(request, _("Choose an asset from the list."))
                return HttpResponseRedirect(request.path)
            if release.attachments.filter(**asset_filter(asset)).exists():
                messages.warning(request, _("This release already has that asset."))
                return HttpResponseRedirect(change_url)
            add_to_release(asset=asset, release=release, user=request.user)
            messages.success(request, _("“%(title)s” was added to the release.") % {"title": str(asset)})
            return HttpResponseRedirect(change_url)
        query = request.GET.get("q", "").strip()[:100]
        found = Attachment.objects.all()
        if query:
            found = found.filter(
                Q(title__icontains=query) | Q(caption__icontains=query) | Q(credit__icontains=query)
            )
        page = Paginator(assets(found), ADMIN_PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            **model_admin.admin_site.each_context(request),
            "title": _("Add from the media bank"),
            "opts": model_admin.opts,
            "original": release,
            "change_url": change_url,
            "query": query,
            "page_obj": page,
            "assets": attachments_of(page.object_list),
        }
        request.current_app = model_admin.admin_site.name
        return TemplateResponse(request, "admin/newsroom/release/media_bank.html", context)

    return media_bank


def asset_filter(asset):
    return {"sha256": asset.sha256} if asset.sha256 else {"pk": asset.pk}
