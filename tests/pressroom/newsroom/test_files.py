import io

import pytest
from PIL import Image

from tests.factories import (
    AttachmentFactory,
    ContactFactory,
    NewsroomFactory,
    ReleaseFactory,
    pdf_bytes,
    png_bytes,
    same_pixels,
)

pytestmark = pytest.mark.django_db


def body(response):
    return b"".join(response.streaming_content)


@pytest.fixture
def published():
    release = ReleaseFactory(published=True)
    return AttachmentFactory(release=release), AttachmentFactory(release=release, pdf=True)


@pytest.fixture
def draft():
    release = ReleaseFactory()
    return AttachmentFactory(release=release), AttachmentFactory(release=release, pdf=True)


def test_original_pdf_is_always_a_download(client, published):
    _, pdf = published

    response = client.get(f"/files/{pdf.pk}/rapport.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="rapport.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == str(pdf.size)
    assert body(response) == pdf_bytes()


def test_original_image_is_a_download_too(client, published):
    image, _ = published

    response = client.get(image.get_absolute_url())

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="bilde.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=60"
    # The original size without metadata: the same pixels, not the same bytes.
    assert same_pixels(body(response), png_bytes())


@pytest.mark.parametrize(("name", "size"), [("web", (24, 16)), ("thumb", (720, 480))])
def test_renditions_are_inline_images(client, published, name, size):
    image, _ = published

    response = client.get(f"/images/{image.pk}/{name}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "attachment" not in response.get("Content-Disposition", "")
    assert response["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(body(response))) as rendered:
        assert rendered.format == "JPEG"
        assert rendered.size == size


def test_unknown_rendition_name_or_a_document_has_no_rendition(client, published):
    image, pdf = published
    assert client.get(f"/images/{image.pk}/original/").status_code == 404
    assert client.get(f"/images/{pdf.pk}/web/").status_code == 404


def test_wrong_filename_or_unknown_pk_is_404(client, published):
    image, pdf = published
    assert client.get(f"/files/{pdf.pk}/bilde.png").status_code == 404
    assert client.get(f"/files/{pdf.pk}/..%2F..%2Fsettings.py").status_code == 404
    assert client.get("/files/999999/rapport.pdf").status_code == 404
    assert client.get("/images/999999/web/").status_code == 404


def test_files_of_unpublished_releases_are_404_for_the_public(client, draft):
    image, pdf = draft
    assert client.get(pdf.get_absolute_url()).status_code == 404
    assert client.get(image.get_absolute_url()).status_code == 404
    assert client.get(image.get_rendition_url("web")).status_code == 404
    assert client.get(image.get_rendition_url("thumb")).status_code == 404


def test_non_staff_users_cannot_fetch_unpublished_files(client, django_user_model, draft):
    client.force_login(django_user_model.objects.create_user("journalist", password="x"))
    image, pdf = draft
    assert client.get(pdf.get_absolute_url()).status_code == 404
    assert client.get(image.get_rendition_url("web")).status_code == 404


def test_staff_fetch_unpublished_files_for_the_preview_uncached(admin_client, draft):
    image, pdf = draft

    original = admin_client.get(pdf.get_absolute_url())
    rendition = admin_client.get(image.get_rendition_url("web"))

    assert original.status_code == 200
    assert original["Content-Disposition"] == 'attachment; filename="rapport.pdf"'
    assert original["Cache-Control"] == "private, no-store"
    assert rendition.status_code == 200
    assert rendition["Cache-Control"] == "private, no-store"


def test_file_views_answer_only_get(client, published):
    image, pdf = published
    assert client.post(pdf.get_absolute_url()).status_code == 405
    assert client.post(image.get_rendition_url("web")).status_code == 405


def test_contact_photo_is_an_inline_image_of_active_contacts_only(client):
    contact = ContactFactory(photo=AttachmentFactory.build().file)
    inactive = ContactFactory(is_active=False, photo=AttachmentFactory.build().file)
    no_photo = ContactFactory()

    response = client.get(f"/contacts/{contact.pk}/photo/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    # The original size without metadata: the same pixels, not the same bytes.
    assert same_pixels(body(response), png_bytes())
    assert client.get(f"/contacts/{inactive.pk}/photo/").status_code == 404
    assert client.get(f"/contacts/{no_photo.pk}/photo/").status_code == 404


def test_newsroom_logo(client):
    assert client.get("/logo/").status_code == 404  # no profile yet

    NewsroomFactory(logo=AttachmentFactory.build().file)
    response = client.get("/logo/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    # The original size without metadata: the same pixels, not the same bytes.
    assert same_pixels(body(response), png_bytes())


def test_logo_that_is_not_an_accepted_image_type_is_not_served(client):
    from django.core.files.base import ContentFile

    NewsroomFactory(logo=ContentFile(b"<svg onload=alert(1)>", name="logo.svg"))
    assert client.get("/logo/").status_code == 404
