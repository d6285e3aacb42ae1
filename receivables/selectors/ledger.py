"""The customer's ledger: every invoice, credit note, payment, discount, write-off and refund, with the
running balance (what the customer owes less its credit: Σ open amounts − Σ unapplied payments)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from billing.enums import ISSUED_STATUSES
from billing.models import CreditNote, Invoice
from orders.models import Customer

from ..enums import PaymentMethod
from ..models import Allocation, Payment, Refund, WriteOff

ZERO = Decimal(0)


@dataclass
class LedgerEntry:
    date: datetime.date
    kind: str  # invoice, credit_note, payment, discount, write_off, refund, opening
    number: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal = ZERO
    url_id: int | None = None  # the document's id, for links


def _entries(customer: Customer) -> list[LedgerEntry]:
    entries = [LedgerEntry(d, "invoice", n, f"Invoice, due {due:%Y-%m-%d}", g, ZERO, url_id=pk)
               for pk, n, d, due, g in Invoice.objects.filter(customer=customer, status__in=ISSUED_STATUSES)
               .values_list("pk", "number", "issue_date", "due_date", "gross_total")]
    entries += [LedgerEntry(d, "credit_note", n, f"Credit note for {inv}", ZERO, g, url_id=pk)
                for pk, n, d, inv, g in CreditNote.objects.filter(customer=customer)
                .values_list("pk", "number", "issue_date", "invoice__number", "gross_total")]
    entries += [LedgerEntry(d, "payment", n, f"Payment ({m.replace('_', ' ')}) {ref}".strip(), ZERO, a, url_id=pk)
                for pk, n, d, m, ref, a in Payment.objects.filter(customer=customer)
                .exclude(method=PaymentMethod.CREDIT_NOTE)
                .values_list("pk", "number", "received_date", "method", "reference", "amount")]
    entries += [LedgerEntry(d, "discount", inv, "Early-payment discount", ZERO, a, url_id=inv_id)
                for d, inv, inv_id, a in Allocation.objects.filter(invoice__customer=customer, discount_amount__gt=0)
                .values_list("date", "invoice__number", "invoice_id", "discount_amount")]
    entries += [LedgerEntry(d, "write_off", inv, f"Write-off ({r.replace('_', ' ')})", ZERO, a, url_id=inv_id)
                for d, inv, inv_id, r, a in WriteOff.objects.filter(invoice__customer=customer)
                .values_list("date", "invoice__number", "invoice_id", "reason", "amount")]
    entries += [LedgerEntry(d, "refund", n, f"Refund {ref}".strip(), a, ZERO, url_id=pk)
                for d, n, pk, ref, a in Refund.objects.filter(payment__customer=customer)
                .values_list("date", "payment__number", "payment_id", "reference", "amount")]
    order = {"invoice": 0, "credit_note": 1, "payment": 2, "discount": 3, "write_off": 4, "refund": 5}
    entries.sort(key=lambda e: (e.date, order[e.kind], e.number))
    return entries


def customer_ledger(customer: Customer, *, since: datetime.date | None = None,
                    until: datetime.date | None = None) -> list[LedgerEntry]:
    """The entries from `since` (an opening balance first) to `until`, each with the running balance."""
    balance, result = ZERO, []
    for entry in _entries(customer):
        if until is not None and entry.date > until:
            break
        balance += entry.debit - entry.credit
        entry.balance = balance
        if since is not None and entry.date < since:
            continue
        if since is not None and not result:
            opening = balance - entry.debit + entry.credit
            result.append(LedgerEntry(since, "opening", "", "Balance brought forward", ZERO, ZERO, opening))
        result.append(entry)
    if since is not None and not result:
        result.append(LedgerEntry(since, "opening", "", "Balance brought forward", ZERO, ZERO, balance))
    return result


def customer_credit(customer: Customer) -> Decimal:
    """What the customer may still apply or have refunded: its payments' unapplied amounts."""
    return Payment.objects.filter(customer=customer, unapplied_amount__gt=0).aggregate(
        s=Sum("unapplied_amount"))["s"] or ZERO
