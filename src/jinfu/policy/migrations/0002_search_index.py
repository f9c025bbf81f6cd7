"""Chinese full-text search: jieba tokens (space-joined, in Policy.search_tokens) indexed per backend.

SQLite: an FTS5 virtual table ``policy_fts`` (rowid = policy id) that services keep in sync.
PostgreSQL: a GIN index on ``to_tsvector('simple', search_tokens)``. Other backends: no index (the
selector falls back to a substring match)."""

from django.db import migrations


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("CREATE VIRTUAL TABLE IF NOT EXISTS policy_fts USING fts5(tokens)")
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS policy_search_gin ON policy_policy "
            "USING GIN (to_tsvector('simple', search_tokens))"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS policy_fts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS policy_search_gin")


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
