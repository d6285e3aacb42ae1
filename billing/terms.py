"""Payment terms on an invoice: the due date, the early-payment discount, the payment reference.

- Due date: issue date + net days; with "end of month" the last day of the month that day falls in.
- Early-payment discount: the term's percent of the gross total, if paid within its days of the issue date.
- Payment reference: an ISO 11649 structured creditor reference ("RF" + check digits + the invoice
  number's letters and digits), which banks carry in the remittance field and receivables matches on.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from o2c.money import quantize_money
from orders.models import PaymentTerm

ZERO = Decimal(0)


@dataclass(frozen=True)
class InvoiceTerms:
    due_date: datetime.date
    discount_percent: Decimal
    discount_date: datetime.date | None
    discount_amount: Decimal

    def as_fields(self) -> dict[str, object]:
        return {"due_date": self.due_date, "discount_percent": self.discount_percent,
                "discount_date": self.discount_date, "discount_amount": self.discount_amount}


def due_date(issued: datetime.date, term: PaymentTerm) -> datetime.date:
    due = issued + datetime.timedelta(days=term.net_days)
    if term.end_of_month:
        due = due.replace(day=calendar.monthrange(due.year, due.month)[1])
    return due


def invoice_terms(issued: datetime.date, term: PaymentTerm, gross: Decimal) -> InvoiceTerms:
    if term.discount_percent > 0 and term.discount_days > 0 and gross > 0:
        return InvoiceTerms(due_date(issued, term), term.discount_percent,
                            issued + datetime.timedelta(days=term.discount_days),
                            quantize_money(gross * term.discount_percent / 100))
    return InvoiceTerms(due_date(issued, term), ZERO, None, ZERO)


def payment_reference(number: str) -> str:
    """'INV-2026-000042' → 'RF..INV2026000042' (ISO 11649, at most 25 characters)."""
    reference = "".join(ch for ch in number.upper() if ch.isalnum())[:21]
    check = mod_97_10.calc_check_digits(reference + "RF")
    return iso11649.validate(f"RF{check}{reference}")
