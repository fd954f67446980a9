"""The consent of the people shown: an image or video in which people can be recognised is used only
with their consent recorded (who, how and when); the newsroom keeps that record, the public sees only
that consent was given."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from pressroom.newsroom.models import Attachment
from tests.factories import AttachmentFactory, NewsroomFactory, ReleaseFactory, png_bytes

from .test_uploads import admin_client, inline_errors, upload_through_admin  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

CONSENT = "Signert samtykkeskjema fra Kari Nordmann, 3. mai 2026 (saksnr. 26/1234)"
REFUSED = {"consent": ["Record the consent of the people shown (who, how and when) before the file is used."]}


@pytest.fixture(autouse=True)
def newsroom():
    return NewsroomFactory()


def test_people_shown_without_a_recorded_consent_is_refused_in_the_admin_and_nothing_is_saved(admin_client):  # noqa: F811
    release = ReleaseFactory()

    response = upload_through_admin(
        admin_client, release, "folk.png", png_bytes(), people_shown="on", consent=" "
    )

    assert response.status_code == 200
    assert inline_errors(response) == REFUSED
    assert not Attachment.objects.exists()


def test_people_shown_with_their_consent_is_kept_with_the_record(admin_client):  # noqa: F811
    release = ReleaseFactory()

    response = upload_through_admin(
        admin_client, release, "folk.png", png_bytes(), people_shown="on", consent=CONSENT
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.people_shown and attachment.consent == CONSENT


def test_ticking_people_shown_later_asks_for_the_consent_too():
    attachment = AttachmentFactory(release=ReleaseFactory())
    attachment.people_shown = True

    with pytest.raises(ValidationError) as raised:
        attachment.full_clean()
    assert raised.value.message_dict == REFUSED
    attachment.consent = CONSENT
    attachment.full_clean()


def test_the_public_learns_that_consent_was_given_but_never_who_gave_it(client):
    release = ReleaseFactory(published=True, language="en")
    asset = AttachmentFactory(
        release=release, file=ContentFile(png_bytes(), name="folk.png"), title="People at the quay",
        people_shown=True, consent=CONSENT,
    )  # fmt: skip
    other = AttachmentFactory(
        release=release, file=ContentFile(png_bytes(40, 30), name="kart.png"), title="Map"
    )

    page = client.get(f"/en/media/{asset.pk}/people-at-the-quay/").content.decode()
    assert "The people who can be recognised have consented to its use." in page
    assert "Kari Nordmann" not in page
    assert "consented" not in client.get(f"/en/media/{other.pk}/map/").content.decode()

    api = client.get(f"/api/v1/releases/{release.slug}/").json()
    shown = {item["title"]: item["people_shown"] for item in api["attachments"]}
    assert shown == {"People at the quay": True, "Map": False}
    assert "Kari Nordmann" not in str(api)


def test_an_asset_added_from_the_media_bank_keeps_the_consent():
    asset = AttachmentFactory(release=ReleaseFactory(), people_shown=True, consent=CONSENT)

    copy = Attachment.from_asset(asset, release=ReleaseFactory())

    assert copy.people_shown and copy.consent == CONSENT
