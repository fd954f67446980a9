"""Export a whole newsroom to one ZIP, and import such a ZIP into an empty installation.

The archive holds `newsroom.json` (the format is described in docs/api.md) and every uploaded file under
`files/<storage name>`. Ids, slugs and file names are kept, so that every address stays the same after a
move: release pages, file downloads (`/files/<id>/<name>`), renditions, vCards, and the links in emails
already sent (subscribers keep their tokens).

Every concrete field of each model is written, so a field added later travels without a change here;
an import writes rows as Django's `loaddata` does (raw saves), so times, sanitized bodies, slugs and
renditions come back exactly as they were rather than being made again.
"""

import json
import posixpath
import shutil
import uuid
import zipfile
from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from pressroom.analytics.models import ReleaseStat
from pressroom.newsroom import renditions, search
from pressroom.newsroom.models import (
    Attachment,
    Contact,
    ContactTranslation,
    Newsroom,
    NewsroomTranslation,
    Release,
    ReleaseContact,
    Topic,
    TranslationGroup,
    VideoLink,
)
from pressroom.newsroom.richtext import sanitize_html
from pressroom.ops import accountability
from pressroom.press.models import Announcement, Correction, Journalist, PressList, PressListMember
from subscriptions.models import Mailing, Subscriber, Suppression

FORMAT = "pressroom-export"
VERSION = 2
# Version 1 linked a release to the one it translated (`translation_of`); version 2 has translation
# groups. Both are read: version 1's pairs become groups.
READABLE_VERSIONS = (1, 2)
JSON_NAME = "newsroom.json"
FILES_DIR = "files/"
# A mailing caught mid-send cannot resume without its per-recipient ledger, which is not exported; it
# arrives cancelled rather than being started again by the sweeper, which would send it to everyone.
FINISHED_MAILING = {Mailing.Status.DONE, Mailing.Status.CANCELLED}


class PortabilityError(Exception):
    """The archive cannot be imported (or written); the message says why and what to do."""


def _noop(section, done, total):
    pass


# Values: every concrete field, by name, in JSON terms.


def dump(obj, exclude=()):
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        value = getattr(obj, field.attname)
        if isinstance(field, models.FileField):
            value = value.name or None
        elif isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat()
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, uuid.UUID):
            value = str(value)
        data[field.name] = value
    return data


def build(model, data, exclude=()):
    """An unsaved MODEL instance from DUMP()'s output; unknown keys are an error, missing ones defaults."""
    fields = {field.name: field for field in model._meta.concrete_fields if field.name not in exclude}
    unknown = set(data) - set(fields) - set(exclude)
    if unknown:
        raise PortabilityError(
            f"{model._meta.label}: unknown fields {', '.join(sorted(unknown))}. The archive was made by a "
            "newer Pressroom: upgrade this installation first."
        )
    obj = model()
    for name, value in data.items():
        if name in exclude:
            continue
        field = fields[name]
        if value is not None and isinstance(field, models.DateTimeField):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(field, models.DateField):
            value = date.fromisoformat(value)
        elif isinstance(field, models.FileField):
            value = value or ""
        setattr(obj, field.attname, value)
    return validated(obj)


RICH_TEXT_FIELDS = {Newsroom: "about", NewsroomTranslation: "about", Release: "body"}
# Who last edited and who approved a release are users of this installation, and users do not travel: an
# imported release is approved again where it lands.
RELEASE_REVIEW_FIELDS = ("last_edited_by", "approved_by", "approved_at")


def validated(obj):
    """OBJ as the admin would accept it: an archive is input like any other (it may have been edited or
    crafted). Rich text is sanitized again; addresses, URLs, choices and lengths are checked."""
    if name := RICH_TEXT_FIELDS.get(type(obj)):
        setattr(obj, name, sanitize_html(getattr(obj, name)))
    skip = [f.name for f in obj._meta.concrete_fields if f.is_relation or isinstance(f, models.FileField)]
    try:
        obj.clean_fields(exclude=skip)
    except ValidationError as exc:
        raise PortabilityError(f"{obj._meta.label} {obj.pk}: {exc.message_dict}") from None
    return obj


def file_fields(obj):
    return [
        getattr(obj, field.name) for field in obj._meta.concrete_fields if isinstance(field, models.FileField)
    ]


# Export


def _by_release(queryset, exclude):
    found = {}
    for obj in queryset:
        found.setdefault(obj.release_id, []).append(dump(obj, exclude=exclude))
    return found


def newsroom_dump(newsroom):
    """The profile with its texts in the other languages."""
    translations = [dump(t, exclude=["id", "newsroom"]) for t in newsroom.translations.all()]
    return {**dump(newsroom), "translations": translations}


def collect(*, with_subscribers=False):
    """The newsroom as the JSON-ready dict of newsroom.json (without `exported_at`)."""
    newsroom = Newsroom.objects.filter(pk=1).first()
    mailings = _by_release(Mailing.objects.order_by("pk"), ["id", "release"])
    # Who made a correction is a user of this installation; users do not travel.
    corrections = _by_release(Correction.objects.order_by("pk"), ["id", "release", "created_by"])
    stats = _by_release(ReleaseStat.objects.order_by("day", "metric"), ["id", "release"])
    releases = []
    queryset = Release.objects.order_by("pk").prefetch_related(
        "topics",
        models.Prefetch("attachments", queryset=Attachment.objects.order_by("pk")),
        models.Prefetch("video_links", queryset=VideoLink.objects.order_by("pk")),
        models.Prefetch("release_contacts", queryset=ReleaseContact.objects.order_by("order", "contact_id")),
    )
    for release in queryset:
        data = dump(release, exclude=RELEASE_REVIEW_FIELDS)
        data["topics"] = sorted(topic.pk for topic in release.topics.all())
        data["contacts"] = [
            {"contact": rc.contact_id, "order": rc.order} for rc in release.release_contacts.all()
        ]
        data["attachments"] = [
            dump(attachment, exclude=["release"]) for attachment in release.attachments.all()
        ]
        data["video_links"] = [dump(link, exclude=["release"]) for link in release.video_links.all()]
        data["mailings"] = mailings.get(release.pk, [])
        data["corrections"] = corrections.get(release.pk, [])
        data["stats"] = stats.get(release.pk, [])
        releases.append(data)
    data = {
        "format": FORMAT,
        "version": VERSION,
        "newsroom": newsroom_dump(newsroom) if newsroom else None,
        "topics": [dump(topic) for topic in Topic.objects.order_by("pk")],
        "contacts": [
            {
                **dump(contact),
                "translations": [dump(t, exclude=["id", "contact"]) for t in contact.translations.all()],
            }
            for contact in Contact.objects.order_by("pk").prefetch_related("translations")
        ],
        "translation_groups": [dump(group) for group in TranslationGroup.objects.order_by("pk")],
        "releases": releases,
        "announcements": [dump(announcement) for announcement in Announcement.objects.order_by("pk")],
        "subscribers": None,
        "suppressions": None,
        "journalists": None,
        "press_lists": None,
    }
    if with_subscribers:
        data["subscribers"] = [
            {**dump(subscriber), "topics": sorted(topic.pk for topic in subscriber.topics.all())}
            for subscriber in Subscriber.objects.order_by("pk").prefetch_related("topics")
        ]
        data["suppressions"] = [
            dump(suppression, exclude=["id"]) for suppression in Suppression.objects.order_by("pk")
        ]
        data["journalists"] = [dump(journalist) for journalist in Journalist.objects.order_by("pk")]
        members = {}
        for member in PressListMember.objects.order_by("journalist_id"):
            members.setdefault(member.press_list_id, []).append(dump(member, exclude=["id", "press_list"]))
        data["press_lists"] = [
            {**dump(press_list), "members": members.get(press_list.pk, [])}
            for press_list in PressList.objects.order_by("pk")
        ]
    return data


def referenced_files(data):
    """Every storage name newsroom.json refers to."""
    names = []
    newsroom = data.get("newsroom") or {}
    names += [newsroom[name] for name in ("logo", "cover") if newsroom.get(name)]
    names += renditions.stored_names(newsroom.get("brand_images") or {})
    for contact in data["contacts"]:
        names += [contact["photo"]] if contact.get("photo") else []
        names += renditions.stored_names(contact.get("photo_renditions") or {})
    for release in data["releases"]:
        for attachment in release["attachments"]:
            names += [
                attachment[name]
                for name in ("file", "web", "thumb", "captions", "poster")
                if attachment.get(name)
            ]
            names += renditions.stored_names(attachment.get("renditions") or {})
    return list(dict.fromkeys(names))


def export_newsroom(target, *, with_subscribers=False, progress=_noop):
    """Write the archive to TARGET (a path or a binary file); return counts of what it holds."""
    data = {
        "exported_at": timezone.now().astimezone(UTC).isoformat(),
        **collect(with_subscribers=with_subscribers),
    }
    names = referenced_files(data)
    missing = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        archive.writestr(JSON_NAME, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
        for done, name in enumerate(names, start=1):
            if not default_storage.exists(name):
                missing.append(name)
                continue
            with default_storage.open(name, "rb") as source, archive.open(FILES_DIR + name, "w") as out:
                shutil.copyfileobj(source, out, 1024 * 1024)
            progress("files", done, len(names))
    result = {**counts(data), "files": len(names) - len(missing), "missing_files": missing}
    accountability.record(
        accountability.EXPORT, kind="newsroom", with_subscribers=with_subscribers, counts=counts(data)
    )
    return result


def counts(data):
    return {
        "topics": len(data["topics"]),
        "contacts": len(data["contacts"]),
        "releases": len(data["releases"]),
        "attachments": sum(len(release["attachments"]) for release in data["releases"]),
        "announcements": len(data.get("announcements") or []),
        "subscribers": len(data.get("subscribers") or []),
        "suppressions": len(data.get("suppressions") or []),
        "journalists": len(data.get("journalists") or []),
        "press_lists": len(data.get("press_lists") or []),
    }


def describe(result):
    """Counts as a sentence for the commands' summaries."""
    labels = [
        ("topics", "topics"), ("contacts", "contacts"), ("releases", "releases"),
        ("attachments", "attachments"), ("announcements", "announcements"), ("files", "files"),
        ("subscribers", "subscribers"), ("suppressions", "suppressed addresses"),
        ("journalists", "journalists"), ("press_lists", "press lists"),
    ]  # fmt: skip
    parts = [f"{result[key]} {label}" for key, label in labels]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


# Import


def existing_content():
    """What this installation already holds, by model name; empty when an import may run."""
    found = {}
    for model in (Topic, Contact, Release, Announcement, Subscriber, Suppression, Journalist, PressList):
        count = model.objects.count()
        if count:
            found[str(model._meta.verbose_name_plural)] = count
    return found


def read_archive(archive):
    try:
        raw = archive.read(JSON_NAME)
    except KeyError:
        raise PortabilityError(
            f"The archive has no {JSON_NAME}: it was not made by export_newsroom."
        ) from None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise PortabilityError(f"{JSON_NAME} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PortabilityError(f"{JSON_NAME} is not a Pressroom export (format {data.get('format')!r}).")
    if data.get("version") not in READABLE_VERSIONS:
        raise PortabilityError(
            f"{JSON_NAME} has format version {data.get('version')!r}; this Pressroom reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))}."
        )
    for key in ("topics", "contacts", "releases"):
        if not isinstance(data.get(key), list):
            raise PortabilityError(f"{JSON_NAME}: “{key}” must be a list.")
    return data


def safe_name(name):
    """NAME if it is a plain relative storage name; an archive must not write outside the media folder."""
    if (
        not isinstance(name, str)
        or not name
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or posixpath.normpath(name) != name
        or name.split("/", 1)[0] == ".."
    ):
        raise PortabilityError(f"Refusing the file name {name!r}: only relative names inside the archive.")
    return name


def restore_file(archive, name, *, dry_run):
    """Put the archive's copy of NAME into storage under the same name (so that addresses stay)."""
    member = FILES_DIR + safe_name(name)
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise PortabilityError(f"The archive lacks {member}, which {JSON_NAME} refers to.") from None
    if dry_run:
        return
    if default_storage.exists(name):
        # Left by an earlier, interrupted import: the same file is fine, a different one is not.
        with default_storage.open(name, "rb") as present, archive.open(info) as incoming:
            if _same_content(present, incoming):
                return
        raise PortabilityError(
            f"{name} already exists in the media folder with other content. Move it away and import again."
        )
    with archive.open(info) as incoming:
        saved = default_storage.save(name, File(incoming, name=posixpath.basename(name)))
    if saved != name:
        raise PortabilityError(f"The storage saved {name} as {saved}; addresses would change.")


def _same_content(a, b, chunk=1024 * 1024):
    while True:
        left, right = a.read(chunk), b.read(chunk)
        if left != right:
            return False
        if not left:
            return True


def import_newsroom(source, *, dry_run=False, progress=_noop):
    """Restore the archive at SOURCE (a path or a binary file) into this empty installation.

    Everything happens in one transaction; with DRY_RUN it is rolled back and no file is written, so
    a dry run checks the archive as thoroughly as an import does."""
    existing = existing_content()
    if existing:
        summary = ", ".join(f"{count} {name}" for name, count in existing.items())
        raise PortabilityError(
            f"This installation is not empty ({summary}). Import into a new, migrated database: "
            "an import keeps ids and addresses, which would collide with what is here."
        )
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PortabilityError(f"Cannot read the archive: {exc}") from None
    with archive:
        data = read_archive(archive)
        try:
            with transaction.atomic():
                result = _restore(archive, data, dry_run=dry_run, progress=progress)
                if dry_run:
                    transaction.set_rollback(True)
                else:
                    accountability.record(accountability.IMPORT, kind="newsroom", counts=counts(data))
        except (KeyError, TypeError, ValueError, AttributeError, DatabaseError) as exc:
            raise PortabilityError(f"{JSON_NAME} is not as export_newsroom writes it: {exc!r}") from None
    return result


def _restore(archive, data, *, dry_run, progress):
    for name in referenced_files(data):
        safe_name(name)

    if data.get("newsroom"):
        newsroom = build(Newsroom, data["newsroom"], exclude=["translations"])
        _restore_files(archive, newsroom, dry_run)
        for name in renditions.stored_names(newsroom.brand_images):
            restore_file(archive, name, dry_run=dry_run)
        Newsroom.objects.filter(pk=newsroom.pk).delete()
        newsroom.save_base(raw=True, force_insert=True)
        # Archives before the translated profile have none.
        for row in data["newsroom"].get("translations", []):
            translation = build(NewsroomTranslation, row)
            translation.newsroom = newsroom
            translation.save()

    for done, row in enumerate(data["topics"], start=1):
        build(Topic, row).save_base(raw=True, force_insert=True)
        progress("topics", done, len(data["topics"]))

    for done, row in enumerate(data["contacts"], start=1):
        contact = build(Contact, row, exclude=["translations"])
        _restore_files(archive, contact, dry_run)
        for name in renditions.stored_names(contact.photo_renditions):
            restore_file(archive, name, dry_run=dry_run)
        contact.save_base(raw=True, force_insert=True)
        for item in row.get("translations", []):
            translation = build(ContactTranslation, item)
            translation.contact = contact
            translation.save()
        progress("contacts", done, len(data["contacts"]))

    # Groups are left behind by deleted releases; with no release here (see existing_content) they are
    # empty, and their ids would collide with the archive's.
    TranslationGroup.objects.filter(releases__isnull=True).delete()
    groups = [build(TranslationGroup, row) for row in data.get("translation_groups") or []]
    check_translation_groups(data["releases"], {group.pk for group in groups})
    for group in groups:
        group.save_base(raw=True, force_insert=True)

    nested = (
        "topics", "contacts", "attachments", "video_links", "mailings", "corrections", "stats",
        "translation_of",
    )  # fmt: skip
    translations = {}
    for done, row in enumerate(data["releases"], start=1):
        release = build(Release, row, exclude=(*nested, *RELEASE_REVIEW_FIELDS))
        if row.get("translation_of") is not None:
            # Version 1: made into groups after every release exists (a translation may point to a later one).
            translations[release.pk] = row["translation_of"]
        release.save_base(raw=True, force_insert=True)
        release.topics.set(row["topics"])
        ReleaseContact.objects.bulk_create(
            ReleaseContact(release=release, contact_id=item["contact"], order=item["order"])
            for item in row["contacts"]
        )
        for item in row["attachments"]:
            attachment = build(Attachment, item, exclude=["release"])
            attachment.release = release
            _restore_files(archive, attachment, dry_run)
            for name in renditions.stored_names(attachment.renditions):
                restore_file(archive, name, dry_run=dry_run)
            attachment.save_base(raw=True, force_insert=True)
        # Archives from before video links have none.
        for item in row.get("video_links") or []:
            link = build(VideoLink, item, exclude=["release"])
            link.release = release
            try:
                link.clean()  # only a YouTube or Vimeo id ever reaches a page's player
            except ValidationError as exc:
                raise PortabilityError(f"{VideoLink._meta.label} {link.pk}: {exc.messages[0]}") from None
            link.save_base(raw=True, force_insert=True)
        for item in row["mailings"]:
            mailing = build(Mailing, item, exclude=["id", "release"])
            mailing.release = release
            if mailing.status not in FINISHED_MAILING:
                mailing.status = Mailing.Status.CANCELLED
            mailing.save_base(raw=True, force_insert=True)
        for item in row.get("corrections", []):
            correction = build(Correction, item, exclude=["id", "release", "created_by"])
            correction.release = release
            correction.save_base(raw=True, force_insert=True)
        for item in row.get("stats", []):
            stat = build(ReleaseStat, item, exclude=["id", "release"])
            stat.release = release
            stat.save_base(raw=True, force_insert=True)
        progress("releases", done, len(data["releases"]))
    pairs_to_groups(translations)
    # Raw saves are not indexed (their files and contacts came after them): the search index is built here.
    search.index_releases(Release.objects.all())

    for row in data.get("announcements") or []:
        build(Announcement, row).save_base(raw=True, force_insert=True)

    subscribers = data.get("subscribers") or []
    for done, row in enumerate(subscribers, start=1):
        subscriber = build(Subscriber, row, exclude=["topics"])
        subscriber.save_base(raw=True, force_insert=True)
        subscriber.topics.set(row["topics"])
        progress("subscribers", done, len(subscribers))
    for row in data.get("suppressions") or []:
        build(Suppression, row, exclude=["id"]).save_base(raw=True, force_insert=True)
    for row in data.get("journalists") or []:
        build(Journalist, row).save_base(raw=True, force_insert=True)
    for row in data.get("press_lists") or []:
        press_list = build(PressList, row, exclude=["members"])
        press_list.save_base(raw=True, force_insert=True)
        for item in row["members"]:
            member = build(PressListMember, item, exclude=["id", "press_list"])
            member.press_list = press_list
            member.save_base(raw=True, force_insert=True)

    _reset_sequences()
    return {**counts(data), "files": len(referenced_files(data))}


def check_translation_groups(releases, group_ids):
    """Every group a release names is in the archive, with one release per language."""
    languages = set()
    for row in releases:
        group = row.get("translation_group")
        if group is None:
            continue
        if group not in group_ids:
            raise PortabilityError(
                f"Release {row.get('id')}: translation group {group} is not in the archive."
            )
        if (group, row.get("language")) in languages:
            language = row.get("language")
            raise PortabilityError(
                f"Release {row.get('id')}: translation group {group} has two versions in {language!r}."
            )
        languages.add((group, row.get("language")))


def pairs_to_groups(translations):
    """Version 1's {release id: id of the release it translates} as translation groups. A version whose
    language its group already has stays on its own, as the migration to groups did."""
    for pk, original_pk in translations.items():
        original = Release.objects.filter(pk=original_pk).first()
        if original is None:
            raise PortabilityError(
                f"Release {pk} translates release {original_pk}, which is not in the archive."
            )
        if original.translation_group_id is None:
            original.translation_group = TranslationGroup.objects.create()
            Release.objects.filter(pk=original.pk).update(translation_group=original.translation_group)
        release = Release.objects.get(pk=pk)
        taken = Release.objects.filter(
            translation_group=original.translation_group_id, language=release.language
        )
        if not taken.exclude(pk=pk).exists():
            Release.objects.filter(pk=pk).update(translation_group=original.translation_group_id)


def _restore_files(archive, obj, dry_run):
    for field_file in file_fields(obj):
        if field_file.name:
            restore_file(archive, field_file.name, dry_run=dry_run)


def _reset_sequences():
    """Rows came in with their ids: move PostgreSQL's id sequences past them (a no-op on SQLite)."""
    statements = connection.ops.sequence_reset_sql(
        no_style(),
        [
            Newsroom, Topic, Contact, TranslationGroup, Release, ReleaseContact, Attachment, VideoLink,
            Mailing, Correction, ReleaseStat, Announcement, Subscriber, Suppression, Journalist, PressList,
            PressListMember,
        ],
    )  # fmt: skip
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
