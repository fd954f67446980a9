# The search index (pressroom/newsroom/search.py): on PostgreSQL a tsvector column with a GIN index and
# pg_trgm over the words; on SQLite an FTS5 table. Existing releases are indexed here.

from django.db import migrations, models

from pressroom.newsroom import search

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE newsroom_release ADD COLUMN search_vector tsvector",
    "CREATE INDEX release_search_vector ON newsroom_release USING gin (search_vector)",
    "CREATE INDEX searchword_trigram ON newsroom_searchword USING gin (word gin_trgm_ops)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS searchword_trigram",
    "ALTER TABLE newsroom_release DROP COLUMN IF EXISTS search_vector",
]
SQLITE = [
    # Stemmed in Python; unicode61 only splits and lowercases. `config` says which stemmer read the row.
    f"CREATE VIRTUAL TABLE {search.FTS_TABLE} USING fts5(title, lead, body, rest, config UNINDEXED, "
    "tokenize = 'unicode61 remove_diacritics 0')",
]
SQLITE_REVERSE = [f"DROP TABLE IF EXISTS {search.FTS_TABLE}"]


def create_index(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in POSTGRES if connection.vendor == "postgresql" else SQLITE:
            cursor.execute(statement)
    Release = apps.get_model("newsroom", "Release")
    releases = (
        Release.objects.using(connection.alias)
        .prefetch_related("attachments", "release_contacts__contact")
        .order_by("pk")
    )
    batch = []
    for release in releases.iterator(chunk_size=500):
        batch.append(search.Document.of(release))
        if len(batch) == 500:
            search.store(batch, using=connection)
            batch = []
    search.store(batch, using=connection)


def drop_index(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in POSTGRES_REVERSE if connection.vendor == "postgresql" else SQLITE_REVERSE:
            cursor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('newsroom', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchWord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('word', models.CharField(max_length=40, unique=True)),
            ],
        ),
        migrations.RunPython(create_index, drop_index),
    ]
