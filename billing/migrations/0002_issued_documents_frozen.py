"""Issued invoices and credit notes, and their lines, cannot change in the database either."""

from django.db import migrations

from o2c.dbtriggers import append_only, frozen_once_issued

PDF_AND_EMAIL = ("pdf", "pdf_sha256", "pdf_rendered_at", "emailed_at", "emailed_to", "updated_at")


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [
        frozen_once_issued("billing_invoice", mutable=("status", "amount_due", "credited_amount", "paid_amount",
                                                       *PDF_AND_EMAIL)),
        frozen_once_issued("billing_invoiceline", mutable=("credited_quantity",),
                           parent=("billing_invoice", "invoice_id")),
        frozen_once_issued("billing_creditnote", mutable=PDF_AND_EMAIL),
        append_only("billing_creditnoteline"),
    ]
