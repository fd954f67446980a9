import csv
import io

import pytest
from django.core.management import call_command

from subscriptions.export import COLUMNS
from tests.factories import TopicFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def test_export_to_a_file_with_topics_and_consent(tmp_path):
    topic = TopicFactory(slug="bosetting", language="nb")
    SubscriberFactory(email="kari@example.no", topics=[topic], consent_note="=cmd|' /C calc'!A0")
    SubscriberFactory(email="ola@example.no", pending=True)
    path = tmp_path / "out.csv"
    err = io.StringIO()
    call_command("export_subscribers", "--output", str(path), stderr=err)
    assert f"Exported 2 subscribers to {path}." in err.getvalue()
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert list(rows[0]) == COLUMNS
    kari = next(row for row in rows if row["email"] == "kari@example.no")
    # Kari reads English: a topic of another language names its language.
    assert kari["topics"] == "nb:bosetting"
    assert kari["consent_note"] == "'=cmd|' /C calc'!A0"
    assert kari["consent_method"] == "form"
    assert next(row for row in rows if row["email"] == "ola@example.no")["topics"] == ""


def test_export_to_standard_output_filtered_by_status():
    SubscriberFactory(email="aktiv@example.no")
    SubscriberFactory(email="borte@example.no", unsubscribed=True)
    out = io.StringIO()
    call_command("export_subscribers", "--status", "active", stdout=out, stderr=io.StringIO())
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [row["email"] for row in rows] == ["aktiv@example.no"]
