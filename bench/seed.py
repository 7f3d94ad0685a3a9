"""Bulk rows for the benchmarks: one ORM-made template row cloned in SQL with generate_series."""

from __future__ import annotations

from django.db import connection


def clone(model, template_pk: int, count: int, overrides: dict[str, str]) -> None:
    """INSERT ``count`` copies of row ``template_pk`` of ``model``; ``overrides`` maps column -> SQL using ``g``.

    ``g`` runs 1..count; columns not overridden keep the template's value.
    """
    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    select = ", ".join(overrides.get(c, f't."{c}"') for c in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    sql = (
        f'INSERT INTO "{table}" ({names}) SELECT {select} '
        f'FROM generate_series(1, %s) AS g CROSS JOIN (SELECT * FROM "{table}" WHERE id = %s) AS t'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, template_pk])
        cursor.execute(f'ANALYZE "{table}"')
