import csv
import io

import pytest
from django.core.management import call_command
from django.test import Client

from subscriptions.models import Subscriber, Suppression, email_hash
from tests.factories import TopicFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/subscriptions/subscriber/"


@pytest.fixture
def editor(admin_user, newsroom):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    return client


def test_changelist_shows_subscribers_and_counts_per_status(editor):
    topic = TopicFactory(name="Bosetting", language="nb")
    SubscriberFactory(email="a@example.no", topics=[topic], language="nb", frequency="daily")
    SubscriberFactory(email="b@example.no")
    SubscriberFactory(email="c@example.no", pending=True)
    SubscriberFactory(email="d@example.no", unsubscribed=True)
    response = editor.get(CHANGELIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        "<h2>Pending confirmation: 1 · Active: 2 · Unsubscribed: 1 · Bounced: 0 · Complained: 0</h2>" in body
    )
    assert "a@example.no" in body and "Bosetting" in body and "Daily digest" in body
    assert "All topics" in body


def test_changelist_filters_and_search(editor):
    SubscriberFactory(email="aktiv@example.no")
    SubscriberFactory(email="venter@example.no", pending=True)
    SubscriberFactory(email="kari@xn--b-5ga.no")
    filtered = editor.get(CHANGELIST, {"status__exact": "pending"}).content.decode()
    assert "venter@example.no" in filtered and "aktiv@example.no" not in filtered
    searched = editor.get(CHANGELIST, {"q": "aktiv"}).content.decode()
    assert "aktiv@example.no" in searched and "venter@example.no" not in searched
    unicode_search = editor.get(CHANGELIST, {"q": "kari@bø.no"}).content.decode()
    assert "kari@xn--b-5ga.no" in unicode_search


def test_consent_record_is_read_only_and_preferences_save_through_the_service(editor):
    topic = TopicFactory(language="en")
    subscriber = SubscriberFactory(consent_source="/releases/x/", consent_note="Signed up at the fair")
    url = f"{CHANGELIST}{subscriber.pk}/change/"
    page = editor.get(url).content.decode()
    assert "Signed up at the fair" in page
    assert 'name="consent_note"' not in page and 'name="email"' not in page and 'name="status"' not in page
    response = editor.post(
        url,
        {
            "language": "en",
            "frequency": "weekly",
            "topics": [str(topic.pk)],
            "consent_note": "tampered",
            "email": "new@example.no",
            "status": "active",
        },
    )
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert (subscriber.frequency, subscriber.all_topics) == ("weekly", False)
    assert list(subscriber.topics.all()) == [topic]
    assert subscriber.consent_note == "Signed up at the fair"
    assert subscriber.email != "new@example.no"


def test_no_adding_subscribers_without_a_consent_record(editor):
    assert editor.get(f"{CHANGELIST}add/").status_code == 403


def test_export_csv_action_streams_and_defuses_formulas(editor):
    SubscriberFactory(email="a@example.no", consent_source='=HYPERLINK("http://evil")')
    SubscriberFactory(email="b@example.no", consent_note="+1 from the fair", pending=True)
    SubscriberFactory(email="c@example.no", consent_note="@SUM(A1)", unsubscribed=True)
    SubscriberFactory(email="d@example.no", consent_note="-2")
    ids = [str(pk) for pk in Subscriber.objects.values_list("pk", flat=True)]
    response = editor.post(CHANGELIST, {"action": "export_csv", "_selected_action": ids})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="subscribers-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["email"] for row in rows] == ["a@example.no", "b@example.no", "c@example.no", "d@example.no"]
    assert rows[0]["consent_source"] == '\'=HYPERLINK("http://evil")'
    assert [row["consent_note"] for row in rows[1:]] == ["'+1 from the fair", "'@SUM(A1)", "'-2"]
    assert [row["status"] for row in rows] == ["active", "pending", "unsubscribed", "active"]


def test_erase_asks_first_then_deletes_and_suppresses(editor, tmp_path):
    subscriber = SubscriberFactory(email="Slett.Meg@example.no")
    keep = SubscriberFactory(email="behold@example.no")
    data = {"action": "erase", "_selected_action": [str(subscriber.pk)]}
    confirm_page = editor.post(CHANGELIST, data)
    assert confirm_page.status_code == 200
    assert "Slett.Meg@example.no" in confirm_page.content.decode()
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()

    response = editor.post(CHANGELIST, {**data, "confirm": "yes"})
    assert response.status_code == 302
    assert not Subscriber.objects.filter(pk=subscriber.pk).exists()
    assert Subscriber.objects.filter(pk=keep.pk).exists()
    suppression = Suppression.objects.get()
    assert suppression.email_hash == email_hash("slett.meg@example.no")
    assert suppression.reason == "erased"
    assert "Slett.Meg" not in str(Suppression.objects.values().get())

    # An import cannot bring the address back, whatever its case.
    path = tmp_path / "list.csv"
    path.write_text("email,language,topics\nslett.meg@EXAMPLE.no,nb,\nny@example.no,nb,\n")
    out = io.StringIO()
    call_command("import_subscribers", str(path), stdout=out)
    assert "Line 2: erased address (suppressed), skipped: slett.meg@example.no" in out.getvalue()
    assert set(Subscriber.objects.values_list("email", flat=True)) == {"behold@example.no", "ny@example.no"}


def test_deleting_in_the_admin_is_erasing(editor):
    subscriber = SubscriberFactory(email="borte@example.no")
    response = editor.post(f"{CHANGELIST}{subscriber.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Subscriber.objects.exists()
    assert Suppression.objects.filter(email_hash=email_hash("borte@example.no")).exists()


def test_unsubscribe_action(editor):
    subscriber = SubscriberFactory()
    editor.post(CHANGELIST, {"action": "unsubscribe_selected", "_selected_action": [str(subscriber.pk)]})
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_method == Subscriber.UnsubscribeMethod.ADMIN


def test_suppressions_are_read_only_and_searchable_by_address(editor):
    suppression = Suppression.objects.create(email_hash=email_hash("weg@example.no"), reason="erased")
    listing = editor.get("/admin/subscriptions/suppression/", {"q": "WEG@example.no"}).content.decode()
    assert suppression.email_hash in listing
    assert editor.get("/admin/subscriptions/suppression/add/").status_code == 403
    change = editor.get(f"/admin/subscriptions/suppression/{suppression.pk}/change/").content.decode()
    assert 'name="reason"' not in change


def test_erased_address_cannot_be_confirmed_in_by_import(tmp_path, newsroom):
    Suppression.objects.create(email_hash=email_hash("x@example.no"), reason="erased")
    path = tmp_path / "list.csv"
    path.write_text("email\nx@example.no\n")
    call_command(
        "import_subscribers", str(path), "--confirmed", "--consent-note", "fair", stdout=io.StringIO()
    )
    assert not Subscriber.objects.exists()
