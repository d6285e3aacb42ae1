"""Billing API serializers: the shapes in and out. They validate input; the services do the writes.

Conventions (the same as the orders and fulfillment APIs):
- Amounts, quantities and rates are decimals sent and returned as strings; a JSON floating-point
  number is refused (400), an integer is accepted.
- An invoice line is named by its id (`invoice_line`); what it may still be credited is the service's
  rule (billing.services.credit_note_create): its errors come back per line under `details.lines`.
- Issued documents are read-only: only a draft's `notes` change (PATCH); corrections are credit notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from fulfillment.api.serializers import ExactDecimalField, InputQuantity, OrderField
from o2c.api.base import Money, Quantity
from o2c.money import MONEY_DIGITS
from orders.api.serializers import MAX_ID, BuiltOnce, LineListSerializer, TaxSummaryRowSerializer
from orders.pricing import MAX_LINES

from ..enums import OPEN_STATUSES, CreditReason, InvoiceStatus
from ..models import BillingDocument, CreditNote, CreditNoteLine, Invoice, InvoiceLine

MAX_NOTE = 2000
QUANTITY = Quantity()

# --- links ----------------------------------------------------------------------------------------


def document_url(serializer: serializers.Serializer, name: str, document: BillingDocument) -> str | None:
    """An issued document's download (`api:<name>`, e.g. invoice-pdf); None for a draft."""
    if not document.is_issued:
        return None
    return reverse(f"api:{name}", args=[document.pk], request=serializer.context.get("request"))


def is_overdue(invoice: Invoice) -> bool:
    """Open (issued or partially paid) and past its due date (billing.selectors.overdue_q, per row)."""
    return (invoice.status in OPEN_STATUSES and invoice.due_date is not None
            and invoice.due_date < timezone.localdate())


# --- invoices -------------------------------------------------------------------------------------


class InvoiceLineSerializer(BuiltOnce, serializers.ModelSerializer):
    """A line as invoiced: what of which order line, at which price and tax, and how much is credited."""

    sku = serializers.CharField(source="product.sku", read_only=True, allow_null=True)
    order = serializers.IntegerField(source="order_line.order_id", read_only=True, allow_null=True,
                                     help_text="The sales order of the line.")
    order_number = serializers.CharField(source="order_line.order.number", read_only=True, allow_null=True)
    gross_amount = Money(read_only=True, help_text="net_amount + tax_amount.")
    creditable_quantity = serializers.SerializerMethodField(help_text="Still to credit: quantity − credited_quantity.")

    class Meta:
        model = InvoiceLine
        fields = ["id", "position", "product", "sku", "description", "quantity", "unit", "unit_price",
                  "discount_percent", "tax_category", "tax_rate", "net_amount", "tax_amount", "gross_amount",
                  "credited_quantity", "creditable_quantity", "order_line", "order", "order_number",
                  "shipment_line"]
        read_only_fields = fields

    @extend_schema_field(Quantity())
    def get_creditable_quantity(self, line: InvoiceLine) -> str:
        return QUANTITY.to_representation(line.quantity - line.credited_quantity)


class InvoiceCreditNoteSerializer(BuiltOnce, serializers.ModelSerializer):
    """A credit note of the invoice, in short (`GET /credit-notes/{id}/` has its lines)."""

    class Meta:
        model = CreditNote
        fields = ["id", "number", "issue_date", "reason", "origin", "gross_total", "applied_amount",
                  "customer_credit"]
        read_only_fields = fields


class InvoiceListSerializer(BuiltOnce, serializers.ModelSerializer):
    """An invoice without its lines: what a list shows."""

    customer_number = serializers.CharField(source="customer.number", read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField(help_text="Open and past its due date.")
    pdf_url = serializers.SerializerMethodField(help_text="The PDF download; null for a draft.")

    class Meta:
        model = Invoice
        fields = ["id", "number", "status", "origin", "customer", "customer_number", "customer_name", "currency",
                  "order", "order_number", "shipment", "customer_reference", "issue_date", "due_date", "overdue",
                  "net_total", "tax_total", "gross_total", "credited_amount", "paid_amount", "amount_due",
                  "payment_reference", "emailed_at", "created_at", "updated_at", "pdf_url"]
        read_only_fields = fields
        extra_kwargs = {
            "number": {"help_text": "Drawn when the invoice is issued (gap-free); null for a draft."},
            "amount_due": {"help_text": "gross_total − credited (applied) − paid."},
            "customer_name": {"help_text": "As on the invoice (fixed when it was made)."},
            "order": {"help_text": "The order, when the invoice is for one order (a period invoice has several: "
                                   "see its lines)."},
        }

    def get_overdue(self, invoice: Invoice) -> bool:
        return is_overdue(invoice)

    @extend_schema_field(OpenApiTypes.URI)
    def get_pdf_url(self, invoice: Invoice) -> str | None:
        return document_url(self, "invoice-pdf", invoice)


class InvoiceSerializer(InvoiceListSerializer):
    """An invoice with its lines, tax summary, terms, amounts, links and credit notes."""

    shipment_number = serializers.CharField(source="shipment.number", read_only=True, allow_null=True)
    issued_by = serializers.CharField(source="issued_by.username", read_only=True, allow_null=True)
    tax_summary = TaxSummaryRowSerializer(many=True, read_only=True, help_text="Net and tax per rate.")
    pdf_ready = serializers.SerializerMethodField(help_text="The PDF is rendered (after issue, once).")
    facturx_url = serializers.SerializerMethodField(help_text="The Factur-X (CII) XML; null for a draft.")
    ubl_url = serializers.SerializerMethodField(help_text="The UBL (Peppol BIS 3.0) XML; null for a draft.")
    lines = InvoiceLineSerializer(many=True, read_only=True)
    credit_notes = InvoiceCreditNoteSerializer(many=True, read_only=True)

    class Meta(InvoiceListSerializer.Meta):
        fields = [*InvoiceListSerializer.Meta.fields, "shipment_number", "customer_address", "customer_country",
                  "customer_vat_id", "language", "tax_treatment", "period_start", "period_end",
                  "payment_term_code", "payment_term_text", "discount_percent", "discount_date", "discount_amount",
                  "tax_summary", "notes", "issued_at", "issued_by", "emailed_to", "pdf_ready", "pdf_sha256",
                  "pdf_rendered_at", "facturx_url", "ubl_url", "lines", "credit_notes"]
        read_only_fields = fields
        extra_kwargs = {
            **InvoiceListSerializer.Meta.extra_kwargs,
            "discount_percent": {"help_text": "Early-payment discount (skonto) of the payment term."},
            "discount_date": {"help_text": "Paid by this day, `discount_amount` may be deducted."},
            "payment_reference": {"help_text": "ISO 11649 creditor reference (RF…) to quote with the payment."},
        }

    def get_pdf_ready(self, invoice: Invoice) -> bool:
        return bool(invoice.pdf_sha256)

    @extend_schema_field(OpenApiTypes.URI)
    def get_facturx_url(self, invoice: Invoice) -> str | None:
        return document_url(self, "invoice-facturx", invoice)

    @extend_schema_field(OpenApiTypes.URI)
    def get_ubl_url(self, invoice: Invoice) -> str | None:
        return document_url(self, "invoice-ubl", invoice)


class InvoiceQuerySerializer(serializers.Serializer):
    """The filters of the invoice list (billing.selectors.invoice_list)."""

    status = serializers.ChoiceField(choices=InvoiceStatus.choices, required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None,
                                       help_text="true: open invoices past their due date; false: all others.")
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="The customer's id.")
    order = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID,
                                     help_text="The sales order's id (also finds period invoices with its lines).")
    issued_from = serializers.DateField(required=False, help_text="Issued on or after this day.")
    issued_to = serializers.DateField(required=False, help_text="Issued on or before this day.")
    amount_min = serializers.DecimalField(**MONEY_DIGITS, required=False, help_text="Gross total at least this.")
    amount_max = serializers.DecimalField(**MONEY_DIGITS, required=False, help_text="Gross total at most this.")
    search = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                   help_text="Part of the number, the customer's name or the PO reference, or the "
                                             "customer's exact number.")


class InvoiceCreateSerializer(serializers.Serializer):
    order = OrderField(help_text="A confirmed (or done) sales order's id: everything of it shipped and not yet "
                                 "invoiced is invoiced.")
    issue = serializers.BooleanField(required=False, default=False,
                                     help_text="Issue at once (needs `billing.issue_invoice`); false: a draft to "
                                               "check and issue later.")


class InvoiceNotesSerializer(serializers.Serializer):
    """PATCH of a draft: only its notes change."""

    notes = serializers.CharField(allow_blank=True, max_length=MAX_NOTE, trim_whitespace=False,
                                  help_text="Printed on the invoice.")

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, Mapping):
            other = sorted(str(key) for key in data if key != "notes")
            if other:
                raise serializers.ValidationError({key: ["Read-only: only `notes` of a draft can change."]
                                                   for key in other[:20]})
        return super().to_internal_value(data)


class SendInputSerializer(serializers.Serializer):
    resend = serializers.BooleanField(required=False, default=False,
                                      help_text="Send again although it was e-mailed already.")


class CreditLineInputSerializer(serializers.Serializer):
    invoice_line = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The invoice line's id.")
    quantity = InputQuantity(help_text="At most what the line still has to credit (quantity − credited).")

    class Meta:
        list_serializer_class = LineListSerializer


class CreditInputSerializer(serializers.Serializer):
    """Credit chosen lines at the invoice's prices, or an amount — one of the two."""

    reason = serializers.ChoiceField(choices=CreditReason.choices)
    lines = CreditLineInputSerializer(many=True, required=False, min_length=1, max_length=MAX_LINES,
                                      help_text="The invoice lines and quantities to credit (instead of `amount`).")
    amount = ExactDecimalField(**MONEY_DIGITS, min_value=Decimal("0.01"), required=False, allow_null=True,
                               help_text="A gross amount to credit (instead of `lines`), at most what the invoice "
                                         "has left to credit.")
    tax_rate = ExactDecimalField(max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100),
                                 required=False, allow_null=True,
                                 help_text="With `amount`: one of the invoice's rates; its main rate when left out.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_NOTE)


# --- credit notes ---------------------------------------------------------------------------------


class CreditNoteLineSerializer(BuiltOnce, serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True, allow_null=True)

    class Meta:
        model = CreditNoteLine
        fields = ["id", "position", "invoice_line", "product", "sku", "description", "quantity", "unit",
                  "unit_price", "discount_percent", "tax_category", "tax_rate", "net_amount", "tax_amount"]
        read_only_fields = fields
        extra_kwargs = {"invoice_line": {"help_text": "The credited invoice line; null for an amount credit."}}


class CreditNoteListSerializer(BuiltOnce, serializers.ModelSerializer):
    """A credit note without its lines."""

    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    pdf_url = serializers.SerializerMethodField()
    facturx_url = serializers.SerializerMethodField()
    ubl_url = serializers.SerializerMethodField()

    class Meta:
        model = CreditNote
        fields = ["id", "number", "invoice", "invoice_number", "customer", "customer_number", "customer_name",
                  "currency", "origin", "reason", "issue_date", "net_total", "tax_total", "gross_total",
                  "applied_amount", "customer_credit", "emailed_at", "created_at", "pdf_url", "facturx_url",
                  "ubl_url"]
        read_only_fields = fields
        extra_kwargs = {
            "applied_amount": {"help_text": "Taken off the invoice's amount due."},
            "customer_credit": {"help_text": "What the invoice no longer owed (it was paid): the customer's credit."},
        }

    @extend_schema_field(OpenApiTypes.URI)
    def get_pdf_url(self, note: CreditNote) -> str | None:
        return document_url(self, "credit-note-pdf", note)

    @extend_schema_field(OpenApiTypes.URI)
    def get_facturx_url(self, note: CreditNote) -> str | None:
        return document_url(self, "credit-note-facturx", note)

    @extend_schema_field(OpenApiTypes.URI)
    def get_ubl_url(self, note: CreditNote) -> str | None:
        return document_url(self, "credit-note-ubl", note)


class CreditNoteSerializer(CreditNoteListSerializer):
    """A credit note with its lines and tax summary."""

    issued_by = serializers.CharField(source="issued_by.username", read_only=True, allow_null=True)
    tax_summary = TaxSummaryRowSerializer(many=True, read_only=True, help_text="Net and tax per rate.")
    pdf_ready = serializers.SerializerMethodField(help_text="The PDF is rendered (once, after issue).")
    lines = CreditNoteLineSerializer(many=True, read_only=True)

    class Meta(CreditNoteListSerializer.Meta):
        fields = [*CreditNoteListSerializer.Meta.fields, "customer_address", "customer_country", "customer_vat_id",
                  "language", "tax_treatment", "tax_summary", "notes", "issued_at", "issued_by", "emailed_to",
                  "pdf_ready", "pdf_sha256", "pdf_rendered_at", "lines"]
        read_only_fields = fields

    def get_pdf_ready(self, note: CreditNote) -> bool:
        return bool(note.pdf_sha256)


class CreditNoteQuerySerializer(serializers.Serializer):
    """The filters of the credit-note list (billing.selectors.credit_note_list)."""

    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="The customer's id.")
    invoice = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="The invoice's id.")
    reason = serializers.ChoiceField(choices=CreditReason.choices, required=False)
    search = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                   help_text="Part of the credit note's or the invoice's number, or of the "
                                             "customer's name.")
