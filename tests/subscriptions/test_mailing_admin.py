"""Editors and mailings: test send from the release page, live progress, pause/resume/cancel, retries."""

import pytest
from django.contrib.auth.models import User

from pressroom.newsroom.services import publish_release
from subscriptions import mailings
from subscriptions.models import Delivery, Mailing
from tests.factories import ReleaseFactory

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = User.objects.create_superuser("editor", "editor@example.no", "pw")
    client.force_login(user)
    return user


def published_with_mailing(subscribers=3):
    release = ReleaseFactory(language="en")
    for _ in range(subscribers):
        SubscriberFactory(language="en")
    publish_release(release=release)
    mailing = mailings.prepare_mailing(Mailing.objects.get(release=release).pk)
    return release, mailing


def test_send_test_emails_the_editor_and_writes_no_ledger(client, editor, mailoutbox):
    release = ReleaseFactory(title="Utkast til test")
    SubscriberFactory()

    response = client.post(f"/admin/subscriptions/mailing/test/{release.pk}/")

    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["editor@example.no"]]
    assert mailoutbox[0].subject == "[TEST] Utkast til test"
    assert not Mailing.objects.exists() and not Delivery.objects.exists()


def test_send_test_is_post_only_and_needs_an_address(client, editor, mailoutbox):
    release = ReleaseFactory()
    assert client.get(f"/admin/subscriptions/mailing/test/{release.pk}/").status_code == 405
    User.objects.filter(pk=editor.pk).update(email="")
    client.post(f"/admin/subscriptions/mailing/test/{release.pk}/")
    assert mailoutbox == []


def test_send_test_needs_staff(client, mailoutbox):
    release = ReleaseFactory()
    response = client.post(f"/admin/subscriptions/mailing/test/{release.pk}/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert mailoutbox == []


def test_the_release_page_links_to_its_mailing(client, editor):
    release, mailing = published_with_mailing()
    page = client.get(f"/admin/newsroom/release/{release.pk}/change/").content.decode()
    assert f"/admin/subscriptions/mailing/{mailing.pk}/change/" in page


def test_progress_json_and_panel(client, editor):
    _release, mailing = published_with_mailing(3)

    data = client.get(f"/admin/subscriptions/mailing/{mailing.pk}/progress/").json()
    assert data["recipients"] == 3 and data["queued"] == 3 and data["sent"] == 0
    assert data["status"] == "sending"

    mailings.send_batches(mailing.pk, time_budget=10)
    data = client.get(f"/admin/subscriptions/mailing/{mailing.pk}/progress/").json()
    assert data["sent"] == 3 and data["queued"] == 0 and data["status"] == "done"

    page = client.get(f"/admin/subscriptions/mailing/{mailing.pk}/change/").content.decode()
    assert 'id="mailing-progress"' in page and "subscriptions/progress.js" in page


def test_progress_needs_staff(client):
    _release, mailing = published_with_mailing(1)
    response = client.get(f"/admin/subscriptions/mailing/{mailing.pk}/progress/")
    assert response.status_code == 302


def action(client, name, mailing):
    return client.post(
        "/admin/subscriptions/mailing/", {"action": name, "_selected_action": [mailing.pk]}, follow=True
    )


def test_pause_resume_cancel_actions(client, editor, django_capture_on_commit_callbacks):
    _release, mailing = published_with_mailing(2)
    action(client, "pause", mailing)
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.PAUSED

    with django_capture_on_commit_callbacks(execute=True):
        action(client, "resume", mailing)  # eager tasks in tests: resuming sends
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE

    _release, second = published_with_mailing(2)
    action(client, "cancel", second)
    second.refresh_from_db()
    assert second.status == Mailing.Status.CANCELLED
    assert set(second.deliveries.values_list("status", flat=True)) == {Delivery.Status.SKIPPED}


def test_resend_uncertain_action_queues_them_again(client, editor, django_capture_on_commit_callbacks):
    _release, mailing = published_with_mailing(2)
    mailing.deliveries.update(status=Delivery.Status.UNCERTAIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = action(client, "resend_uncertain", mailing)
    assert "2 recipients queued again." in response.content.decode()
    assert set(mailing.deliveries.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_mailing_list_shows_counts(client, editor):
    _release, mailing = published_with_mailing(2)
    mailings.send_batches(mailing.pk, time_budget=10)
    page = client.get("/admin/subscriptions/mailing/").content.decode()
    assert 'class="field-sent">2<' in page


def test_a_test_send_of_a_draft_carries_file_links_that_work_without_login(client, editor, mailoutbox):
    import re

    from django.test import Client

    from pressroom.newsroom import filelinks
    from tests.factories import AttachmentFactory

    release = ReleaseFactory(title="Utkast med bilde")
    image = AttachmentFactory(release=release)
    other = AttachmentFactory(release=ReleaseFactory())
    client.post(f"/admin/subscriptions/mailing/test/{release.pk}/")

    html = mailoutbox[0].alternatives[0][0]
    src = re.search(r'<img src="http://testserver([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "?preview=" in src
    anonymous = Client()
    assert anonymous.get(src).status_code == 200
    assert anonymous.get(src.split("?")[0]).status_code == 404  # the token is what opens it
    token = filelinks.token_for(image)
    assert anonymous.get(f"/images/{other.pk}/web/?preview={token}").status_code == 404  # one file each
    assert anonymous.get(f"/images/{image.pk}/web/?preview={token[:-2]}xx").status_code == 404


def test_public_mail_never_carries_preview_tokens(mailoutbox):
    from subscriptions.release_email import ReleaseMessage
    from tests.factories import AttachmentFactory

    release = ReleaseFactory(published=True)
    AttachmentFactory(release=release)
    assert "preview=" not in ReleaseMessage(release).html
