"""The media page: /media/ and an asset's page over as many releases as the pages phase, each release with
an image (every tenth the same asset, as when one photo is reused), served by gunicorn from the page cache
(BENCH_ONLY=media, results in media.json; also part of the full run).

One real image is uploaded and its renditions made; the other attachments point at its file and
renditions, as reused assets do, so seeding stays fast whatever the number of releases."""

import io
import json
import time

from django.db import connection

from . import pages


def seed_attachments(asset):
    """An image attachment for every benchmark release that has none, pointing at ASSET's file: every
    tenth release's is the same asset as ASSET, the others each an asset of their own."""
    from pressroom.newsroom.models import Attachment, Release

    table, releases = Attachment._meta.db_table, Release._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (release_id, file, kind, title, caption, alt_text, credit, licence, "  # noqa: S608
            "content_type, sha256, size, width, height, web, thumb, thumbnail, focal_x, focal_y, renditions, "
            '"order", created_at, captions, captions_language, poster, people_shown, consent) '
            "SELECT r.id, %s, 'image', 'Bilde ' || r.id, 'Bildetekst.', 'Et bilde.', 'Foto: Bench', "
            "'CC BY 4.0', %s, CASE WHEN r.id %% 10 = 0 THEN %s ELSE md5(r.slug) || md5(r.slug || '.') END, "
            "%s, %s, %s, %s, %s, 'contain', 0.5, 0.5, %s::jsonb, 0, now(), '', '', '', false, '' "
            f"FROM {releases} r WHERE r.slug LIKE 'pressemelding-%%' "
            f"AND NOT EXISTS (SELECT 1 FROM {table} a WHERE a.release_id = r.id)",
            [asset.file.name, asset.content_type, asset.sha256, asset.size, asset.width, asset.height,
             asset.web.name, asset.thumb.name, json.dumps(asset.renditions)],
        )  # fmt: skip
        cursor.execute(f"ANALYZE {table}")


def upload_asset():
    """One JPEG on the newest benchmark release, its renditions made here."""
    from django.core.files.base import ContentFile
    from PIL import Image

    from pressroom.newsroom.models import Attachment, Release

    release = Release.objects.get(slug="pressemelding-1")
    existing = release.attachments.exclude(renditions={}).first()
    if existing is not None:
        return existing
    out = io.BytesIO()
    Image.new("RGB", (2400, 1600), (40, 90, 160)).save(out, "JPEG", quality=85)
    asset = Attachment(release=release, file=ContentFile(out.getvalue(), "bench.jpg"), title="Benk",
                       alt_text="Et blått bilde.", credit="Foto: Bench", licence="CC BY 4.0")  # fmt: skip
    asset.save()
    asset.make_renditions()
    asset.refresh_from_db()
    return asset


def run(bench):
    from django.core.management import call_command

    from pressroom.newsroom.models import Release

    total = bench.config["releases"]
    if not Release.objects.filter(slug="pressemelding-1").exists():
        pages.seed_releases(1, total)
        call_command("collectstatic", interactive=False, verbosity=0)
    started = time.monotonic()
    asset = upload_asset()
    seed_attachments(asset)
    print(f"   an image on each of {total:,} releases in {time.monotonic() - started:.1f} s", flush=True)
    paths = {"media": "/media/", "asset": asset.get_media_url("nb")}
    rendered, cached = pages.queries_per_page(paths)
    bench.results.setdefault("queries_per_page", {}).update(rendered)
    bench.results["details"].setdefault("queries_per_page_from_the_page_cache", {}).update(cached)
    print(f"   queries per page: {rendered} (from the cache: {cached})", flush=True)
    with pages.serve(bench) as gunicorn:
        for name, path in paths.items():
            pages.load(bench, gunicorn, name, path)
