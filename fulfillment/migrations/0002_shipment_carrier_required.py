import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Every shipment has a carrier: scheduling picks one, and shipping and rescheduling rely on it."""

    dependencies = [("fulfillment", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="shipment",
            name="carrier",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="shipments",
                                    to="fulfillment.carrier"),
        ),
    ]
