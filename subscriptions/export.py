"""The subscriber list as CSV, for the admin action and the export command alike."""

import csv

from .models import Subscriber

COLUMNS = [
    "email",
    "status",
    "language",
    "norwegian",
    "english",
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


def topic_cell(subscriber):
    """The chosen topics' slugs; a topic of another language than the interface's as "en:slug", so that
    the import finds each in its language."""
    if subscriber.all_topics:
        return ""
    return ";".join(
        topic.slug if topic.language == subscriber.language else f"{topic.language}:{topic.slug}"
        for topic in subscriber.topics.all()
    )


def yes_no(value):
    return "yes" if value else "no"


def row(subscriber):
    values = {column: getattr(subscriber, column, None) for column in COLUMNS} | {
        "topics": topic_cell(subscriber),
        "norwegian": yes_no(subscriber.norwegian),
        "english": yes_no(subscriber.english),
    }
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
