"""Press kits: one ZIP per published release, with the release as an HTML page, its images in their
original size (without the location they were taken at), its videos with their WebVTT captions beside
them (same name, .vtt, as players look for them), a CREDITS.txt and its documents. Video links (YouTube,
Vimeo) are listed in the page.

A task builds the kit after the publishing transaction commits, and again when the release or its
attachments change (signal receivers below queue it on commit). The kit is cached in the default storage
(S3 when configured) with a fingerprint of what went into it; a kit whose fingerprint no longer matches
the release is never served, so a removed image disappears from the kit at once. The download view goes
through `Release.objects.published()`: before publication there is no kit to be had.
"""

import hashlib
import json
import logging
import shutil
import tempfile
import zipfile

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from pressroom.newsroom.models import Newsroom, Release, ReleaseContact

from .models import PressKit

log = logging.getLogger(__name__)

# Bump when the kit's layout changes, so that every cached kit is rebuilt.
KIT_VERSION = 3
# Formats that are compressed already gain nothing from deflating.
STORED_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/webm"}
SPOOL_BYTES = 16 * 1024 * 1024


def kit_data(release):
    """What goes into RELEASE's kit, as plain data: its fingerprint is the cache key."""
    newsroom = Newsroom.load().in_language(release.language)
    return [
        KIT_VERSION,
        [release.pk, release.slug, release.title, release.lead, release.body, release.language, release.kind],
        release.published_at.isoformat() if release.published_at else None,
        [newsroom.name, newsroom.about, newsroom.website],
        [
            [
                a.pk,
                a.file.name,
                a.kind,
                a.title,
                a.caption,
                a.alt_text,
                a.credit,
                a.licence,
                a.size,
                a.captions.name,
                a.captions_language,
                (a.rendition("original") or {}).get("file") if a.is_image else None,
            ]
            for a in release.attachments.all()
        ],  # fmt: skip
        [[v.provider, v.video_id, v.title] for v in release.video_links.all()],
        [[c.name, c.role, c.email, c.phone] for c in kit_contacts(release)],
    ]


def kit_contacts(release):
    """The release's active contacts, with their titles in the release's language."""
    links = ReleaseContact.objects.filter(release=release, contact__is_active=True).select_related("contact")
    return Newsroom.load().in_language(release.language).contacts(link.contact for link in links)


def fingerprint(release):
    raw = json.dumps(kit_data(release), ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def kit_files(attachments):
    """(attachment, storage name, file name) of the files of ATTACHMENTS that go into the kit. Images go
    as their original size with the location stripped (Attachment.original_without_location); one whose
    renditions the worker has not made yet is left out, and the kit is made again once they are."""
    files = []
    for attachment in attachments:
        if attachment.is_image:
            stored = attachment.original_without_location()
            if stored is not None:
                files.append((attachment, *stored))
        else:
            files.append((attachment, attachment.file.name, attachment.filename))
    return files


def unique_names(files, folder):
    """Archive names in FOLDER for FILES (from kit_files); a second file of the same name gets -2, -3 …"""
    taken, names = set(), []
    for _attachment, _stored, filename in files:
        base, dot, ext = filename.rpartition(".")
        if not dot:
            base, ext = filename, ""
        name, n = filename, 2
        while name in taken:
            name = f"{base}-{n}.{ext}" if ext else f"{base}-{n}"
            n += 1
        taken.add(name)
        names.append(f"{folder}/{name}")
    return names


def write_zip(release, out):
    """Write RELEASE's kit as a ZIP to the binary file OUT."""
    root = release.slug
    images, documents, videos = (
        kit_files(release.images),
        kit_files(release.documents),
        kit_files(release.videos),
    )
    image_names = unique_names(images, "images")
    document_names = unique_names(documents, "documents")
    video_names = unique_names(videos, "videos")
    captions_names = [
        name.rsplit(".", 1)[0] + ".vtt" if video.captions else None
        for (video, _stored, _filename), name in zip(videos, video_names, strict=True)
    ]
    stamp = timezone.localtime(release.published_at or timezone.now()).timetuple()[:6]
    context = {
        "release": release,
        "newsroom": Newsroom.load().in_language(release.language),
        "images": [(image[0], name) for image, name in zip(images, image_names, strict=True)],
        "documents": [(document[0], name) for document, name in zip(documents, document_names, strict=True)],
        "videos": [
            (video[0], name, captions_name)
            for video, name, captions_name in zip(videos, video_names, captions_names, strict=True)
        ],
        "video_links": list(release.video_links.all()),
        "contacts": kit_contacts(release),
        "topics": list(release.topics.all()),
        "release_url": absolute(release.get_absolute_url()),
        "generated_at": timezone.now(),
    }
    with translation.override(release.language):
        html = render_to_string("pressroom/presskit/release.html", context)
        credits = render_to_string("pressroom/presskit/credits.txt", context)
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(_info(f"{root}/{root}.html", stamp, zipfile.ZIP_DEFLATED), html)
        archive.writestr(_info(f"{root}/CREDITS.txt", stamp, zipfile.ZIP_DEFLATED), credits)
        files = [
            (stored, name, attachment.content_type in STORED_TYPES)
            for (attachment, stored, _filename), name in [
                *zip(images, image_names, strict=True),
                *zip(documents, document_names, strict=True),
            ]
        ]
        for video, name, captions_name in context["videos"]:
            files.append((video.file.name, name, True))
            if captions_name:
                files.append((video.captions.name, captions_name, False))
        for stored_name, name, stored in files:
            info = _info(f"{root}/{name}", stamp, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
            with (
                default_storage.open(stored_name, "rb") as source,
                archive.open(info, "w", force_zip64=True) as target,
            ):
                shutil.copyfileobj(source, target, 1024 * 1024)


def absolute(url):
    return settings.SITE_URL + url


def _info(name, stamp, method):
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = method
    info.external_attr = 0o644 << 16
    return info


def build(release_id):
    """Build and store the kit of the release RELEASE_ID unless the stored one is current; return the kit,
    or None when the release is not public."""
    release = (
        Release.objects.published()
        .prefetch_related("attachments", "topics", "video_links")
        .filter(pk=release_id)
        .first()
    )
    if release is None:
        return None
    current = fingerprint(release)
    kit = PressKit.objects.filter(release=release).first()
    if kit is not None and kit.fingerprint == current and default_storage.exists(kit.file.name):
        return kit
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        write_zip(release, spool)
        size = spool.tell()
        spool.seek(0)
        name = default_storage.save(f"presskits/{release.slug}-{current[:12]}.zip", File(spool))
    with transaction.atomic():
        # Serialize builders of one release: the last one to get here keeps its file only if it is newer.
        Release.objects.select_for_update().filter(pk=release.pk).first()
        kit = PressKit.objects.filter(release=release).first()
        if kit is not None and kit.fingerprint == current and default_storage.exists(kit.file.name):
            transaction.on_commit(lambda: default_storage.delete(name))
            return kit
        old = kit.file.name if kit is not None else None
        kit, _created = PressKit.objects.update_or_create(
            release=release,
            defaults={"file": name, "fingerprint": current, "size": size, "built_at": timezone.now()},
        )
        if old and old != name:
            transaction.on_commit(lambda: default_storage.delete(old))
    log.info("press kit of release %s built: %s (%s bytes)", release.pk, name, size)
    return kit


def current_kit(release):
    """The kit of the public RELEASE, built now if the cached one is missing or out of date."""
    kit = PressKit.objects.filter(release=release).first()
    if kit is not None and kit.fingerprint == fingerprint(release) and default_storage.exists(kit.file.name):
        return kit
    return build(release.pk)
