"""Sales statuses and codes, with their allowed transitions."""

from django.db import models


class InvoicingPolicy(models.TextChoices):
    ON_SHIPMENT = "on_shipment", "Per shipment, when it ships"
    ON_DELIVERY = "on_delivery", "Per shipment, when it is delivered"
    UPFRONT = "upfront", "Up front, per order"
    WEEKLY = "weekly", "Consolidated weekly"
    MONTHLY = "monthly", "Consolidated monthly"


class DocumentLanguage(models.TextChoices):
    ENGLISH = "en", "English"
    GERMAN = "de", "Deutsch"


class ContactRole(models.TextChoices):
    BILLING = "billing", "Billing"
    SALES = "sales", "Sales"
    OTHER = "other", "Other"


class TaxTreatment(models.TextChoices):
    """How a customer is taxed, decided from its country and VAT id (see orders.pricing)."""

    DOMESTIC = "domestic", "Domestic"
    REVERSE_CHARGE = "reverse_charge", "Intra-EU reverse charge"
    EXPORT = "export", "Export outside the EU"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


QUOTE_TRANSITIONS = {
    QuoteStatus.DRAFT: {QuoteStatus.SENT, QuoteStatus.EXPIRED},
    QuoteStatus.SENT: {QuoteStatus.ACCEPTED, QuoteStatus.REJECTED, QuoteStatus.EXPIRED},
    QuoteStatus.ACCEPTED: set(),
    QuoteStatus.REJECTED: set(),
    QuoteStatus.EXPIRED: set(),
}


class OrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ON_HOLD = "on_hold", "On credit hold"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    DONE = "done", "Done"


ORDER_TRANSITIONS = {
    OrderStatus.DRAFT: {OrderStatus.CONFIRMED, OrderStatus.ON_HOLD, OrderStatus.CANCELLED},
    OrderStatus.ON_HOLD: {OrderStatus.CONFIRMED, OrderStatus.CANCELLED},
    # done: everything shipped and invoiced, or closed short when the rest was cancelled
    OrderStatus.CONFIRMED: {OrderStatus.CANCELLED, OrderStatus.DONE},
    OrderStatus.CANCELLED: set(),
    OrderStatus.DONE: set(),
}
EDITABLE_ORDER_STATUSES = {OrderStatus.DRAFT}


class Progress(models.TextChoices):
    """A derived dimension of an order (delivery, invoicing, payment): computed, never typed in."""

    NONE = "none", "None"
    PARTIAL = "partial", "Partial"
    FULL = "full", "Full"
