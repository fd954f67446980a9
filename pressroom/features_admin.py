"""The editors' admin for press lists and embargoed pre-sends, upcoming releases, corrections and the
analytics. Imported by pressroom/admin.py. Writes go through the services in presend.py and
corrections.py, as everywhere else."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import analytics, corrections, outbox, presend
from .admin import ADMIN_CSS, local_datetime
from .models import (
    Announcement,
    Correction,
    CorrectionNotice,
    Journalist,
    PreSend,
    PreSendRecipient,
    PressList,
    PressListMember,
    Release,
    ReleaseStat,
)

Status = outbox.Status


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
        presend.check_presendable(release)
        return release


class PreSendRecipientInline(admin.TabularInline):
    model = PreSendRecipient
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["journalist", "outlet", "status", "sent_at", "opened", "opens", "downloads", "error"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("journalist", "presend")

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
class PreSendAdmin(admin.ModelAdmin):
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
                n_sent=Count("recipients", filter=Q(recipients__status=Status.SENT)),
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
        created = presend.send_presend(
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
        return HttpResponseRedirect(reverse("admin:pressroom_presend_change", args=[obj.pk]))

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
        return obj.recipients.filter(status=Status.SENT).count()

    @admin.display(description=_("opened"), ordering="n_opened")
    def opened_count(self, obj):
        return obj.n_opened

    def _retry(self, request, queryset, status):
        from . import tasks

        count = 0
        for item in queryset:
            count += outbox.retry(PreSendRecipient.objects.filter(presend=item), status)
            tasks.send_presend.delay_on_commit(item.pk)
        self.message_user(
            request,
            ngettext("%(count)d copy queued again.", "%(count)d copies queued again.", count)
            % {"count": count},
        )

    def has_send_permission(self, request):
        # Sending again is sending: it takes the right to send a pre-send in the first place.
        return self.has_add_permission(request)

    @admin.action(description=_("Retry failed copies"), permissions=["send"])
    def retry_failed(self, request, queryset):
        self._retry(request, queryset, Status.FAILED)

    @admin.action(description=_("Resend uncertain copies (some may get it twice)"), permissions=["send"])
    def resend_uncertain(self, request, queryset):
        self._retry(request, queryset, Status.UNCERTAIN)


# Upcoming releases


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
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
class CorrectionAdmin(admin.ModelAdmin):
    form = CorrectionForm
    list_display = ["release", "kind", "time", "notify", "notices"]
    list_filter = ["kind", "notify"]
    list_select_related = ["release"]
    search_fields = ["release__title", "note"]
    autocomplete_fields = ["release"]
    actions = ["retry_failed"]

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
        created = corrections.add_correction(
            release=form.cleaned_data["release"],
            kind=form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
            notify=form.cleaned_data["notify"],
            user=request.user,
        )
        obj.pk, obj.created_at, obj.created_by = created.pk, created.created_at, created.created_by

    @admin.display(description=_("time"), ordering="created_at")
    def time(self, obj):
        return local_datetime(obj.created_at)

    @admin.display(description=_("notices"))
    def notices(self, obj):
        if not obj.notify:
            return "—"
        counts = outbox.counts(CorrectionNotice.objects.filter(correction=obj))
        total = sum(counts.values())
        return _("%(sent)d of %(total)d sent, %(failed)d failed, %(uncertain)d uncertain") % {
            "sent": counts[Status.SENT],
            "total": total,
            "failed": counts[Status.FAILED],
            "uncertain": counts[Status.UNCERTAIN],
        }

    @admin.action(description=_("Retry failed notices"), permissions=["change"])
    def retry_failed(self, request, queryset):
        from . import tasks

        count = 0
        for correction in queryset:
            count += outbox.retry(CorrectionNotice.objects.filter(correction=correction), Status.FAILED)
            tasks.send_correction_notices.delay_on_commit(correction.pk)
        self.message_user(
            request,
            ngettext("%(count)d notice queued again.", "%(count)d notices queued again.", count)
            % {"count": count},
        )


# Analytics


PERIODS = (7, 30, 90)
CHART_HEIGHT = 120
BAR_WIDTH = 14


def chart(days, metric):
    """Bars for an inline SVG: [(x, y, height, day, value)], scaled to the highest day."""
    peak = max((values[metric] for _day, values in days), default=0) or 1
    bars = []
    for index, (day, values) in enumerate(days):
        height = round(values[metric] / peak * CHART_HEIGHT)
        bars.append((index * (BAR_WIDTH + 2), CHART_HEIGHT - height, height, day, values[metric]))
    return {"bars": bars, "width": len(days) * (BAR_WIDTH + 2), "height": CHART_HEIGHT, "peak": peak}


@admin.register(ReleaseStat)
class ReleaseStatAdmin(admin.ModelAdmin):
    """Not a list of rows: an overview per release, and a chart per release."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "release/<int:pk>/",
                self.admin_site.admin_view(self.release_view),
                name="pressroom_releasestat_release",
            ),
            *super().get_urls(),
        ]

    def _period(self, request):
        try:
            days = int(request.GET.get("days", 30))
        except ValueError:
            days = 30
        return days if days in PERIODS else 30

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        days = self._period(request)
        since = timezone.localdate() - timedelta(days=days - 1)
        releases = list(
            Release.objects.published()
            .filter(Q(published_at__date__gte=since) | Q(stats__day__gte=since))
            .distinct()
            .order_by("-published_at")[:100]
        )
        ids = [release.pk for release in releases]
        counts = analytics.totals(ids, since)
        email = analytics.email_counts(ids)
        peak = max((counts[pk][ReleaseStat.Metric.VIEW] for pk in ids), default=0) or 1
        rows = [
            {
                "release": release,
                "counts": counts[release.pk],
                "email": email[release.pk],
                "bar": round(counts[release.pk][ReleaseStat.Metric.VIEW] / peak * 100),
                "url": reverse("admin:pressroom_releasestat_release", args=[release.pk]) + f"?days={days}",
            }
            for release in releases
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Analytics"),
            "opts": self.opts,
            "rows": rows,
            "days": days,
            "periods": PERIODS,
            "retention": analytics_retention(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/pressroom/analytics.html", context)

    def release_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        release = get_object_or_404(Release, pk=pk)
        days = self._period(request)
        series = analytics.daily(release, days)
        since = timezone.localdate() - timedelta(days=days - 1)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Analytics: %(title)s") % {"title": release.title},
            "opts": self.opts,
            "release": release,
            "days": days,
            "periods": PERIODS,
            "charts": [(label, chart(series, metric)) for metric, label in ReleaseStat.Metric.choices],
            "totals": analytics.totals([release.pk], since)[release.pk],
            "metrics": ReleaseStat.Metric.choices,
            "email": analytics.email_counts([release.pk])[release.pk],
            "retention": analytics_retention(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/pressroom/analytics_release.html", context)


def analytics_retention():
    return settings.ANALYTICS_RETENTION_DAYS
