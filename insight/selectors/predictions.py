"""What the pay-date predictions read: the settled invoices they learn from, the open ones they predict,
and the stored predictions the pages show."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from billing.enums import OPEN_STATUSES
from billing.models import Invoice
from o2c.money import default_currency
from orders.models import Customer, PaymentTerm
from receivables.selectors.aging import aging_invoices, sql_in

from ..models import PaymentPrediction
from ..prediction import HALF_LIFE_DAYS, LOOKBACK_DAYS, OpenInvoice, PaymentHabits, PoolBin, SettledInvoice

_INV, _CUST, _TERM = Invoice._meta.db_table, Customer._meta.db_table, PaymentTerm._meta.db_table


_SETTLED = f"""FROM {_INV} i JOIN {_CUST} c ON c.id = i.customer_id JOIN {_TERM} t ON t.id = c.payment_term_id
               WHERE i.status = 'paid' AND i.settled_on IS NOT NULL
                 AND i.settled_on > %(since)s AND i.settled_on <= %(as_of)s"""


def _window(as_of: datetime.date) -> dict[str, object]:
    return {"since": as_of - datetime.timedelta(days=LOOKBACK_DAYS), "as_of": as_of}


def settled_history(as_of: datetime.date, *, customer_ids: Iterable[int] | None = None) -> list[SettledInvoice]:
    """The invoices settled in the `LOOKBACK_DAYS` up to `as_of` (of `customer_ids`, or everybody's)."""
    ids = list(customer_ids) if customer_ids is not None else None
    sql = f"""SELECT i.customer_id, t.code, i.due_date, i.settled_on, i.gross_total {_SETTLED}
                 AND (%(ids)s::bigint[] IS NULL OR i.customer_id = ANY(%(ids)s::bigint[]))"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {**_window(as_of), "ids": ids})
        return [SettledInvoice(*row) for row in cursor.fetchall()]


def delay_histogram(as_of: datetime.date) -> list[PoolBin]:
    """Every payment-terms group's delays (days from due to settled) with their recency weights summed:
    one GROUP BY, a few hundred rows whatever the number of invoices."""
    sql = f"""SELECT t.code, i.settled_on - i.due_date AS delay,
                     SUM(power(0.5, (%(as_of)s::date - i.settled_on) / %(half_life)s::float)),
                     SUM(power(0.25, (%(as_of)s::date - i.settled_on) / %(half_life)s::float)), COUNT(*)
                {_SETTLED} GROUP BY t.code, delay"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {**_window(as_of), "half_life": HALF_LIFE_DAYS})
        return [PoolBin(*row) for row in cursor.fetchall()]


def payment_habits(as_of: datetime.date, *, customer_ids: Iterable[int] | None = None) -> PaymentHabits:
    return PaymentHabits(settled_history(as_of, customer_ids=customer_ids), delay_histogram(as_of), as_of)


def _segments(customer_ids: set[int]) -> dict[int, str]:
    return dict(Customer.objects.filter(pk__in=customer_ids).values_list("pk", "payment_term__code"))


def open_invoices(as_of: datetime.date, *, customer_ids: Iterable[int] | None = None) -> list[OpenInvoice]:
    """The invoices open at the end of `as_of`, with what they still owed then (today: `amount_due`)."""
    if customer_ids is None:
        items = aging_invoices(as_of)
    else:
        items = [item for customer in set(customer_ids) for item in aging_invoices(as_of, customer_id=customer)]
    segments = _segments({item.customer_id for item in items})
    return [OpenInvoice(i.invoice_id, i.customer_id, segments[i.customer_id], i.currency, i.issue_date, i.due_date,
                        i.outstanding) for i in items]


@dataclass(frozen=True)
class CustomerOutlook:
    """A customer's open invoices as predicted: when the money is expected and how late."""

    open_amount: Decimal
    expected_days_late: Decimal | None  # amount-weighted
    next_payment: datetime.date | None
    predictions: list[PaymentPrediction]


def customer_outlook(customer_id: int) -> CustomerOutlook:
    predictions = list(PaymentPrediction.objects.filter(customer_id=customer_id).select_related("invoice")
                       .order_by("predicted_date", "invoice_id"))
    total = sum((p.amount_due for p in predictions), Decimal(0))
    late = (sum((p.amount_due * p.expected_days_late for p in predictions), Decimal(0)) / total) if total else None
    return CustomerOutlook(total, late.quantize(Decimal("0.1")) if late is not None else None,
                           predictions[0].predicted_date if predictions else None, predictions)


@dataclass(frozen=True)
class PriorityRow:
    customer_id: int
    number: str
    name: str
    currency: str
    open_amount: Decimal
    overdue: Decimal
    expected_days_late: Decimal  # amount-weighted, of the invoices expected late
    next_payment: datetime.date
    priority: Decimal  # Σ amount due × expected days late (late invoices only)
    invoices: int


_OPEN = sql_in(OPEN_STATUSES)
# aggregated per customer first, the customers joined to the aggregate (not grouped by their columns)
PRIORITIES_SQL = f"""
SELECT p.customer_id, c.number, c.legal_name, p.currency, p.open_amount, p.overdue, p.days_late, p.next_payment,
       p.priority, p.invoices
  FROM (SELECT customer_id, currency, SUM(amount_due) AS open_amount,
               COALESCE(SUM(amount_due) FILTER (WHERE due_date < %(today)s), 0) AS overdue,
               COALESCE(SUM(amount_due * expected_days_late) FILTER (WHERE expected_days_late > 0)
                        / NULLIF(SUM(amount_due) FILTER (WHERE expected_days_late > 0), 0), 0) AS days_late,
               MIN(predicted_date) AS next_payment,
               SUM(amount_due * expected_days_late) FILTER (WHERE expected_days_late > 0) AS priority,
               COUNT(*) AS invoices
          FROM {PaymentPrediction._meta.db_table} WHERE currency = %(currency)s GROUP BY customer_id, currency) p
  JOIN {_CUST} c ON c.id = p.customer_id
 WHERE p.priority > 0
 ORDER BY p.priority DESC, c.number LIMIT %(limit)s"""


def collection_priorities(*, limit: int = 10, today: datetime.date | None = None,
                          currency: str | None = None) -> list[PriorityRow]:
    """The collector worklist by prediction: customers ranked by Σ amount due × expected days late, so
    money that will come late (overdue or not yet) is chased first. In one currency (amounts of two are
    not ranked against each other; default: the company's). One query."""
    params = {"today": today or timezone.localdate(), "limit": limit, "currency": currency or default_currency()}
    with connection.cursor() as cursor:
        cursor.execute(PRIORITIES_SQL, params)
        return [PriorityRow(*row[:6], Decimal(row[6]).quantize(Decimal("0.1")), *row[7:])
                for row in cursor.fetchall()]
