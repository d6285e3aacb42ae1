from django.db import migrations, models


class Migration(migrations.Migration):
    """The collector worklist sums each customer's predictions from an index (customer, currency) that
    carries the amounts and dates (an index-only scan), in place of the index on the customer alone."""

    dependencies = [("insight", "0001_initial")]

    operations = [
        migrations.RemoveIndex(model_name="paymentprediction", name="prediction_customer"),
        migrations.AddIndex(
            model_name="paymentprediction",
            index=models.Index(fields=["customer", "currency"],
                               include=("amount_due", "expected_days_late", "due_date", "predicted_date"),
                               name="prediction_by_customer"),
        ),
    ]
