import pytest

from pressroom.newsroom.vcard import contact_vcard, escape, fold
from tests.factories import AttachmentFactory, ContactFactory, NewsroomFactory

pytestmark = pytest.mark.django_db


def test_vcard_download_is_exact_vcard_3(client):
    NewsroomFactory(name="IMDi; Integrering, mangfold", website="https://www.imdi.no")
    contact = ContactFactory(
        name="Libe Rieber-Mohn",
        role="Direktør, IMDi; ledelse\\stab\nOslo",
        email="libe@imdi.no",
        phone="+47 24 16 88 00",
    )

    response = client.get(f"/contacts/{contact.pk}.vcf")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="libe-rieber-mohn.vcf"'
    assert response.content.decode() == (
        "BEGIN:VCARD\r\n"
        "VERSION:3.0\r\n"
        "N:Rieber-Mohn;Libe;;;\r\n"
        "FN:Libe Rieber-Mohn\r\n"
        "ORG:IMDi\\; Integrering\\, mangfold\r\n"
        "TITLE:Direktør\\, IMDi\\; ledelse\\\\stab\\nOslo\r\n"
        "EMAIL;TYPE=INTERNET,WORK:libe@imdi.no\r\n"
        "TEL;TYPE=WORK,VOICE:+47 24 16 88 00\r\n"
        "URL:https://www.imdi.no\r\n"
        "END:VCARD\r\n"
    )


def test_vcard_with_photo_links_it_and_omits_empty_fields(client):
    NewsroomFactory(name="IMDi", website="")
    contact = ContactFactory(name="Kari", role="", email="", phone="", photo=AttachmentFactory.build().file)

    body = client.get(f"/contacts/{contact.pk}.vcf").content.decode()

    assert body == (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Kari;;;;\r\nFN:Kari\r\nORG:IMDi\r\n"
        f"PHOTO;VALUE=URI:http://testserver/contacts/{contact.pk}/photo/\r\nEND:VCARD\r\n"
    )


def test_vcard_filename_is_safe_whatever_the_name(client):
    NewsroomFactory()
    contact = ContactFactory(name='Ærlig "Øst"\r\nSet-Cookie: x=1; ../../etc')

    response = client.get(f"/contacts/{contact.pk}.vcf")

    disposition = response["Content-Disposition"]
    assert disposition == 'attachment; filename="aerlig-ost-set-cookie-x1-etc.vcf"'
    assert "\n" not in response.content.decode().replace("\r\n", "")


def test_vcard_of_a_name_without_letters_gets_a_fallback_filename(client):
    NewsroomFactory()
    contact = ContactFactory(name="###")
    assert (
        client.get(f"/contacts/{contact.pk}.vcf")["Content-Disposition"]
        == 'attachment; filename="contact.vcf"'
    )


def test_inactive_or_unknown_contact_has_no_vcard(client):
    contact = ContactFactory(is_active=False)
    assert client.get(f"/contacts/{contact.pk}.vcf").status_code == 404
    assert client.get("/contacts/999999.vcf").status_code == 404


def test_escape_handles_backslash_first_then_separators_and_line_breaks():
    assert escape("a\\b,c;d\r\ne\rf\ng") == "a\\\\b\\,c\\;d\\ne\\nf\\ng"


def test_long_lines_are_folded_at_75_octets_without_splitting_characters():
    line = "NOTE:" + "ø" * 60
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join(part[1:] if i else part for i, part in enumerate(parts)) == line


def test_contact_vcard_folds_a_long_title():
    newsroom = NewsroomFactory(website="")
    contact = ContactFactory.build(name="A B", role="x" * 100, email="", phone="")
    lines = contact_vcard(contact, newsroom).split("\r\n")
    assert lines[5] == "TITLE:" + "x" * 69
    assert lines[6] == " " + "x" * 31
