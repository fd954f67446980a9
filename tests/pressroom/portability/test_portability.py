"""export_newsroom and import_newsroom: the round trip loses nothing and keeps every address."""

import io
import json
import re
import zipfile
from datetime import date, timedelta
from unittest.mock import ANY

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone, translation

from pressroom.analytics.models import ReleaseStat
from pressroom.newsroom.models import (
    Attachment,
    Contact,
    ContactTranslation,
    Newsroom,
    NewsroomTranslation,
    Release,
    Topic,
)
from pressroom.portability import archive as portability
from pressroom.press.models import Announcement, Correction, Journalist, PressList, PressListMember
from subscriptions.models import Mailing, Subscriber, Suppression, email_hash
from tests.factories import (
    AttachmentFactory,
    ContactFactory,
    NewsroomFactory,
    ReleaseContactFactory,
    ReleaseFactory,
    TopicFactory,
    VideoLinkFactory,
    png_bytes,
    vtt_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def newsroom_everything():
    """One of everything an installation holds, with files, history and personal data."""
    newsroom = NewsroomFactory()
    newsroom.logo.save("logo.png", ContentFile(png_bytes(80, 40)), save=True)
    work, housing = (
        TopicFactory(name="Arbeid", slug="arbeid"),
        TopicFactory(name="Bosetting", slug="bosetting"),
    )
    english_topic = TopicFactory(name="Work", slug="arbeid", language="en")
    kari = ContactFactory(name="Kari Nordmann", order=2)
    kari.photo.save("kari.png", ContentFile(png_bytes(30, 30)), save=True)
    ola = ContactFactory(name="Ola", is_active=False, order=1)

    published = ReleaseFactory(
        published=True, title="Søknad på én side", body="<h2>Tittel</h2><p>Tekst</p>", topics=[housing, work]
    )
    AttachmentFactory(release=published, order=2)
    AttachmentFactory(release=published, pdf=True, order=1)
    ReleaseContactFactory(release=published, contact=kari, order=0)
    ReleaseContactFactory(release=published, contact=ola, order=1)
    translation = ReleaseFactory(published=True, language="en", version_of=published, topics=[english_topic])
    ReleaseFactory(title="Utkast", kind=Release.Kind.STATEMENT)
    ReleaseFactory(scheduled=True, title="Planlagt")
    unpublished = ReleaseFactory(title="Trukket tilbake", published=True)
    Release.objects.filter(pk=unpublished.pk).update(status=Release.Status.DRAFT)
    Mailing.objects.create(
        release=published, status=Mailing.Status.DONE, recipients=2, finished_at=timezone.now()
    )
    editor = User.objects.create_user("redaktor")
    Correction.objects.create(release=published, note="Tallet er rettet.", created_by=editor)
    ReleaseStat.objects.create(release=published, day=date(2025, 1, 2), metric="view", count=7)
    Announcement.objects.create(title="Nye tall", date=date(2030, 1, 1), topic=work, release=unpublished)

    subscriber = Subscriber.objects.create(
        email="leser@example.no", status=Subscriber.Status.ACTIVE, all_topics=False,
        consent_at=timezone.now() - timedelta(days=30), consent_method=Subscriber.ConsentMethod.FORM,
        consent_text_version="1", consent_source="https://presse.imdi.no/", consent_note="Skjema",
        confirmed_at=timezone.now() - timedelta(days=29),
    )  # fmt: skip
    subscriber.topics.set([housing])
    Subscriber.objects.create(email="borte@example.no", status=Subscriber.Status.UNSUBSCRIBED)
    Suppression.objects.create(email_hash=email_hash("slettet@example.no"), reason="erased")
    journalist = Journalist.objects.create(name="Per Presse", email="per@avis.no", outlet="Avisa")
    press_list = PressList.objects.create(name="Riksmedier")
    PressListMember.objects.create(press_list=press_list, journalist=journalist)
    return {"published": published, "translation": translation, "kari": kari}


def wipe(media):
    """An empty, migrated installation: no rows, no files."""
    for model in (
        Mailing,
        Subscriber,
        Suppression,
        Announcement,
        PressList,
        Journalist,
        Release,
        Contact,
        Topic,
    ):
        model.objects.all().delete()
    Newsroom.objects.all().delete()
    User.objects.all().delete()
    for path in sorted(media.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()


def archive_contents(path):
    with zipfile.ZipFile(path) as archive:
        data = json.loads(archive.read("newsroom.json"))
        files = {name: archive.read(name) for name in archive.namelist() if name != "newsroom.json"}
    return data, files


def run(command, *args):
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_round_trip_loses_nothing_and_keeps_addresses(tmp_path, media):
    objects = newsroom_everything()
    published = objects["published"]
    image = published.attachments.get(kind=Attachment.Kind.IMAGE)
    urls = [
        published.get_absolute_url(),
        image.get_absolute_url(),
        image.get_rendition_url("web"),
        objects["kari"].get_vcard_url(),
        f"/contacts/{objects['kari'].pk}/photo/",
        "/logo/",
        f"/api/v1/releases/{published.slug}/",
    ]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    before = {url: client.get(url) for url in urls}
    assert all(response.status_code == 200 for response in before.values())
    first = tmp_path / "first.zip"

    output = run("export_newsroom", str(first), "--with-subscribers")
    assert (
        "Exported 3 topics, 2 contacts, 5 releases, 2 attachments, 1 announcements, 14 files, 2 subscribers, "
        "1 suppressed addresses, 1 journalists and 1 press lists to "
    ) in output

    wipe(media)
    assert client.get(published.get_absolute_url()).status_code == 404

    output = run("import_newsroom", str(first))
    assert (
        "Imported 3 topics, 2 contacts, 5 releases, 2 attachments, 1 announcements, 14 files, 2 subscribers, "
        "1 suppressed addresses, 1 journalists and 1 press lists."
    ) in output

    second = tmp_path / "second.zip"
    run("export_newsroom", str(second), "--with-subscribers")
    first_data, first_files = archive_contents(first)
    second_data, second_files = archive_contents(second)
    # Only the time of the export may differ.
    first_data.pop("exported_at"), second_data.pop("exported_at")
    assert second_data == first_data
    assert second_files == first_files
    # logo, photo, PDF, the image and its 10 renditions (thumb, three page widths, each with WebP, print,
    # original)
    assert len(first_files) == 14

    for url, response in before.items():
        after = client.get(url)
        assert after.status_code == 200, url
        assert same_content(after) == same_content(response), url


def test_the_brand_travels_with_its_renditions(tmp_path, media):
    newsroom = NewsroomFactory(accent_color="#5a2d82", cover_alt_text="Oslo.")
    newsroom.logo.save("logo.png", ContentFile(png_bytes(400, 100)), save=False)
    newsroom.cover.save("cover.png", ContentFile(png_bytes(1200, 400)), save=True)
    newsroom.make_brand_images()
    kari = ContactFactory()
    kari.photo.save("kari.png", ContentFile(png_bytes(300, 300)), save=True)
    kari.make_photo_renditions()
    urls = ["/logo/", "/cover/", "/brand/logo/", "/brand/icon-32/", "/brand/cover-960.webp/"]
    urls += [f"/contacts/{kari.pk}/photo/square/", f"/contacts/{kari.pk}/photo/square.webp/", "/"]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    before = {url: client.get(url) for url in urls}
    assert all(response.status_code == 200 for response in before.values())
    exported = tmp_path / "brand.zip"
    run("export_newsroom", str(exported))

    wipe(media)
    assert client.get("/brand/logo/").status_code == 404
    run("import_newsroom", str(exported))

    assert Newsroom.load().accent_color == "#5a2d82"
    for url, response in before.items():
        after = client.get(url)
        assert after.status_code == 200, url
        assert same_content(after) == same_content(response), url


def test_an_archive_with_a_colour_that_is_not_one_is_refused(tmp_path):
    NewsroomFactory()
    exported = tmp_path / "colour.zip"
    run("export_newsroom", str(exported))
    data, files = archive_contents(exported)
    data["newsroom"]["accent_color"] = "red;}/*"  # as long as a colour, and not one
    crafted = tmp_path / "crafted.zip"
    with zipfile.ZipFile(crafted, "w") as archive:
        archive.writestr("newsroom.json", json.dumps(data))
        for name, content in files.items():
            archive.writestr(name, content)
    Newsroom.objects.all().delete()

    with pytest.raises(CommandError, match="accent_color"):
        run("import_newsroom", str(crafted))
    assert not Newsroom.objects.exists()


def same_content(response):
    """The body, less what differs on every request (CSRF tokens, CSP nonces, the sign-up form's stamp)."""
    return re.sub(rb'(name="(?:csrfmiddlewaretoken|stamp)" value=|nonce=)"[^"]*"', rb"\1", b"".join(response))


def test_the_archive_holds_the_documented_sections(tmp_path):
    objects = newsroom_everything()
    path = tmp_path / "export.zip"

    run("export_newsroom", str(path), "--with-subscribers")

    data, files = archive_contents(path)
    assert data["format"] == "pressroom-export"
    assert data["version"] == 2
    assert set(data) == {
        "format", "version", "exported_at", "newsroom", "topics", "contacts", "translation_groups",
        "releases", "announcements", "subscribers", "suppressions", "journalists", "press_lists",
    }  # fmt: skip
    release = next(item for item in data["releases"] if item["id"] == objects["published"].pk)
    assert release["slug"] == "soknad-pa-en-side"
    assert release["status"] == "published"
    assert release["first_published_at"] == objects["published"].first_published_at.isoformat()
    assert [contact["order"] for contact in release["contacts"]] == [0, 1]
    assert release["mailings"][0]["status"] == "done"
    assert release["corrections"][0]["note"] == "Tallet er rettet."
    assert "created_by" not in release["corrections"][0]
    assert release["stats"] == [{"day": "2025-01-02", "metric": "view", "count": 7}]
    assert all(f"files/{attachment['file']}" in files for attachment in release["attachments"])
    translation = next(item for item in data["releases"] if item["id"] == objects["translation"].pk)
    original = next(item for item in data["releases"] if item["id"] == objects["published"].pk)
    assert translation["translation_group"] == original["translation_group"] is not None
    assert data["translation_groups"] == [{"id": translation["translation_group"], "created_at": ANY}]
    [subscriber, _] = data["subscribers"]
    assert subscriber["consent_method"] == "form"
    assert subscriber["consent_source"] == "https://presse.imdi.no/"
    assert subscriber["token"] == Subscriber.objects.get(email="leser@example.no").token
    assert data["press_lists"][0]["members"][0]["journalist"] == Journalist.objects.get().pk


def test_without_subscribers_no_personal_lists_are_exported(tmp_path, media):
    newsroom_everything()
    path = tmp_path / "export.zip"
    run("export_newsroom", str(path))

    data, _files = archive_contents(path)
    assert (data["subscribers"], data["suppressions"], data["journalists"], data["press_lists"]) == (
        None,
    ) * 4

    wipe(media)
    run("import_newsroom", str(path))
    assert Release.objects.count() == 5
    assert Subscriber.objects.count() == Journalist.objects.count() == 0


def test_new_rows_after_an_import_get_fresh_ids(tmp_path, media):
    objects = newsroom_everything()
    path = tmp_path / "export.zip"
    run("export_newsroom", str(path))
    wipe(media)
    run("import_newsroom", str(path))

    release = ReleaseFactory()
    topic = TopicFactory()
    attachment = AttachmentFactory(release=release, pdf=True)

    assert release.pk > objects["translation"].pk
    assert topic.pk > 3
    assert attachment.pk > max(Attachment.objects.exclude(pk=attachment.pk).values_list("pk", flat=True))


def test_an_in_flight_mailing_arrives_cancelled(tmp_path, media):
    release = ReleaseFactory(published=True)
    Mailing.objects.create(release=release, status=Mailing.Status.SENDING)
    path = tmp_path / "export.zip"
    run("export_newsroom", str(path))
    wipe(media)

    run("import_newsroom", str(path))

    assert Mailing.objects.get().status == Mailing.Status.CANCELLED


def test_an_import_into_an_installation_with_content_is_refused(tmp_path):
    newsroom_everything()
    path = tmp_path / "export.zip"
    run("export_newsroom", str(path))

    with (
        translation.override("en"),
        pytest.raises(CommandError, match=r"This installation is not empty \(3 topics, 2 press contacts"),
    ):
        run("import_newsroom", str(path))


def test_a_dry_run_checks_everything_and_writes_nothing(tmp_path, media):
    newsroom_everything()
    path = tmp_path / "export.zip"
    run("export_newsroom", str(path), "--with-subscribers")
    wipe(media)

    output = run("import_newsroom", str(path), "--dry-run")

    assert "Dry run: 3 topics, 2 contacts, 5 releases" in output
    assert "Nothing was written." in output
    assert Release.objects.count() == Topic.objects.count() == Subscriber.objects.count() == 0
    assert not Newsroom.objects.exists()
    assert list(media.rglob("*.*")) == []


def rewrite(path, change):
    """The archive at PATH with its newsroom.json changed by CHANGE(data) and files dropped as it says."""
    data, files = archive_contents(path)
    drop = change(data) or ()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("newsroom.json", json.dumps(data))
        for name, content in files.items():
            if name not in drop:
                archive.writestr(name, content)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda data: data.update(version=3), "has format version 3; this Pressroom reads versions 1, 2"),
        (lambda data: data.update(format="other"), "is not a Pressroom export"),
        (
            lambda data: data["releases"][0]["attachments"][0].update(file="../../etc/passwd"),
            "Refusing the file",
        ),
        (lambda data: data["releases"][0]["attachments"][0].update(file="/etc/passwd"), "Refusing the file"),
        (lambda data: [f"files/{data['releases'][0]['attachments'][0]['file']}"], "The archive lacks files/"),
        (lambda data: data["releases"][0].update(colour="red"), "unknown fields colour"),
        (lambda data: data["releases"][0].pop("topics"), "is not as export_newsroom writes it"),
        (lambda data: data["releases"][0].update(kind="advert"), "newsroom.Release .*kind"),
        (lambda data: data["releases"][0].update(title="x" * 300), "newsroom.Release .*title"),
    ],
)
def test_a_broken_archive_is_refused_and_nothing_is_imported(tmp_path, media, change, message):
    release = ReleaseFactory(published=True)
    AttachmentFactory(release=release, pdf=True)
    path = tmp_path / "export.zip"
    run("export_newsroom", str(path))
    wipe(media)
    rewrite(path, change)

    with pytest.raises(CommandError, match=message):
        run("import_newsroom", str(path))

    assert Release.objects.count() == Attachment.objects.count() == Contact.objects.count() == 0


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    path = tmp_path / "export.zip"
    path.write_text("not a zip")

    with pytest.raises(CommandError, match="Cannot read the archive"):
        run("import_newsroom", str(path))


def test_an_interrupted_import_can_be_run_again(tmp_path, media):
    """Files written before a failure stay; the next import finds them identical and goes on."""
    release = ReleaseFactory(published=True)
    AttachmentFactory(release=release, pdf=True)
    path = tmp_path / "export.zip"
    run("export_newsroom", str(path))
    wipe(media)
    data, files = archive_contents(path)
    for name, content in files.items():
        default_storage.save(name.removeprefix("files/"), ContentFile(content))

    run("import_newsroom", str(path))

    assert Attachment.objects.get().file.read() == next(iter(files.values()))


def test_export_reports_progress_per_section(tmp_path):
    newsroom_everything()
    out = io.StringIO()

    call_command("export_newsroom", str(tmp_path / "x.zip"), stdout=out)

    assert "files: 14/14" in out.getvalue()


def test_collect_writes_every_field_of_a_release():
    """A field added to Release later travels without a change to the exporter (but the users who
    edited and approved it: users do not travel)."""
    release = ReleaseFactory(published=True)

    data = portability.collect()

    [exported] = data["releases"]
    fields = {field.name for field in Release._meta.concrete_fields} - set(portability.RELEASE_REVIEW_FIELDS)
    assert set(exported) == fields | {
        "topics", "contacts", "attachments", "video_links", "mailings", "corrections", "stats"
    }  # fmt: skip
    assert exported["id"] == release.pk


def test_who_edited_and_approved_a_release_does_not_travel(django_user_model):
    from pressroom.newsroom import services

    release = ReleaseFactory()
    services.record_edit(release=release, user=django_user_model.objects.create_user("writer"))
    services.approve_release(release=release, user=django_user_model.objects.create_user("approver"))

    [exported] = portability.collect()["releases"]

    assert not {"last_edited_by", "approved_by", "approved_at"} & set(exported)


def test_a_crafted_archive_cannot_bring_in_scripts(tmp_path, media):
    release = ReleaseFactory(published=True, body="<p>Trygg</p>")
    NewsroomFactory()
    path = tmp_path / "export.zip"
    run("export_newsroom", str(path))
    wipe(media)

    def inject(data):
        data["releases"][0]["body"] = '<p onclick="x()">Hei<script>alert(1)</script></p>'
        data["newsroom"]["about"] = '<a href="javascript:alert(1)">Om oss</a>'

    rewrite(path, inject)
    run("import_newsroom", str(path))

    assert Release.objects.get(pk=release.pk).body == "<p>Hei</p>"
    assert "javascript" not in Newsroom.objects.get().about


def rewrite_archive(path, change):
    """PATH with its newsroom.json passed through CHANGE (the files kept)."""
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    data = json.loads(entries["newsroom.json"])
    change(data)
    entries["newsroom.json"] = json.dumps(data).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)


def test_the_profile_and_contacts_titles_travel_in_every_language(tmp_path, media):
    objects = newsroom_everything()
    Newsroom.objects.filter(pk=1).update(signup_text="Meld deg på.", email_footer="Postboks 1")
    NewsroomTranslation.objects.create(
        newsroom=Newsroom.load(), language="nn", name="Direktoratet", about="<p>Om oss på nynorsk</p>"
    )
    ContactTranslation.objects.create(contact=objects["kari"], language="en", role="Press officer")
    path = tmp_path / "export.zip"
    run("export_newsroom", str(path))
    wipe(media)

    run("import_newsroom", str(path))

    newsroom = Newsroom.load()
    assert (newsroom.signup_text, newsroom.email_footer) == ("Meld deg på.", "Postboks 1")
    assert newsroom.in_language("nn").name == "Direktoratet"
    assert newsroom.in_language("nn").about == "<p>Om oss på nynorsk</p>"
    assert newsroom.in_language("en").role(Contact.objects.get(pk=objects["kari"].pk)) == "Press officer"


def test_translation_groups_travel_with_every_version(tmp_path, media):
    objects = newsroom_everything()
    nynorsk = ReleaseFactory(published=True, language="nn", version_of=objects["published"])
    path = tmp_path / "export.zip"
    run("export_newsroom", str(path))
    wipe(media)

    run("import_newsroom", str(path))

    group = Release.objects.get(pk=objects["published"].pk).translation_group
    assert group is not None
    assert set(group.releases.values_list("pk", flat=True)) == {
        objects["published"].pk, objects["translation"].pk, nynorsk.pk
    }  # fmt: skip


def test_a_version_1_archive_has_its_translation_pairs_made_into_groups(tmp_path, media):
    objects = newsroom_everything()
    path = tmp_path / "export.zip"
    run("export_newsroom", str(path))

    def as_version_1(data):
        data["version"] = 1
        del data["translation_groups"]
        for release in data["releases"]:
            release.pop("translation_group")
            release["translation_of"] = None
        [english] = [release for release in data["releases"] if release["id"] == objects["translation"].pk]
        english["translation_of"] = objects["published"].pk

    rewrite_archive(path, as_version_1)
    wipe(media)
    run("import_newsroom", str(path))

    english = Release.objects.get(pk=objects["translation"].pk)
    assert english.translation_group is not None
    assert (
        english.translation_group_id == Release.objects.get(pk=objects["published"].pk).translation_group_id
    )


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda data: data["translation_groups"].clear(), "is not in the archive"),
        (
            lambda data: [r.update(language="en") for r in data["releases"] if r["translation_group"]],
            "has two versions in 'en'",
        ),
    ],
)
def test_an_archive_with_broken_translation_groups_is_refused_with_a_reason(tmp_path, media, change, message):
    newsroom_everything()
    path = tmp_path / "export.zip"
    run("export_newsroom", str(path))
    rewrite_archive(path, change)
    wipe(media)

    with pytest.raises(CommandError, match=re.escape(message)):
        run("import_newsroom", str(path))
    assert not Release.objects.exists()


def test_videos_travel_with_their_captions_poster_and_video_links(tmp_path, media):
    NewsroomFactory()
    release = ReleaseFactory(published=True)
    video = AttachmentFactory(release=release, video=True, captions_language="en")
    VideoLinkFactory(release=release, provider="vimeo", video_id="76979871", title="Fra konferansen")
    path = tmp_path / "export.zip"
    run("export_newsroom", str(path))
    wipe(media)

    run("import_newsroom", str(path))

    imported = Attachment.objects.get(pk=video.pk)
    assert (imported.kind, imported.captions_language) == ("video", "en")
    assert default_storage.open(imported.captions.name).read() == vtt_bytes()
    assert default_storage.exists(imported.poster.name)
    [link] = Release.objects.get(pk=release.pk).video_links.all()
    assert (link.provider, link.video_id, link.title) == ("vimeo", "76979871", "Fra konferansen")


def test_a_crafted_video_link_is_refused(tmp_path, media):
    NewsroomFactory()
    VideoLinkFactory(release=ReleaseFactory(published=True))
    path = tmp_path / "export.zip"
    run("export_newsroom", str(path))
    wipe(media)

    def inject(data):
        data["releases"][0]["video_links"][0]["video_id"] = 'x"onload=1'

    rewrite(path, inject)
    refused = pytest.raises(CommandError, match=r"VideoLink \d+: This is not a YouTube or Vimeo video")
    with refused, translation.override("en"):
        run("import_newsroom", str(path))
    assert not Release.objects.exists()
