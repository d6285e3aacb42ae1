"""Writing many rows of one model, each with its own values, in one statement.

Django's `bulk_update()` builds a `CASE WHEN pk = … THEN …` expression per field and row; for the
hundreds of rows a batch of invoices touches, building it costs far more Python than the database
spends on it. `bulk_set()` sends the rows as a typed VALUES list and joins on the primary key.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def bulk_set(objs: Sequence[models.Model], fields: Sequence[str]) -> int:
    """UPDATE each object's row with its current values of `fields`; returns the rows updated."""
    if not objs:
        return 0
    meta = type(objs[0])._meta
    pk = meta.pk
    columns = [meta.get_field(name) for name in fields]
    row = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in (pk, *columns)) + ")"
    params: list[object] = []
    for obj in objs:
        params.append(pk.get_db_prep_value(obj.pk, connection))
        params.extend(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns)
    names = ", ".join(f'"{field.column}"' for field in (pk, *columns))
    sets = ", ".join(f'"{field.column}" = v."{field.column}"' for field in columns)
    sql = (f'UPDATE "{meta.db_table}" AS t SET {sets} FROM (VALUES {", ".join([row] * len(objs))}) AS v({names}) '
           f'WHERE t."{pk.column}" = v."{pk.column}"')
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
