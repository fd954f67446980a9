"""The roles' rights to a release's YouTube and Vimeo links, which are part of the release (roles.py)."""

from django.db import migrations

from pressroom.workspace.roles import sync_roles


def give_permissions(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0003_translation_permissions"),
        ("newsroom", "0008_video"),
    ]

    operations = [migrations.RunPython(give_permissions, migrations.RunPython.noop)]
