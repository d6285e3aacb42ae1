"""Database-enforced rules that migrations install (PostgreSQL)."""

from django.db import migrations

_FUNCTION = """
CREATE OR REPLACE FUNCTION o2c_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END $$;
"""


def append_only(table: str) -> migrations.RunSQL:
    """A migration operation that makes `table` refuse UPDATE and DELETE (a ledger, an audit trail)."""
    trigger = f"{table}_append_only"
    return migrations.RunSQL(
        _FUNCTION + f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION o2c_append_only();",
        f"DROP TRIGGER IF EXISTS {trigger} ON {table};",
    )
