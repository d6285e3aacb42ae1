"""The audit trail is append-only, enforced by the database (UPDATE and DELETE raise)."""

from django.db import migrations

from o2c.dbtriggers import append_only


class Migration(migrations.Migration):
    dependencies = [("o2c", "0001_initial")]
    operations = [append_only("o2c_auditevent")]
