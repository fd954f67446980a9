"""The language-act report in the admin: the shares of bokmål and nynorsk among the published Norwegian
releases, per year and per quarter, by number and by words; a warning under 25 %; CSV; permission."""

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from pressroom.newsroom import language_report
from tests.factories import ReleaseFactory

pytestmark = pytest.mark.django_db

URL = "/admin/newsroom/release/language-report/"
OSLO = timezone.get_default_timezone()


def release(language, month, words, *, year=2025, day=15, **kwargs):
    """A release published on DAY of MONTH with WORDS words in all (title, lead and body)."""
    title_words, lead_words = 2, 3
    body = " ".join(["ord"] * (words - title_words - lead_words))
    return ReleaseFactory(
        title="To ord", lead="Tre ord her", body=f"<p>{body}</p>", language=language, published=True,
        published_at=datetime(year, month, day, 12, tzinfo=OSLO), **kwargs,
    )  # fmt: skip


@pytest.fixture
def archive():
    # 2025 Q1: three in bokmål (100 words each), one in nynorsk (100 words): nynorsk 25 % by both.
    for _ in range(3):
        release("nb", 2, 100)
    release("nn", 3, 100)
    # 2025 Q2: one in bokmål of 300 words, one in nynorsk of 50: half by number, 50/350 by words.
    release("nb", 4, 300)
    release("nn", 5, 50)
    # Not counted: English, drafts, scheduled for later.
    release("en", 4, 500)
    ReleaseFactory(language="nn", title="Utkast")
    ReleaseFactory(language="nn", scheduled=True)
    # 2024 Q4, on New Year's Eve in Oslo (already 2025 in no place that matters): nynorsk only.
    release("nn", 12, 40, year=2024, day=31)


@pytest.fixture
def viewer(client, django_user_model):
    user = django_user_model.objects.create_user("leser", password="x", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="newsroom", codename="view_release")
    )
    client.force_login(user)
    return client


def test_counts_and_word_shares_per_year_and_quarter(archive):
    rows = {period.label: period for period in language_report.rows()}

    assert list(rows) == ["2025", "2025 Q1", "2025 Q2", "2024", "2024 Q4"]
    assert rows["2025 Q1"].columns == [3, 1, 75.0, 25.0, 300, 100, 75.0, 25.0]
    assert rows["2025 Q2"].columns == [1, 1, 50.0, 50.0, 300, 50, 85.7, 14.3]
    assert rows["2025"].columns == [4, 2, 66.7, 33.3, 600, 150, 80.0, 20.0]
    assert rows["2024"].columns == [0, 1, 0.0, 100.0, 0, 40, 0.0, 100.0]


def test_a_share_under_25_percent_is_marked(archive):
    rows = {period.label: period for period in language_report.rows()}

    assert rows["2025 Q1"].below_minimum == []  # exactly 25 % is enough
    assert rows["2025 Q2"].below_minimum == ["nn"]  # by words
    assert rows["2025"].below_minimum == ["nn"]
    assert rows["2024 Q4"].below_minimum == ["nb"]


def test_the_admin_page_is_an_accessible_table_with_visible_warnings(archive, viewer):
    html = viewer.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<caption>Published Norwegian releases by written standard</caption>" in html
    assert '<th scope="col">Nynorsk share of words</th>' in html
    assert '<th scope="row">2025, quarter 2</th>' in html
    q2 = re.search(r'<th scope="row">2025, quarter 2</th>(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td>(.*?)</td>", q2) == [
        "1", "1", "50.0 %", "50.0 %", "300", "50", "85.7 %", "14.3 %",
        '<strong class="pressroom-warning">⚠ Less than 25 % nynorsk.</strong>',
    ]  # fmt: skip
    q1 = re.search(r'<th scope="row">2025, quarter 1</th>(.*?)</tr>', html, re.S).group(1)
    assert "pressroom-warning" not in q1


@pytest.mark.parametrize(
    "language, caption, warning",
    [
        ("nb", "Publiserte norske pressemeldinger etter målform", "Mindre enn 25 % nynorsk."),
        ("nn", "Publiserte norske pressemeldingar etter målform", "Mindre enn 25 % nynorsk."),
    ],
)
def test_the_report_is_translated(archive, viewer, language, caption, warning):
    html = viewer.get(URL, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert f"<caption>{caption}</caption>" in html
    assert warning in html
    assert "14,3 %" in html  # Norwegian decimals


def test_the_csv_has_a_row_per_period(archive, viewer):
    response = viewer.get(URL, {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="language-report.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["period", "bokmal_releases", "nynorsk_releases"]
    assert rows[1:] == [
        ["2025", "4", "2", "66.7", "33.3", "600", "150", "80.0", "20.0", "nn"],
        ["2025 Q1", "3", "1", "75.0", "25.0", "300", "100", "75.0", "25.0", ""],
        ["2025 Q2", "1", "1", "50.0", "50.0", "300", "50", "85.7", "14.3", "nn"],
        ["2024", "0", "1", "0.0", "100.0", "0", "40", "0.0", "100.0", "nb"],
        ["2024 Q4", "0", "1", "0.0", "100.0", "0", "40", "0.0", "100.0", "nb"],
    ]


def test_an_empty_archive_says_so(viewer):
    ReleaseFactory(language="nb", published=True, published_at=timezone.now() + timedelta(days=1))

    html = viewer.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "No Norwegian release has been published yet." in html
    assert 'id="language-report"' not in html


def test_staff_without_the_view_permission_get_403(client, django_user_model, archive):
    client.force_login(django_user_model.objects.create_user("redaktor", password="x", is_staff=True))

    assert client.get(URL).status_code == 403
    assert client.get(URL, {"format": "csv"}).status_code == 403


def test_visitors_who_are_not_staff_are_sent_to_the_login(client, django_user_model):
    assert client.get(URL).status_code == 302
    assert client.get(URL)["Location"].startswith("/admin/login/")
    client.force_login(django_user_model.objects.create_user("journalist", password="x"))
    assert client.get(URL, {"format": "csv"}).status_code == 302


def test_the_release_list_links_to_the_report(viewer):
    html = viewer.get("/admin/newsroom/release/", HTTP_ACCEPT_LANGUAGE="nn").content.decode()

    assert f'<a href="{URL}">Språkrapport</a>' in html
