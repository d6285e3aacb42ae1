"""Receivables KPIs, each computed by SQL aggregates in the company currency (other currencies are not
mixed in; pass `currency` for them).

- **AR**: what issued invoices still owe. On a past day: the gross of invoices issued by then less the
  credit notes, allocations (cash and discount) and write-offs dated by then.
- **DSO, sales method** (the one SAP and most textbooks use): AR at the day ÷ credit sales of the 90 days
  up to it (invoices less credit notes) × 90.
- **Overdue %**: AR past its due date ÷ AR × 100.
- **CEI** (collection effectiveness index) over the 30 days up to the day:
  (AR at the start + credit sales − AR at the end) ÷ (AR at the start + credit sales − current AR at the end)
  × 100; 100 means everything collectable was collected.
- **Average days to pay**: from issue to the day an invoice was settled (its last allocation or write-off),
  over the invoices settled in the last 12 months; **days late** likewise from the due date.
"""

from __future__ import annotations

import datetime
from bisect import bisect_right
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate

from django.db import connection
from django.utils import timezone

from billing.enums import ISSUED_STATUSES, OPEN_STATUSES
from billing.models import CreditNote, Invoice
from o2c.money import default_currency
from orders.models import Customer

from ..models import Allocation, Dispute, Payment, ReminderLog, WriteOff
from .aging import sql_in

ZERO = Decimal(0)
DSO_DAYS = 90
CEI_DAYS = 30
_INV, _CN = Invoice._meta.db_table, CreditNote._meta.db_table
_AL, _WO = Allocation._meta.db_table, WriteOff._meta.db_table


def _one(value: object) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _scalar_rows(sql: str, params: dict) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchone())


# money settled on another currency's invoice is left out (an anti-join: cheaper than joining every invoice)
_SAME_CURRENCY = ("NOT EXISTS (SELECT 1 FROM " + _INV + " oi WHERE oi.id = {alias}.invoice_id "
                  "AND oi.currency <> %(currency)s)")
_OPEN, _ISSUED = sql_in(OPEN_STATUSES), sql_in(ISSUED_STATUSES)
_DAILY_SQL = f"""
SELECT 'i', issue_date, SUM(gross_total), 0 FROM {_INV}
 WHERE status IN {_ISSUED} AND issue_date > %(since)s AND issue_date <= %(until)s AND currency = %(currency)s
 GROUP BY issue_date
UNION ALL
SELECT 'c', issue_date, SUM(applied_amount), SUM(gross_total) FROM {_CN}
 WHERE issue_date > %(since)s AND issue_date <= %(until)s AND currency = %(currency)s GROUP BY issue_date
UNION ALL
SELECT 's', a.date, SUM(a.amount + a.discount_amount), 0 FROM {_AL} a
 WHERE a.date > %(since)s AND a.date <= %(until)s AND {_SAME_CURRENCY.format(alias="a")} GROUP BY a.date
UNION ALL
SELECT 'w', w.date, SUM(w.amount), 0 FROM {_WO} w
 WHERE w.date > %(since)s AND w.date <= %(until)s AND {_SAME_CURRENCY.format(alias="w")} GROUP BY w.date"""


class History:
    """What was invoiced, credited, settled and written off per day after `since` up to `until` (one
    aggregate per table, a row a day), so the AR at any of those days and the credit sales of any window
    in them are running sums. Read from the beginning (no `since`), the AR is the sum of it all; read for
    a recent window, it is counted back from `anchor`, the AR at `until` (today's: Σ amount_due), so only
    the window's documents are read."""

    def __init__(self, currency: str, until: datetime.date, *, since: datetime.date | None = None,
                 anchor: Decimal | None = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(_DAILY_SQL, {"currency": currency, "until": until, "since": since or datetime.date.min})
            rows = cursor.fetchall()
        self.since = since
        self.days = sorted({day for _, day, _, _ in rows})
        index = {day: k for k, day in enumerate(self.days)}
        ar, sales = [ZERO] * len(self.days), [ZERO] * len(self.days)
        for kind, day, amount, gross in rows:
            k = index[day]
            ar[k] += amount if kind == "i" else -amount
            sales[k] += amount if kind == "i" else (-gross if kind == "c" else ZERO)
        self._ar, self._sales = list(accumulate(ar)), list(accumulate(sales))
        total = self._ar[-1] if self._ar else ZERO
        self._anchor_gap = ZERO if anchor is None else anchor - total

    def _upto(self, running: list[Decimal], day: datetime.date) -> Decimal:
        k = bisect_right(self.days, day)
        return running[k - 1] if k else ZERO

    def ar(self, day: datetime.date) -> Decimal:
        if self.since is not None and day < self.since:
            raise ValueError("the AR before the window was not read")
        return self._anchor_gap + self._upto(self._ar, day)

    def sales(self, first: datetime.date, last: datetime.date) -> Decimal:
        """Invoiced less credited from `first` to `last`, both days included."""
        if self.since is not None and first <= self.since:
            raise ValueError("the sales before the window were not read")
        return self._upto(self._sales, last) - self._upto(self._sales, first - datetime.timedelta(days=1))


def _open_today(as_of: datetime.date, currency: str) -> tuple[Decimal, Decimal]:
    """(AR, overdue AR) now, from `amount_due` over the open invoices."""
    total, overdue = _scalar_rows(
        f"SELECT COALESCE(SUM(amount_due), 0), COALESCE(SUM(amount_due) FILTER (WHERE due_date < %(as_of)s), 0) "
        f"FROM {_INV} WHERE status IN {_OPEN} AND currency = %(currency)s", {"as_of": as_of, "currency": currency})
    return total, overdue


def _open_then(as_of: datetime.date, currency: str) -> tuple[Decimal, Decimal]:
    from .aging import aging_report

    report = aging_report(as_of)
    total = report.totals.get(currency)
    return (total.total, total.overdue) if total else (ZERO, ZERO)


def dso(ar: Decimal, sales: Decimal) -> Decimal | None:
    return None if sales <= 0 else _one(ar / sales * DSO_DAYS)


@dataclass
class ReceivablesKpis:
    as_of: datetime.date
    currency: str
    open_ar: Decimal
    overdue_ar: Decimal
    overdue_percent: Decimal | None
    credit_sales_90: Decimal
    dso: Decimal | None
    cei: Decimal | None
    average_days_to_pay: Decimal | None
    average_days_late: Decimal | None
    unapplied_credit: Decimal
    open_disputes: int


def receivables_kpis(as_of: datetime.date | None = None, *, currency: str | None = None) -> ReceivablesKpis:
    today = timezone.localdate()
    as_of, currency = as_of or today, currency or default_currency()
    open_ar, overdue = (_open_today if as_of >= today else _open_then)(as_of, currency)
    start = as_of - datetime.timedelta(days=CEI_DAYS)
    window = as_of - datetime.timedelta(days=max(DSO_DAYS, CEI_DAYS))
    # today the AR is known (Σ amount_due): read only the window's documents and count back from it
    history = History(currency, as_of, since=window, anchor=open_ar) if as_of >= today else History(currency, as_of)
    sales_90 = history.sales(as_of - datetime.timedelta(days=DSO_DAYS - 1), as_of)
    sales_30, begin = history.sales(start + datetime.timedelta(days=1), as_of), history.ar(start)
    collectable = begin + sales_30 - (open_ar - overdue)
    cei = None if collectable <= 0 else _one((begin + sales_30 - open_ar) / collectable * 100)
    company = days_to_pay(as_of, currency=currency, per_customer=False).get(None)
    return ReceivablesKpis(
        as_of=as_of, currency=currency, open_ar=open_ar, overdue_ar=overdue,
        overdue_percent=None if open_ar <= 0 else _one(overdue / open_ar * 100), credit_sales_90=sales_90,
        dso=dso(open_ar, sales_90), cei=cei,
        average_days_to_pay=company.days_to_pay if company else None,
        average_days_late=company.days_late if company else None,
        unapplied_credit=_unapplied(currency),
        open_disputes=Dispute.objects.filter(status="open", invoice__currency=currency).count(),
    )


def _unapplied(currency: str) -> Decimal:
    (value,) = _scalar_rows(f"SELECT COALESCE(SUM(unapplied_amount), 0) FROM {Payment._meta.db_table} "
                            "WHERE unapplied_amount > 0 AND currency = %(currency)s", {"currency": currency})
    return value


def month_ends(as_of: datetime.date, months: int) -> list[datetime.date]:
    """The last day of each of the `months` − 1 months before `as_of`'s, then `as_of` itself."""
    days, first = [as_of], as_of.replace(day=1)
    for _ in range(months - 1):
        last = first - datetime.timedelta(days=1)
        days.append(last)
        first = last.replace(day=1)
    return days[::-1]


@dataclass
class TrendPoint:
    date: datetime.date
    ar: Decimal
    sales_90: Decimal
    dso: Decimal | None


def dso_trend(as_of: datetime.date | None = None, *, months: int = 12, currency: str | None = None) -> list[TrendPoint]:
    """DSO at each of the last `months` month ends (the current month: as of the day)."""
    as_of, currency = as_of or timezone.localdate(), currency or default_currency()
    history = History(currency, as_of)
    points = []
    for day in month_ends(as_of, months):
        ar, sales = history.ar(day), history.sales(day - datetime.timedelta(days=DSO_DAYS - 1), day)
        points.append(TrendPoint(day, ar, sales, dso(ar, sales)))
    return points


@dataclass
class PayingHabit:
    invoices: int
    days_to_pay: Decimal
    days_late: Decimal


def days_to_pay(as_of: datetime.date | None = None, *, currency: str | None = None, months: int = 12,
                customer_id: int | None = None, per_customer: bool = True) -> dict[int | None, PayingHabit]:
    """Per customer (and under None, the company; only the company with `per_customer=False`): average
    days from issue, and from the due date, to the day each invoice settled in the last `months` months
    was settled in full (`settled_on`, kept by the allocation and write-off services)."""
    as_of, currency = as_of or timezone.localdate(), currency or default_currency()
    grouping = "GROUP BY ROLLUP (customer_id)" if per_customer else ""
    sql = f"""SELECT {"customer_id" if per_customer else "NULL"}, COUNT(*), AVG(settled_on - issue_date),
                     AVG(settled_on - due_date)
                FROM {_INV}
               WHERE status = 'paid' AND settled_on IS NOT NULL AND currency = %(currency)s
                 AND settled_on > %(since)s AND settled_on <= %(as_of)s
                 AND (%(customer)s::bigint IS NULL OR customer_id = %(customer)s) {grouping}"""
    since = as_of - datetime.timedelta(days=round(months * 30.44))
    with connection.cursor() as cursor:
        cursor.execute(sql, {"currency": currency, "customer": customer_id, "since": since, "as_of": as_of})
        return {c: PayingHabit(n, _one(p), _one(late)) for c, n, p, late in cursor.fetchall() if n}


@dataclass
class WorklistRow:
    customer_id: int
    number: str
    name: str
    currency: str
    open_balance: Decimal
    overdue: Decimal
    oldest_days: int
    priority: Decimal  # Σ overdue amount × days overdue
    credit_hold: bool
    do_not_dun: bool
    last_level: int | None
    open_disputes: int


def collector_worklist(as_of: datetime.date | None = None, *, limit: int = 50) -> list[WorklistRow]:
    """Customers with overdue invoices, the most urgent (overdue amount × days) first."""
    as_of = as_of or timezone.localdate()
    sql = f"""SELECT o.customer_id, c.number, c.legal_name, o.currency, c.open_balance, o.overdue, o.oldest,
                     o.priority, c.credit_hold, c.do_not_dun,
                     (SELECT MAX(r.level) FROM {ReminderLog._meta.db_table} r JOIN {_INV} ri ON ri.id = r.invoice_id
                       WHERE ri.customer_id = o.customer_id AND ri.status IN {_OPEN}),
                     (SELECT COUNT(*) FROM {Dispute._meta.db_table} d
                       WHERE d.customer_id = o.customer_id AND d.status = 'open')
                FROM (SELECT customer_id, currency, SUM(amount_due) AS overdue,
                             MAX(%(as_of)s::date - due_date) AS oldest,
                             SUM(amount_due * (%(as_of)s::date - due_date)) AS priority
                        FROM {_INV} WHERE status IN {_OPEN} AND amount_due > 0 AND due_date < %(as_of)s
                       GROUP BY customer_id, currency) o
                JOIN {Customer._meta.db_table} c ON c.id = o.customer_id
               ORDER BY o.priority DESC, c.number LIMIT %(limit)s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"as_of": as_of, "limit": limit})
        return [WorklistRow(*row) for row in cursor.fetchall()]
