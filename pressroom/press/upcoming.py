"""Upcoming releases: announcements with a title, date and topic, on the pressroom and as an iCalendar feed.

An announcement may name the release it announces; that release's content stays hidden until
`Release.objects.published()` includes it. From then on the announcement leaves the upcoming list and
links to the release instead, in the list of recent ones and in the calendar. Nothing has to be flipped
at publication: the publication rule decides, as everywhere else.
"""

from datetime import UTC, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from pressroom.newsroom.models import Release

# How long an announcement stays in the calendar after its day, and in the "recently published" list.
CALENDAR_PAST_DAYS = 90
RECENT_DAYS = 30
PRODID = "-//Pressroom//Upcoming releases//EN"


def with_public_releases(announcements, now=None):
    """Give each announcement `public_release`: its release if published, else None. One query; the
    release of an unpublished announcement is never loaded."""
    announcements = list(announcements)
    ids = {a.release_id for a in announcements if a.release_id}
    public = {}
    if ids:
        public = {
            release.pk: release
            for release in Release.objects.published(now)
            .in_pressroom_languages()
            .filter(pk__in=ids)
            .only("pk", "slug", "title", "lead", "language", "published_at")
        }
    for announcement in announcements:
        announcement.public_release = public.get(announcement.release_id)
    return announcements


# iCalendar (RFC 5545)


def escape_text(value):
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped."""
    value = str(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line):
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 sequence."""
    if len(line.encode()) <= 75:
        return line
    parts, current, size, limit = [], "", 0, 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append(current)
            # A continuation line starts with a space, which counts towards its 75 octets.
            current, size, limit = char, width, 74
        else:
            current += char
            size += width
    parts.append(current)
    return "\r\n ".join(parts)


def utc_stamp(moment):
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def event_lines(announcement, host):
    release = announcement.public_release
    lines = [
        "BEGIN:VEVENT",
        f"UID:{announcement.uid}@{host}",
        f"DTSTAMP:{utc_stamp(announcement.updated_at)}",
        f"LAST-MODIFIED:{utc_stamp(announcement.updated_at)}",
    ]
    if announcement.starts_at is None:
        # A whole day: a DATE start and the next day as its (exclusive) end.
        lines += [
            f"DTSTART;VALUE=DATE:{announcement.date:%Y%m%d}",
            f"DTEND;VALUE=DATE:{announcement.date + timedelta(days=1):%Y%m%d}",
        ]
    else:
        lines.append(f"DTSTART:{utc_stamp(announcement.starts_at)}")
    if release is not None:
        url = settings.SITE_URL + release.get_absolute_url()
        lines += [f"SUMMARY:{escape_text(release.title)}", f"DESCRIPTION:{escape_text(release.lead or url)}"]
    else:
        url = settings.SITE_URL + reverse("pressroom:upcoming")
        lines.append(f"SUMMARY:{escape_text(announcement.title)}")
    lines.append(f"URL:{url}")
    if announcement.topic is not None:
        lines.append(f"CATEGORIES:{escape_text(announcement.topic.name)}")
    # An announcement does not make anyone busy.
    lines += ["TRANSP:TRANSPARENT", "STATUS:CONFIRMED", "END:VEVENT"]
    return lines


def calendar(announcements, newsroom):
    host = settings.SITE_HOST.split(":")[0] or "pressroom"
    name = _("%(name)s: upcoming releases") % {"name": newsroom.name}
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for announcement in announcements:
        lines += event_lines(announcement, host)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
