"""The editors' admin for press lists and embargoed pre-sends, upcoming releases and corrections. Writes
go through services.py, as everywhere else."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from pressroom.newsroom.admin import ADMIN_CSS, local_datetime
from pressroom.newsroom.forms import PressroomLanguagesForm
from pressroom.newsroom.models import Release
from subscriptions import emails
from subscriptions.models import Delivery

from . import corrections, presend, services
from .models import (
    Announcement,
    Correction,
    Journalist,
    PreSend,
    PreSendRecipient,
    PressList,
    PressListMember,
)
from .presend import check_presendable

Status = Delivery.Status


class ConfirmSendMixin:
    """Adding a pre-send or a correction sends email: the add form's POST first shows a confirmation
    page (who gets what, with the email), whose confirm button posts the same data again to act. Sending
    takes the publish permission as well as the model's add permission."""

    confirm_template = "admin/press/confirm_send.html"

    def add_view(self, request, form_url="", extra_context=None):
        if request.method == "POST":
            if not (self.has_add_permission(request) and request.user.has_perm("newsroom.publish_release")):
                raise PermissionDenied
            if "confirm" not in request.POST:
                form = self.get_form(request)(request.POST)
                if form.is_valid():
                    context = {
                        **self.admin_site.each_context(request),
                        **self.confirmation(form.cleaned_data),
                        "opts": self.opts,
                        "form": form,
                        "media": self.media,
                    }
                    request.current_app = self.admin_site.name
                    return TemplateResponse(request, self.confirm_template, context)
        return super().add_view(request, form_url, extra_context)

    def confirmation(self, data):
        """The page's title, what happens, the number of recipients and the email (subject, text)."""
        raise NotImplementedError


def sample(kind, release, context):
    """Subject and text of an email of KIND about RELEASE as its recipients will read it."""
    with translation.override(release.language):
        subject, text, _html = emails.render(kind, {"language": release.language, **context})
    return subject, text


# Press lists


@admin.register(Journalist)
class JournalistAdmin(admin.ModelAdmin):
    list_display = ["name", "outlet", "email", "list_names"]
    list_filter = ["press_lists"]
    search_fields = ["name", "email", "outlet"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("press_lists")

    @admin.display(description=_("press lists"))
    def list_names(self, obj):
        return ", ".join(press_list.name for press_list in obj.press_lists.all()) or "—"


class PressListMemberInline(admin.TabularInline):
    model = PressListMember
    extra = 0
    autocomplete_fields = ["journalist"]
    fields = ["journalist", "added_at"]
    readonly_fields = ["added_at"]


@admin.register(PressList)
class PressListAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "created_at"]
    search_fields = ["name", "description"]
    fields = ["name", "description"]
    inlines = [PressListMemberInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description=_("journalists"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


# Embargoed pre-sends


class PreSendForm(forms.ModelForm):
    class Meta:
        model = PreSend
        fields = ["release", "press_list"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "release" not in self.fields:
            return  # a sent pre-send: every field is read-only
        self.fields["release"].queryset = Release.objects.filter(
            status=Release.Status.SCHEDULED, published_at__gt=timezone.now()
        ).order_by("published_at")
        self.fields["release"].help_text = _(
            "Releases scheduled for a later time. The publish time is the embargo: the release and the "
            "public mailing go out then."
        )
        self.fields["press_list"].required = True

    def clean_release(self):
        release = self.cleaned_data["release"]
        check_presendable(release)
        return release


class PreSendRecipientInline(admin.TabularInline):
    model = PreSendRecipient
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["journalist", "outlet", "status", "sent_at", "opened", "opens", "downloads", "error"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("journalist", "presend", "delivery")

    @admin.display(description=_("status"))
    def status(self, obj):
        return obj.delivery.get_status_display() if obj.delivery else "—"

    @admin.display(description=_("sent"))
    def sent_at(self, obj):
        return local_datetime(obj.delivery.sent_at) if obj.delivery and obj.delivery.sent_at else "—"

    @admin.display(description=_("error"))
    def error(self, obj):
        return (obj.delivery.error if obj.delivery else "") or "—"

    @admin.display(description=_("outlet"))
    def outlet(self, obj):
        return obj.journalist.outlet or "—"

    @admin.display(description=_("first opened"))
    def opened(self, obj):
        if obj.first_opened_at is None:
            return "—"
        if obj.first_opened_at < obj.presend.embargo_at:
            return format_html(
                '{} <span class="pressroom-badge pressroom-badge--scheduled">{}</span>',
                local_datetime(obj.first_opened_at),
                _("before the embargo"),
            )
        return local_datetime(obj.first_opened_at)


@admin.register(PreSend)
class PreSendAdmin(ConfirmSendMixin, admin.ModelAdmin):
    form = PreSendForm
    list_display = [
        "release",
        "press_list",
        "embargo",
        "sent",
        "recipient_count",
        "delivered",
        "opened_count",
    ]
    list_select_related = ["release", "press_list"]
    search_fields = ["release__title", "press_list__name"]
    inlines = [PreSendRecipientInline]
    actions = ["retry_failed", "resend_uncertain"]

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_sent=Count("recipients", filter=Q(recipients__delivery__status=Status.SENT)),
                n_opened=Count("recipients", filter=Q(recipients__first_opened_at__isnull=False)),
            )
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["release", "press_list"]
        return ["release", "press_list", "embargo", "sent", "sent_by", "recipient_count", "delivered"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_change_permission(self, request, obj=None):
        # A sent pre-send is a record: it is looked at, never edited.
        return False if obj is not None else super().has_change_permission(request, obj)

    def get_changeform_initial_data(self, request):
        return {"release": request.GET.get("release")}

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = services.send_presend(
            release=form.cleaned_data["release"],
            press_list=form.cleaned_data["press_list"],
            user=request.user,
        )
        obj.pk = created.pk
        obj.embargo_at, obj.sent_at, obj.recipient_count = (
            created.embargo_at,
            created.sent_at,
            created.recipient_count,
        )

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            ngettext(
                "“%(title)s” is being sent under embargo to %(count)d journalist.",
                "“%(title)s” is being sent under embargo to %(count)d journalists.",
                obj.recipient_count,
            )
            % {"title": obj.release.title, "count": obj.recipient_count},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:press_presend_change", args=[obj.pk]))

    @admin.display(description=_("embargo until"), ordering="embargo_at")
    def embargo(self, obj):
        return local_datetime(obj.embargo_at)

    @admin.display(description=_("sent"), ordering="sent_at")
    def sent(self, obj):
        return local_datetime(obj.sent_at)

    @admin.display(description=_("delivered to the provider"))
    def delivered(self, obj):
        if hasattr(obj, "n_sent"):
            return obj.n_sent
        return obj.recipients.filter(delivery__status=Status.SENT).count()

    @admin.display(description=_("opened"), ordering="n_opened")
    def opened_count(self, obj):
        return obj.n_opened

    def _retry(self, request, queryset, status):
        count = sum(
            services.retry_copies(presend=item, status=status, user=request.user) for item in queryset
        )
        self.message_user(
            request,
            ngettext("%(count)d copy queued again.", "%(count)d copies queued again.", count)
            % {"count": count},
        )

    def has_send_permission(self, request):
        # Sending again is sending: it takes the right to send a pre-send in the first place.
        return self.has_add_permission(request) and request.user.has_perm("newsroom.publish_release")

    def confirmation(self, data):
        release, press_list = data["release"], data["press_list"]
        journalists = list(services.presend_recipients(release, press_list))
        subject, text = sample(
            "embargo",
            release,
            presend.message_context(release, press_list, journalists[0] if journalists else None, "…"),
        )
        return {
            "title": _("Send under embargo?"),
            "release": release,
            "what": _(
                "“%(title)s” goes to the press list “%(list)s” now, under embargo until %(time)s. Each "
                "journalist gets personal links."
            )
            % {"title": release.title, "list": press_list.name, "time": local_datetime(release.published_at)},
            "recipients": journalists,
            "count": len(journalists),
            "subject": subject,
            "text": text,
        }

    @admin.action(description=_("Retry failed copies"), permissions=["send"])
    def retry_failed(self, request, queryset):
        self._retry(request, queryset, Status.FAILED)

    @admin.action(description=_("Resend uncertain copies (some may get it twice)"), permissions=["send"])
    def resend_uncertain(self, request, queryset):
        self._retry(request, queryset, Status.UNCERTAIN)


# Upcoming releases


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    form = PressroomLanguagesForm
    list_display = ["title", "date", "time", "topic", "language", "release", "state"]
    list_filter = ["language", "topic", "date"]
    search_fields = ["title"]
    date_hierarchy = "date"
    autocomplete_fields = ["release"]
    fields = ["title", "date", "time", "topic", "language", "release"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("topic", "release")

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.release_id and obj.release.is_public:
            return _("Published")
        if obj.date < timezone.localdate():
            return _("Past, not published")
        return _("Upcoming")


# Corrections


class CorrectionForm(forms.ModelForm):
    class Meta:
        model = Correction
        fields = ["release", "kind", "note", "notify"]

    def clean_release(self):
        release = self.cleaned_data["release"]
        if self.instance.pk is None and not Release.objects.published().filter(pk=release.pk).exists():
            raise ValidationError(_("Only a published release can be corrected."), code="not_published")
        return release


@admin.register(Correction)
class CorrectionAdmin(ConfirmSendMixin, admin.ModelAdmin):
    form = CorrectionForm
    list_display = ["release", "kind", "time", "notify", "notices"]
    list_filter = ["kind", "notify"]
    list_select_related = ["release"]
    search_fields = ["release__title", "note"]
    autocomplete_fields = ["release"]
    actions = ["retry_failed"]

    class Media:
        css = ADMIN_CSS

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["release", "kind", "note", "notify"]
        return ["release", "kind", "note", "notify", "time", "created_by", "notices"]

    def get_readonly_fields(self, request, obj=None):
        # The note can still be fixed; who was told, and when, cannot change.
        return [] if obj is None else ["release", "notify", "time", "created_by", "notices"]

    def get_changeform_initial_data(self, request):
        return {"release": request.GET.get("release")}

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["kind", "note"])
            return
        created = services.add_correction(
            release=form.cleaned_data["release"],
            kind=form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
            notify=form.cleaned_data["notify"],
            user=request.user,
        )
        obj.pk, obj.created_at, obj.created_by = created.pk, created.created_at, created.created_by

    def confirmation(self, data):
        release = data["release"]
        correction = Correction(
            release=release, kind=data["kind"], note=data["note"], created_at=timezone.now()
        )
        recipients = corrections.original_recipients(release, subscribed_now=True) if data["notify"] else {}
        subject, text = sample("correction", release, corrections.message_context(correction))
        return {
            "title": _("Add the correction?"),
            "release": release,
            "what": _("The note is shown on the release's page from now on.")
            if not data["notify"]
            else _("The note is shown on the release's page, and everyone who received the release is told."),
            "count": len(recipients),
            "journalists": sum(1 for _subscriber, journalist in recipients.values() if journalist),
            "notify": data["notify"],
            "subject": subject,
            "text": text,
        }

    def has_retry_permission(self, request):
        return self.has_change_permission(request) and request.user.has_perm("newsroom.publish_release")

    @admin.display(description=_("time"), ordering="created_at")
    def time(self, obj):
        return local_datetime(obj.created_at)

    @admin.display(description=_("notices"))
    def notices(self, obj):
        if not obj.notify:
            return "—"
        found = dict(
            Delivery.objects.filter(notice__correction=obj)
            .values_list("status")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts = {status: found.get(status, 0) for status in Status.values}
        total = sum(counts.values())
        return _("%(sent)d of %(total)d sent, %(failed)d failed, %(uncertain)d uncertain") % {
            "sent": counts[Status.SENT],
            "total": total,
            "failed": counts[Status.FAILED],
            "uncertain": counts[Status.UNCERTAIN],
        }

    @admin.action(description=_("Retry failed notices"), permissions=["retry"])
    def retry_failed(self, request, queryset):
        count = sum(
            services.retry_notices(correction=correction, user=request.user) for correction in queryset
        )
        self.message_user(
            request,
            ngettext("%(count)d notice queued again.", "%(count)d notices queued again.", count)
            % {"count": count},
        )
