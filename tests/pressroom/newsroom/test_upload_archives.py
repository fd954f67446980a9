"""Office documents in ZIP containers are recognised with bounded work: a member that unpacks to hundreds
of MB is never unpacked, names that point outside the archive are refused, and each type must have its
structure. Uploaded through the editors' API and the admin, as editors do."""

import io
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from pressroom.newsroom.models import Attachment
from tests.factories import NewsroomFactory, ReleaseFactory
from tests.pressroom.api.api_helpers import api_client, editor, token_for
from tests.pressroom.newsroom.test_uploads import inline_errors, upload_through_admin

pytestmark = pytest.mark.django_db

API = "/api/v1/editor"
MIB = 1024 * 1024
ODT = "application/vnd.oasis.opendocument.text"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(autouse=True)
def _english():
    NewsroomFactory()
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    return api_client(token_for(editor())[1])


def zip_bytes(members, compression=zipfile.ZIP_STORED, mimetype_compression=zipfile.ZIP_STORED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, content in members:
            archive.writestr(name, content, mimetype_compression if name == "mimetype" else None)
    return out.getvalue()


@pytest.fixture(scope="module")
def odt_bomb():
    """An .odt of about 400 KB whose `mimetype` member unpacks to 400 MiB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("mimetype")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as member:
            member.write(ODT.encode())
            zeros = bytes(MIB)
            for _ in range(400):
                member.write(zeros)
        archive.writestr("content.xml", "<office:document-content/>")
    assert len(out.getvalue()) < MIB
    return out.getvalue()


def upload(client, content, name):
    release = ReleaseFactory()
    return client.post(
        f"{API}/releases/{release.pk}/attachments/", {"file": SimpleUploadedFile(name, content)}
    )


def test_a_member_that_unpacks_to_400_mib_is_refused_without_being_unpacked(client, odt_bomb):
    tracemalloc.start()
    try:
        response = upload(client, odt_bomb, "rapport.odt")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 400
    assert response.json()["errors"]["file"] == [
        "The document would unpack to 400.0 MB, too much for its size of 0.4 MB."
    ]
    assert peak < 32 * MIB
    assert not Attachment.objects.exists()


def test_the_same_file_is_a_form_error_in_the_admin(admin_client, odt_bomb):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = upload_through_admin(admin_client, ReleaseFactory(), "rapport.odt", odt_bomb)

    assert response.status_code == 200
    assert inline_errors(response)["file"] == [
        "The document would unpack to 400.0 MB, too much for its size of 0.4 MB."
    ]
    assert not Attachment.objects.exists()


OOXML_PARTS = [("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<w:document/>")]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            [*OOXML_PARTS, ("../../evil.sh", "#!/bin/sh\n"), ("evil.html", "<script>alert(1)</script>")],
            "The document contains a part with an unsafe name (../../evil.sh).",
        ),
        ([*OOXML_PARTS, ("/etc/cron.d/evil", "* * * * * root sh")], "unsafe name (/etc/cron.d/evil)"),
        ([*OOXML_PARTS, ("word\\..\\..\\evil.bat", "del")], "unsafe name (word\\..\\..\\evil.bat)"),
        ([*OOXML_PARTS, ("C:/evil.bat", "del")], "unsafe name (C:/evil.bat)"),
        # OOXML: the content types part and exactly one main part.
        ([("[Content_Types].xml", "<Types/>"), ("word/styles.xml", "<w:styles/>")], "ZIP archives are not"),
        ([*OOXML_PARTS, ("xl/workbook.xml", "<workbook/>")], "ZIP archives are not accepted"),
        ([("word/document.xml", "<w:document/>")], "ZIP archives are not accepted"),
        # OpenDocument: `mimetype` first, stored, with a known value.
        ([("content.xml", "<x/>"), ("mimetype", ODT)], "ZIP archives are not accepted"),
        ([("mimetype", "application/x-sh"), ("content.xml", "<x/>")], "ZIP archives are not accepted"),
    ],
    ids=["dot-dot", "absolute", "backslash", "drive", "no-main-part", "two-main-parts", "no-content-types",
         "mimetype-not-first", "unknown-mimetype"],
)  # fmt: skip
def test_archives_without_the_structure_of_their_type_are_refused(client, members, message):
    response = upload(client, zip_bytes(members), "rapport.docx")

    assert response.status_code == 400
    assert message in response.json()["errors"]["file"][0]
    assert not Attachment.objects.exists()


def test_a_deflated_mimetype_is_not_opendocument(client):
    content = zip_bytes(
        [("mimetype", ODT), ("content.xml", "<x/>")], mimetype_compression=zipfile.ZIP_DEFLATED
    )

    response = upload(client, content, "rapport.odt")

    assert response.status_code == 400
    assert "ZIP archives are not accepted" in response.json()["errors"]["file"][0]


def test_too_many_members_are_refused_before_they_are_listed(client):
    members = [*OOXML_PARTS, *((f"word/media/{n}.xml", "") for n in range(10_000))]

    response = upload(client, zip_bytes(members), "rapport.docx")

    assert response.status_code == 400
    assert response.json()["errors"]["file"] == [
        "The document has more than 10000 parts; it cannot be checked."
    ]


@pytest.mark.parametrize(
    ("members", "name", "content_type"),
    [
        (OOXML_PARTS, "notat.docx", DOCX),
        ([("[Content_Types].xml", "<Types/>"), ("xl/workbook.xml", "<workbook/>"),
          ("xl/worksheets/sheet1.xml", "<worksheet>" + "<row/>" * 2000 + "</worksheet>")], "tall.xlsx",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ([("[Content_Types].xml", "<Types/>"), ("ppt/presentation.xml", "<p:presentation/>")], "lysark.pptx",
         "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ([("mimetype", ODT), ("content.xml", "<office:document-content/>")], "notat.odt", ODT),
    ],
)  # fmt: skip
def test_real_documents_are_recognised(client, members, name, content_type):
    response = upload(client, zip_bytes(members, compression=zipfile.ZIP_DEFLATED), name)

    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == content_type
