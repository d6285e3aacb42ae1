"""Invoice statuses with their allowed transitions, and the codes billing uses."""

from django.db import models


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    CANCELLED = "cancelled", "Cancelled"


INVOICE_TRANSITIONS = {
    InvoiceStatus.DRAFT: {InvoiceStatus.ISSUED},
    # paid by receivables; cancelled only by a credit note for the whole invoice
    InvoiceStatus.ISSUED: {InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID, InvoiceStatus.CANCELLED},
    InvoiceStatus.PARTIALLY_PAID: {InvoiceStatus.PAID, InvoiceStatus.CANCELLED, InvoiceStatus.ISSUED},
    InvoiceStatus.PAID: {InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.CANCELLED},
    InvoiceStatus.CANCELLED: set(),
}
# Issued documents: their number, lines and amounts never change again.
ISSUED_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID, InvoiceStatus.CANCELLED)
OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


class InvoiceOrigin(models.TextChoices):
    """What made the invoice: a shipment (shipped or delivered), an order up front, a period, or a person."""

    SHIPMENT = "shipment", "Shipment"
    ORDER = "order", "Order (up front)"
    PERIOD = "period", "Consolidated period"
    MANUAL = "manual", "By hand"


class CreditNoteOrigin(models.TextChoices):
    RETURN = "return", "Return"
    MANUAL = "manual", "By hand"


class CreditReason(models.TextChoices):
    RETURN = "return", "Goods returned"
    PRICE = "price", "Price correction"
    DAMAGED = "damaged", "Damaged goods kept"
    CANCELLATION = "cancellation", "Invoice cancelled"
    GOODWILL = "goodwill", "Goodwill"
    OTHER = "other", "Other"


# Number series (o2c.numbering): gap-free per series and year, drawn when a document is issued.
INVOICE_SERIES = "INV"
CREDIT_NOTE_SERIES = "CN"
