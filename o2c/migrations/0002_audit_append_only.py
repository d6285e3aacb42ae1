"""The audit trail is append-only, enforced by the database (UPDATE and DELETE raise)."""

from django.db import migrations

SQL = """
CREATE FUNCTION o2c_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'o2c_auditevent is append-only (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER o2c_auditevent_append_only BEFORE UPDATE OR DELETE ON o2c_auditevent
    FOR EACH ROW EXECUTE FUNCTION o2c_audit_append_only();
"""
REVERSE = """
DROP TRIGGER IF EXISTS o2c_auditevent_append_only ON o2c_auditevent;
DROP FUNCTION IF EXISTS o2c_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("o2c", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
