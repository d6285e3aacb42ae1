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


def frozen_once_issued(
    table: str, *, mutable: tuple[str, ...], parent: tuple[str, str] | None = None,
) -> migrations.RunSQL:
    """A migration operation that freezes the rows of an issued document (`number` set): DELETE is refused,
    and an UPDATE may change only the `mutable` columns (status, amounts kept by payments, PDF, e-mail).

    With `parent=(parent_table, fk_column)` the rows are a document's lines: they freeze when the parent
    is issued, and no line may be added to an issued parent."""
    name = f"{table}_frozen"
    keep = " - ".join(f"'{column}'" for column in mutable) or "'__none__'"
    if parent is None:
        issued_old, issued_new = "OLD.number IS NOT NULL", "FALSE"
    else:
        ptable, fk = parent
        issued_old = f"EXISTS (SELECT 1 FROM {ptable} p WHERE p.id = OLD.{fk} AND p.number IS NOT NULL)"
        issued_new = f"EXISTS (SELECT 1 FROM {ptable} p WHERE p.id = NEW.{fk} AND p.number IS NOT NULL)"
    function = f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF {issued_new} THEN
            RAISE EXCEPTION '% of an issued document cannot be added', TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF {issued_old} THEN
        IF TG_OP = 'DELETE' OR (to_jsonb(NEW) - {keep}) IS DISTINCT FROM (to_jsonb(OLD) - {keep}) THEN
            RAISE EXCEPTION '% is issued and cannot change (% refused)', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'restrict_violation';
        END IF;
    END IF;
    RETURN COALESCE(NEW, OLD);
END $$;
CREATE TRIGGER {name} BEFORE INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}();
"""
    return migrations.RunSQL(function, f"DROP TRIGGER IF EXISTS {name} ON {table}; DROP FUNCTION IF EXISTS {name}();")
