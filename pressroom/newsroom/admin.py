"""The editors' admin. Status and publish time change only through the services, never on the form."""

from dataclasses import dataclass
from datetime import timedelta

from csp.constants import NONCE
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from js_asset import Media

from . import services, signals
from .forms import ReleaseAdminForm, ScheduleForm
from .models import Attachment, Contact, Newsroom, Release, ReleaseContact, Topic

ADMIN_CSS = {"all": ["pressroom/admin/admin.css"]}


@dataclass
class ServedFile:
    url: str
    name: str

    def __str__(self):
        return self.name


class ServedFileInput(AdminFileWidget):
    """Uploads are private and MEDIA_URL serves nothing: link the current file to the view that serves
    it (to staff whatever the release's state) instead of to a dead storage URL."""

    def __init__(self, url_for, attrs=None):
        self.url_for = url_for
        super().__init__(attrs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if context["widget"]["is_initial"]:
            context["widget"]["value"] = ServedFile(
                self.url_for(value.instance), value.name.rsplit("/", 1)[-1]
            )
        return context


def local_datetime(value):
    """A time as editors read it: in the newsroom's zone, with the zone's abbreviation."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"


class ProseEditorCSPMixin:
    """django-prose-editor loads its ES modules through an import map, an inline <script> that our CSP
    (script-src 'self') blocks. Give the change form's media the request's nonce and allow that nonce
    for this response only; every other page keeps the strict policy."""

    def render_change_form(self, request, context, *args, **kwargs):
        nonce = str(request.csp_nonce)
        context["media"] = Media.from_media(context["media"]).with_nonce(nonce)
        response = super().render_change_form(request, context, *args, **kwargs)
        response._csp_update = {"script-src": [NONCE]}
        return response


class AttachmentInline(admin.StackedInline):
    model = Attachment
    extra = 0
    fields = [
        ("preview", "file_info"),
        "file",
        ("title", "order"),
        "alt_text",
        "caption",
        ("credit", "licence"),
        ("thumbnail", "focal_x", "focal_y"),
    ]
    readonly_fields = ["preview", "file_info"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "file":
            kwargs["widget"] = ServedFileInput(lambda attachment: attachment.get_absolute_url())
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if not obj.pk or not obj.is_image or not obj.thumb:
            return "—"
        url = reverse("pressroom:rendition", kwargs={"pk": obj.pk, "name": "thumb"})
        return format_html('<img src="{}" alt="{}" class="pressroom-thumb">', url, obj.alt_text)

    @admin.display(description=_("file"))
    def file_info(self, obj):
        if not obj.pk:
            return "—"
        details = [obj.get_kind_display(), obj.content_type, filesizeformat(obj.size)]
        if obj.width and obj.height:
            details.append(f"{obj.width} × {obj.height} px")
        return " · ".join(str(detail) for detail in details)


class ReleaseContactInline(admin.TabularInline):
    model = ReleaseContact
    extra = 0
    fields = ["contact", "order"]
    autocomplete_fields = ["contact"]


@admin.register(Release)
class ReleaseAdmin(ProseEditorCSPMixin, admin.ModelAdmin):
    form = ReleaseAdminForm
    list_display = ["title", "status_badge", "publish_time", "kind", "language", "topic_list", "preview_link"]
    list_filter = ["status", "kind", "language", "topics", "published_at"]
    search_fields = ["title", "lead", "body"]
    date_hierarchy = "published_at"
    filter_horizontal = ["topics"]
    autocomplete_fields = ["translation_of"]
    inlines = [AttachmentInline, ReleaseContactInline]
    actions = ["publish_now", "schedule", "unpublish"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "language", "lead", "body"]}),
        (_("Publication"), {"fields": ["status_badge", "publish_time", "first_published"]}),
        (_("Topics and translation"), {"fields": ["topics", "translation_of"]}),
    ]
    readonly_fields = ["status_badge", "publish_time", "first_published"]

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("topics")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.first_published_at is not None:
            # The address is out in the world (feeds, emails, links): it stays.
            fields.append("slug")
        return fields

    def view_on_site(self, obj):
        return obj.get_absolute_url() if obj.is_public else None

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and form.instance.is_public:
            # Webhook receivers hear of every change to what the public sees (sent after the commit).
            signals.release_updated.send(sender=Release, release=form.instance)

    # Columns and read-only fields

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        if obj.is_public:
            state, label = "published", _("Published")
        elif obj.status == Release.Status.SCHEDULED:
            state, label = "scheduled", _("Scheduled")
        else:
            state, label = "draft", _("Draft")
        return format_html('<span class="pressroom-badge pressroom-badge--{}">{}</span>', state, label)

    @admin.display(description=_("publish time"), ordering="published_at")
    def publish_time(self, obj):
        if obj.status == Release.Status.DRAFT and obj.first_published_at is None:
            return "—"
        return local_datetime(obj.published_at)

    @admin.display(description=_("first published"))
    def first_published(self, obj):
        return local_datetime(obj.first_published_at)

    @admin.display(description=_("topics"))
    def topic_list(self, obj):
        return ", ".join(topic.name for topic in obj.topics.all()) or "—"

    @admin.display(description=_("preview"))
    def preview_link(self, obj):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("pressroom:preview", kwargs={"pk": obj.pk}),
            _("Preview"),
        )

    # Publishing: buttons on the change form, actions on the list, all through the services.

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/schedule/",
                self.admin_site.admin_view(self.schedule_view),
                name="{}_{}_schedule".format(*info),
            ),
            path(
                "<path:object_id>/unpublish/",
                self.admin_site.admin_view(self.unpublish_view),
                name="{}_{}_unpublish".format(*info),
            ),
            *super().get_urls(),
        ]

    def _get_changeable(self, request, object_id):
        release = get_object_or_404(Release, pk=unquote(object_id))
        if not self.has_change_permission(request, release):
            raise PermissionDenied
        return release

    def _change_url(self, release):
        return reverse("admin:newsroom_release_change", args=[release.pk])

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context["schedule_url"] = reverse("admin:newsroom_release_schedule", args=[obj.pk])
            context["unpublish_url"] = reverse("admin:newsroom_release_unpublish", args=[obj.pk])
            context["preview_url"] = reverse("pressroom:preview", kwargs={"pk": obj.pk})
            context["send_test_url"] = reverse("admin:subscriptions_mailing_send_test", args=[obj.pk])
            context["mailings"] = [
                (mailing, reverse("admin:subscriptions_mailing_change", args=[mailing.pk]))
                for mailing in obj.mailings.all()
            ]
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def response_add(self, request, obj, post_url_continue=None):
        return self._respond_to_publishing(request, obj) or super().response_add(
            request, obj, post_url_continue
        )

    def response_change(self, request, obj):
        return self._respond_to_publishing(request, obj) or super().response_change(request, obj)

    def _respond_to_publishing(self, request, obj):
        """The "Save and publish now" and "Save and schedule…" buttons: the form is saved first."""
        if "_publish" in request.POST:
            release = services.publish_release(release=obj)
            self.message_user(
                request,
                _("“%(title)s” is published.") % {"title": release.title},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(self._change_url(release))
        if "_schedule" in request.POST:
            return HttpResponseRedirect(reverse("admin:newsroom_release_schedule", args=[obj.pk]))
        return None

    def schedule_view(self, request, object_id):
        release = self._get_changeable(request, object_id)
        form = ScheduleForm(request.POST or None, initial={"publish_at": _next_full_hour()})
        if request.method == "POST" and form.is_valid():
            at = form.cleaned_data["publish_at"]
            try:
                services.publish_release(release=release, at=at)
            except services.AlreadyPublished as exc:
                self.message_user(request, exc.messages[0], messages.ERROR)
                return HttpResponseRedirect(self._change_url(release))
            self.message_user(
                request,
                _("“%(title)s” will be published %(time)s.")
                % {"title": release.title, "time": local_datetime(at)},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(self._change_url(release))
        return self._render_schedule(request, form, [release], action_url=request.get_full_path())

    def unpublish_view(self, request, object_id):
        release = self._get_changeable(request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        services.unpublish_release(release=release)
        self.message_user(
            request,
            _("“%(title)s” is unpublished: it is a draft again and hidden from the public.")
            % {"title": release.title},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._change_url(release))

    def _render_schedule(self, request, form, releases, action_url, bulk=False):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Schedule publication"),
            "opts": self.opts,
            "form": form,
            "releases": releases,
            "action_url": action_url,
            "bulk": bulk,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/newsroom/release/schedule.html", context)

    @admin.action(description=_("Publish selected releases now"), permissions=["change"])
    def publish_now(self, request, queryset):
        count = 0
        for release in queryset:
            if release.status != Release.Status.PUBLISHED:
                services.publish_release(release=release)
                count += 1
        self.message_user(
            request,
            ngettext("%(count)d release published.", "%(count)d releases published.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Schedule selected releases…"), permissions=["change"])
    def schedule(self, request, queryset):
        # Django's intermediate-page pattern: the first POST shows the form, the second ("apply") acts.
        form = ScheduleForm(
            request.POST if "apply" in request.POST else None,
            initial={"publish_at": _next_full_hour()},
        )
        if "apply" in request.POST and form.is_valid():
            at = form.cleaned_data["publish_at"]
            count = 0
            for release in queryset:
                try:
                    services.publish_release(release=release, at=at)
                except services.AlreadyPublished as exc:
                    self.message_user(request, exc.messages[0], messages.ERROR)
                else:
                    count += 1
            self.message_user(
                request,
                ngettext(
                    "%(count)d release scheduled for %(time)s.",
                    "%(count)d releases scheduled for %(time)s.",
                    count,
                )
                % {"count": count, "time": local_datetime(at)},
                messages.SUCCESS,
            )
            return None
        return self._render_schedule(request, form, list(queryset), action_url="", bulk=True)

    @admin.action(description=_("Unpublish selected releases"), permissions=["change"])
    def unpublish(self, request, queryset):
        count = 0
        for release in queryset:
            if release.status != Release.Status.DRAFT:
                services.unpublish_release(release=release)
                count += 1
        self.message_user(
            request,
            ngettext("%(count)d release unpublished.", "%(count)d releases unpublished.", count)
            % {"count": count},
            messages.SUCCESS,
        )


def _next_full_hour():
    now = timezone.localtime()
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


@admin.register(Newsroom)
class NewsroomAdmin(ProseEditorCSPMixin, admin.ModelAdmin):
    """One profile per installation: the list goes straight to it, and it cannot be deleted."""

    fields = ["name", "tagline", "about", "logo", "website", "email", "phone", "default_language"]

    class Media:
        css = ADMIN_CSS

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "logo":
            kwargs["widget"] = ServedFileInput(lambda newsroom: reverse("pressroom:newsroom_logo"))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Newsroom.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        newsroom = Newsroom.objects.first()
        if newsroom is None:
            return HttpResponseRedirect(reverse("admin:newsroom_newsroom_add"))
        return HttpResponseRedirect(reverse("admin:newsroom_newsroom_change", args=[newsroom.pk]))


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "slug", "release_count"]
    list_filter = ["language"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(release_count=Count("releases"))

    @admin.display(description=_("releases"), ordering="release_count")
    def release_count(self, obj):
        return obj.release_count


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "email", "phone", "is_active", "order"]
    list_editable = ["is_active", "order"]
    list_filter = ["is_active"]
    search_fields = ["name", "role", "email"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "photo":
            kwargs["widget"] = ServedFileInput(
                lambda contact: reverse("pressroom:contact_photo", kwargs={"pk": contact.pk})
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)
