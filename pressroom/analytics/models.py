"""Aggregate counts per release and day (counts.py): nothing about any visitor is stored."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from pressroom.newsroom.models import Release


class ReleaseStat(models.Model):
    """One aggregate count per release, day and metric. Nothing about any visitor is stored."""

    class Metric(models.TextChoices):
        VIEW = "view", _("Page views")
        DOWNLOAD = "download", _("Downloads")
        PRESSKIT = "presskit", _("Press kit downloads")

    release = models.ForeignKey(
        Release, verbose_name=_("release"), on_delete=models.CASCADE, related_name="stats"
    )
    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=10, choices=Metric.choices)
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("statistic")
        verbose_name_plural = _("analytics")
        constraints = [
            models.UniqueConstraint(fields=["release", "day", "metric"], name="release_stat_unique")
        ]
        indexes = [models.Index(fields=["day"], name="release_stat_day")]

    def __str__(self):
        return f"{self.release_id} {self.day} {self.metric}: {self.count}"
