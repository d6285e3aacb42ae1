from django.db import migrations, models


class Migration(migrations.Migration):
    """Cash received per week (the cash forecast's past weeks) off an index, not a scan of every payment."""

    dependencies = [("receivables", "0004_allocation_by_date")]

    operations = [
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["received_date"], include=("amount", "currency", "method"),
                               name="payment_by_date"),
        ),
    ]
