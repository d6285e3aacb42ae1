"""Payments as Finance filters them, for the pages and the API alike."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from ..models import Payment


def payment_list(
    *, search: str = "", customer: int | None = None, method: str | None = "", received_from: Any = None,
    received_to: Any = None, unapplied: bool | None = None,
) -> QuerySet[Payment]:
    """Payments, newest first, with their customer and statement line (one query per page)."""
    rows = Payment.objects.select_related("customer", "statement_line")
    if search := (search or "").strip():
        rows = rows.filter(Q(number__icontains=search) | Q(reference__icontains=search)
                           | Q(bank_transaction_id__icontains=search) | Q(customer__legal_name__icontains=search)
                           | Q(customer__number__iexact=search))
    if customer:
        rows = rows.filter(customer_id=customer)
    if method:
        rows = rows.filter(method=method)
    if received_from:
        rows = rows.filter(received_date__gte=received_from)
    if received_to:
        rows = rows.filter(received_date__lte=received_to)
    if unapplied is True:
        rows = rows.filter(unapplied_amount__gt=0)
    elif unapplied is False:
        rows = rows.filter(unapplied_amount=0)
    return rows.order_by("-received_date", "-id")
