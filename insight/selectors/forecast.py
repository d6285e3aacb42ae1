"""The 13-week cash forecast: expected receipts per week (Monday to Sunday), in one currency.

- **Open invoices** at their predicted pay dates (`PaymentPrediction`, refreshed nightly and when a
  payment arrives), at what they still owe.
- **Confirmed orders not yet invoiced** (gross total − invoiced amount): expected to ship on the
  earliest planned ship date of their open shipments, else their lines' promise date, else the requested
  date, else today; invoiced that day, due by the customer's payment terms, and paid the customer's usual
  number of days after that (`PaymentHabit`).
- Anything expected before this week's Monday (it cannot be: predictions are never in the past) or after
  the 13th week is left out of the weeks and reported as `later`.
- **Past weeks**: what the forecast made before the week began (`CashForecastWeek`, stored nightly)
  expected of it, beside the cash actually received in it (payments received that week, credit-note
  credit excluded).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from billing.terms import due_date
from fulfillment.enums import ShipmentStatus
from fulfillment.models import Shipment
from o2c.money import default_currency
from orders.enums import OrderStatus, Progress
from orders.models import Customer, PaymentTerm, SalesOrder, SalesOrderLine
from receivables.enums import CASH_METHODS
from receivables.models import Payment

from ..models import CashForecastWeek, PaymentHabit, PaymentPrediction

ZERO = Decimal(0)
WEEKS = 13
OPEN_SHIPMENTS = (ShipmentStatus.SCHEDULED, ShipmentStatus.PICKING, ShipmentStatus.PACKED)


def monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@dataclass
class ForecastWeek:
    start: datetime.date
    from_invoices: Decimal = ZERO
    from_orders: Decimal = ZERO
    forecast_then: Decimal | None = None  # past weeks: what the forecast made before the week expected
    actual: Decimal | None = None  # past weeks: cash received

    @property
    def end(self) -> datetime.date:
        return self.start + datetime.timedelta(days=6)

    @property
    def total(self) -> Decimal:
        return self.from_invoices + self.from_orders

    @property
    def is_past(self) -> bool:
        return self.actual is not None


@dataclass
class CashForecast:
    as_of: datetime.date
    currency: str
    weeks: list[ForecastWeek]
    past: list[ForecastWeek] = field(default_factory=list)
    later: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return sum((w.total for w in self.weeks), ZERO)


@dataclass(frozen=True)
class ExpectedReceipt:
    day: datetime.date
    amount: Decimal
    source: str  # "invoice" | "order"


# per confirmed order still to invoice: (payment terms, amount not yet invoiced, the day it is expected to ship,
# the customer's usual days late); correlated subqueries on the order's own shipments and lines
ORDERS_TO_INVOICE_SQL = f"""
SELECT c.payment_term_id, o.gross_total - o.invoiced_amount,
       GREATEST(COALESCE((SELECT MIN(s.planned_ship_date) FROM {Shipment._meta.db_table} s
                           WHERE s.order_id = o.id AND s.status = ANY(%(open)s)),
                         (SELECT MIN(l.promise_date) FROM {SalesOrderLine._meta.db_table} l WHERE l.order_id = o.id),
                         o.requested_date, %(as_of)s), %(as_of)s),
       h.expected_days_late
  FROM {SalesOrder._meta.db_table} o JOIN {Customer._meta.db_table} c ON c.id = o.customer_id
  LEFT JOIN {PaymentHabit._meta.db_table} h ON h.customer_id = o.customer_id
 WHERE o.status = %(confirmed)s AND o.currency = %(currency)s AND o.invoice_status <> %(full)s
   AND o.gross_total > o.invoiced_amount"""


def order_receipts(as_of: datetime.date, currency: str) -> list[ExpectedReceipt]:
    """Confirmed orders' amounts not yet invoiced, on the day they are expected to be paid. Two queries."""
    params = {"as_of": as_of, "currency": currency, "open": list(OPEN_SHIPMENTS), "confirmed": OrderStatus.CONFIRMED,
              "full": Progress.FULL}
    with connection.cursor() as cursor:
        cursor.execute(ORDERS_TO_INVOICE_SQL, params)
        orders = cursor.fetchall()
    terms = PaymentTerm.objects.in_bulk({term for term, *_ in orders})
    receipts = []
    for term, amount, ships_on, late in orders:
        due = due_date(ships_on, terms[term])
        receipts.append(ExpectedReceipt(max(due + datetime.timedelta(days=round(late or ZERO)), as_of), amount,
                                        "order"))
    return receipts


def invoice_receipts(currency: str) -> list[tuple[datetime.date, Decimal]]:
    """Σ amount due of the open invoices per predicted pay date (off the `prediction_by_date` index)."""
    return list(PaymentPrediction.objects.filter(currency=currency).values("predicted_date")
                .annotate(amount=Sum("amount_due")).values_list("predicted_date", "amount"))


def weekly(as_of: datetime.date, currency: str, receipts: list[ExpectedReceipt], weeks: int = WEEKS) -> CashForecast:
    first = monday(as_of)
    forecast = CashForecast(as_of, currency, [ForecastWeek(first + datetime.timedelta(weeks=k)) for k in range(weeks)])
    for receipt in receipts:
        k = (receipt.day - first).days // 7
        if k >= weeks or k < 0:
            forecast.later += receipt.amount
        elif receipt.source == "order":
            forecast.weeks[k].from_orders += receipt.amount
        else:
            forecast.weeks[k].from_invoices += receipt.amount
    return forecast


CASH_RECEIVED_SQL = f"""
SELECT date_trunc('week', received_date)::date, SUM(amount) FROM {Payment._meta.db_table}
 WHERE currency = %(currency)s AND method = ANY(%(methods)s) AND received_date >= %(since)s
   AND received_date < %(until)s GROUP BY 1"""
FORECAST_THEN_SQL = f"""
SELECT DISTINCT ON (week_start) week_start, from_invoices + from_orders FROM {CashForecastWeek._meta.db_table}
 WHERE currency = %(currency)s AND week_start >= %(since)s AND week_start < %(until)s AND made_on <= week_start
 ORDER BY week_start, made_on DESC"""


def past_weeks(as_of: datetime.date, currency: str, weeks: int) -> list[ForecastWeek]:
    """The `weeks` weeks before this one: forecast (as made before each began) against cash received."""
    until = monday(as_of)
    since = until - datetime.timedelta(weeks=weeks)
    params = {"currency": currency, "since": since, "until": until, "methods": list(CASH_METHODS)}
    with connection.cursor() as cursor:
        cursor.execute(CASH_RECEIVED_SQL, params)
        actual = dict(cursor.fetchall())
        cursor.execute(FORECAST_THEN_SQL, params)
        then = dict(cursor.fetchall())
    return [ForecastWeek(start, forecast_then=then.get(start), actual=actual.get(start, ZERO))
            for start in (since + datetime.timedelta(weeks=k) for k in range(weeks))]


def cash_forecast(as_of: datetime.date | None = None, *, currency: str | None = None, weeks: int = WEEKS,
                  past: int = 8) -> CashForecast:
    """The forecast from today's predictions and orders (a fixed number of queries, whatever the data)."""
    as_of, currency = as_of or timezone.localdate(), currency or default_currency()
    receipts = [ExpectedReceipt(day, amount, "invoice") for day, amount in invoice_receipts(currency)]
    forecast = weekly(as_of, currency, receipts + order_receipts(as_of, currency), weeks)
    forecast.past = past_weeks(as_of, currency, past) if past else []
    return forecast
