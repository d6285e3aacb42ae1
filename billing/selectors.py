"""Billing reads: invoice and credit-note lists with their filters, an order's billing documents."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from orders.enums import ContactRole
from orders.models import Customer
from orders.selectors import contact_recipients

from .enums import OPEN_STATUSES, InvoiceStatus
from .models import CreditNote, Invoice


def overdue_q(today: datetime.date | None = None) -> Q:
    return Q(status__in=OPEN_STATUSES, due_date__lt=today or timezone.localdate())


def billing_recipients(customer: Customer) -> list[str]:
    """Invoices go to the billing contacts; without one, to whom quotes and confirmations go."""
    return contact_recipients(customer, ContactRole.BILLING, ContactRole.SALES)


def billing_workload() -> dict[str, int]:
    """What waits for Finance: drafts, open and overdue invoices, PDFs being prepared, not yet e-mailed."""
    issued = Q(number__isnull=False)
    return Invoice.objects.aggregate(
        drafts=Count("pk", filter=Q(status=InvoiceStatus.DRAFT)),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("pk", filter=overdue_q()),
        pdf_pending=Count("pk", filter=issued & Q(pdf_sha256="")),
        unsent=Count("pk", filter=issued & Q(emailed_at__isnull=True) & ~Q(status=InvoiceStatus.CANCELLED)),
    )


def invoice_list(
    *, status: str = "", overdue: bool | None = None, customer: int | None = None,
    issued_from: datetime.date | None = None, issued_to: datetime.date | None = None,
    amount_min: Decimal | None = None, amount_max: Decimal | None = None, search: str = "",
    order: int | None = None,
) -> QuerySet[Invoice]:
    """Invoices newest first, with their customer; every filter optional. `search` matches the number,
    the customer's name or number, and the PO reference."""
    qs = Invoice.objects.select_related("customer", "order")
    if status:
        qs = qs.filter(status=status)
    if overdue is True:
        qs = qs.filter(overdue_q())
    elif overdue is False:
        qs = qs.exclude(overdue_q())
    if customer:
        qs = qs.filter(customer_id=customer)
    if order:
        qs = qs.filter(Q(order_id=order) | Q(lines__order_line__order_id=order)).distinct()
    if issued_from:
        qs = qs.filter(issue_date__gte=issued_from)
    if issued_to:
        qs = qs.filter(issue_date__lte=issued_to)
    if amount_min is not None:
        qs = qs.filter(gross_total__gte=amount_min)
    if amount_max is not None:
        qs = qs.filter(gross_total__lte=amount_max)
    if search.strip():
        term = search.strip()
        qs = qs.filter(Q(number__icontains=term) | Q(customer_name__icontains=term)
                       | Q(customer__number__iexact=term) | Q(customer_reference__icontains=term))
    return qs.order_by("-issue_date", "-id") if status != "draft" else qs.order_by("-id")


def credit_note_list(*, customer: int | None = None, invoice: int | None = None, search: str = "",
                     reason: str = "") -> QuerySet[CreditNote]:
    qs = CreditNote.objects.select_related("customer", "invoice")
    if customer:
        qs = qs.filter(customer_id=customer)
    if invoice:
        qs = qs.filter(invoice_id=invoice)
    if reason:
        qs = qs.filter(reason=reason)
    if search.strip():
        term = search.strip()
        qs = qs.filter(Q(number__icontains=term) | Q(invoice__number__icontains=term)
                       | Q(customer_name__icontains=term))
    return qs.order_by("-id")


def invoice_detail(invoice_id: int) -> Invoice:
    """One invoice with its lines (products), credit notes and links (a fixed number of queries)."""
    return (Invoice.objects.select_related("customer", "order", "shipment", "issued_by", "created_by")
            .prefetch_related("lines__product", "lines__order_line__order", "credit_notes")
            .get(pk=invoice_id))


def order_billing(order_id: int) -> tuple[list[Invoice], list[CreditNote]]:
    """The invoices with lines of an order (consolidated ones too) and their credit notes."""
    invoices = list(invoice_list(order=order_id))
    notes = list(CreditNote.objects.filter(invoice__in=invoices).order_by("-id")) if invoices else []
    return invoices, notes
