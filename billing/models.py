"""Invoices and credit notes with their lines.

A document is a draft until it is issued: issuing draws its gap-free number, fixes the customer
snapshot, dates and amounts, and from then on nothing of it changes (corrections are credit
notes). The PDF is rendered once after issue and stored with its SHA-256.

Exactly once: an automated invoice has a unique `source_key` (the shipment, the order, the customer's
period), and an invoice line a unique shipment line, so a repeated event, task or race adds nothing.
A credit note made from a return has the return as its unique `source_key`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from fulfillment.models import Shipment, ShipmentLine
from inventory.enums import TaxCategory
from inventory.models import Product
from o2c.money import CurrencyField, MoneyField, QuantityField
from orders.models import PERCENT, Customer, SalesOrder, SalesOrderLine

from .enums import CreditNoteOrigin, CreditReason, InvoiceOrigin, InvoiceStatus


class BillingDocument(models.Model):
    """What an invoice and a credit note share: number, customer snapshot, amounts, PDF, e-mail."""

    number = models.CharField(max_length=30, unique=True, null=True, blank=True, editable=False,
                              help_text="Drawn when the document is issued.")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="%(class)ss")
    currency = CurrencyField(editable=False)
    language = models.CharField(max_length=5, editable=False)
    tax_treatment = models.CharField(max_length=16, editable=False)
    customer_name = models.CharField(max_length=200, editable=False)
    customer_address = models.TextField(editable=False)
    customer_country = models.CharField(max_length=2, editable=False)
    customer_vat_id = models.CharField(max_length=20, blank=True, editable=False)
    issue_date = models.DateField(null=True, blank=True, editable=False)
    net_total = MoneyField(default=0, editable=False)
    tax_total = MoneyField(default=0, editable=False)
    gross_total = MoneyField(default=0, editable=False)
    tax_summary = models.JSONField(default=list, editable=False, help_text="[{rate, net, tax}] per rate.")
    notes = models.TextField(blank=True)
    pdf = models.FileField(upload_to="billing/%Y/%m/", blank=True, editable=False)
    pdf_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    pdf_rendered_at = models.DateTimeField(null=True, blank=True, editable=False)
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    emailed_to = models.CharField(max_length=500, blank=True, editable=False)
    issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number or f"Draft {self.pk}"

    @property
    def is_issued(self) -> bool:
        return self.number is not None


class Invoice(BillingDocument):
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT,
                              editable=False)
    origin = models.CharField(max_length=10, choices=InvoiceOrigin.choices, editable=False)
    source_key = models.CharField(max_length=60, null=True, blank=True, unique=True, editable=False,
                                  help_text="What made an automated invoice, e.g. shipment:42; unique.")
    order = models.ForeignKey(SalesOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices",
                              editable=False, help_text="The order, when the invoice is for one order.")
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices",
                                 editable=False, help_text="The shipment, when the invoice is for one shipment.")
    period_start = models.DateField(null=True, blank=True, editable=False)
    period_end = models.DateField(null=True, blank=True, editable=False)
    customer_reference = models.CharField("customer PO reference", max_length=200, blank=True, editable=False)
    payment_term_code = models.CharField(max_length=20, editable=False)
    payment_term_text = models.CharField(max_length=100, editable=False)
    due_date = models.DateField(null=True, blank=True, editable=False)
    discount_percent = models.DecimalField(default=0, editable=False, **PERCENT)
    discount_date = models.DateField(null=True, blank=True, editable=False,
                                     help_text="Paid by this day, the early-payment discount may be deducted.")
    discount_amount = MoneyField(default=0, editable=False)
    payment_reference = models.CharField(max_length=35, blank=True, editable=False,
                                         help_text="Structured creditor reference (ISO 11649 RF…).")
    amount_due = MoneyField(default=0, editable=False, help_text="Gross − credited − paid (receivables pays).")
    credited_amount = MoneyField(default=0, editable=False)
    paid_amount = MoneyField(default=0, editable=False, help_text="Kept by receivables.")
    settled_on = models.DateField(null=True, blank=True, editable=False,
                                  help_text="The day receivables settled it in full (kept by receivables).")

    class Meta:
        ordering = ["-id"]
        indexes = [
            # the open items: aging, balances and the worklist read them off this index alone (index-only)
            models.Index(fields=["customer", "currency", "due_date"], include=["amount_due"], name="invoice_open_items",
                         condition=Q(status__in=["issued", "partially_paid"])),
            models.Index(fields=["status", "issue_date"], name="invoice_status_issued"),
            # days to pay: the invoices settled in a window, read off this index alone
            models.Index(fields=["currency", "settled_on"], include=["customer", "issue_date", "due_date"],
                         name="invoice_settled", condition=Q(status="paid", settled_on__isnull=False)),
            models.Index(fields=["due_date"], name="invoice_open_due", condition=Q(status__in=["issued",
                                                                                                "partially_paid"])),
            models.Index(fields=["pdf_rendered_at"], name="invoice_pdf_pending",
                         condition=Q(number__isnull=False, pdf_sha256="")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_due__gte=0), name="invoice_amount_due_not_negative"),
            models.CheckConstraint(condition=Q(amount_due__lte=F("gross_total")), name="invoice_amount_due_le_gross"),
            models.CheckConstraint(condition=Q(credited_amount__gte=0, paid_amount__gte=0),
                                   name="invoice_credited_paid_not_negative"),
            models.CheckConstraint(condition=Q(status="draft") | Q(number__isnull=False, issue_date__isnull=False,
                                                                   due_date__isnull=False),
                                   name="invoice_issued_has_number_and_dates"),
            models.CheckConstraint(condition=~Q(status="draft") | Q(number__isnull=True),
                                   name="invoice_draft_has_no_number"),
        ]
        permissions = [("issue_invoice", "Can issue invoices and credit notes, and send them")]


class DocumentLine(models.Model):
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=200)
    quantity = QuantityField()
    unit = models.CharField(max_length=10, default="pc")
    unit_price = MoneyField()
    discount_percent = models.DecimalField(default=0, **PERCENT)
    tax_category = models.CharField(max_length=16, choices=TaxCategory.choices)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    net_amount = MoneyField()
    tax_amount = MoneyField()

    class Meta:
        abstract = True
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}: {self.description}"

    @property
    def gross_amount(self) -> Decimal:
        return self.net_amount + self.tax_amount


class InvoiceLine(DocumentLine):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(SalesOrderLine, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="invoice_lines")
    shipment_line = models.ForeignKey(ShipmentLine, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="invoice_lines")
    credited_quantity = QuantityField(default=0, editable=False)

    class Meta(DocumentLine.Meta):
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoiceline_position"),
            # a shipment line is invoiced once, whatever made the invoice
            models.UniqueConstraint(fields=["shipment_line"], name="invoiceline_shipment_line_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="invoiceline_quantity_positive"),
            models.CheckConstraint(condition=Q(credited_quantity__gte=0, credited_quantity__lte=F("quantity")),
                                   name="invoiceline_credited_within_quantity"),
        ]
        indexes = [models.Index(fields=["order_line"], name="invoiceline_order_line")]


class CreditNote(BillingDocument):
    """Issued when created: it lowers its invoice's amount due, or leaves the customer a credit."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    origin = models.CharField(max_length=10, choices=CreditNoteOrigin.choices, editable=False)
    reason = models.CharField(max_length=16, choices=CreditReason.choices)
    source_key = models.CharField(max_length=60, null=True, blank=True, unique=True, editable=False,
                                  help_text="What made an automated credit note, e.g. return:7; unique.")
    applied_amount = MoneyField(default=0, editable=False, help_text="Taken off the invoice's amount due.")
    customer_credit = MoneyField(default=0, editable=False,
                                 help_text="What the invoice no longer owed: a credit for the customer.")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(gross_total__gt=0), name="creditnote_amount_positive"),
            models.CheckConstraint(condition=Q(applied_amount__gte=0, customer_credit__gte=0)
                                   & Q(applied_amount=F("gross_total") - F("customer_credit")),
                                   name="creditnote_applied_plus_credit_is_total"),
            models.CheckConstraint(condition=Q(number__isnull=False), name="creditnote_has_number"),
        ]


class CreditNoteLine(DocumentLine):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(InvoiceLine, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="credit_lines", help_text="Empty: an amount credit.")

    class Meta(DocumentLine.Meta):
        constraints = [
            models.UniqueConstraint(fields=["credit_note", "position"], name="creditnoteline_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="creditnoteline_quantity_positive"),
        ]


class InvoicingQueueItem(models.Model):
    """A shipped (or delivered) shipment of a per-shipment customer, waiting to be invoiced.

    The `shipment.shipped` / `shipment.delivered` subscriber writes it with the event's receipt; the
    `billing.invoice_queued` task takes up to 100 at a time (`FOR UPDATE SKIP LOCKED`, so workers take
    disjoint batches), invoices them in one transaction and deletes them. A burst of shipping is thus
    invoiced in batches within seconds instead of one task per shipment."""

    shipment = models.OneToOneField(Shipment, on_delete=models.CASCADE, related_name="+")
    queued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"shipment {self.shipment_id}"
