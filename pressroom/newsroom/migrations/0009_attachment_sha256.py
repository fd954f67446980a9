import hashlib

from django.core.files.storage import default_storage
from django.db import migrations, models


def hash_stored_files(apps, schema_editor):
    """The content hash of every attachment uploaded before there was one, so that the media bank lists
    an asset once. Files missing from storage keep an empty hash (each is then an asset of its own)."""
    Attachment = apps.get_model("newsroom", "Attachment")
    for attachment in Attachment.objects.filter(sha256="").exclude(file="").only("pk", "file").iterator():
        if not default_storage.exists(attachment.file.name):
            continue
        digest = hashlib.sha256()
        with default_storage.open(attachment.file.name, "rb") as stored:
            for chunk in iter(lambda: stored.read(1024 * 1024), b""):
                digest.update(chunk)
        Attachment.objects.filter(pk=attachment.pk).update(sha256=digest.hexdigest())


class Migration(migrations.Migration):
    dependencies = [
        ("newsroom", "0008_video"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="sha256",
            field=models.CharField(
                blank=True, db_index=True, editable=False, max_length=64, verbose_name="content hash"
            ),
        ),
        migrations.RunPython(hash_stored_files, migrations.RunPython.noop),
    ]
