"""The language-act report: how much of what the newsroom published is in bokmål and in nynorsk.

The language act (språklova § 13) asks a state body to use both written standards, at least 25 % of
each, in what it publishes. The report counts the published Norwegian releases (the publication rule,
`Release.objects.published()`) per year and per quarter of their publish time in the site's time zone,
by number and by words (title, lead and body), and marks a period where either standard is below the
minimum. Editors with view permission on releases see it in the admin, and can download it as CSV.

When a written standard is switched off (PRESSROOM_LANGUAGES), the newsroom publishes in the other one
only: the report says so and warns about no period (it would warn about 0 % everywhere). It counts the
releases of the pressroom's languages only, as the public sees them.
"""

import csv
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Language, Release
from .text import plain_text

# The share of each written standard the language act asks for, in per cent.
MINIMUM_SHARE = 25

WORD = re.compile(r"\w+")


def switched_off():
    """The written standards switched off (PRESSROOM_LANGUAGES)."""
    on = dict(settings.LANGUAGES)
    return [language for language in (Language.NB, Language.NN) if language not in on]


def count_words(*texts):
    return sum(len(WORD.findall(text)) for text in texts)


@dataclass
class Period:
    """The Norwegian releases of one year or one quarter: {written standard: count} and words."""

    year: int
    quarter: int | None = None
    releases: dict = field(default_factory=lambda: {Language.NB: 0, Language.NN: 0})
    words: dict = field(default_factory=lambda: {Language.NB: 0, Language.NN: 0})

    @property
    def label(self):
        return f"{self.year} Q{self.quarter}" if self.quarter else str(self.year)

    def add(self, language, words):
        self.releases[language] += 1
        self.words[language] += words

    @staticmethod
    def _share(counts, language):
        total = sum(counts.values())
        return round(100 * counts[language] / total, 1) if total else None

    def share(self, language):
        """LANGUAGE's share of the releases, in per cent (None without releases)."""
        return self._share(self.releases, language)

    def word_share(self, language):
        return self._share(self.words, language)

    @property
    def columns(self):
        """The numbers of the report's row, in the order of its columns (and of the CSV's)."""
        nb, nn = Language.NB, Language.NN
        return [
            self.releases[nb], self.releases[nn], self.share(nb), self.share(nn),
            self.words[nb], self.words[nn], self.word_share(nb), self.word_share(nn),
        ]  # fmt: skip

    @property
    def cells(self):
        """The columns as (value, is a share in per cent) for the admin's table."""
        return [(value, index in (2, 3, 6, 7)) for index, value in enumerate(self.columns)]

    @property
    def warning(self):
        """The warning the report shows for this period, or ""."""
        names = {Language.NB: _("bokmål"), Language.NN: _("nynorsk")}
        return " ".join(
            _("Less than %(minimum)s %% %(language)s.")
            % {"minimum": MINIMUM_SHARE, "language": names[language]}
            for language in self.below_minimum
        )

    @property
    def below_minimum(self):
        """The written standards under MINIMUM_SHARE by number or by words (none when one is off)."""
        if switched_off():
            return []
        return [
            language
            for language in (Language.NB, Language.NN)
            if any(
                share is not None and share < MINIMUM_SHARE
                for share in (self.share(language), self.word_share(language))
            )
        ]


def periods(now=None):
    """Every year with published Norwegian releases, newest first, each with its quarters that have some:
    [(year's Period, [quarter's Period, ...]), ...]."""
    years, quarters = {}, {}
    published = Release.objects.published(now).in_pressroom_languages()
    published = published.filter(language__in=(Language.NB, Language.NN))
    fields = ("language", "published_at", "title", "lead", "body")
    for language, published_at, title, lead, body in published.values_list(*fields).iterator():
        local = timezone.localtime(published_at)
        quarter = (local.month - 1) // 3 + 1
        words = count_words(title, lead, plain_text(body))
        years.setdefault(local.year, Period(local.year)).add(language, words)
        quarters.setdefault((local.year, quarter), Period(local.year, quarter)).add(language, words)
    return [
        (years[year], [quarters[key] for key in sorted(quarters) if key[0] == year])
        for year in sorted(years, reverse=True)
    ]


def rows(now=None):
    """The periods in the order the report lists them: each year, then its quarters."""
    return [period for year, quarters in periods(now) for period in (year, *quarters)]


def as_csv(now=None):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="language-report.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "period", "bokmal_releases", "nynorsk_releases", "bokmal_share", "nynorsk_share",
            "bokmal_words", "nynorsk_words", "bokmal_word_share", "nynorsk_word_share", "below_25_percent",
        ]
    )  # fmt: skip
    for period in rows(now):
        writer.writerow([period.label, *period.columns, " ".join(period.below_minimum)])
    return response


def view(model_admin):
    """The report's admin view, for MODEL_ADMIN (the release admin): staff who may view releases."""

    def language_report(request):
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        if request.GET.get("format") == "csv":
            return as_csv()
        context = {
            **model_admin.admin_site.each_context(request),
            "title": _("Language report: bokmål and nynorsk"),
            "opts": model_admin.opts,
            "rows": rows(),
            "minimum": MINIMUM_SHARE,
            "switched_off": ", ".join(str(language.label) for language in switched_off()),
        }
        request.current_app = model_admin.admin_site.name
        return TemplateResponse(request, "admin/newsroom/release/language_report.html", context)

    return language_report
