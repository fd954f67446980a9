"""Embargoed pre-sends: the ledger, the email, the personal links and their trace, the embargo holding on
every public surface, and the release going public at its time."""

import io
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from PIL import ExifTags, Image

from pressroom.newsroom.models import Release
from pressroom.newsroom.services import publish_due_releases, unpublish_release
from pressroom.press import presend, services
from pressroom.press.models import Journalist, PreSend, PreSendRecipient, PressList
from subscriptions import mailings
from subscriptions.models import Delivery, Mailing
from tests.factories import (
    AttachmentFactory,
    NewsroomFactory,
    ReleaseFactory,
    VideoLinkFactory,
    full_release,
    png_bytes,
    same_pixels,
    vtt_bytes,
)
from tests.pressroom.newsroom.test_renditions import located_jpeg

pytestmark = pytest.mark.django_db


def journalist(name, email, outlet="NRK"):
    return Journalist.objects.create(name=name, email=email, outlet=outlet)


def press_list(name, *journalists):
    press = PressList.objects.create(name=name)
    press.members.add(*journalists)
    return press


@pytest.fixture
def release():
    NewsroomFactory()
    return full_release(
        scheduled=True, language="en", title="New figures for 2023", body="<p>Secret numbers: 4711.</p>"
    )


@pytest.fixture
def ola():
    return journalist("Ola Journalist", "ola@nrk.no")


@pytest.fixture
def kari():
    return journalist("Kari Reporter", "kari@aftenposten.no", outlet="Aftenposten")


def send(release, press, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.send_presend(release=release, press_list=press)


def copy_of(presend_obj, person):
    return PreSendRecipient.objects.get(presend=presend_obj, journalist=person)


# The ledger and the email


def test_each_journalist_gets_one_copy_marked_with_the_embargo(
    release, ola, kari, django_capture_on_commit_callbacks
):
    sent = send(release, press_list("Politics", ola, kari), django_capture_on_commit_callbacks)

    assert sent.recipient_count == 2
    assert sent.embargo_at == release.published_at
    assert sorted(message.to[0] for message in mail.outbox) == ["kari@aftenposten.no", "ola@nrk.no"]
    with translation.override("en"):
        embargo = presend.local_time_text(release.published_at)
    message = next(m for m in mail.outbox if m.to == ["ola@nrk.no"])
    assert message.subject == f"EMBARGO until {embargo}: New figures for 2023"
    row = copy_of(sent, ola)
    page_url = f"http://testserver/embargo/{row.token}/"
    text = message.body
    assert text.startswith(f"EMBARGO: not for publication before {embargo}.")
    assert "Secret numbers: 4711." in text
    assert f"Your personal link to the release and its files: {page_url}" in text
    document = release.documents[0]
    assert f"http://testserver/embargo/{row.token}/files/{document.pk}/{document.filename}" in text
    html = message.alternatives[0][0]
    assert f"EMBARGO: not for publication before {embargo}." in html
    assert f'href="{page_url}"' in html
    assert "List-Unsubscribe" not in message.extra_headers
    # Each journalist's links carry their own token.
    kari_message = next(m for m in mail.outbox if m.to == ["kari@aftenposten.no"])
    assert copy_of(sent, kari).token in kari_message.body
    assert row.token not in kari_message.body
    assert row.delivery.status == Delivery.Status.SENT
    assert row.delivery.message_id == message.extra_headers["Message-ID"]
    # The copies are the rows of the pre-send's mailing in the one ledger, addressed to the journalists.
    assert sent.mailing.kind == Mailing.Kind.PRESEND
    assert sorted(sent.mailing.deliveries.values_list("email", "subscriber")) == [
        ("kari@aftenposten.no", None),
        ("ola@nrk.no", None),
    ]


def test_a_journalist_on_two_lists_gets_one_copy_of_a_release(
    release, ola, kari, django_capture_on_commit_callbacks
):
    send(release, press_list("Politics", ola), django_capture_on_commit_callbacks)
    second = send(release, press_list("Everyone", ola, kari), django_capture_on_commit_callbacks)

    assert second.recipient_count == 1
    assert [m.to for m in mail.outbox] == [["ola@nrk.no"], ["kari@aftenposten.no"]]
    assert PreSendRecipient.objects.filter(journalist=ola).count() == 1
    assert list(second.mailing.deliveries.values_list("email", flat=True)) == ["kari@aftenposten.no"]


@pytest.mark.parametrize("state", ["draft", "published", "due"])
def test_only_a_release_scheduled_for_later_can_be_pre_sent(state, ola):
    NewsroomFactory()
    release = {
        "draft": lambda: ReleaseFactory(),
        "published": lambda: ReleaseFactory(published=True),
        "due": lambda: ReleaseFactory(
            status=Release.Status.SCHEDULED, published_at=timezone.now() - timedelta(minutes=1)
        ),
    }[state]()
    with pytest.raises(ValidationError) as refused:
        services.send_presend(release=release, press_list=press_list("Politics", ola))
    assert refused.value.code == "not_scheduled"
    assert not PreSend.objects.exists()
    assert not Mailing.objects.filter(kind=Mailing.Kind.PRESEND).exists()
    assert mail.outbox == []


# The personal links


def test_the_personal_link_shows_the_release_and_traces_each_open(
    client, release, ola, django_capture_on_commit_callbacks
):
    row = copy_of(send(release, press_list("Politics", ola), django_capture_on_commit_callbacks), ola)
    assert row.first_opened_at is None

    response = client.get(f"/embargo/{row.token}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "New figures for 2023" in page
    assert "Secret numbers: 4711." in page
    assert "Not for publication before" in page
    assert "This page is personal to Ola Journalist" in page
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    row.refresh_from_db()
    first = row.first_opened_at
    assert first is not None and row.opens == 1 and row.downloads == 0

    assert client.head(f"/embargo/{row.token}/").status_code == 200
    client.get(f"/embargo/{row.token}/")
    row.refresh_from_db()
    assert (row.opens, row.first_opened_at) == (2, first)
    assert row.last_opened_at > first


def test_files_through_the_personal_link_are_traced_and_private(
    client, release, ola, django_capture_on_commit_callbacks
):
    row = copy_of(send(release, press_list("Politics", ola), django_capture_on_commit_callbacks), ola)
    image = release.images[0]

    response = client.get(f"/embargo/{row.token}/files/{image.pk}/{image.filename}")

    assert response.status_code == 200
    assert same_pixels(b"".join(response.streaming_content), png_bytes())
    assert response["Content-Disposition"] == f'attachment; filename="{image.filename}"'
    assert response["Cache-Control"] == "private, no-store"
    row.refresh_from_db()
    assert (row.opens, row.downloads) == (0, 1)
    assert row.first_opened_at is not None
    thumb = client.get(f"/embargo/{row.token}/images/{image.pk}/thumb/")
    assert thumb.status_code == 200
    assert thumb["Cache-Control"] == "private, no-store"


def test_an_image_through_the_personal_link_is_without_its_location(
    client, release, ola, django_capture_on_commit_callbacks
):
    photo = AttachmentFactory(release=release, file=ContentFile(located_jpeg(1200, 800), name="kamera.jpg"))
    row = copy_of(send(release, press_list("Politics", ola), django_capture_on_commit_callbacks), ola)

    response = client.get(f"/embargo/{row.token}/files/{photo.pk}/{photo.filename}")

    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert b"GPSLatitude" not in data
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert Image.open(io.BytesIO(data)).size == (1200, 800)


def test_the_personal_link_shows_the_videos_with_captions_and_poster(
    client, release, ola, django_capture_on_commit_callbacks
):
    """Everything through the journalist's own link: the public addresses of an embargoed release's
    files answer 404 until it is published."""
    video = AttachmentFactory(release=release, video=True, title="Direktøren om tallene")
    VideoLinkFactory(release=release, title="Intervju på YouTube")
    row = copy_of(send(release, press_list("Politics", ola), django_capture_on_commit_callbacks), ola)
    base = f"/embargo/{row.token}"

    response = client.get(f"{base}/")

    page = response.content.decode()
    assert "Direktøren om tallene" in page and "Intervju på YouTube" in page
    assert f'<source src="{base}/files/{video.pk}/{video.filename}"' in page
    assert f'src="{base}/captions/{video.pk}/{video.captions_filename}"' in page
    assert f'poster="{base}/images/{video.pk}/web/"' in page
    assert "https://www.youtube-nocookie.com" in response["Content-Security-Policy"]
    for public in ('"/files/', '"/images/', '"/captions/'):  # every address is a personal one
        assert public not in page, public

    captions = client.get(f"{base}/captions/{video.pk}/{video.captions_filename}")
    assert captions.status_code == 200 and b"".join(captions.streaming_content) == vtt_bytes()
    assert captions["Content-Type"] == "text/vtt; charset=utf-8"
    assert captions["Cache-Control"] == "private, no-store"
    poster = client.get(f"{base}/images/{video.pk}/web/")
    assert poster.status_code == 200 and poster["Cache-Control"] == "private, no-store"
    # A player seeks in byte ranges.
    part = client.get(f"{base}/files/{video.pk}/{video.filename}", HTTP_RANGE="bytes=0-9")
    assert part.status_code == 206 and len(b"".join(part.streaming_content)) == 10

    assert client.get(f"{base}/captions/{video.pk}/other.vtt").status_code == 404
    assert client.get(f"/files/{video.pk}/captions/{video.captions_filename}").status_code == 404
    other = AttachmentFactory(release=ReleaseFactory(scheduled=True), video=True)
    assert client.get(f"{base}/captions/{other.pk}/{other.captions_filename}").status_code == 404


def test_personal_links_open_nothing_else(client, release, ola, django_capture_on_commit_callbacks):
    row = copy_of(send(release, press_list("Politics", ola), django_capture_on_commit_callbacks), ola)
    other = AttachmentFactory(release=ReleaseFactory(scheduled=True))
    image = release.images[0]

    assert client.get(f"/embargo/{row.token}/files/{other.pk}/{other.filename}").status_code == 404
    assert client.get(f"/embargo/{row.token}/files/{image.pk}/other-name.png").status_code == 404
    assert client.get(f"/embargo/{row.token}/images/{image.pk}/original/").status_code == 404
    assert client.get(f"/embargo/{row.token[:-1]}/").status_code == 404
    assert client.get(f"/embargo/{'x' * 65}/").status_code == 404
    assert client.post(f"/embargo/{row.token}/").status_code == 405
    row.refresh_from_db()
    assert (row.opens, row.downloads) == (0, 0)


def test_the_embargo_holds_on_every_public_surface(client, release, ola, django_capture_on_commit_callbacks):
    row = copy_of(send(release, press_list("Politics", ola), django_capture_on_commit_callbacks), ola)
    assert client.get(f"/embargo/{row.token}/").status_code == 200
    image, document = release.images[0], release.documents[0]

    for url in [
        release.get_absolute_url(),
        f"/files/{image.pk}/{image.filename}",
        f"/files/{document.pk}/{document.filename}",
        f"/images/{image.pk}/web/",
        f"/releases/{release.slug}/presskit.zip",
    ]:
        assert client.get(url).status_code == 404, url
    for url in ["/", "/feed/rss/", "/feed/atom/", "/sitemap.xml", "/search/?q=figures", "/upcoming/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"New figures for 2023" not in response.content, url
        assert b"4711" not in response.content, url


def test_withdrawing_the_release_withdraws_the_links_and_the_unsent_copies(
    client, release, ola, kari, django_capture_on_commit_callbacks
):
    sent = services.send_presend(
        release=release, press_list=press_list("Politics", ola, kari)
    )  # not sent yet
    unpublish_release(release=release)

    mailings.send_batches(sent.mailing_id)

    assert mail.outbox == []
    assert set(sent.recipients.values_list("delivery__status", flat=True)) == {Delivery.Status.SKIPPED}
    assert client.get(f"/embargo/{copy_of(sent, ola).token}/").status_code == 404


def test_at_the_embargo_time_the_release_publishes_and_the_links_lead_to_it(
    client, release, ola, django_capture_on_commit_callbacks
):
    row = copy_of(send(release, press_list("Politics", ola), django_capture_on_commit_callbacks), ola)
    # The publish time comes.
    Release.objects.filter(pk=release.pk).update(published_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert publish_due_releases() == 1

    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED
    # The subscribers' mailing of the release, besides the pre-send's own mailing in the ledger.
    assert Mailing.objects.filter(
        kind=Mailing.Kind.RELEASE, release=release, audience=Mailing.Audience.SUBSCRIBERS
    ).exists()
    assert client.get(release.get_absolute_url()).status_code == 200
    response = client.get(f"/embargo/{row.token}/")
    assert response.status_code == 302
    assert response["Location"] == release.get_absolute_url()
    image = release.images[0]
    response = client.get(f"/embargo/{row.token}/files/{image.pk}/{image.filename}")
    assert response["Location"] == image.get_absolute_url()


# Failures and recovery


class RefusingBackend(LocmemBackend):
    """Refuses some addresses the way SMTP servers do."""

    def send_messages(self, messages):
        for message in messages:
            to = message.to[0]
            if to.startswith("busy"):
                raise smtplib.SMTPResponseException(451, b"try again later")
            if to.startswith("gone"):
                raise smtplib.SMTPRecipientsRefused({to: (550, b"no such user")})
            if to.startswith("lost"):
                raise smtplib.SMTPServerDisconnected("connection lost")
        return super().send_messages(messages)


@override_settings(EMAIL_BACKEND="tests.pressroom.press.test_presend.RefusingBackend")
def test_errors_are_recorded_by_class(release):
    gone = journalist("Gone", "gone@example.no")
    busy = journalist("Busy", "busy@example.no")
    sent = services.send_presend(release=release, press_list=press_list("All", gone, busy))

    progress = mailings.send_batches(sent.mailing_id)

    assert copy_of(sent, gone).delivery.status == Delivery.Status.FAILED
    busy_row = copy_of(sent, busy).delivery
    assert busy_row.status == Delivery.Status.QUEUED
    assert busy_row.error == "SMTP 451"
    assert busy_row.next_attempt_at > timezone.now()
    assert progress.retry_in is not None and progress.retry_in > 0
    assert mail.outbox == []


@override_settings(EMAIL_BACKEND="tests.pressroom.press.test_presend.RefusingBackend")
def test_a_lost_answer_is_uncertain_and_the_rest_of_the_batch_waits(release):
    lost = journalist("Lost", "lost@example.no")
    after = journalist("After", "after@example.no")
    # Copies go out in the order of the ledger: After's is not handed over once the connection is lost.
    sent = services.send_presend(release=release, press_list=press_list("All", lost, after))

    mailings.send_batches(sent.mailing_id)

    assert copy_of(sent, lost).delivery.status == Delivery.Status.UNCERTAIN
    after_row = copy_of(sent, after).delivery
    assert after_row.status == Delivery.Status.QUEUED
    assert after_row.handed_over_at is None
    assert mail.outbox == []


def test_the_sweeper_recovers_what_a_lost_worker_left(release, ola, kari, settings):
    sent = services.send_presend(release=release, press_list=press_list("All", ola, kari))
    long_ago = timezone.now() - timedelta(seconds=settings.MAILING_LEASE_SECONDS + 5)
    # A sender claimed both copies a lease ago and handed Kari's over, then was lost.
    claim = mailings.claim_batch(sent.mailing_id, 10, now=long_ago)
    Delivery.objects.filter(claim=claim, presend_copy__journalist=kari).update(handed_over_at=long_ago)

    result = mailings.sweep()

    assert (result["requeued"], result["uncertain"]) == (1, 1)
    assert copy_of(sent, ola).delivery.status == Delivery.Status.QUEUED
    assert copy_of(sent, kari).delivery.status == Delivery.Status.UNCERTAIN
    mailings.send_batches(sent.mailing_id)
    assert [m.to for m in mail.outbox] == [["ola@nrk.no"]]


def test_sending_twice_sends_each_copy_once(release, ola, kari):
    sent = services.send_presend(release=release, press_list=press_list("All", ola, kari))

    mailings.send_batches(sent.mailing_id)
    mailings.send_batches(sent.mailing_id)

    assert len(mail.outbox) == 2


# The editors' admin


def test_editors_send_from_the_admin_and_see_who_opened_before_the_embargo(
    admin_client, client, release, ola, kari, django_capture_on_commit_callbacks
):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    press = press_list("Politics", ola, kari)
    form = admin_client.get(reverse("admin:press_presend_add") + f"?release={release.pk}")
    assert form.status_code == 200
    assert f'<option value="{release.pk}" selected>' in form.content.decode()

    data = {"release": release.pk, "press_list": press.pk}
    review = admin_client.post(reverse("admin:press_presend_add"), data)
    assert review.status_code == 200
    assert "2 journalists get it." in review.content.decode()
    assert not PreSend.objects.exists()
    assert len(mail.outbox) == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:press_presend_add"), {**data, "confirm": "1"})

    sent = PreSend.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:press_presend_change", args=[sent.pk])
    assert len(mail.outbox) == 2
    client.get(copy_of(sent, ola).get_absolute_url())

    page = admin_client.get(response["Location"]).content.decode()
    assert "Ola Journalist" in page and "Kari Reporter" in page
    assert page.count("before the embargo") == 1
    listing = admin_client.get(reverse("admin:press_presend_changelist")).content.decode()
    assert "New figures for 2023" in listing


def test_the_admin_refuses_a_release_that_is_not_scheduled(admin_client, ola):
    NewsroomFactory()
    draft = ReleaseFactory()
    response = admin_client.post(
        reverse("admin:press_presend_add"), {"release": draft.pk, "press_list": press_list("P", ola).pk}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.as_data()["release"][0].code == "invalid_choice"
    assert not PreSend.objects.exists()


def test_editors_retry_failed_copies_from_the_admin(
    admin_client, release, django_capture_on_commit_callbacks
):
    gone = journalist("Gone", "gone@example.no")
    with override_settings(EMAIL_BACKEND="tests.pressroom.press.test_presend.RefusingBackend"):
        sent = services.send_presend(release=release, press_list=press_list("All", gone))
        mailings.send_batches(sent.mailing_id)
    assert copy_of(sent, gone).delivery.status == Delivery.Status.FAILED

    # The address works again (the backend no longer refuses it): the editor retries.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:press_presend_changelist"),
            {"action": "retry_failed", "_selected_action": [sent.pk]},
        )

    assert response.status_code == 302
    assert copy_of(sent, gone).delivery.status == Delivery.Status.SENT
    assert [m.to for m in mail.outbox] == [["gone@example.no"]]
