"""Autovacuum visits the signings table after 0.5% of its rows changed, not Django's default 20%.

The retention sweep reads its due ids from a partial index alone (PF4), which only works while the
table's pages are marked all-visible. The open signings it looks for are the rows that change:
postbacks, alerts and renewal claims clear those marks, and with PostgreSQL's default a table of a
million signings waits for 200,000 changes before autovacuum sets them again. With 0.5% it comes
after about 5,000, within minutes, so the hourly sweep meets an index it can read alone.
"""

from django.db import migrations

SCALE_FACTOR = 0.005


def tune(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("signing", "Signing")._meta.db_table)
    schema_editor.execute(f"ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = {SCALE_FACTOR})")


def untune(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("signing", "Signing")._meta.db_table)
    schema_editor.execute(f"ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor)")


class Migration(migrations.Migration):
    dependencies = [
        ("signing", "0012_retention_sweep_indexes"),
    ]

    operations = [migrations.RunPython(tune, untune)]
