"""The editors' admin. Status and publish time change only through the services, never on the form."""

from dataclasses import dataclass
from datetime import timedelta

from csp.constants import NONCE
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from js_asset import Media
from reversion.admin import VersionAdmin

from . import brand, language_report, mediabank, review, services, signals
from .forms import (
    ImageUploadField,
    NewsroomAdminForm,
    PressroomLanguagesForm,
    ReleaseAdminForm,
    ScheduleForm,
    VideoLinkForm,
)
from .history import ReleaseHistoryAdmin
from .models import (
    Attachment,
    Contact,
    ContactTranslation,
    Language,
    Newsroom,
    NewsroomTranslation,
    Release,
    ReleaseContact,
    Topic,
    VideoLink,
)
from .profile import TRANSLATED

ADMIN_CSS = {"all": ["pressroom/admin/admin.css"]}
# What the services refuse to publish or schedule: each is shown to the editor as it says.
PUBLISHING_REFUSALS = (services.AlreadyPublished, services.NotApproved, services.MissingCaptions)


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


class AttachmentFormSet(BaseInlineFormSet):
    """A video is public only with captions: a release that is being published, or is published or
    scheduled already, may not have (or get) a video without them."""

    publishing = False  # set per request by AttachmentInline.get_formset

    def clean(self):
        super().clean()
        if not self.publishing and self.instance.status == Release.Status.DRAFT:
            return
        for form in self.forms:
            attachment = form.instance
            if form.errors or not form.has_changed() and attachment.pk is None:
                continue
            if form.cleaned_data.get("DELETE") or not attachment.is_video or attachment.captions:
                continue
            form.add_error("captions", Attachment.CAPTIONS_REQUIRED)


class AttachmentInline(admin.StackedInline):
    model = Attachment
    formset = AttachmentFormSet
    extra = 0
    fields = [
        ("preview", "file_info"),
        "file",
        ("title", "order"),
        "alt_text",
        "caption",
        ("credit", "licence"),
        ("people_shown", "consent"),
        ("thumbnail", "focal_x", "focal_y"),
        ("captions", "captions_language"),
        "poster",
    ]
    readonly_fields = ["preview", "file_info"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.publishing = request.method == "POST" and (
            "_publish" in request.POST or "_schedule" in request.POST
        )
        return formset

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "file":
            kwargs["widget"] = ServedFileInput(lambda attachment: attachment.get_absolute_url())
        elif db_field.name == "captions":
            kwargs["widget"] = ServedFileInput(lambda attachment: attachment.captions_url)
        elif db_field.name == "poster":
            kwargs["widget"] = ServedFileInput(lambda attachment: attachment.poster_url)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if not obj.pk or not (obj.is_image or obj.is_video) or not obj.thumb:
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


class VideoLinkInline(admin.TabularInline):
    model = VideoLink
    form = VideoLinkForm
    extra = 0
    fields = ["url", "title", "order"]


class ReleaseContactInline(admin.TabularInline):
    model = ReleaseContact
    extra = 0
    fields = ["contact", "order"]
    autocomplete_fields = ["contact"]


@admin.register(Release)
class ReleaseAdmin(ProseEditorCSPMixin, ReleaseHistoryAdmin):
    form = ReleaseAdminForm
    list_display = ["title", "status_badge", "publish_time", "kind", "language", "topic_list", "preview_link"]
    list_filter = ["status", "kind", "language", "topics", "published_at"]
    # Fifty rows: each row of a changelist is rendered through templates (the checkbox, nine cells), and a
    # hundred of them are most of the list's time (bench/admin.py).
    list_per_page = 50
    search_fields = ["title", "lead", "body"]
    date_hierarchy = "published_at"
    filter_horizontal = ["topics"]
    inlines = [AttachmentInline, VideoLinkInline, ReleaseContactInline]
    actions = ["publish_now", "schedule", "unpublish"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "language", "lead", "body"]}),
        (_("Publication"), {"fields": ["status_badge", "publish_time", "first_published", "approval"]}),
        (_("Topics and translation"), {"fields": ["topics", "translation_of", "other_versions"]}),
    ]
    readonly_fields = ["status_badge", "publish_time", "first_published", "approval", "other_versions"]

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

    @admin.display(description=_("approval"))
    def approval(self, obj):
        if obj.is_approved:
            return _("Approved by %(user)s, %(time)s") % {
                "user": obj.approved_by or "—",
                "time": local_datetime(obj.approved_at),
            }
        if obj.last_edited_by_id:
            return _("Not approved since the last edit, by %(user)s") % {"user": obj.last_edited_by}
        return _("Not approved")

    @admin.display(description=_("other versions"))
    def other_versions(self, obj):
        versions = obj.other_versions().order_by("language") if obj.pk else []
        if not versions:
            return "—"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a> ({})',
            (
                (reverse("admin:newsroom_release_change", args=[v.pk]), v.title, v.get_language_display())
                for v in versions
            ),
        )

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

    # Publishing: buttons on the change form, actions on the list, all through the services. Each ends
    # on a confirmation page that says what will happen and to whom (review.py); only its POST with the
    # confirm button acts. Publishing, scheduling and unpublishing take the publish permission.

    PUBLISHING_ACTIONS = ("publish_now", "schedule", "unpublish")

    def has_publish_permission(self, request, obj=None):
        return request.user.has_perm("newsroom.publish_release")

    def has_approve_permission(self, request, obj=None):
        return request.user.has_perm("newsroom.approve_release")

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        views = {
            "publish": self.publish_view,
            "schedule": self.schedule_view,
            "unpublish": self.unpublish_view,
            "approve": self.approve_view,
        }
        return [
            path(
                "<path:object_id>/media-bank/",
                self.admin_site.admin_view(mediabank.admin_view(self)),
                name="{}_{}_media_bank".format(*info),
            ),
            path(
                "language-report/",
                self.admin_site.admin_view(language_report.view(self)),
                name="{}_{}_language_report".format(*info),
            ),
            *(
                path(
                    f"<path:object_id>/{name}/",
                    self.admin_site.admin_view(view),
                    name="{}_{}_{}".format(*info, name),
                )
                for name, view in views.items()
            ),
            *super().get_urls(),
        ]

    def _get_publishable(self, request, object_id):
        release = get_object_or_404(Release, pk=unquote(object_id))
        if not self.has_publish_permission(request, release):
            raise PermissionDenied
        return release

    def _change_url(self, release):
        return reverse("admin:newsroom_release_change", args=[release.pk])

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Checked before the form is saved: a refused publish changes nothing, the content included.
        publishing = "_publish" in request.POST or "_schedule" in request.POST
        if request.method == "POST" and publishing and not self.has_publish_permission(request):
            raise PermissionDenied
        return super().changeform_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        # Django drops an action the user may not run with "No action selected"; a publishing action
        # is refused outright, as on every other path.
        action = request.POST.get("action") if request.method == "POST" else None
        if action in self.PUBLISHING_ACTIONS and not self.has_publish_permission(request):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change or form.has_changed() or any(formset.has_changed() for formset in formsets):
            if services.record_edit(release=form.instance, user=request.user):
                self.message_user(
                    request,
                    _("The release was scheduled: it is a draft again until it is approved again."),
                    messages.WARNING,
                )
            form.instance.refresh_from_db()
        if change and form.instance.is_public:
            # Webhook receivers hear of every change to what the public sees (sent after the commit).
            signals.release_updated.send(sender=Release, release=form.instance)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["has_publish_permission"] = self.has_publish_permission(request)
        if obj is not None:
            context["publish_url"] = reverse("admin:newsroom_release_publish", args=[obj.pk])
            context["schedule_url"] = reverse("admin:newsroom_release_schedule", args=[obj.pk])
            context["unpublish_url"] = reverse("admin:newsroom_release_unpublish", args=[obj.pk])
            context["approve_url"] = reverse("admin:newsroom_release_approve", args=[obj.pk])
            context["can_approve"] = (
                self.has_approve_permission(request)
                and not obj.is_approved
                and obj.last_edited_by_id != request.user.pk
            )
            context["preview_url"] = reverse("pressroom:preview", kwargs={"pk": obj.pk})
            context["media_bank_url"] = reverse("admin:newsroom_release_media_bank", args=[obj.pk])
            context["may_add_from_media_bank"] = self.has_change_permission(
                request, obj
            ) and request.user.has_perm("newsroom.add_attachment")
            context["send_test_url"] = reverse("admin:subscriptions_mailing_send_test", args=[obj.pk])
            context["mailings"] = [
                (mailing, reverse("admin:subscriptions_mailing_change", args=[mailing.pk]))
                for mailing in obj.mailings.all()
            ]
            context["may_correct"] = obj.is_public and request.user.has_perm("press.add_correction")
            context["may_presend"] = (
                obj.status == Release.Status.SCHEDULED
                and not obj.is_public
                and request.user.has_perm("press.add_presend")
            )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def response_add(self, request, obj, post_url_continue=None):
        return self._respond_to_publishing(request, obj) or super().response_add(
            request, obj, post_url_continue
        )

    def response_change(self, request, obj):
        return self._respond_to_publishing(request, obj) or super().response_change(request, obj)

    def _respond_to_publishing(self, request, obj):
        """The "Save and publish…" and "Save and schedule…" buttons: the form is saved, then the
        confirmation page says what publishing will do."""
        if "_publish" in request.POST:
            return HttpResponseRedirect(reverse("admin:newsroom_release_publish", args=[obj.pk]))
        if "_schedule" in request.POST:
            return HttpResponseRedirect(reverse("admin:newsroom_release_schedule", args=[obj.pk]))
        return None

    def publish_view(self, request, object_id):
        release = self._get_publishable(request, object_id)
        if request.method == "POST" and "confirm" in request.POST:
            try:
                release = services.publish_release(release=release, user=request.user)
            except (services.NotApproved, services.MissingCaptions) as exc:
                self.message_user(request, exc.messages[0], messages.ERROR)
            else:
                self.message_user(
                    request, _("“%(title)s” is published.") % {"title": release.title}, messages.SUCCESS
                )
            return HttpResponseRedirect(self._change_url(release))
        return self._render_confirmation(request, review.PUBLISH, [release])

    def schedule_view(self, request, object_id):
        release = self._get_publishable(request, object_id)
        confirmed = request.method == "POST" and "confirm" in request.POST
        form = ScheduleForm(request.POST if confirmed else None, initial={"publish_at": _next_full_hour()})
        if confirmed and form.is_valid():
            at = form.cleaned_data["publish_at"]
            try:
                services.publish_release(release=release, at=at, user=request.user)
            except PUBLISHING_REFUSALS as exc:
                self.message_user(request, exc.messages[0], messages.ERROR)
                return HttpResponseRedirect(self._change_url(release))
            self.message_user(
                request,
                _("“%(title)s” will be published %(time)s.")
                % {"title": release.title, "time": local_datetime(at)},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(self._change_url(release))
        return self._render_confirmation(request, review.SCHEDULE, [release], form=form)

    def unpublish_view(self, request, object_id):
        release = self._get_publishable(request, object_id)
        if request.method == "POST" and "confirm" in request.POST:
            services.unpublish_release(release=release, user=request.user)
            self.message_user(
                request,
                _("“%(title)s” is unpublished: it is a draft again and hidden from the public.")
                % {"title": release.title},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(self._change_url(release))
        return self._render_confirmation(request, review.UNPUBLISH, [release])

    def approve_view(self, request, object_id):
        release = get_object_or_404(Release, pk=unquote(object_id))
        if not self.has_approve_permission(request, release):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            services.approve_release(release=release, user=request.user)
        except services.OwnEdit as exc:
            self.message_user(request, exc.messages[0], messages.ERROR)
        else:
            self.message_user(
                request, _("“%(title)s” is approved.") % {"title": release.title}, messages.SUCCESS
            )
        return HttpResponseRedirect(self._change_url(release))

    def _blocker(self, release, action):
        """Why ACTION cannot be done to RELEASE, or None."""
        if action == review.UNPUBLISH:
            return None if release.status != Release.Status.DRAFT else _("It is not published or scheduled.")
        if release.status == Release.Status.PUBLISHED:
            return _("It is already published.")
        if services.needs_approval(release) and not (action == review.PUBLISH and release.is_public):
            return services.NotApproved(release).messages[0]
        if not release.is_public and (videos := release.videos_without_captions()):
            return services.MissingCaptions(release, videos).messages[0]
        return None

    def _render_confirmation(self, request, action, releases, form=None, bulk=False):
        """The page that ends every publishing path: the releases, whom each reaches, and the button."""
        items = [
            {
                "release": release,
                "parts": review.describe(release, action),
                "blocker": self._blocker(release, action),
            }
            for release in releases
        ]
        titles = {
            review.PUBLISH: _("Publish now?"),
            review.SCHEDULE: _("Schedule publication"),
            review.UNPUBLISH: _("Unpublish?"),
        }
        buttons = {
            review.PUBLISH: _("Yes, publish now"),
            review.SCHEDULE: _("Schedule"),
            review.UNPUBLISH: _("Yes, unpublish"),
        }
        context = {
            **self.admin_site.each_context(request),
            "title": titles[action],
            "action": action,
            "opts": self.opts,
            "form": form,
            "items": items,
            "possible": any(item["blocker"] is None for item in items),
            "confirm_label": buttons[action],
            "bulk": bulk,
            "bulk_action": {review.PUBLISH: "publish_now", review.SCHEDULE: "schedule"}.get(
                action, "unpublish"
            ),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/newsroom/release/confirm.html", context)

    def _each(self, request, queryset, act, done_message):
        count = 0
        for release in queryset:
            try:
                act(release)
            except PUBLISHING_REFUSALS as exc:
                self.message_user(request, exc.messages[0], messages.ERROR)
            else:
                count += 1
        self.message_user(request, done_message(count), messages.SUCCESS)

    @admin.action(description=_("Publish selected releases now…"), permissions=["publish"])
    def publish_now(self, request, queryset):
        if "confirm" not in request.POST:
            return self._render_confirmation(request, review.PUBLISH, list(queryset), bulk=True)
        self._each(
            request,
            queryset.exclude(status=Release.Status.PUBLISHED),
            lambda release: services.publish_release(release=release, user=request.user),
            lambda count: (
                ngettext("%(count)d release published.", "%(count)d releases published.", count)
                % {"count": count}
            ),
        )
        return None

    @admin.action(description=_("Schedule selected releases…"), permissions=["publish"])
    def schedule(self, request, queryset):
        confirmed = "confirm" in request.POST
        form = ScheduleForm(request.POST if confirmed else None, initial={"publish_at": _next_full_hour()})
        if not (confirmed and form.is_valid()):
            return self._render_confirmation(request, review.SCHEDULE, list(queryset), form=form, bulk=True)
        at = form.cleaned_data["publish_at"]
        self._each(
            request,
            queryset,
            lambda release: services.publish_release(release=release, at=at, user=request.user),
            lambda count: (
                ngettext(
                    "%(count)d release scheduled for %(time)s.",
                    "%(count)d releases scheduled for %(time)s.",
                    count,
                )
                % {"count": count, "time": local_datetime(at)}
            ),
        )
        return None

    @admin.action(description=_("Unpublish selected releases…"), permissions=["publish"])
    def unpublish(self, request, queryset):
        if "confirm" not in request.POST:
            return self._render_confirmation(request, review.UNPUBLISH, list(queryset), bulk=True)
        self._each(
            request,
            queryset.exclude(status=Release.Status.DRAFT),
            lambda release: services.unpublish_release(release=release, user=request.user),
            lambda count: (
                ngettext("%(count)d release unpublished.", "%(count)d releases unpublished.", count)
                % {"count": count}
            ),
        )
        return None


def _next_full_hour():
    now = timezone.localtime()
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def language_label(code):
    return Language(code).label


def fallback_badge(text, main_language):
    """What the public reads in TEXT's language (a NewsroomText) and what falls back to MAIN_LANGUAGE,
    marked for the editor; the public page shows the main language's text without a mark."""
    fallbacks = text.fallbacks()
    if not fallbacks:
        return format_html(
            '<span class="pressroom-badge pressroom-badge--published">{}</span>', _("translated")
        )
    names = ", ".join(str(Newsroom._meta.get_field(field).verbose_name) for field in fallbacks)
    return falls_back(main_language, names)


def falls_back(main_language, what):
    """The editor's mark for WHAT a language shows in MAIN_LANGUAGE."""
    label = _("falls back to the main language (%(language)s)") % {"language": language_label(main_language)}
    return format_html('<span class="pressroom-badge pressroom-badge--scheduled">{}</span> {}', label, what)


class MainLanguageFormSet(BaseInlineFormSet):
    """Translations are into the other languages: the main language's text is the profile's own."""

    def main_language(self):
        return Newsroom.load().default_language

    def clean(self):
        super().clean()
        main = self.main_language()
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            if form.cleaned_data.get("language") == main:
                raise ValidationError(
                    _(
                        "%(language)s is the main language: its text is the one above. Translate into "
                        "the other languages here."
                    ),
                    params={"language": language_label(main)},
                )


class NewsroomFormSet(MainLanguageFormSet):
    def main_language(self):
        # The profile's form has been cleaned: its main language as it is about to be saved.
        return self.instance.default_language


class NewsroomTranslationInline(admin.StackedInline):
    model = NewsroomTranslation
    form = PressroomLanguagesForm
    formset = NewsroomFormSet
    fields = ["language", "fallback", *TRANSLATED]
    readonly_fields = ["fallback"]
    extra = 0
    max_num = len(Language.choices) - 1

    @admin.display(description=_("shown to the public"))
    def fallback(self, obj):
        if obj is None or obj.pk is None:
            return _("Blank texts show the main language's text.")
        newsroom = obj.newsroom
        return fallback_badge(newsroom.in_language(obj.language), newsroom.default_language)


@admin.register(Newsroom)
class NewsroomAdmin(ProseEditorCSPMixin, VersionAdmin):
    """One profile per installation: the list goes straight to it, and it cannot be deleted."""

    form = NewsroomAdminForm
    fieldsets = [
        (None, {"fields": [
            "name", "tagline", "about", "signup_text", "email_footer", "website", "email", "phone",
            "default_language", "languages",
        ]}),
        (_("Brand"), {"fields": ["logo", "accent_color", "cover", "cover_alt_text"]}),
    ]  # fmt: skip
    readonly_fields = ["languages"]
    inlines = [NewsroomTranslationInline]

    class Media:
        css = ADMIN_CSS

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "logo":
            kwargs["form_class"] = ImageUploadField
            kwargs["widget"] = ServedFileInput(lambda newsroom: reverse("pressroom:newsroom_logo"))
        if db_field.name == "cover":
            kwargs["form_class"] = ImageUploadField
            kwargs["widget"] = ServedFileInput(lambda newsroom: reverse("pressroom:newsroom_cover"))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        palette = brand.palette(obj.accent_color)
        if obj.accent_color and palette.adjusted:
            messages.warning(
                request,
                _(
                    "The accent colour %(colour)s is too light for text: on the pages' white and light grey "
                    "it reaches only %(ratio).1f:1, and text needs 4.5:1. Links and buttons use the darker "
                    "shade %(shade)s; the header band keeps %(colour)s with %(text)s text on it."
                )
                % {
                    "colour": palette.brand,
                    "ratio": brand.contrast(palette.brand, brand.LIGHT_SURFACE),
                    "shade": palette.accent,
                    "text": _("white") if palette.on_brand == brand.WHITE else _("black"),
                },
            )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Newsroom.objects.exists()

    @admin.display(description=_("texts in the other languages"))
    def languages(self, obj):
        """Each other language and what of it falls back to the main language."""
        if obj is None or obj.pk is None:
            return "—"
        rows = [
            (language_label(code), fallback_badge(obj.in_language(code), obj.default_language))
            for code, _name in settings.LANGUAGES
            if code != obj.default_language
        ]
        return format_html(
            '<ul class="pressroom-languages">{}</ul>', format_html_join("", "<li>{}: {}</li>", rows)
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        newsroom = Newsroom.objects.first()
        if newsroom is None:
            return HttpResponseRedirect(reverse("admin:newsroom_newsroom_add"))
        return HttpResponseRedirect(reverse("admin:newsroom_newsroom_change", args=[newsroom.pk]))


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = PressroomLanguagesForm
    list_display = ["name", "language", "slug", "release_count"]
    list_filter = ["language"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(release_count=Count("releases"))

    @admin.display(description=_("releases"), ordering="release_count")
    def release_count(self, obj):
        return obj.release_count


class ContactTranslationInline(admin.TabularInline):
    model = ContactTranslation
    form = PressroomLanguagesForm
    formset = MainLanguageFormSet
    fields = ["language", "role"]
    extra = 0
    max_num = len(Language.choices) - 1
    verbose_name_plural = _("title in the other languages")


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "email", "phone", "is_active", "order"]
    list_editable = ["is_active", "order"]
    list_filter = ["is_active"]
    search_fields = ["name", "role", "email", "translations__role"]
    fields = ["name", "role", "titles", "email", "phone", "photo", "is_active", "order"]
    readonly_fields = ["titles"]
    inlines = [ContactTranslationInline]

    @admin.display(description=_("title in the other languages"))
    def titles(self, obj):
        """Each other language's title, or the main language's one it falls back to, marked."""
        if obj is None or obj.pk is None:
            return "—"
        newsroom = Newsroom.load()
        rows = []
        for code, _name in settings.LANGUAGES:
            if code == newsroom.default_language:
                continue
            translated = newsroom.in_language(code).translated_role(obj)
            rows.append((language_label(code), translated or falls_back(newsroom.default_language, obj.role)))
        return format_html(
            '<ul class="pressroom-languages">{}</ul>', format_html_join("", "<li>{}: {}</li>", rows)
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "photo":
            kwargs["form_class"] = ImageUploadField
            kwargs["widget"] = ServedFileInput(
                lambda contact: reverse("pressroom:contact_photo", kwargs={"pk": contact.pk})
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)
