"""Receivables test data: payments recorded and allocated through the real services."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

from billing.models import Invoice
from orders.models import Customer
from receivables.models import Payment
from receivables.services.payments import payment_record


def payment_of(customer: Customer, amount: object, *, invoices: Sequence[Invoice | tuple[Invoice, object]] = (),
               received: datetime.date | None = None, method: str = "bank_transfer", **fields: Any) -> Payment:
    """A payment of `amount` from `customer`, allocated to `invoices` (an invoice: what it owes; or
    (invoice, amount)), received `received` (default today)."""
    allocations = [{"invoice": i.pk} if isinstance(i, Invoice) else {"invoice": i[0].pk, "amount": str(i[1])}
                   for i in invoices]
    return payment_record(customer_id=customer.pk, amount=str(Decimal(str(amount))), method=method,
                          received_date=received or timezone.localdate(), allocations=allocations or None,
                          actor=None, **fields)
