"""Corrections and updates: shown on the release page with their time; the notice goes once to each person
who received the original (subscribers, digests, the press), through the one delivery ledger."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from pressroom.newsroom.models import Release
from pressroom.newsroom.services import publish_due_releases, publish_release
from pressroom.press import corrections, presend, services
from pressroom.press.models import Correction, CorrectionNotice, Journalist, PressList
from subscriptions import emails, mailings
from subscriptions.models import Delivery, Mailing, Subscriber
from tests.factories import NewsroomFactory, ReleaseFactory
from tests.subscriptions.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def release():
    NewsroomFactory()
    return ReleaseFactory(language="en", title="Figures for 2023")


def publish(release, capture):
    with capture(execute=True):
        publish_release(release=release)
    release.refresh_from_db()
    return release


def sent_to(release):
    return set(
        Delivery.objects.filter(
            mailing__kind=Mailing.Kind.RELEASE, mailing__release=release, status=Delivery.Status.SENT
        ).values_list("subscriber__email", flat=True)
    )


# The release page


def test_the_release_page_shows_corrections_with_their_time(
    client, release, django_capture_on_commit_callbacks
):
    publish(release, django_capture_on_commit_callbacks)
    first = services.add_correction(release=release, kind="correction", note="The figure for Oslo was 1,204.")
    services.add_correction(release=release, kind="update", note="Added the county figures.")

    page = client.get(release.get_absolute_url()).content.decode()

    assert "The figure for Oslo was 1,204." in page
    assert "Added the county figures." in page
    assert page.index("The figure for Oslo") < page.index("Added the county figures.")
    assert f'datetime="{timezone.localtime(first.created_at).isoformat()}"' in page
    assert 'class="correction correction--correction"' in page
    assert 'class="correction correction--update"' in page


def test_a_page_without_corrections_has_no_notice(client, release, django_capture_on_commit_callbacks):
    publish(release, django_capture_on_commit_callbacks)
    assert 'class="corrections"' not in client.get(release.get_absolute_url()).content.decode()


@pytest.mark.parametrize("state", ["draft", "scheduled"])
def test_only_published_releases_are_corrected(state):
    release = ReleaseFactory(**{state: True} if state != "draft" else {})
    with pytest.raises(ValidationError) as refused:
        services.add_correction(release=release, kind="correction", note="Typo.")
    assert refused.value.code == "not_published"
    assert not Correction.objects.exists()


def test_a_correction_needs_a_note(release, django_capture_on_commit_callbacks):
    publish(release, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as refused:
        services.add_correction(release=release, kind="correction", note="   ")
    assert refused.value.code == "empty"


# The notices


@pytest.fixture
def received(release, django_capture_on_commit_callbacks):
    """A release received by two subscribers, by the press under embargo, and by a digest reader; one
    subscriber's copy failed."""
    anna, bo = SubscriberFactory(email="anna@example.no"), SubscriberFactory(email="bo@example.no")
    ola = Journalist.objects.create(name="Ola", email="ola@nrk.no", outlet="NRK")
    # Both subscriber and journalist: one notice.
    both = Journalist.objects.create(name="Anna", email="Anna@Example.no", outlet="Frilans")
    press = PressList.objects.create(name="Press")
    press.members.add(ola, both)
    Release.objects.filter(pk=release.pk).update(
        status=Release.Status.SCHEDULED, published_at=timezone.now() + timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.send_presend(release=release, press_list=press)
    Release.objects.filter(pk=release.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    failed = SubscriberFactory(email="failed@example.no")
    with django_capture_on_commit_callbacks(execute=True):
        publish_due_releases()
    release.refresh_from_db()
    Delivery.objects.filter(subscriber=failed).update(status=Delivery.Status.FAILED)
    reader = SubscriberFactory(email="digest@example.no", frequency=Subscriber.Frequency.DAILY)
    digest = Mailing.objects.create(
        kind=Mailing.Kind.DIGEST, frequency="daily", language="en", period_start=timezone.now(),
        period_end=timezone.now(), status=Mailing.Status.DONE, recipients=1,
    )  # fmt: skip
    digest.releases.add(release)
    Delivery.objects.create(mailing=digest, subscriber=reader, status=Delivery.Status.SENT)
    assert sent_to(release) == {"anna@example.no", "bo@example.no"}
    mail.outbox.clear()
    return {"anna": anna, "bo": bo, "ola": ola, "reader": reader}


def test_the_notice_goes_once_to_each_original_recipient(
    release, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        correction = services.add_correction(
            release=release, kind="correction", note="The figure for Oslo was 1,204.", notify=True
        )

    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == ["anna@example.no", "bo@example.no", "digest@example.no", "ola@nrk.no"]
    assert set(correction.notices.values_list("delivery__status", flat=True)) == {Delivery.Status.SENT}
    assert correction.mailing.kind == Mailing.Kind.CORRECTION
    assert correction.mailing.deliveries.count() == 4
    message = next(m for m in mail.outbox if m.to == ["bo@example.no"])
    assert message.subject == "Correction: Figures for 2023"
    with translation.override("en"):
        corrected_at = presend.local_time_text(correction.created_at)
    assert f"Correction ({corrected_at}):\nThe figure for Oslo was 1,204." in message.body
    assert f"Read the release as it stands now: http://testserver{release.get_absolute_url()}" in message.body
    html = message.alternatives[0][0]
    assert "The figure for Oslo was 1,204." in html
    assert f'href="http://testserver{release.get_absolute_url()}"' in html
    bo = received["bo"]
    assert message.extra_headers["List-Unsubscribe"] == f"<{emails.unsubscribe_url(bo)}>"
    assert f"Unsubscribe: {emails.unsubscribe_url(bo)}" in message.body
    press_copy = next(m for m in mail.outbox if m.to == ["ola@nrk.no"])
    assert "List-Unsubscribe" not in press_copy.extra_headers
    assert "Unsubscribe" not in press_copy.body

    # Running the sender again, or writing the ledger again, sends nothing more: a second ledger for the
    # same correction is refused by the once-per-recipient constraint, and nothing of it is kept.
    mailings.send_batches(correction.mailing_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        corrections.write_notices(correction)
    correction.refresh_from_db()
    assert correction.notices.count() == 4
    assert Mailing.objects.filter(kind=Mailing.Kind.CORRECTION).count() == 1
    mailings.send_batches(correction.mailing_id)
    assert len(mail.outbox) == 4


def test_a_subscribers_links_under_the_notice_are_in_their_language(
    release, received, django_capture_on_commit_callbacks
):
    """The notice is in the release's language (English here); the links below it in the reader's."""
    Subscriber.objects.filter(pk=received["bo"].pk).update(language="nn")
    with django_capture_on_commit_callbacks(execute=True):
        services.add_correction(release=release, kind="correction", note="Oslo: 1,204.", notify=True)

    bo = next(m for m in mail.outbox if m.to == ["bo@example.no"])
    anna = next(m for m in mail.outbox if m.to == ["anna@example.no"])
    assert "has corrected the release" in bo.body and "Oslo: 1,204." in bo.body
    assert "Endre innstillingane dine:" in bo.body and "Meld deg av:" in bo.body
    assert 'lang="nn"' in bo.alternatives[0][0]
    assert "Endre innstillingane dine</a>" in bo.alternatives[0][0]
    assert "Change your preferences:" not in bo.body
    assert "Change your preferences:" in anna.body  # English, the factory's language


def test_each_correction_has_its_own_notice(release, received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.add_correction(release=release, kind="correction", note="First.", notify=True)
        services.add_correction(release=release, kind="update", note="Second.", notify=True)

    assert len(mail.outbox) == 8
    assert sorted({m.subject for m in mail.outbox}) == [
        "Correction: Figures for 2023",
        "Update: Figures for 2023",
    ]


def test_no_notice_without_notify(release, received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        correction = services.add_correction(release=release, kind="update", note="Quiet fix.")
    assert mail.outbox == []
    assert not correction.notices.exists()
    assert correction.mailing is None
    assert not Mailing.objects.filter(kind=Mailing.Kind.CORRECTION).exists()


def test_who_left_since_gets_no_notice(release, received):
    correction = services.add_correction(release=release, kind="correction", note="Fix.", notify=True)
    Subscriber.objects.filter(pk=received["anna"].pk).update(status=Subscriber.Status.UNSUBSCRIBED)

    mailings.send_batches(correction.mailing_id)

    assert sorted(m.to[0] for m in mail.outbox) == ["bo@example.no", "digest@example.no", "ola@nrk.no"]
    assert correction.notices.get(email="anna@example.no").delivery.status == Delivery.Status.SKIPPED


def test_the_unique_constraint_makes_it_once_per_recipient(release, received):
    correction = services.add_correction(release=release, kind="correction", note="Fix.", notify=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        CorrectionNotice.objects.create(correction=correction, email="bo@example.no")


# The admin


def test_editors_add_a_correction_in_the_admin(
    admin_client, release, received, django_capture_on_commit_callbacks
):
    add_url = reverse("admin:press_correction_add")
    assert admin_client.get(f"{add_url}?release={release.pk}").status_code == 200

    data = {"release": release.pk, "kind": "correction", "note": "Oslo: 1,204.", "notify": "on"}
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    review = admin_client.post(add_url, data)
    assert review.status_code == 200
    assert "4 recipients of the release get a notice" in review.content.decode()
    assert "Oslo: 1,204." in review.content.decode()
    assert not Correction.objects.exists()
    assert len(mail.outbox) == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(add_url, {**data, "confirm": "1"})

    assert response.status_code == 302
    correction = Correction.objects.get()
    assert correction.created_by.is_superuser
    assert len(mail.outbox) == 4
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = admin_client.get(reverse("admin:press_correction_change", args=[correction.pk]))
    assert "4 of 4 sent, 0 failed, 0 uncertain" in page.content.decode()


def test_the_admins_review_does_not_count_who_left_since(admin_client, release, received):
    Subscriber.objects.filter(pk=received["bo"].pk).update(status=Subscriber.Status.UNSUBSCRIBED)
    data = {"release": release.pk, "kind": "correction", "note": "Oslo: 1,204.", "notify": "on"}
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    review = admin_client.post(reverse("admin:press_correction_add"), data)

    # Bo left: Anna, the digest reader and the journalist Ola are told (the sender skips Bo's row).
    assert "3 recipients of the release get a notice</strong>" in review.content.decode()


def test_the_admin_refuses_to_correct_a_draft(admin_client):
    NewsroomFactory()
    draft = ReleaseFactory()
    response = admin_client.post(
        reverse("admin:press_correction_add"), {"release": draft.pk, "kind": "correction", "note": "x"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.as_data()["release"][0].code == "not_published"
    assert not Correction.objects.exists()
