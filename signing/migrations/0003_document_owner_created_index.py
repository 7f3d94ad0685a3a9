"""Indexes for the document lists (PF3): the owner's list and the admin list, both newest first.

(owner, created_at, id) lets the owner's page be read in order from the index with LIMIT; (created_at,
id) does the same for the admin list, whose ties on created_at otherwise force a sort of every row.
Plain SQL (valid on PostgreSQL and SQLite) so the model definition stays as it is.
"""

from django.db import migrations

INDEXES = {
    "signing_document_owner_newest_idx": '"owner_id", "created_at" DESC, "id" DESC',
    "signing_document_newest_idx": '"created_at" DESC, "id" DESC',
}


class Migration(migrations.Migration):
    dependencies = [
        ("signing", "0002_lifecycle"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f'CREATE INDEX "{name}" ON "signing_document" ({columns})',
            reverse_sql=f'DROP INDEX "{name}"',
        )
        for name, columns in INDEXES.items()
    ]
