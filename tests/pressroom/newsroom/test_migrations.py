"""The migration from the one-to-one `translation_of` to translation groups keeps every pair, and the
content hashes of files uploaded before there were any, on the database the suite runs on (SQLite or
PostgreSQL)."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("newsroom", "0004_review_permissions")]
AFTER = [("newsroom", "0005_lang_groups")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps(transactional_db):
    apps = migrate(BEFORE)
    yield apps
    # Back to the latest state for the tests that follow.
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


def test_translation_pairs_become_groups_and_a_chain_one_group(old_apps):
    Release = old_apps.get_model("newsroom", "Release")
    now = timezone.now()

    def release(slug, language, translation_of=None):
        return Release.objects.create(
            title=slug, slug=slug, language=language, status="published", published_at=now,
            translation_of=translation_of,
        )  # fmt: skip

    bokmal = release("bosetting", "nb")
    english = release("settlement", "en", bokmal)
    alone = release("alene", "nb")
    chain_start = release("kjede", "nb")
    chain_middle = release("chain", "en", chain_start)
    chain_end = release("kjede-nn", "nn", chain_middle)
    # The one-to-one link allowed two versions in one language; the second stays on its own.
    twin_original = release("tvilling", "nb")
    twin_translation = release("twin", "en", twin_original)
    twin_again = release("tvilling-2", "nb", twin_translation)

    new_apps = migrate(AFTER)

    Release = new_apps.get_model("newsroom", "Release")

    def group(obj):
        return Release.objects.get(pk=obj.pk).translation_group_id

    assert group(bokmal) == group(english) is not None
    assert group(alone) is None
    assert group(chain_start) == group(chain_middle) == group(chain_end) is not None
    assert group(chain_start) != group(bokmal)
    assert group(twin_original) == group(twin_translation) is not None
    assert group(twin_again) is None
    assert new_apps.get_model("newsroom", "TranslationGroup").objects.count() == 3


@pytest.fixture
def unhashed_apps(transactional_db):
    apps = migrate([("newsroom", "0008_video")])
    yield apps
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


def test_files_uploaded_before_content_hashes_get_theirs(unhashed_apps):
    Release = unhashed_apps.get_model("newsroom", "Release")
    Attachment = unhashed_apps.get_model("newsroom", "Attachment")
    release = Release.objects.create(title="Gammel", slug="gammel", language="nb", status="draft")
    content = b"%PDF-1.4 lastet opp for lenge siden"
    name = default_storage.save("attachments/for-hashen/rapport.pdf", ContentFile(content))
    stored = Attachment.objects.create(
        release=release, file=name, kind="document", content_type="application/pdf"
    )
    missing = Attachment.objects.create(
        release=release, file="attachments/borte/rapport.pdf", kind="document", content_type="application/pdf"
    )

    Attachment = migrate([("newsroom", "0009_attachment_sha256")]).get_model("newsroom", "Attachment")

    assert Attachment.objects.get(pk=stored.pk).sha256 == hashlib.sha256(content).hexdigest()
    assert Attachment.objects.get(pk=missing.pk).sha256 == ""
