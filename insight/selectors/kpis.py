"""The order-to-cash KPIs: one definition each (shown on the KPI page), one SQL aggregate each.

A KPI is measured over a period (first and last day, both included), optionally for one customer
and/or one warehouse. Flow KPIs count the documents whose deciding event falls in the period (an order
shipped in full, a shipment delivered, an invoice issued, a bank line booked); balance KPIs (DSO,
overdue %, days delinquent) are read at the period's last day; money is in the company currency.
The warehouse filter applies to the KPIs about orders and shipments (`by_warehouse`); the others are
about invoices and cash, which belong to no warehouse.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from billing.enums import ISSUED_STATUSES, OPEN_STATUSES, CreditReason, InvoiceStatus
from billing.models import CreditNote, Invoice, InvoiceLine
from fulfillment.models import Shipment, ShipmentLine
from o2c.money import default_currency
from orders.enums import Progress
from orders.models import SalesOrder, SalesOrderLine
from receivables.enums import AUTO_RULES, CASH_METHODS, Direction
from receivables.models import Allocation, BankStatementLine, Payment, ReminderLog
from receivables.selectors.aging import aging_report, aging_totals, sql_in
from receivables.selectors.kpis import DSO_DAYS, History

ZERO = Decimal(0)
_ORD, _OL = SalesOrder._meta.db_table, SalesOrderLine._meta.db_table
_SH, _SL = Shipment._meta.db_table, ShipmentLine._meta.db_table
_INV, _IL, _CN = Invoice._meta.db_table, InvoiceLine._meta.db_table, CreditNote._meta.db_table
_AL, _BL, _RL = Allocation._meta.db_table, BankStatementLine._meta.db_table, ReminderLog._meta.db_table
_PAY = Payment._meta.db_table
_ISSUED, _OPEN = sql_in(ISSUED_STATUSES), sql_in(OPEN_STATUSES)
# credit notes that correct a wrong invoice (returns, damage kept and goodwill are not billing errors)
CORRECTING = (CreditReason.PRICE, CreditReason.CANCELLATION, CreditReason.OTHER)


@dataclass(frozen=True)
class KpiFilter:
    start: datetime.date
    end: datetime.date
    customer_id: int | None = None
    warehouse_id: int | None = None

    def params(self) -> dict[str, Any]:
        zone = ZoneInfo(settings.TIME_ZONE)
        return {
            "start": self.start, "end": self.end, "customer": self.customer_id, "warehouse": self.warehouse_id,
            "t0": datetime.datetime.combine(self.start, datetime.time(), zone),
            "t1": datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time(), zone),
            "tz": settings.TIME_ZONE, "currency": default_currency(),
        }


@dataclass(frozen=True)
class KpiValue:
    value: Decimal | None  # None: nothing in the period to measure
    sample: int  # how many orders, shipments, invoices, lines or days it counts


@dataclass(frozen=True)
class Kpi:
    key: str
    name: str
    unit: str  # "days", "%", "money"
    definition: str
    higher_is_better: bool
    measure: Callable[[KpiFilter], KpiValue]
    by_warehouse: bool = False


def kpi_round(value: object) -> Decimal | None:
    """A KPI's figure as it is shown and stored: to a tenth, half up."""
    return None if value is None else Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _run(sql: str, f: KpiFilter) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, f.params())
        return cursor.fetchone()


def _average(sql: str) -> Callable[[KpiFilter], KpiValue]:
    """A KPI whose SQL returns (count, average)."""
    def measure(f: KpiFilter) -> KpiValue:
        n, average = _run(sql, f)
        return KpiValue(kpi_round(average) if n else None, n or 0)
    return measure


def _percent(sql: str) -> Callable[[KpiFilter], KpiValue]:
    """A KPI whose SQL returns (count, how many of them pass)."""
    def measure(f: KpiFilter) -> KpiValue:
        n, passed = _run(sql, f)
        return KpiValue(kpi_round(Decimal(passed) * 100 / n) if n else None, n or 0)
    return measure


_CUSTOMER = "(%(customer)s::bigint IS NULL OR {alias}.customer_id = %(customer)s)"
_WAREHOUSE = "(%(warehouse)s::bigint IS NULL OR {alias}.warehouse_id = %(warehouse)s)"


def _scope(alias: str, *, warehouse: bool = True) -> str:
    return _CUSTOMER.format(alias=alias) + (" AND " + _WAREHOUSE.format(alias=alias) if warehouse else "")


ORDER_CYCLE_SQL = f"""
SELECT COUNT(*), AVG(EXTRACT(EPOCH FROM (last.shipped_at - o.confirmed_at)) / 86400)
  FROM (SELECT DISTINCT order_id FROM {_SH} WHERE shipped_at >= %(t0)s AND shipped_at < %(t1)s) s
  JOIN {_ORD} o ON o.id = s.order_id
  CROSS JOIN LATERAL (SELECT MAX(x.shipped_at) AS shipped_at FROM {_SH} x WHERE x.order_id = o.id) last
 WHERE o.delivery_status = '{Progress.FULL}' AND o.confirmed_at IS NOT NULL AND last.shipped_at < %(t1)s
   AND {_scope("o")}"""

# the orders of the invoices settled in the period, each paid in full on its last invoice's settling day.
# "Paid in full" is read from the order's invoices: everything invoiced (`invoice_status`, kept by billing)
# and none of its issued invoices still open. (Not `SalesOrder.payment_status`: it derives from
# `SalesOrder.paid_amount`, which nothing keeps, so it never reads "full".)
ORDER_TO_CASH_SQL = f"""
WITH settled AS (SELECT id FROM {_INV} WHERE status = '{InvoiceStatus.PAID}'
                    AND settled_on BETWEEN %(start)s AND %(end)s),
     orders AS (SELECT DISTINCT ol.order_id FROM settled i JOIN {_IL} il ON il.invoice_id = i.id
                  JOIN {_OL} ol ON ol.id = il.order_line_id)
SELECT COUNT(*), AVG(paid.day - (o.confirmed_at AT TIME ZONE %(tz)s)::date)
  FROM orders JOIN {_ORD} o ON o.id = orders.order_id
  CROSS JOIN LATERAL (SELECT MAX(i.settled_on) AS day, BOOL_OR(i.status IN {_OPEN}) AS owing
                        FROM {_OL} ol JOIN {_IL} il ON il.order_line_id = ol.id
                        JOIN {_INV} i ON i.id = il.invoice_id WHERE ol.order_id = o.id) paid
 WHERE o.invoice_status = '{Progress.FULL}' AND NOT paid.owing AND o.confirmed_at IS NOT NULL
   AND paid.day <= %(end)s AND {_scope("o")}"""

_DELIVERED = f"FROM {_SH} s WHERE s.delivered_on BETWEEN %(start)s AND %(end)s AND {_scope('s')}"
ON_TIME_SQL = f"SELECT COUNT(*), COUNT(*) FILTER (WHERE s.on_time) {_DELIVERED}"
IN_FULL_SQL = f"SELECT COUNT(*), COUNT(*) FILTER (WHERE s.in_full) {_DELIVERED}"
OTIF_SQL = f"SELECT COUNT(*), COUNT(*) FILTER (WHERE s.on_time AND s.in_full) {_DELIVERED}"
_CREDITED_ORDER = f"""EXISTS (SELECT 1 FROM {_OL} ol JOIN {_IL} il ON il.order_line_id = ol.id
                               JOIN {_CN} cn ON cn.invoice_id = il.invoice_id WHERE ol.order_id = s.order_id)"""
PERFECT_SQL = f"""SELECT COUNT(*), COUNT(*) FILTER (WHERE s.on_time AND s.in_full AND NOT {_CREDITED_ORDER})
                  {_DELIVERED}"""

BACKORDER_SQL = f"""
SELECT COUNT(*), COUNT(*) FILTER (WHERE ol.backordered_at_confirmation > 0)
  FROM {_ORD} o JOIN {_OL} ol ON ol.order_id = o.id
 WHERE o.confirmed_at >= %(t0)s AND o.confirmed_at < %(t1)s AND {_scope("o")}"""

# each (invoice, shipment) pair of the invoices issued in the period: a consolidated invoice counts
# every shipment it bills
DAYS_TO_INVOICE_SQL = f"""
SELECT COUNT(*), AVG(p.issue_date - (s.shipped_at AT TIME ZONE %(tz)s)::date)
  FROM (SELECT DISTINCT i.id, i.issue_date, sl.shipment_id
          FROM {_INV} i JOIN {_IL} il ON il.invoice_id = i.id JOIN {_SL} sl ON sl.id = il.shipment_line_id
         WHERE i.status IN {_ISSUED} AND i.issue_date BETWEEN %(start)s AND %(end)s
           AND {_scope("i", warehouse=False)}) p
  JOIN {_SH} s ON s.id = p.shipment_id WHERE {_WAREHOUSE.format(alias="s")}"""

_ISSUED_IN = f"""FROM {_INV} i WHERE i.status IN {_ISSUED} AND i.issue_date BETWEEN %(start)s AND %(end)s
                 AND {_scope("i", warehouse=False)}"""
ACCURACY_SQL = f"""SELECT COUNT(*), COUNT(*) FILTER (WHERE NOT EXISTS (
                     SELECT 1 FROM {_CN} cn WHERE cn.invoice_id = i.id AND cn.reason IN {sql_in(CORRECTING)}))
                   {_ISSUED_IN}"""
TOUCHLESS_SQL = f"""SELECT COUNT(*), COUNT(*) FILTER (WHERE i.created_by_id IS NULL AND i.issued_by_id IS NULL)
                    {_ISSUED_IN}"""

AUTO_MATCH_SQL = f"""
SELECT COUNT(*), COUNT(*) FILTER (WHERE b.match_rule IN {sql_in(AUTO_RULES)})
  FROM {_BL} b WHERE b.direction = '{Direction.CREDIT}' AND NOT b.is_reversal
   AND b.booking_date BETWEEN %(start)s AND %(end)s
   AND (%(customer)s::bigint IS NULL OR EXISTS (
        SELECT 1 FROM {_PAY} p WHERE p.id = b.payment_id AND p.customer_id = %(customer)s))"""

# cash: allocations of money received (not of a credit note's credit, `PaymentMethod.CREDIT_NOTE`)
AFTER_REMINDER_SQL = f"""
SELECT COUNT(DISTINCT a.invoice_id), COALESCE(SUM(a.amount), 0)
  FROM {_AL} a JOIN {_INV} i ON i.id = a.invoice_id JOIN {_PAY} p ON p.id = a.payment_id
 WHERE a.date BETWEEN %(start)s AND %(end)s AND i.currency = %(currency)s AND {_scope("i", warehouse=False)}
   AND p.method IN {sql_in(CASH_METHODS)} AND a.amount > 0
   AND EXISTS (SELECT 1 FROM {_RL} r WHERE r.invoice_id = a.invoice_id AND r.sent_on <= a.date)"""

SALES_SQL = f"""
SELECT (SELECT COALESCE(SUM(gross_total), 0) FROM {_INV} i WHERE i.status IN {_ISSUED}
          AND i.currency = %(currency)s AND i.issue_date BETWEEN %(first)s AND %(last)s
          AND {_scope("i", warehouse=False)})
     - (SELECT COALESCE(SUM(gross_total), 0) FROM {_CN} i WHERE i.currency = %(currency)s
          AND i.issue_date BETWEEN %(first)s AND %(last)s AND {_scope("i", warehouse=False)})"""


def _after_reminder(f: KpiFilter) -> KpiValue:
    n, amount = _run(AFTER_REMINDER_SQL, f)
    return KpiValue(amount if n else ZERO, n)


def credit_sales(f: KpiFilter, first: datetime.date, last: datetime.date) -> Decimal:
    """Invoiced less credited in the company currency from `first` to `last` (both included)."""
    with connection.cursor() as cursor:
        cursor.execute(SALES_SQL, {**f.params(), "first": first, "last": last})
        return cursor.fetchone()[0]


def ar_at(f: KpiFilter, day: datetime.date) -> tuple[Decimal, Decimal]:
    """(AR, overdue AR) in the company currency at the end of `day` (receivables' aging as of then)."""
    if f.customer_id is None:
        total = aging_totals(day).get(default_currency())
    else:
        total = aging_report(day, customer_id=f.customer_id).totals.get(default_currency())
    return (total.total, total.overdue) if total else (ZERO, ZERO)


class Balances:
    """What the balance KPIs share, read once per filter and only as far as they ask: AR and overdue AR at the
    end (one read), credit sales of the 90 days up to it, the period's credit sales, AR at the start."""

    def __init__(self, f: KpiFilter, end: datetime.date, ar_at_end: tuple[Decimal, Decimal] | None = None) -> None:
        self.f, self.end = f, end
        self.ar, self.overdue = ar_at_end or ar_at(f, end)

    @cached_property
    def sales_90(self) -> Decimal:
        return credit_sales(self.f, self.end - datetime.timedelta(days=DSO_DAYS - 1), self.end)

    @cached_property
    def period_sales(self) -> Decimal:
        return credit_sales(self.f, self.f.start, self.end)

    @cached_property
    def ar_before(self) -> Decimal:
        day = self.f.start - datetime.timedelta(days=1)
        if self.f.customer_id is None:  # counted back from the end's AR over the period's documents only
            return History(default_currency(), self.end, since=day, anchor=self.ar).ar(day)
        return ar_at(self.f, day)[0]  # one customer's aging then is a short read


def balances(f: KpiFilter, ar_at_end: tuple[Decimal, Decimal] | None = None) -> Balances | None:
    """Read at the period's last day, or today while the period is not over (what is owed and overdue on a day
    still to come is not known yet: read then, an invoice due tomorrow would already count as overdue, and the
    90 days of sales would include days without any). None for a period that has not begun."""
    today = timezone.localdate()
    return None if f.start > today else Balances(f, min(f.end, today), ar_at_end)


def _balance_value(compute: Callable[[Balances], Decimal | None], b: Balances | None) -> KpiValue:
    """One reading of the balances (sample 1), none for a period that has not begun."""
    return KpiValue(None, 0) if b is None else KpiValue(kpi_round(compute(b)), 1)


def _balance_kpi(compute: Callable[[Balances], Decimal | None]) -> Callable[[KpiFilter], KpiValue]:
    def measure(f: KpiFilter) -> KpiValue:
        return _balance_value(compute, balances(f))
    measure.balance = compute  # type: ignore[attr-defined]
    return measure


def _dso(b: Balances) -> Decimal | None:
    return None if b.sales_90 <= 0 else b.ar / b.sales_90 * DSO_DAYS


def _days_delinquent(b: Balances) -> Decimal | None:
    """DSO less the best possible DSO (what is not yet due ÷ sales × days) = overdue ÷ sales × days."""
    return None if b.sales_90 <= 0 else b.overdue / b.sales_90 * DSO_DAYS


def _overdue_percent(b: Balances) -> Decimal | None:
    return None if b.ar <= 0 else b.overdue * 100 / b.ar


def _cei(b: Balances) -> Decimal | None:
    collectable = b.ar_before + b.period_sales - (b.ar - b.overdue)
    return None if collectable <= 0 else (b.ar_before + b.period_sales - b.ar) * 100 / collectable


KPIS: dict[str, Kpi] = {k.key: k for k in (
    Kpi("order_cycle_time", "Order cycle time", "days",
        "Average days from an order's confirmation to its last shipment leaving, over the orders shipped in "
        "full in the period.", False, _average(ORDER_CYCLE_SQL), by_warehouse=True),
    Kpi("order_to_cash", "Order-to-cash cycle time", "days",
        "Average days from an order's confirmation to the day its last invoice was paid in full, over the "
        "orders fully paid in the period.", False, _average(ORDER_TO_CASH_SQL), by_warehouse=True),
    Kpi("on_time", "On time", "%",
        "Shipments delivered in the period on or before the date promised to the customer, of all delivered.",
        True, _percent(ON_TIME_SQL), by_warehouse=True),
    Kpi("in_full", "In full", "%",
        "Shipments delivered in the period that left nothing of their order lines to ship, of all delivered.",
        True, _percent(IN_FULL_SQL), by_warehouse=True),
    Kpi("otif", "OTIF", "%", "Shipments delivered in the period both on time and in full, of all delivered.",
        True, _percent(OTIF_SQL), by_warehouse=True),
    Kpi("perfect_order", "Perfect order rate", "%",
        "Shipments delivered in the period on time and in full whose order was never credited (no credit note "
        "on any of its invoices, returns included), of all delivered.", True, _percent(PERFECT_SQL),
        by_warehouse=True),
    Kpi("backorder_rate", "Backorder rate", "%",
        "Order lines confirmed in the period that stock could not cover in full at confirmation, of all "
        "confirmed lines.", False, _percent(BACKORDER_SQL), by_warehouse=True),
    Kpi("days_to_invoice", "Days to invoice", "days",
        "Average days from a shipment leaving to the invoice that bills it being issued, over the invoices "
        "issued in the period (a consolidated invoice counts each shipment it bills).", False,
        _average(DAYS_TO_INVOICE_SQL), by_warehouse=True),
    Kpi("invoice_accuracy", "Invoice accuracy", "%",
        "Invoices issued in the period without a correcting credit note (price correction, cancellation or "
        "other; not returns, damage or goodwill), of all issued.", True, _percent(ACCURACY_SQL)),
    Kpi("dso", "DSO", "days",
        "Days sales outstanding (sales method): AR at the period's end ÷ credit sales of the 90 days up to it "
        "× 90.", False, _balance_kpi(_dso)),
    Kpi("cei", "CEI", "%",
        "Collection effectiveness index over the period: (AR at the start + credit sales − AR at the end) ÷ "
        "(AR at the start + credit sales − AR not yet due at the end) × 100.", True, _balance_kpi(_cei)),
    Kpi("days_delinquent", "Average days delinquent", "days",
        "DSO less the best possible DSO (AR not yet due ÷ sales × 90): overdue AR at the period's end ÷ credit "
        "sales of the 90 days up to it × 90.", False, _balance_kpi(_days_delinquent)),
    Kpi("overdue_percent", "Overdue", "%", "AR past its due date ÷ AR, at the period's end.", False,
        _balance_kpi(_overdue_percent)),
    Kpi("touchless_invoicing", "Touchless invoicing", "%",
        "Invoices issued in the period that no person made or issued (automated by shipment, order or period), "
        "of all issued.", True, _percent(TOUCHLESS_SQL)),
    Kpi("auto_match", "Auto-match rate", "%",
        "Incoming bank lines booked in the period that matched a payment by themselves (invoice number, RF "
        "reference, IBAN or name with the amount), of all incoming lines.", True, _percent(AUTO_MATCH_SQL)),
    Kpi("cash_after_reminder", "Cash collected after a reminder", "money",
        "Cash allocated in the period to invoices that had been sent a reminder by then (company currency).",
        True, _after_reminder),
)}
BALANCE_KPIS = tuple(k for k, kpi in KPIS.items() if hasattr(kpi.measure, "balance"))


def kpi_values(f: KpiFilter, keys: tuple[str, ...] | None = None, *,
               ar_at_end: tuple[Decimal, Decimal] | None = None) -> dict[str, KpiValue]:
    """Each KPI of `keys` (default: all) over the filter; the balance KPIs share one read of the AR, or take
    `ar_at_end` (AR, overdue AR at the period's end) from a caller that has just read it."""
    keys = keys or tuple(KPIS)
    values: dict[str, KpiValue] = {}
    wanted = [k for k in keys if k in BALANCE_KPIS]
    if wanted:
        b = balances(f, ar_at_end)
        values.update({k: _balance_value(KPIS[k].measure.balance, b) for k in wanted})  # type: ignore[attr-defined]
    for key in keys:
        if key not in values:
            values[key] = KPIS[key].measure(f)
    return {key: values[key] for key in keys}


def trailing(day: datetime.date, days: int = 30, **filters: int | None) -> KpiFilter:
    """The `days` days up to `day` (the window of a daily snapshot)."""
    return KpiFilter(day - datetime.timedelta(days=days - 1), day, **filters)
