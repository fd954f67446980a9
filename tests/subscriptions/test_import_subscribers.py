import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from subscriptions.models import Subscriber
from tests.factories import TopicFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def topics(newsroom):
    return {
        "bosetting": TopicFactory(name="Bosetting", slug="bosetting", language="nb"),
        "arbeid": TopicFactory(name="Arbeid", slug="arbeid", language="nb"),
        "settlement": TopicFactory(name="Settlement", slug="settlement", language="en"),
    }


def run(tmp_path, text, *args, capture_on_commit=None):
    path = tmp_path / "subscribers.csv"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_subscribers", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


GOOD = (
    "email,language,topics\n"
    "kari@example.no,nb,bosetting;arbeid\n"
    "ola@bø.no,nb,\n"
    "anna@example.com,en,settlement\n"
)


def test_import_makes_pending_subscribers_and_sends_confirmations(
    tmp_path, topics, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        out, err = run(tmp_path, GOOD)
    assert err == ""
    assert "Imported 3. 3 rows: 3 new (pending, each sent a confirmation email)" in out
    assert "[##############################] 3/3" in out
    kari = Subscriber.objects.get(email="kari@example.no")
    assert kari.status == Subscriber.Status.PENDING
    assert set(kari.topics.values_list("slug", flat=True)) == {"bosetting", "arbeid"}
    assert kari.consent_method == Subscriber.ConsentMethod.IMPORT
    assert kari.consent_source == "import:subscribers.csv"
    assert Subscriber.objects.get(email="ola@xn--b-5ga.no").all_topics is True
    assert Subscriber.objects.get(email="anna@example.com").language == "en"
    assert sorted(message.to[0] for message in mail.outbox) == [
        "anna@example.com",
        "kari@example.no",
        "ola@xn--b-5ga.no",
    ]
    assert all("List-Unsubscribe" not in message.extra_headers for message in mail.outbox)


def test_confirmed_import_needs_a_consent_note_which_is_stored(
    tmp_path, topics, django_capture_on_commit_callbacks
):
    with pytest.raises(CommandError, match="--consent-note"):
        run(tmp_path, GOOD, "--confirmed")
    with pytest.raises(CommandError, match="--consent-note"):
        run(tmp_path, GOOD, "--confirmed", "--consent-note", "   ")
    assert not Subscriber.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        out, _err = run(
            tmp_path, GOOD, "--confirmed", "--consent-note", "Mynewsdesk list, double opt-in 2019-2024"
        )
    assert "Imported 3." in out
    assert mail.outbox == []
    for subscriber in Subscriber.objects.all():
        assert subscriber.status == Subscriber.Status.ACTIVE
        assert subscriber.confirmed_at is not None
        assert subscriber.consent_note == "Mynewsdesk list, double opt-in 2019-2024"


BAD = (
    "email,language,topics\n"
    "kari@example.no,nb,bosetting\n"  # line 2: fine
    "not-an-address,nb,\n"  # line 3: invalid
    "KARI@example.no,nb,\n"  # line 4: duplicate of line 2
    "per@example.no,de,\n"  # line 5: unknown language
    "lise@example.no,nb,nosuchtopic\n"  # line 6: unknown topic
    "eksisterende@example.no,nb,\n"  # line 7: already in the list
    "ny@example.no,en,bosetting\n"  # line 8: a topic of the other language
    "siste@example.no,,\n"  # line 9: fine, default language
)


def test_invalid_rows_abort_the_whole_import_with_line_numbers(tmp_path, topics):
    SubscriberFactory(email="Eksisterende@example.no")
    with pytest.raises(CommandError, match=r"4 invalid row\(s\): nothing was imported"):
        run(tmp_path, BAD)
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["Eksisterende@example.no"]
    assert mail.outbox == []


def test_the_report_names_every_problem_by_line(tmp_path, topics):
    SubscriberFactory(email="Eksisterende@example.no")
    out, err = run(tmp_path, BAD, "--dry-run", "--skip-invalid")
    assert err.splitlines() == [
        "Line 3: invalid: not a valid email address: 'not-an-address'",
        "Line 5: invalid: unknown language 'de' (use nb, nn or en)",
        "Line 6: invalid: no nb topic with slug 'nosuchtopic'",
        "Line 8: invalid: no en topic with slug 'bosetting'",
    ]
    assert "Line 4: duplicate (same as line 2), skipped: KARI@example.no" in out
    assert "Line 7: duplicate (already in the list), skipped: eksisterende@example.no" in out
    assert (
        "Dry run, nothing imported. 8 rows: 2 new (pending, each sent a confirmation email), 2 duplicates"
        in out
    )
    assert Subscriber.objects.count() == 1


def test_dry_run_changes_nothing(tmp_path, topics, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        out, _err = run(tmp_path, GOOD, "--dry-run")
    assert "Dry run, nothing imported. 3 rows: 3 new" in out
    assert not Subscriber.objects.exists()
    assert callbacks == [] and mail.outbox == []


def test_skip_invalid_imports_the_valid_rows(tmp_path, topics):
    SubscriberFactory(email="eksisterende@example.no")
    out, err = run(tmp_path, BAD, "--skip-invalid")
    assert "Imported 2." in out
    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        "eksisterende@example.no",
        "kari@example.no",
        "siste@example.no",
    }
    assert Subscriber.objects.get(email="siste@example.no").language == "nb"
    assert len(err.splitlines()) == 4


def test_a_failure_while_writing_leaves_nothing_behind(tmp_path, topics, monkeypatch):
    from subscriptions import services

    original = services._set_preferences
    calls = []

    def fail_on_second(subscriber, **kwargs):
        calls.append(subscriber.email)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        original(subscriber, **kwargs)

    monkeypatch.setattr(services, "_set_preferences", fail_on_second)
    with pytest.raises(RuntimeError):
        run(tmp_path, GOOD)
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"name,language\nkari,nb\n", "header with at least an 'email' column"),
        (b"", "header with at least an 'email' column"),
        (b"email\n\xff\xfe\xfa@example.no\n", "not UTF-8"),
    ],
)
def test_unreadable_files_are_refused_clearly(tmp_path, newsroom, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_subscribers", str(path), stdout=io.StringIO())
    assert not Subscriber.objects.exists()


def test_a_missing_file_is_refused_clearly(tmp_path, newsroom):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_subscribers", str(tmp_path / "missing.csv"))


def test_extra_and_missing_cells_and_a_bom_are_handled(tmp_path, topics):
    text = "\ufeffEmail,Language,Topics,Note\nkari@example.no,nb,bosetting,extra,more\nola@example.no\n"
    out, err = run(tmp_path, text)
    assert err == ""
    assert set(Subscriber.objects.values_list("email", flat=True)) == {"kari@example.no", "ola@example.no"}


# The releases' languages


def languages_of(email):
    subscriber = Subscriber.objects.get(email=email)
    return (
        subscriber.language,
        subscriber.norwegian,
        subscriber.english,
        sorted(f"{t.language}:{t.slug}" for t in subscriber.topics.all()),
    )


def test_export_and_import_keep_the_release_languages_and_topics_of_both(tmp_path, topics):
    nynorsk = TopicFactory(name="Busetjing", slug="busetjing", language="nn")
    both = SubscriberFactory(email="begge@example.no", language="nb", norwegian=True, english=True)
    both.topics.set([topics["bosetting"], topics["settlement"], nynorsk])
    both.all_topics = False
    both.save()
    SubscriberFactory(email="english@example.no", language="nn", norwegian=False, english=True)
    SubscriberFactory(email="nynorsk@example.no", language="nn", norwegian=True, english=False)
    before = {email: languages_of(email) for email in Subscriber.objects.values_list("email", flat=True)}
    path = tmp_path / "export.csv"
    call_command("export_subscribers", "--output", str(path), stderr=io.StringIO())
    Subscriber.objects.all().delete()

    out, err = run(tmp_path, path.read_text(encoding="utf-8"), "--confirmed", "--consent-note", "flytta")

    assert err == ""
    assert {email: languages_of(email) for email in before} == before
    assert before["begge@example.no"] == ("nb", True, True, ["en:settlement", "nb:bosetting", "nn:busetjing"])
    assert before["english@example.no"][1:3] == (False, True)


def test_blank_release_columns_give_the_releases_of_the_interface_language(tmp_path, topics):
    run(tmp_path, "email,language,norwegian,english\nkari@example.no,nb,,\nanna@example.com,en,,yes\n")

    assert languages_of("kari@example.no")[:3] == ("nb", True, False)
    assert languages_of("anna@example.com")[:3] == ("en", False, True)


def test_bad_release_columns_are_named_by_line_and_nothing_is_imported(tmp_path, topics):
    text = (
        "email,language,norwegian,english,topics\n"
        "kari@example.no,nb,kanskje,no,\n"  # line 2
        "ola@example.no,nb,no,no,\n"  # line 3: neither
        "per@example.no,nb,yes,no,settlement\n"  # line 4: an English topic, no English releases
        "anna@example.com,en,no,yes,xx:settlement\n"  # line 5: no such language
        "fine@example.no,nn,JA,Nei,\n"  # line 6: fine
    )

    with pytest.raises(CommandError, match=r"4 invalid row\(s\): nothing was imported"):
        _out, err = run(tmp_path, text)
    assert not Subscriber.objects.exists()

    _out, err = run(tmp_path, text, "--dry-run", "--skip-invalid")
    assert err.splitlines() == [
        "Line 2: invalid: norwegian must be yes or no, not 'kanskje'",
        "Line 3: invalid: norwegian and english are both no: a subscriber gets at least one of them",
        "Line 4: invalid: no nb topic with slug 'settlement'",
        "Line 5: invalid: no xx topic with slug 'settlement'",
    ]
