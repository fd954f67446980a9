"""The subscriber list as CSV, for the admin action and the export command alike."""

import csv

from .models import Subscriber

COLUMNS = [
    "email",
    "status",
    "language",
    "topics",
    "frequency",
    "created_at",
    "confirmed_at",
    "unsubscribed_at",
    "consent_at",
    "consent_method",
    "consent_text_version",
    "consent_source",
    "consent_note",
]

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def row(subscriber):
    topics = "" if subscriber.all_topics else ";".join(topic.slug for topic in subscriber.topics.all())
    values = {column: getattr(subscriber, column, None) for column in COLUMNS} | {"topics": topics}
    return [safe_cell(values[column]) for column in COLUMNS]


def rows(queryset=None):
    """The header, then one row per subscriber, read in chunks so a large list streams."""
    queryset = Subscriber.objects.all() if queryset is None else queryset
    yield COLUMNS
    for subscriber in queryset.order_by("pk").prefetch_related("topics").iterator(chunk_size=1000):
        yield row(subscriber)


class Echo:
    """A file-like object that hands back what is written, for csv.writer into a streamed response."""

    def write(self, value):
        return value


def stream(queryset=None):
    writer = csv.writer(Echo())
    for values in rows(queryset):
        yield writer.writerow(values)
