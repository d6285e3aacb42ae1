"""AR aging as of any day: what each open invoice still owed that day, by days past its due date.

Today (or later) it reads `invoice.amount_due` over the partial index of open invoices, one GROUP BY.
For a day in the past it rebuilds what each invoice owed then: the gross less the credit notes, the
allocations (cash and discount) and the write-offs dated up to that day; an invoice paid since counts,
one issued since does not.

Buckets: current (not yet due, or due that day), 1–30, 31–60, 61–90 and 90+ days past due.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from billing.enums import OPEN_STATUSES
from billing.models import CreditNote, Invoice
from orders.models import Customer

from ..enums import AgingBucket
from ..models import Allocation, WriteOff

ZERO = Decimal(0)
BUCKET_KEYS = tuple(AgingBucket.values)
# (bucket, lowest days past due, highest) — the one place the boundaries are written
BOUNDS = [(AgingBucket.CURRENT, None, 0), (AgingBucket.DAYS_1_30, 1, 30), (AgingBucket.DAYS_31_60, 31, 60),
          (AgingBucket.DAYS_61_90, 61, 90), (AgingBucket.OVER_90, 91, None)]


def bucket_of(days_overdue: int) -> AgingBucket:
    for bucket, low, high in BOUNDS:
        if (low is None or days_overdue >= low) and (high is None or days_overdue <= high):
            return bucket
    raise AssertionError(days_overdue)  # pragma: no cover - the bounds cover every integer


def _bucket_conditions(days: str = "days") -> list[str]:
    """The SQL condition of each bucket on the expression `days` (days past due), in bucket order."""
    return [" AND ".join(c for c in ((f"{days} >= {low}" if low is not None else ""),
                                     (f"{days} <= {high}" if high is not None else "")) if c)
            for _, low, high in BOUNDS]


def _bucket_sql(days: str) -> str:
    whens = " ".join(f"WHEN {cond} THEN '{bucket.value}'"
                     for (bucket, _, _), cond in zip(BOUNDS, _bucket_conditions(days), strict=True))
    return f"CASE {whens} END"


def _bucket_columns() -> str:
    return ", ".join(f"COALESCE(SUM(owed) FILTER (WHERE {cond}), 0.00) AS b{k}"
                     for k, cond in enumerate(_bucket_conditions()))


@dataclass
class AgingRow:
    customer_id: int | None
    customer_number: str
    customer_name: str
    currency: str
    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKET_KEYS, ZERO))
    invoices: int = 0

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.buckets[AgingBucket.CURRENT]

    def cells(self) -> list[Decimal]:
        return [self.buckets[b] for b in BUCKET_KEYS]


@dataclass
class AgingReport:
    as_of: datetime.date
    rows: list[AgingRow]  # per customer and currency, largest total first
    totals: dict[str, AgingRow]  # per currency: the company's

    @property
    def currencies(self) -> list[str]:
        return sorted(self.totals)


_INV = Invoice._meta.db_table
_CUST = Customer._meta.db_table

def sql_in(values: tuple[str, ...]) -> str:
    """A tuple of statuses as the SQL list `('a', 'b')` (the same text as the partial indexes' conditions)."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


_OPEN = sql_in(OPEN_STATUSES)


def _open_items_sql(*, history: bool, per_invoice: bool) -> str:
    """Open items as of %(as_of)s: (customer, currency, days past due, outstanding[, invoice columns])."""
    if history:
        owed = f"""i.gross_total
            - COALESCE((SELECT SUM(c.applied_amount) FROM {CreditNote._meta.db_table} c
                         WHERE c.invoice_id = i.id AND c.issue_date <= %(as_of)s), 0)
            - COALESCE((SELECT SUM(a.amount + a.discount_amount) FROM {Allocation._meta.db_table} a
                         WHERE a.invoice_id = i.id AND a.date <= %(as_of)s), 0)
            - COALESCE((SELECT SUM(w.amount) FROM {WriteOff._meta.db_table} w
                         WHERE w.invoice_id = i.id AND w.date <= %(as_of)s), 0)"""
        where = "i.number IS NOT NULL AND i.issue_date <= %(as_of)s"
    else:
        owed, where = "i.amount_due", f"i.status IN {_OPEN} AND i.amount_due > 0"
    extra = ", i.id, i.number, i.issue_date, i.due_date, i.gross_total, i.status" if per_invoice else ""
    return f"""SELECT i.customer_id, i.currency, (%(as_of)s::date - i.due_date) AS days, {owed} AS owed{extra}
                 FROM {_INV} i WHERE {where} AND (%(customer)s::bigint IS NULL OR i.customer_id = %(customer)s)"""


def _is_history(as_of: datetime.date) -> bool:
    return as_of < timezone.localdate()


def _grouped_sql(as_of: datetime.date) -> str:
    """(customer, currency, invoices, one sum per bucket) of what was open as of the day."""
    if _is_history(as_of):
        return f"""SELECT customer_id, currency, COUNT(*), {_bucket_columns()}
                     FROM ({_open_items_sql(history=True, per_invoice=False)}) items
                    WHERE owed > 0 GROUP BY customer_id, currency"""
    # today: straight off the covering partial index of open invoices (an index-only scan)
    sums = ", ".join(f"COALESCE(SUM(amount_due) FILTER (WHERE {cond}), 0.00)"
                     for cond in _bucket_conditions("(%(as_of)s::date - due_date)"))
    return f"""SELECT customer_id, currency, COUNT(*), {sums} FROM {_INV}
                WHERE status IN {_OPEN} AND amount_due > 0
                  AND (%(customer)s::bigint IS NULL OR customer_id = %(customer)s)
                GROUP BY customer_id, currency"""


def aging_report(as_of: datetime.date | None = None, *, customer_id: int | None = None) -> AgingReport:
    """The aging per customer (and currency) and the company's totals per currency, in one query."""
    as_of = as_of or timezone.localdate()
    columns = ", ".join(f"t.b{k}" for k in range(len(BOUNDS)))
    sql = f"""SELECT t.customer_id, c.number, c.legal_name, t.currency, t.n, {columns}
                FROM ({_grouped_sql(as_of)}) t (customer_id, currency, n, {columns.replace("t.", "")})
                JOIN {_CUST} c ON c.id = t.customer_id
               ORDER BY {columns.replace(", ", " + ")} DESC, c.number"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"as_of": as_of, "customer": customer_id})
        fetched = cursor.fetchall()
    rows, totals = [], {}
    for customer, number, name, currency, n, *amounts in fetched:
        row = AgingRow(customer, number, name, currency, dict(zip(BUCKET_KEYS, amounts, strict=True)), n)
        rows.append(row)
        if currency not in totals:
            totals[currency] = AgingRow(None, "", "Company total", currency)
        total = totals[currency]
        total.invoices += n
        for key, amount in row.buckets.items():
            total.buckets[key] += amount
    return AgingReport(as_of, rows, totals)


def aging_totals(as_of: datetime.date | None = None) -> dict[str, AgingRow]:
    """The company's aging per currency without the per-customer rows: today one aggregate over the
    covering index of open items (for a day in the past, `aging_report(as_of).totals`)."""
    as_of = as_of or timezone.localdate()
    if _is_history(as_of):
        return aging_report(as_of).totals
    sums = ", ".join(f"COALESCE(SUM(amount_due) FILTER (WHERE {cond}), 0.00)"
                     for cond in _bucket_conditions("(%(as_of)s::date - due_date)"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT currency, COUNT(*), {sums} FROM {_INV} WHERE status IN {_OPEN} AND amount_due > 0 "
                       "GROUP BY currency", {"as_of": as_of})
        return {currency: AgingRow(None, "", "Company total", currency, dict(zip(BUCKET_KEYS, amounts, strict=True)), n)
                for currency, n, *amounts in cursor.fetchall()}


@dataclass
class AgingItem:
    invoice_id: int
    number: str
    customer_id: int
    customer_number: str
    customer_name: str
    currency: str
    issue_date: datetime.date
    due_date: datetime.date
    gross_total: Decimal
    outstanding: Decimal
    days_overdue: int
    bucket: str
    status: str


def aging_invoices(as_of: datetime.date | None = None, *, bucket: str | None = None, customer_id: int | None = None,
                   limit: int | None = None) -> list[AgingItem]:
    """The open invoices behind the aging (drill-down), most overdue first."""
    as_of = as_of or timezone.localdate()
    if bucket is not None and bucket not in AgingBucket.values:
        bucket = None
    sql = f"""WITH items AS ({_open_items_sql(history=_is_history(as_of), per_invoice=True)})
              SELECT items.id, items.number, items.customer_id, c.number, c.legal_name, items.currency,
                     items.issue_date, items.due_date, items.gross_total, items.owed, items.days,
                     {_bucket_sql("items.days")} AS bucket, items.status
                FROM items JOIN {_CUST} c ON c.id = items.customer_id
               WHERE items.owed > 0 AND (%(bucket)s::text IS NULL OR {_bucket_sql("items.days")} = %(bucket)s)
               ORDER BY items.days DESC, items.id
               {"LIMIT %(limit)s" if limit else ""}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"as_of": as_of, "customer": customer_id, "bucket": bucket, "limit": limit})
        return [AgingItem(*row) for row in cursor.fetchall()]
