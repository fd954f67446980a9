"""Release mailings: the ledger, batches through anymail's real Mailgun backend to a mock provider on
loopback, retries, uncertain batches, subscribers leaving, the sweeper. Tasks are called directly."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from pressroom.newsroom.services import publish_release
from subscriptions import mailings, services, tasks
from subscriptions.models import Delivery, Mailing, Subscriber
from tests.factories import ReleaseFactory, TopicFactory
from tests.mockprovider import Fault, MockProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    with MockProvider() as mock:
        anymail = {
            "MAILGUN_API_KEY": "key-test",
            "MAILGUN_API_URL": mock.api_url,
            "MAILGUN_SENDER_DOMAIN": "mg.example.org",
            "REQUESTS_TIMEOUT": 2,
        }
        with override_settings(
            EMAIL_BACKEND="anymail.backends.mailgun.EmailBackend",
            ANYMAIL=anymail,
            MAILING_RETRY_BASE_SECONDS=0,
            MAILING_BATCH_SIZE=10,
        ):
            yield mock


def subscriber(email, **kwargs):
    defaults = {"status": Subscriber.Status.ACTIVE, "language": "nb", "confirmed_at": timezone.now()}
    english = kwargs.get("language") == "en"  # the releases of their language
    defaults |= {"norwegian": not english, "english": english}
    return Subscriber.objects.create(email=email, **(defaults | kwargs))


def publish(release):
    """Publish and return the mailing, with the ledger written but nothing sent yet."""
    publish_release(release=release)
    return mailings.prepare_mailing(Mailing.objects.get(release=release).pk)


def send_all(mailing):
    """What the sender tasks do, run here until nothing is due."""
    for _ in range(100):
        progress = mailings.send_batches(mailing.pk, time_budget=30)
        if not progress.more_now:
            return progress
    raise AssertionError("the mailing never ran out of work")


def statuses(mailing):
    return dict(Delivery.objects.filter(mailing=mailing).values_list("subscriber__email", "status"))


def test_publishing_sends_exactly_one_email_to_each_matching_active_subscriber(provider):
    topic, other_topic = TopicFactory(name="Arbeid"), TopicFactory(name="Bosetting")
    release = ReleaseFactory(title="Flere i arbeid", topics=[topic])
    wanted = [subscriber(f"all{i}@example.org") for i in range(23)]
    chooser = subscriber("chooser@example.org", all_topics=False)
    chooser.topics.set([topic])
    wanted.append(chooser)
    other = subscriber("other-topic@example.org", all_topics=False)
    other.topics.set([other_topic])
    subscriber("pending@example.org", status=Subscriber.Status.PENDING)
    subscriber("left@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    subscriber("english@example.org", language="en")
    subscriber("daily@example.org", frequency=Subscriber.Frequency.DAILY)

    mailing = publish(release)
    assert mailing.recipients == 24
    send_all(mailing)

    assert sorted(provider.recipients()) == sorted(s.email for s in wanted)
    assert provider.requests == 3  # 24 recipients in batches of 10
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE
    assert set(statuses(mailing).values()) == {Delivery.Status.SENT}


def test_each_recipient_gets_their_own_unsubscribe_headers_and_links(provider):
    release = ReleaseFactory(title="Tittel", lead="Ingress")
    alice, bob = subscriber("alice@example.org"), subscriber("bob@example.org")
    send_all(publish(release))

    by_address = {entry["to"]: entry for entry in provider.accepted}
    for person in (alice, bob):
        entry = by_address[person.email]
        assert entry["subject"] == "Tittel"
        assert entry["headers"]["List-Unsubscribe"] == f"<http://testserver/subscribe/u/{person.token}/>"
        assert entry["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"/subscribe/u/{person.token}/" in entry["text"]
        assert f"/subscribe/u/{person.token}/" in entry["html"]
        assert "Ingress" in entry["text"] and "Ingress" in entry["html"]
        assert "%recipient" not in entry["html"] and "PRESSROOMMERGE" not in entry["html"]
    assert alice.token not in by_address[bob.email]["html"]


def test_the_one_click_post_of_a_received_header_unsubscribes(provider, client):
    release = ReleaseFactory()
    person = subscriber("reader@example.org")
    send_all(publish(release))
    url = provider.accepted[0]["headers"]["List-Unsubscribe"].strip("<>").removeprefix("http://testserver")

    response = client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    person.refresh_from_db()
    assert person.status == Subscriber.Status.UNSUBSCRIBED


def test_publishing_twice_creates_one_mailing_and_preparing_twice_one_ledger(provider):
    release = ReleaseFactory()
    subscriber("a@example.org")
    publish_release(release=release)
    publish_release(release=release)
    mailing = Mailing.objects.get(release=release)
    mailings.prepare_mailing(mailing.pk)
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.PREPARING)
    mailings.prepare_mailing(mailing.pk)

    assert Mailing.objects.filter(release=release).count() == 1
    assert Delivery.objects.filter(mailing=mailing).count() == 1


def test_a_duplicated_send_task_sends_nothing_twice(provider):
    release = ReleaseFactory()
    for i in range(25):
        subscriber(f"s{i}@example.org")
    mailing = publish(release)
    send_all(mailing)
    send_all(mailing)  # the same task delivered again after it finished

    assert len(provider.recipients()) == 25
    assert len(set(provider.recipients())) == 25


def test_a_batch_is_claimed_once_and_a_taken_back_claim_sends_nothing(provider):
    release = ReleaseFactory()
    for i in range(15):
        subscriber(f"s{i}@example.org")
    mailing = publish(release)

    first = mailings.claim_batch(mailing.pk, 10)
    second = mailings.claim_batch(mailing.pk, 10)
    first_ids = set(Delivery.objects.filter(claim=first).values_list("id", flat=True))
    second_ids = set(Delivery.objects.filter(claim=second).values_list("id", flat=True))
    assert len(first_ids) == 10 and len(second_ids) == 5
    assert not first_ids & second_ids
    assert mailings.claim_batch(mailing.pk, 10) is None

    # The sweeper takes the first claim back before it was handed over: its sender gets nothing.
    Delivery.objects.filter(claim=first).update(claimed_at=timezone.now() - timedelta(hours=1))
    tasks.sweep_mailings()
    assert mailings.hand_over(first) == []
    assert Delivery.objects.filter(id__in=first_ids, status=Delivery.Status.QUEUED).count() == 10


@pytest.mark.parametrize(
    "fault",
    [Fault(status=429, retry_after=0), Fault(status=500), Fault(status=503), Fault(reset=True)],
    ids=["429-retry-after", "500", "503", "reset-before-accept"],
)
def test_transient_errors_are_retried_until_success(provider, fault):
    release = ReleaseFactory()
    for i in range(5):
        subscriber(f"s{i}@example.org")
    mailing = publish(release)
    provider.fail_next(fault, fault)

    send_all(mailing)  # MAILING_RETRY_BASE_SECONDS=0 here: each retry is due at once

    if fault.reset:
        # A connection reset after the request was sent is ambiguous: the batch is uncertain, not resent.
        assert set(statuses(mailing).values()) == {Delivery.Status.UNCERTAIN}
        assert provider.recipients() == []
    else:
        assert sorted(provider.recipients()) == sorted(statuses(mailing))
        assert set(statuses(mailing).values()) == {Delivery.Status.SENT}
        assert Delivery.objects.filter(mailing=mailing, attempts=3).count() == 5


def test_retry_after_sets_when_the_batch_is_due_again(provider):
    release = ReleaseFactory()
    subscriber("a@example.org")
    mailing = publish(release)
    provider.fail_next(Fault(status=429, retry_after=120))

    progress = mailings.send_batches(mailing.pk, time_budget=30)

    row = Delivery.objects.get(mailing=mailing)
    assert row.status == Delivery.Status.QUEUED
    assert 110 < (row.next_attempt_at - timezone.now()).total_seconds() <= 120
    assert 110 < progress.retry_in <= 120
    assert "HTTP 429" in row.error


@override_settings(MAILING_MAX_ATTEMPTS=2)
def test_a_batch_that_keeps_failing_is_given_up_after_the_cap(provider):
    release = ReleaseFactory()
    subscriber("a@example.org")
    mailing = publish(release)
    provider.fail_next(*[Fault(status=500)] * 5)
    for _ in range(3):
        Delivery.objects.filter(mailing=mailing).update(next_attempt_at=None)
        mailings.send_batches(mailing.pk, time_budget=30)

    row = Delivery.objects.get(mailing=mailing)
    assert row.status == Delivery.Status.FAILED
    assert "gave up after 2 attempts" in row.error
    assert provider.requests == 2


def test_a_permanent_error_is_recorded_and_not_retried(provider):
    release = ReleaseFactory()
    subscriber("a@example.org")
    mailing = publish(release)
    provider.fail_next(Fault(status=400))

    send_all(mailing)

    row = Delivery.objects.get(mailing=mailing)
    assert row.status == Delivery.Status.FAILED
    assert row.error.startswith("HTTP 400")
    assert provider.requests == 1
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE


def test_a_batch_accepted_with_its_answer_lost_is_uncertain_until_an_editor_resends(provider):
    release = ReleaseFactory()
    for i in range(3):
        subscriber(f"s{i}@example.org")
    mailing = publish(release)
    provider.fail_next(Fault(drop_after_accept=True))

    send_all(mailing)

    assert len(provider.recipients()) == 3  # the provider has them …
    assert set(statuses(mailing).values()) == {Delivery.Status.UNCERTAIN}  # … we cannot know that
    send_all(mailing)
    assert len(provider.recipients()) == 3  # nothing is resent by itself

    assert services.retry_rows(mailing=mailing, status=Delivery.Status.UNCERTAIN) == 3
    send_all(mailing)
    assert len(provider.recipients()) == 6
    assert set(statuses(mailing).values()) == {Delivery.Status.SENT}


def test_a_slow_answer_past_the_timeout_is_uncertain(provider):
    release = ReleaseFactory()
    subscriber("a@example.org")
    mailing = publish(release)
    provider.fail_next(Fault(delay=3))

    send_all(mailing)

    row = Delivery.objects.get(mailing=mailing)
    assert row.status == Delivery.Status.UNCERTAIN
    assert "Timeout" in row.error


def test_an_unreachable_provider_is_retried_not_uncertain(provider):
    release = ReleaseFactory()
    subscriber("a@example.org")
    mailing = publish(release)
    closed = MockProvider()
    closed_url = closed.api_url
    closed.server.server_close()  # a port nobody listens on
    with override_settings(
        ANYMAIL={**provider_settings(provider), "MAILGUN_API_URL": closed_url}, MAILING_RETRY_BASE_SECONDS=60
    ):
        mailings.send_batches(mailing.pk, time_budget=30)
    row = Delivery.objects.get(mailing=mailing)
    assert row.status == Delivery.Status.QUEUED
    assert "could not connect" in row.error

    Delivery.objects.filter(mailing=mailing).update(next_attempt_at=None)
    send_all(mailing)
    assert provider.recipients() == ["a@example.org"]


def provider_settings(provider):
    return {
        "MAILGUN_API_KEY": "key-test",
        "MAILGUN_API_URL": provider.api_url,
        "MAILGUN_SENDER_DOMAIN": "mg.example.org",
    }


def test_a_subscriber_who_leaves_mid_mailing_is_skipped(provider):
    release = ReleaseFactory()
    people = [subscriber(f"s{i:02}@example.org") for i in range(20)]
    mailing = publish(release)
    claim = mailings.claim_batch(mailing.pk, 10)  # the first batch is in flight …
    leaver = people[15]
    Subscriber.objects.filter(pk=leaver.pk).update(status=Subscriber.Status.UNSUBSCRIBED)  # … they leave
    mailings.write_back(
        claim, mailings.send_rows(mailings.hand_over(claim), _builder(release), _mailgun(), None)
    )
    send_all(mailing)

    assert leaver.email not in provider.recipients()
    assert len(provider.recipients()) == 19
    assert statuses(mailing)[leaver.email] == Delivery.Status.SKIPPED


def _builder(release):
    from subscriptions.release_email import ReleaseMessage

    return ReleaseMessage(release)


def _mailgun():
    from subscriptions import providers

    return providers.current()


def test_the_sweeper_recovers_a_mailing_whose_task_was_never_queued(
    provider, django_capture_on_commit_callbacks
):
    release = ReleaseFactory()
    subscriber("a@example.org")
    publish_release(release=release)  # committed, but the worker never got the task
    mailing = Mailing.objects.get(release=release)
    assert mailing.status == Mailing.Status.PREPARING
    Mailing.objects.filter(pk=mailing.pk).update(created_at=timezone.now() - timedelta(minutes=10))

    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.sweep_mailings()

    assert result["prepared"] == 1
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE
    assert provider.recipients() == ["a@example.org"]


def test_the_sweeper_requeues_claims_never_handed_over_and_marks_handed_over_ones_uncertain(provider):
    release = ReleaseFactory()
    for i in range(4):
        subscriber(f"s{i}@example.org")
    mailing = publish(release)
    never_sent = mailings.claim_batch(mailing.pk, 2)
    handed = mailings.claim_batch(mailing.pk, 2)
    mailings.hand_over(handed)  # the worker died during the provider call
    Delivery.objects.update(claimed_at=timezone.now() - timedelta(hours=1))

    result = tasks.sweep_mailings()

    assert result["requeued"] == 2 and result["uncertain"] == 2
    assert set(Delivery.objects.filter(claim=handed).values_list("status", flat=True)) == {"uncertain"}
    assert Delivery.objects.filter(claim=never_sent).count() == 0
    assert Delivery.objects.filter(status=Delivery.Status.QUEUED).count() == 2


def test_pause_resume_and_cancel(provider, django_capture_on_commit_callbacks):
    release = ReleaseFactory()
    for i in range(12):
        subscriber(f"s{i}@example.org")
    mailing = publish(release)
    services.pause(mailing=mailing)
    send_all(mailing)
    assert provider.recipients() == []

    with django_capture_on_commit_callbacks(execute=True):
        services.resume(mailing=mailing)
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE
    assert len(provider.recipients()) == 12

    second = publish(ReleaseFactory())
    services.cancel(mailing=second)
    send_all(second)
    assert len(provider.recipients()) == 12
    assert set(statuses(second).values()) == {Delivery.Status.SKIPPED}


def test_retrying_failed_rows_sends_them(provider):
    release = ReleaseFactory()
    subscriber("a@example.org")
    mailing = publish(release)
    provider.fail_next(Fault(status=400))
    send_all(mailing)
    assert statuses(mailing) == {"a@example.org": Delivery.Status.FAILED}

    assert services.retry_rows(mailing=mailing, status=Delivery.Status.FAILED) == 1
    send_all(mailing)
    assert statuses(mailing) == {"a@example.org": Delivery.Status.SENT}


def test_progress_counts(provider):
    release = ReleaseFactory()
    for i in range(3):
        subscriber(f"s{i}@example.org")
    mailing = publish(release)
    send_all(mailing)
    mailing.refresh_from_db()

    counts = mailings.progress(mailing)

    assert counts["recipients"] == 3 and counts["sent"] == 3 and counts["queued"] == 0
    assert counts["status"] == "done"


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", MAILING_BATCH_SIZE=0)
def test_the_smtp_path_sends_personalized_messages(mailoutbox):
    release = ReleaseFactory(title="SMTP-tittel")
    people = [subscriber(f"s{i}@example.org") for i in range(3)]
    mailing = publish(release)
    send_all(mailing)

    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in people)
    for message in mailoutbox:
        person = next(p for p in people if p.email == message.to[0])
        assert message.subject == "SMTP-tittel"
        assert message.extra_headers["List-Unsubscribe"] == f"<http://testserver/subscribe/u/{person.token}/>"
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html = message.alternatives[0][0]
        assert f"/subscribe/u/{person.token}/" in message.body and f"/subscribe/u/{person.token}/" in html
        assert not message.attachments  # images and documents are links
    assert set(statuses(mailing).values()) == {Delivery.Status.SENT}


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", MAILING_HTML_BUDGET=2000)
def test_a_release_over_the_size_budget_is_sent_as_lead_and_link(mailoutbox):
    release = ReleaseFactory(lead="Kort ingress", body="<p>" + "lang tekst " * 2000 + "</p>")
    subscriber("a@example.org")
    send_all(publish(release))

    html = mailoutbox[0].alternatives[0][0]
    assert "Kort ingress" in html
    assert "lang tekst lang tekst" not in html
    assert release.get_absolute_url() in html


def test_a_test_send_goes_to_the_editor_only(mailoutbox):
    from subscriptions.release_email import send_test

    release = ReleaseFactory(title="Utkast")
    subscriber("a@example.org")
    send_test(release=release, to="editor@example.org")

    assert [m.to for m in mailoutbox] == [["editor@example.org"]]
    assert mailoutbox[0].subject == "[TEST] Utkast"
    assert not Mailing.objects.exists()


@override_settings(MAILING_RATE_LIMIT=1, MAILING_PARALLELISM=2)
def test_the_provider_rate_limit_paces_each_sender(provider, monkeypatch):
    """1 recipient/s over two senders: each sender waits about 20 s after a batch of 10."""
    slept = []
    monkeypatch.setattr(mailings.time, "sleep", slept.append)  # the clock, not our code, is replaced
    release = ReleaseFactory()
    for i in range(30):
        subscriber(f"s{i}@example.org")
    send_all(publish(release))

    assert len(provider.recipients()) == 30
    assert len(slept) == 3  # one wait after each batch of 10
    assert all(15 < wait <= 20 for wait in slept)


@override_settings(MAILING_RATE_LIMIT=100, MAILING_PARALLELISM=2)
def test_the_wait_is_what_the_batch_did_not_use(monkeypatch):
    slept = []
    monkeypatch.setattr(mailings.time, "sleep", slept.append)
    mailings._throttle(10, mailings.time.monotonic())  # a batch of 10 that took no time at 50/s
    mailings._throttle(10, mailings.time.monotonic() - 1)  # one that took a second: no wait
    assert len(slept) == 1 and 0.19 < slept[0] <= 0.2


@override_settings(MAILING_RATE_LIMIT=0)
def test_without_a_rate_limit_nobody_waits(provider, monkeypatch):
    slept = []
    monkeypatch.setattr(mailings.time, "sleep", slept.append)
    subscriber("a@example.org")
    send_all(publish(ReleaseFactory()))
    assert slept == []


def test_a_mailing_is_not_finished_while_a_row_added_meanwhile_waits(provider):
    """A digest catch-up may add a row to a mailing of the same content while its last sender finds it
    idle: finishing must not strand that row in a mailing marked done."""
    release = ReleaseFactory()
    subscriber("s@example.org")
    mailing = publish(release)
    send_all(mailing)
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE

    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SENDING)
    late = subscriber("late@example.org")
    mailings.insert_rows(mailing.pk, [late.pk])
    mailings.finish(mailing.pk)
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.SENDING

    send_all(mailing)
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE
    assert statuses(mailing)["late@example.org"] == Delivery.Status.SENT
