"""What is not public is for those allowed to see it: the preview of a draft or scheduled release, its
files and image renditions need the permission to view releases; the demo mailbox is for superusers.
Being staff is not enough."""

import pytest
from django.contrib.auth.models import Permission
from django.core.mail import EmailMessage
from django.urls import path

from pressroom.demo import devmail
from pressroom.newsroom.models import Release
from pressroom.urls import urlpatterns as site_patterns
from tests.factories import AttachmentFactory, ReleaseFactory

# The test settings send mail to locmem; the mailbox is mounted here as pressroom.urls mounts it when
# the demo backend is on.
urlpatterns = [
    path("dev/mail/", devmail.mailbox, name="devmail"),
    path("dev/mail/<str:message_id>/", devmail.message, name="devmail_message"),
    path("dev/mail/<str:message_id>/html/", devmail.message_html, name="devmail_html"),
    *site_patterns,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def staff(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("redaktor", password="x", is_staff=True))
    return client


@pytest.fixture
def viewer(client, django_user_model):
    user = django_user_model.objects.create_user("leser", password="x", is_staff=True)
    opts = Release._meta
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label=opts.app_label, codename="view_release")
    )
    client.force_login(user)
    return client


@pytest.fixture(params=["draft", "scheduled"])
def unpublished(request):
    release = ReleaseFactory(scheduled=request.param == "scheduled")
    return release, AttachmentFactory(release=release), AttachmentFactory(release=release, pdf=True)


@pytest.fixture
def mailbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "pressroom.demo.devmail.EmailBackend"
    settings.DEVMAIL_DIR = tmp_path / "mail"
    EmailMessage("Bekreft", "http://testserver/subscribe/confirm/abc/", to=["kari@example.no"]).send()
    return next(settings.DEVMAIL_DIR.glob("*.eml")).stem


def test_staff_without_permissions_cannot_preview_an_unpublished_release(staff, unpublished):
    release, _image, _pdf = unpublished

    response = staff.get(f"/preview/{release.pk}/")

    assert response.status_code == 403
    assert release.title.encode() not in response.content


def test_staff_without_permissions_cannot_fetch_unpublished_files_or_renditions(staff, unpublished):
    _release, image, pdf = unpublished

    assert staff.get(pdf.get_absolute_url()).status_code == 404
    assert staff.get(image.get_absolute_url()).status_code == 404
    assert staff.get(image.get_rendition_url("web")).status_code == 404
    assert staff.get(image.get_rendition_url("thumb")).status_code == 404


def test_staff_who_may_view_releases_preview_them_with_their_files(viewer, unpublished):
    release, image, pdf = unpublished

    page = viewer.get(f"/preview/{release.pk}/")
    original = viewer.get(pdf.get_absolute_url())
    rendition = viewer.get(image.get_rendition_url("web"))

    assert page.status_code == 200
    assert release.title in page.content.decode()
    assert page["Cache-Control"] == "private, no-store"
    assert (original.status_code, original["Cache-Control"]) == (200, "private, no-store")
    assert (rendition.status_code, rendition["Cache-Control"]) == (200, "private, no-store")


def test_anonymous_visitors_are_sent_to_the_login(client, unpublished):
    release, _image, _pdf = unpublished

    response = client.get(f"/preview/{release.pk}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_demo_mailbox_is_not_for_staff(staff, mailbox):
    assert staff.get("/dev/mail/").status_code == 403
    assert staff.get(f"/dev/mail/{mailbox}/").status_code == 403
    assert staff.get(f"/dev/mail/{mailbox}/html/").status_code == 403


def test_the_demo_mailbox_is_not_for_staff_who_may_view_releases_either(viewer, mailbox):
    assert viewer.get("/dev/mail/").status_code == 403


def test_superusers_read_the_demo_mailbox(admin_client, mailbox):
    response = admin_client.get(f"/dev/mail/{mailbox}/")

    assert response.status_code == 200
    assert b"/subscribe/confirm/abc/" in response.content
