"""Translation groups replace the one-to-one translation_of: a release and its translation become one
group. A chain (C a translation of B, B of A) becomes one group; a version whose language is already in
its group (which the one-to-one link allowed) is left out of it rather than lose the migration."""

import django.db.models.deletion
from django.db import migrations, models


def pairs_to_groups(apps, schema_editor):
    Release = apps.get_model("newsroom", "Release")
    TranslationGroup = apps.get_model("newsroom", "TranslationGroup")
    group_of = {}  # release id -> group id
    languages = {}  # group id -> {language: release id}
    pairs = Release.objects.filter(translation_of__isnull=False).order_by("pk")
    for pk, language, original_pk, original_language in pairs.values_list(
        "pk", "language", "translation_of", "translation_of__language"
    ):
        group = group_of.get(original_pk) or group_of.get(pk)
        if group is None:
            group = TranslationGroup.objects.create().pk
            languages[group] = {}
        for member, member_language in ((original_pk, original_language), (pk, language)):
            if member in group_of:
                continue
            if member_language in languages[group]:
                continue
            languages[group][member_language] = member
            group_of[member] = group
    for group, members in languages.items():
        Release.objects.filter(pk__in=members.values()).update(translation_group=group)


def groups_to_pairs(apps, schema_editor):
    Release = apps.get_model("newsroom", "Release")
    for group in Release.objects.exclude(translation_group=None).values_list("translation_group", flat=True).distinct():
        members = list(Release.objects.filter(translation_group=group).order_by("pk"))
        for member in members[1:2]:  # one-to-one: the first two versions only
            member.translation_of = members[0]
            member.save(update_fields=["translation_of"])


class Migration(migrations.Migration):
    dependencies = [
        ("newsroom", "0004_review_permissions"),
    ]

    operations = [
        migrations.CreateModel(
            name="TranslationGroup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"verbose_name": "translation group", "verbose_name_plural": "translation groups"},
        ),
        migrations.AddField(
            model_name="release",
            name="translation_group",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="releases",
                to="newsroom.translationgroup",
                verbose_name="translation group",
            ),
        ),
        migrations.RunPython(pairs_to_groups, groups_to_pairs),
        migrations.RemoveField(model_name="release", name="translation_of"),
        migrations.AddConstraint(
            model_name="release",
            constraint=models.UniqueConstraint(
                fields=("translation_group", "language"), name="release_one_version_per_language"
            ),
        ),
    ]
