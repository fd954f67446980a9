"""Every saved version of a release and of the newsroom profile, kept by django-reversion.

Saving in the admin and through the editors' API records a version (with who and how). A release's
versions are compared side by side (title, lead, body and attachments, word by word) and one can be
restored: its text, topics, contacts and attachments come back, while the publication state (status,
publish times) and the address stay as they are, since they change only through the services.
"""

import contextlib
import difflib
import re

import reversion
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from reversion.admin import VersionAdmin
from reversion.models import Version

from . import signals
from .models import Attachment, Newsroom, NewsroomTranslation, Release, ReleaseContact, VideoLink

# What a restore leaves as it is: the publication state and the published address.
KEPT_ON_RESTORE = ["status", "published_at", "first_published_at", "slug", "created_at"]


def register_models():
    reversion.register(Release, follow=["attachments", "release_contacts", "video_links"])
    reversion.register(Attachment)
    reversion.register(VideoLink)
    reversion.register(ReleaseContact)
    reversion.register(Newsroom, follow=["translations"])
    reversion.register(NewsroomTranslation)


def versions_of(release):
    """The release's saved versions, newest first."""
    return Version.objects.get_for_object(release).select_related("revision__user")


@contextlib.contextmanager
def api_revision(request, release=None):
    """A version of what the block saves through the editors' API (of RELEASE too, when the block
    changes only its attachments), recorded as the token's user's."""
    with reversion.create_revision():
        yield
        if release is not None:
            reversion.add_to_revision(Release.objects.get(pk=release.pk))
        reversion.set_user(request.api_token.user)
        reversion.set_comment(
            _("Saved through the API (token “%(name)s”).") % {"name": request.api_token.name}
        )


# Comparing


def _body_text(html):
    """The body as lines of text: one line per paragraph, heading or list item."""
    text = re.sub(r"(?i)<br\s*/?>|</(p|h[1-6]|li|blockquote|tr)>", "\n", html or "")
    return "\n".join(line.strip() for line in strip_tags(text).splitlines() if line.strip())


def _attachment_lines(attachments):
    return "\n".join(
        f"{fields['title'] or fields['file'].rsplit('/', 1)[-1]} ({fields['file'].rsplit('/', 1)[-1]})"
        for fields in sorted(attachments, key=lambda fields: (fields["order"], fields["id"]))
    )


def snapshot(version):
    """The compared parts of a release as VERSION saved them."""
    fields = version.field_dict
    attachments = [
        other.field_dict
        for other in version.revision.version_set.all()
        if other.content_type.model_class() is Attachment
    ]
    return {
        "title": fields["title"],
        "lead": fields["lead"],
        "body": _body_text(fields["body"]),
        "attachments": _attachment_lines(attachments),
    }


def current(release):
    """The compared parts of the release as it is now."""
    return {
        "title": release.title,
        "lead": release.lead,
        "body": _body_text(release.body),
        "attachments": _attachment_lines(
            [
                {"id": a.pk, "title": a.title, "file": a.file.name, "order": a.order}
                for a in release.attachments.all()
            ]
        ),
    }


LABELS = {
    "title": capfirst(Release._meta.get_field("title").verbose_name),
    "lead": capfirst(Release._meta.get_field("lead").verbose_name),
    "body": capfirst(Release._meta.get_field("body").verbose_name),
    "attachments": capfirst(Attachment._meta.verbose_name_plural),
}


def _marked(old, new):
    """OLD and NEW as HTML, with the words only in OLD in <del> and those only in NEW in <ins>."""
    a, b = re.findall(r"\s+|[^\s]+", old), re.findall(r"\s+|[^\s]+", new)
    left, right = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        old_part, new_part = escape("".join(a[i1:i2])), escape("".join(b[j1:j2]))
        if tag == "equal":
            left.append(old_part)
            right.append(new_part)
            continue
        if old_part:
            left.append(f"<del>{old_part}</del>")
        if new_part:
            right.append(f"<ins>{new_part}</ins>")
    return mark_safe("".join(left)), mark_safe("".join(right))  # noqa: S308 - every part is escaped


def compare(old, new):
    """Rows for a side-by-side table: label, whether it changed, the old and the new side marked."""
    rows = []
    for name, label in LABELS.items():
        left, right = _marked(old[name], new[name])
        rows.append({"label": label, "changed": old[name] != new[name], "old": left, "new": right})
    return rows


# Restoring


def restore_release(*, release, version, user):
    """Bring back what VERSION saved of RELEASE; the publication state and address stay. A new version
    records the restore, so that it can be undone in turn."""
    kept = {name: getattr(release, name) for name in KEPT_ON_RESTORE}
    with transaction.atomic(), reversion.create_revision():
        version.revision.revert(delete=True)
        restored = Release.objects.get(pk=release.pk)
        for name, value in kept.items():
            setattr(restored, name, value)
        restored.save()
        reversion.set_user(user)
        reversion.set_comment(
            _("Restored the version saved %(date)s.") % {"date": _format_date(version.revision.date_created)}
        )
        if restored.is_public:
            signals.release_updated.send(sender=Release, release=restored)
    return restored


def _format_date(value):
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


# The admin


class ReleaseHistoryAdmin(VersionAdmin):
    """A release's history page lists its versions; each version's page compares it with the release as
    it is now (or with the version before it) and offers to restore it."""

    object_history_template = "admin/newsroom/release/history.html"
    # Django's own lookup (admin/newsroom/release/change_list.html ...), without reversion's "Recover
    # deleted releases": its revert would bring a release back published, past the publishing services.
    change_list_template = None

    def recoverlist_view(self, request, extra_context=None):
        raise Http404

    def recover_view(self, request, version_id, extra_context=None):
        raise Http404

    def history_view(self, request, object_id, extra_context=None):
        release = get_object_or_404(Release, pk=unquote(object_id))
        versions = list(versions_of(release))
        rows = [
            {
                "version": version,
                "compare_url": reverse("admin:newsroom_release_revision", args=[release.pk, version.pk]),
                "previous": versions[index + 1].pk if index + 1 < len(versions) else None,
            }
            for index, version in enumerate(versions)
        ]
        return super().history_view(request, object_id, {"versions": rows, **(extra_context or {})})

    def revision_view(self, request, object_id, version_id, extra_context=None):
        release = get_object_or_404(Release, pk=unquote(object_id))
        version = get_object_or_404(versions_of(release), pk=version_id)
        if request.method == "POST":
            if not self.has_change_permission(request, release):
                raise PermissionDenied
            try:
                restore_release(release=release, version=version, user=request.user)
            except IntegrityError:
                self.message_user(
                    request,
                    _("This version cannot be restored: its translation link clashes with another release."),
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    _("The version is restored. The publication state is unchanged."),
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(reverse("admin:newsroom_release_change", args=[release.pk]))
        if not self.has_view_or_change_permission(request, release):
            raise PermissionDenied
        other_id = request.GET.get("with", "")
        if other_id and not other_id.isdigit():
            raise Http404
        if other_id:
            other = get_object_or_404(versions_of(release), pk=other_id)
            old, new = snapshot(other), snapshot(version)
            old_label = _("Version of %(date)s") % {"date": _format_date(other.revision.date_created)}
            new_label = _("Version of %(date)s") % {"date": _format_date(version.revision.date_created)}
        else:
            old, new = snapshot(version), current(release)
            old_label = _("Version of %(date)s") % {"date": _format_date(version.revision.date_created)}
            new_label = _("Now")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Compare versions of “%(title)s”") % {"title": release.title},
            "opts": self.opts,
            "original": release,
            "version": version,
            "rows": compare(old, new),
            "old_label": old_label,
            "new_label": new_label,
            "can_restore": self.has_change_permission(request, release),
            "history_url": reverse("admin:newsroom_release_history", args=[release.pk]),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/newsroom/release/compare.html", context)
