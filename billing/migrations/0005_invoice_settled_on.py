"""The day an invoice was settled in full (kept by receivables), and the trigger that lets it change."""

from django.db import migrations, models

from o2c.dbtriggers import frozen_once_issued

PDF_AND_EMAIL = ("pdf", "pdf_sha256", "pdf_rendered_at", "emailed_at", "emailed_to", "updated_at")


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_open_items_covering_index")]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="settled_on",
            field=models.DateField(blank=True, editable=False, null=True,
                                   help_text="The day receivables settled it in full (kept by receivables)."),
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(condition=models.Q(("settled_on__isnull", False), ("status", "paid")),
                               fields=["currency", "settled_on"], include=("customer", "issue_date", "due_date"),
                               name="invoice_settled"),
        ),
        # the frozen-invoice trigger again, with `settled_on` among the columns receivables may change
        migrations.RunSQL("DROP TRIGGER IF EXISTS billing_invoice_frozen ON billing_invoice;", migrations.RunSQL.noop),
        frozen_once_issued("billing_invoice", mutable=("status", "amount_due", "credited_amount", "paid_amount",
                                                       "settled_on", *PDF_AND_EMAIL)),
    ]
