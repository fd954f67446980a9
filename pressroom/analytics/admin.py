"""The editors' analytics: an overview per release and a chart per release, from aggregate counts."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pressroom.newsroom.models import Release

from . import counts as analytics
from .models import ReleaseStat

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
                name="analytics_releasestat_release",
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
                "url": reverse("admin:analytics_releasestat_release", args=[release.pk]) + f"?days={days}",
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
        return TemplateResponse(request, "admin/analytics/analytics.html", context)

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
        return TemplateResponse(request, "admin/analytics/analytics_release.html", context)


def analytics_retention():
    return settings.ANALYTICS_RETENTION_DAYS
