"""Upcoming releases: the list, the home page box and the iCalendar feed hide the release's content until
its time, then link to it."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone

from pressroom.newsroom.models import Release
from pressroom.press.models import Announcement
from pressroom.press.upcoming import escape_text, fold
from tests.factories import NewsroomFactory, ReleaseFactory, TopicFactory

pytestmark = pytest.mark.django_db

SEED_TITLE = "Nye tall for 2023 publiseres her 24. juni"


@pytest.fixture
def today():
    NewsroomFactory()
    return timezone.localdate()


@pytest.fixture
def announced(today):
    """The seed's announcement of a scheduled release, its content still secret."""
    release = ReleaseFactory(
        scheduled=True,
        title="Flere flyktninger i arbeid",
        lead="Hemmelig ingress.",
        body="<p>Hemmelig tall: 4711.</p>",
    )
    return Announcement.objects.create(
        title=SEED_TITLE,
        date=today + timedelta(days=3),
        time=time(8, 0),
        topic=TopicFactory(name="Statistikk"),
        release=release,
    )


def publish_time_passes(release):
    """The scheduled time comes; the scheduler has not run yet (the publication rule decides alone)."""
    Release.objects.filter(pk=release.pk).update(published_at=timezone.now() - timedelta(minutes=1))


def unfold(body):
    """Content lines of an iCalendar body (RFC 5545 3.1): CRLF + space continues a line."""
    return body.replace("\r\n ", "").split("\r\n")


def events(body):
    found, current = [], None
    for line in unfold(body):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif current is not None:
            name, _sep, value = line.partition(":")
            current[name] = value
    return found


# The list


def test_the_upcoming_list_shows_the_announcement_and_hides_the_content(client, announced):
    response = client.get("/upcoming/")

    assert response.status_code == 200
    page = response.content.decode()
    assert SEED_TITLE in page
    assert "Statistikk" in page
    assert f'datetime="{announced.starts_at.isoformat()}"' in page
    for secret in ["Flere flyktninger i arbeid", "Hemmelig", "4711", announced.release.slug]:
        assert secret not in page


def test_at_its_time_the_announcement_turns_into_the_release(client, announced):
    publish_time_passes(announced.release)

    page = client.get("/upcoming/").content.decode()

    upcoming_part, recent_part = page.split('id="recent-title"')
    assert SEED_TITLE not in upcoming_part
    assert f'<a href="/releases/{announced.release.slug}/">Flere flyktninger i arbeid</a>' in recent_part
    assert list(Announcement.objects.upcoming()) == []
    assert list(Announcement.objects.turned()) == [announced]


def test_past_announcements_leave_the_list_and_the_next_come_in_date_order(client, today):
    Announcement.objects.create(title="I går", date=today - timedelta(days=1))
    later = Announcement.objects.create(title="Om en uke", date=today + timedelta(days=7))
    first = Announcement.objects.create(title="I dag", date=today)

    assert list(Announcement.objects.upcoming()) == [first, later]
    page = client.get("/upcoming/").content.decode()
    assert "I går" not in page
    assert page.index("I dag") < page.index("Om en uke")


def test_the_home_page_lists_the_next_three(client, today):
    for n in range(4):
        Announcement.objects.create(title=f"Kunngjøring {n}", date=today + timedelta(days=n))

    page = client.get("/").content.decode()

    assert [f"Kunngjøring {n}" in page for n in range(4)] == [True, True, True, False]
    assert 'href="/upcoming/"' in page
    assert 'href="/upcoming.ics"' in page


def test_the_home_page_has_no_upcoming_box_without_announcements(client, today):
    assert 'id="upcoming-title"' not in client.get("/").content.decode()


# The calendar


def test_the_calendar_is_rfc_5545(client, announced, today):
    whole_day = Announcement.objects.create(title="Årsrapport", date=today + timedelta(days=10))

    response = client.get("/upcoming.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Pressroom//Upcoming releases//EN\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")  # every line ends in CRLF
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    timed, day = events(body)
    assert timed["UID"] == f"{announced.uid}@testserver"
    assert re.fullmatch(r"\d{8}T\d{6}Z", timed["DTSTAMP"])
    starts = datetime.combine(announced.date, time(8, 0), tzinfo=timezone.get_current_timezone())
    assert timed["DTSTART"] == starts.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert timed["SUMMARY"] == SEED_TITLE
    assert timed["URL"] == "http://testserver/upcoming/"
    assert timed["CATEGORIES"] == "Statistikk"
    assert "DESCRIPTION" not in timed
    assert day["UID"] == f"{whole_day.uid}@testserver"
    assert day["DTSTART;VALUE=DATE"] == f"{whole_day.date:%Y%m%d}"
    assert day["DTEND;VALUE=DATE"] == f"{whole_day.date + timedelta(days=1):%Y%m%d}"
    assert day["SUMMARY"] == "Årsrapport"
    for secret in ["Flere flyktninger", "Hemmelig", "4711"]:
        assert secret not in body


def test_in_the_calendar_the_announcement_links_to_the_release_once_it_is_public(client, announced):
    publish_time_passes(announced.release)

    (event,) = events(client.get("/upcoming.ics").content.decode())

    assert event["UID"] == f"{announced.uid}@testserver"
    assert event["SUMMARY"] == "Flere flyktninger i arbeid"
    assert event["DESCRIPTION"] == "Hemmelig ingress."
    assert event["URL"] == f"http://testserver/releases/{announced.release.slug}/"


def test_calendar_text_is_escaped(client, today):
    Announcement.objects.create(title="Tall, fakta; og \\ skråstrek\nny linje", date=today)

    (event,) = events(client.get("/upcoming.ics").content.decode())

    assert event["SUMMARY"] == "Tall\\, fakta\\; og \\\\ skråstrek\\nny linje"


def test_escape_text():
    assert escape_text("a,b;c\\d\r\ne\nf\rg") == "a\\,b\\;c\\\\d\\ne\\nf\\ng"


@pytest.mark.parametrize(
    "line",
    [
        "SUMMARY:" + "x" * 67,  # exactly 75 octets: not folded
        "SUMMARY:" + "x" * 200,
        "SUMMARY:" + "æøå" * 60,  # two octets each: never split inside a character
        "SUMMARY:" + "x" * 66 + "ø" + "y" * 10,  # a two-octet character across the 75-octet boundary
    ],
)
def test_fold_keeps_lines_within_75_octets_and_unfolds_to_the_original(line):
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert all(part.startswith(" ") for part in folded.split("\r\n")[1:])
    assert folded.replace("\r\n ", "") == line
    if len(line.encode()) <= 75:
        assert folded == line


def test_a_calendar_without_announcements_is_still_valid(client, today):
    body = client.get("/upcoming.ics").content.decode()
    assert "BEGIN:VEVENT" not in body
    assert unfold(body)[-2] == "END:VCALENDAR"


def test_old_announcements_leave_the_calendar(client, today):
    Announcement.objects.create(title="Lenge siden", date=today - timedelta(days=200))
    Announcement.objects.create(title="Nylig", date=today - timedelta(days=5))

    assert [event["SUMMARY"] for event in events(client.get("/upcoming.ics").content.decode())] == ["Nylig"]


def test_editors_add_announcements_in_the_admin(admin_client, announced):
    page = admin_client.get("/admin/press/announcement/").content.decode()
    assert SEED_TITLE in page
    response = admin_client.post(
        "/admin/press/announcement/add/",
        {"title": "Ny rapport", "date": date(2031, 6, 24).isoformat(), "time": "", "language": "nb"},
    )
    assert response.status_code == 302
    assert Announcement.objects.get(title="Ny rapport").time is None
