"""The roles' rights to the newsroom profile's and the contacts' texts in other languages (roles.py)."""

from django.db import migrations

from pressroom.workspace.roles import sync_roles


def give_permissions(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0002_roles"),
        ("newsroom", "0007_profile_translations"),
    ]

    operations = [migrations.RunPython(give_permissions, migrations.RunPython.noop)]
