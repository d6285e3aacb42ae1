"""The stock ledger is append-only, enforced by the database."""

from django.db import migrations

from o2c.dbtriggers import append_only


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]
    operations = [append_only("inventory_stockmove")]
