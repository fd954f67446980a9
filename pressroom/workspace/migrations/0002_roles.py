"""The role groups (Contributor, Editor, Publisher, Administrator) with their permissions (roles.py)."""

from django.db import migrations

from pressroom.workspace.roles import sync_roles


def make_roles(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("newsroom", "0004_review_permissions"),
        ("press", "0003_language_nynorsk"),
        ("api", "0001_initial"),
        ("subscriptions", "0007_language_nynorsk"),
        ("analytics", "0001_initial"),
    ]

    operations = [migrations.RunPython(make_roles, migrations.RunPython.noop)]
