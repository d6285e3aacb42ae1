"""AR aging, customer balances and DSO over 1,000,000 invoices: the app's selectors beside hand-written SQL
(DESIGN.md §8: each well under a second, within 2× of a hand-written SQL query on the same data).

The data lives in its own bench database, `o2c_bench_aging` (on the server of DATABASE_URL), and is kept:
a second run finds it loaded (by its counts) and only times; `--reload` empties the bench tables and loads
afresh. BENCH_INVOICES (1,000,000) and BENCH_CUSTOMERS (50,000) set the size; another size reloads.

The load writes what the services would have left, with COPY from generated rows in one transaction:
- 3 payment terms (14, 30, 60 days net) and the customers, each on one of them, with
  `open_balance` = Σ amount_due of its open invoices;
- the invoices, issued over the last 2 years (730 days) in number order (INV-YYYY-NNNNNN, gap-free per
  year), due at issue + the customer's term, 19 % German VAT on a net of 50–5,000 EUR. By how far past
  due an invoice is, it is still open (issued, or partially paid) or paid: ~80 % paid (amount_due 0),
  ~19 % open with amount_due > 0 over every aging bucket, ~1 % cancelled by a credit note in full
  (credited_amount = gross, with its CN-YYYY-NNNNNN credit note); a paid invoice's `settled_on` is the day
  of the allocation that paid it, as receivables stores it. No invoice lines: no report reads them;
- the payments: each customer pays in weekly runs (the Friday after the day it pays an invoice, never
  after the load day), one PAY-YYYY-NNNNNN payment per customer and run, allocated in full to the
  invoices it settles (receivables_allocation dated the payment's day); a partial payment leaves its
  invoice partially paid;
- the number sequences (INV, CN, PAY per year) set to the last number loaded, so the app draws on.
No audit events or outbox rows are written for the load.

The load session sets `session_replication_role = replica` (superuser): the row triggers — deferred
foreign-key checks, billing's "issued documents are frozen" and receivables' append-only triggers — do
not fire for the bulk COPY (the rows are consistent by construction, and the script checks the foreign
keys and the balances by query afterwards). `--reload` empties the tables with TRUNCATE, which the
row-level DELETE triggers do not see. Then VACUUM ANALYZE, as autovacuum would do.

Data loaded before invoices kept `settled_on` (billing 0005, which the set-up's migrate adds) has it NULL
on the paid invoices: the first run fills it with one UPDATE (the day of each one's last allocation or
write-off; replica role again, for speed: the frozen-invoice trigger allows `settled_on` but costs ~4× the
time), rewrites the table in id order (CLUSTER: the UPDATE leaves every paid row's old version behind, a
table twice the size out of issue order, which a fresh load does not have), VACUUM ANALYZE, and checks.

Each figure is the best of 5 runs after a warm-up (`time.perf_counter`), as of the day of the run:
(a) the aging report — company total by bucket and per customer (`aging_report`); (b) customer balances —
the collector worklist ranking customers by overdue amount × days (`collector_worklist`); (c) DSO — with
the other KPIs of the receivables home (`receivables_kpis`), and its 12-month trend (`dso_trend`); and the
average days to pay per customer (`days_to_pay`). The hand-written SQL runs on the same connection through
a psycopg2 cursor, fetches every row, and must give the same figures (column "same").
"""

from __future__ import annotations

import argparse
import datetime
import functools
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from _setup import setup_bench_db

DATABASE = "o2c_bench_aging"
INVOICES = int(os.environ.get("BENCH_INVOICES", "1000000"))
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "50000"))
RUNS = 5
DAYS = 730  # invoices issued over the last two years
SEED = 7
VAT = 19
OPEN = ("issued", "partially_paid")
# (net days, code, text, share of the customers)
TERMS = ((14, "AGE14", "14 days net", 3), (30, "AGE30", "30 days net", 5), (60, "AGE60", "60 days net", 2))
TABLES = ("orders_paymentterm", "orders_customer", "billing_invoice", "billing_creditnote",
          "receivables_payment", "receivables_allocation")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reload", action="store_true", help="empty the bench tables and load the data again")
    return parser.parse_args()


if __name__ == "__main__":  # imported for its helpers (bench/dashboard.py), the importer sets Django up
    ARGS = parse()
    setup_bench_db(DATABASE)

from django.db import DatabaseError, connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402

from receivables.selectors.aging import aging_report  # noqa: E402
from receivables.selectors.kpis import (  # noqa: E402
    collector_worklist,
    days_to_pay,
    dso_trend,
    month_ends,
    receivables_kpis,
)

# ---------------------------------------------------------------------------------------------- the data


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def open_probability(days_overdue: int) -> float:
    """How likely an invoice this far past due is still (partly) unpaid: what spreads amount_due over the buckets."""
    if days_overdue <= 0:
        return 0.85
    if days_overdue <= 30:
        return 0.55
    if days_overdue <= 60:
        return 0.35
    if days_overdue <= 90:
        return 0.25
    if days_overdue <= 180:
        return 0.15
    return 0.13


@dataclass
class Data:
    """The generated rows, in the compact form the COPY streams format from."""

    today: int  # ordinals
    first_ids: dict[str, int]
    customer_term: list[int] = field(default_factory=list)
    customer_open: list[int] = field(default_factory=list)  # cents
    # invoices, in id (= issue) order
    inv_customer: list[int] = field(default_factory=list)
    inv_issue: list[int] = field(default_factory=list)
    inv_status: list[int] = field(default_factory=list)  # index into STATUSES
    inv_net: list[int] = field(default_factory=list)
    inv_paid: list[int] = field(default_factory=list)
    inv_settled: list[int] = field(default_factory=list)  # the paid ones' allocation date, else 0
    # credit notes: (date, invoice index)
    credit_notes: list[tuple[int, int]] = field(default_factory=list)
    # payments: (received date, customer) → [(invoice index, cents), ...]
    payments: dict[tuple[int, int], list[tuple[int, int]]] = field(default_factory=dict)


ZERO = Decimal(0)
STATUSES = ("issued", "partially_paid", "paid", "cancelled")
ISSUED, PARTIAL, PAID, CANCELLED = range(4)


def tax(net: int) -> int:
    return (net * VAT + 50) // 100  # ROUND_HALF_UP of the cents


def payment_day(paid_on: int, today: int) -> int:
    """The customer's weekly payment run: the Friday on or after the day it pays, at the latest today."""
    friday = paid_on + (4 - (paid_on - 1) % 7) % 7  # ordinal 1 (0001-01-01) is a Monday
    return min(friday, today)


def generate(today: datetime.date, first_ids: dict[str, int]) -> Data:
    rng = random.Random(SEED)
    data = Data(today=today.toordinal(), first_ids=first_ids)
    t = data.today
    start = t - DAYS + 1
    data.customer_term = rng.choices(range(len(TERMS)), weights=[term[3] for term in TERMS], k=CUSTOMERS)
    data.customer_open = [0] * CUSTOMERS
    weights, total = [], 0.0
    for k in range(CUSTOMERS):  # a few big customers, a long tail
        total += 1 / (1 + k / 2000)
        weights.append(total)
    data.inv_customer = rng.choices(range(CUSTOMERS), cum_weights=weights, k=INVOICES)
    data.inv_issue = sorted(start + rng.randrange(DAYS) for _ in range(INVOICES))
    data.inv_net = [rng.randint(5_000, 500_000) for _ in range(INVOICES)]
    status, paid_cents, settled = data.inv_status, data.inv_paid, data.inv_settled
    for i in range(INVOICES):
        customer, issue, net = data.inv_customer[i], data.inv_issue[i], data.inv_net[i]
        term = TERMS[data.customer_term[customer]][0]
        gross = net + tax(net)
        if rng.random() < 0.01:
            status.append(CANCELLED)
            paid_cents.append(0)
            data.credit_notes.append((min(issue + rng.randint(1, 20), t), i))
            settled.append(0)
        elif rng.random() < open_probability(t - issue - term):
            if rng.random() < 0.4:  # a part paid
                paid = rng.randint(gross // 10, gross * 9 // 10) or 1
                status.append(PARTIAL)
                paid_cents.append(paid)
                data.payments.setdefault((payment_day(issue + rng.randint(0, t - issue), t), customer), []).append(
                    (i, paid))
                data.customer_open[customer] += gross - paid
            else:
                status.append(ISSUED)
                paid_cents.append(0)
                data.customer_open[customer] += gross
            settled.append(0)
        else:
            status.append(PAID)
            paid_cents.append(gross)
            days = min(max(0, term + int(rng.gauss(3, 15))), t - issue)
            day = payment_day(issue + days, t)  # ≥ issue: the allocation's date, the day it settled
            data.payments.setdefault((day, customer), []).append((i, gross))
            settled.append(day)
    return data


# ---------------------------------------------------------------------------------------------- the load


class Stream:
    """A file-like object COPY reads from, filled by a generator of text-format lines."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines, self.buffer = lines, ""

    def read(self, size: int = -1) -> str:
        while size < 0 or len(self.buffer) < size:
            chunk = "".join(line for _, line in zip(range(2000), self.lines, strict=False))
            if not chunk:
                break
            self.buffer += chunk
        if size < 0:
            size = len(self.buffer)
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out


@functools.cache
def iso(ordinal: int) -> str:
    return datetime.date.fromordinal(ordinal).isoformat()


def numbered(series: str, days: list[int]) -> tuple[list[str], dict[int, int]]:
    """Gap-free numbers per year for documents already in date order, and the last number of each year."""
    numbers, last = [], {}
    for day in days:
        year = int(iso(day)[:4])
        last[year] = last.get(year, 0) + 1
        numbers.append(f"{series}-{year}-{last[year]:06d}")
    return numbers, last


def customer_name(k: int) -> str:
    return f"Aging Bench {k + 1:05d} GmbH"


def customer_address(k: int) -> str:
    return f"Benchstrasse {k + 1}\\n20095 Hamburg"  # \n as COPY text writes a newline


def load(data: Data, term_ids: list[int], progress: Progress) -> dict[str, dict[int, int]]:
    ids, t = data.first_ids, data.today
    stamp = f"{iso(t)} 09:00:00+00"

    def tick(task: Any, lines: Iterator[str], every: int = 10_000) -> Iterator[str]:
        for n, line in enumerate(lines, 1):
            yield line
            if n % every == 0:
                progress.advance(task, every)
        progress.update(task, completed=progress.tasks[task].total)

    def copy(table: str, columns: str, lines: Iterator[str], total: int) -> None:
        task = progress.add_task(table, total=total)
        with connection.connection.cursor() as cur:
            cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN", Stream(tick(task, lines)), size=1 << 20)

    # customers
    const = "\t\tDE\tEUR\t0\ton_shipment\ten\tf\t\tf\tt\t"
    copy("orders_customer", "id, number, legal_name, billing_address, vat_id, country, currency, discount_percent, "
         "invoicing_policy, language, credit_hold, credit_hold_reason, do_not_dun, is_active, payment_term_id, "
         "open_balance, created_at, updated_at",
         (f"{ids['customer'] + k}\tAG-{k + 1:06d}\t{customer_name(k)}\t{customer_address(k)}{const}"
          f"{term_ids[data.customer_term[k]]}\t{money(data.customer_open[k])}\t{stamp}\t{stamp}\n"
          for k in range(CUSTOMERS)), CUSTOMERS)

    # invoices: the customer's part and the constant part of a row are formatted once
    customer_part = [f"{ids['customer'] + k}\t{customer_name(k)}\t{customer_address(k)}\t"
                     f"{TERMS[data.customer_term[k]][1]}\t{TERMS[data.customer_term[k]][2]}" for k in range(CUSTOMERS)]
    const = "\tEUR\ten\tdomestic\tDE\t\t\t\t\t\tmanual\t\t0\t0.00\t"
    invoice_numbers, last_invoice = numbered("INV", data.inv_issue)

    def invoices() -> Iterator[str]:
        for i in range(INVOICES):
            customer, issue, net, status = data.inv_customer[i], data.inv_issue[i], data.inv_net[i], data.inv_status[i]
            vat = tax(net)
            gross, paid = net + vat, data.inv_paid[i]
            credited = gross if status == CANCELLED else 0
            due = issue + TERMS[data.customer_term[customer]][0]
            at = f"{iso(issue)} 09:00:00+00"
            settled = iso(data.inv_settled[i]) if data.inv_settled[i] else "\\N"
            yield (f"{ids['invoice'] + i}\t{invoice_numbers[i]}\t{iso(issue)}\t{iso(due)}\t{STATUSES[status]}\t"
                   f"{money(net)}\t{money(vat)}\t{money(gross)}\t"
                   f'[{{"rate": "{VAT}.00", "net": "{money(net)}", "tax": "{money(vat)}"}}]\t'
                   f"{money(gross - paid - credited)}\t{money(credited)}\t{money(paid)}\t{settled}\t{at}\t{at}\t"
                   f"{at}\t{customer_part[customer]}{const}\n")

    copy("billing_invoice", "id, number, issue_date, due_date, status, net_total, tax_total, gross_total, "
         "tax_summary, amount_due, credited_amount, paid_amount, settled_on, issued_at, created_at, updated_at, "
         "customer_id, customer_name, customer_address, payment_term_code, payment_term_text, "
         "currency, language, tax_treatment, customer_country, customer_vat_id, notes, pdf, pdf_sha256, "
         "emailed_to, origin, customer_reference, discount_percent, discount_amount, payment_reference",
         invoices(), INVOICES)

    # credit notes cancelling their invoices in full
    data.credit_notes.sort()
    credit_numbers, last_credit = numbered("CN", [day for day, _ in data.credit_notes])

    const = "\tEUR\ten\tdomestic\tDE\t\t\t\t\t\tmanual\tcancellation\n"

    def credit_notes() -> Iterator[str]:
        for n, (day, i) in enumerate(data.credit_notes):
            customer, net = data.inv_customer[i], data.inv_net[i]
            vat = tax(net)
            at = f"{iso(day)} 10:00:00+00"
            yield (f"{ids['credit_note'] + n}\t{credit_numbers[n]}\t{ids['invoice'] + i}\t{ids['customer'] + customer}"
                   f"\t{customer_name(customer)}\t{customer_address(customer)}\t{iso(day)}\t{money(net)}\t{money(vat)}"
                   f"\t{money(net + vat)}\t"
                   f'[{{"rate": "{VAT}.00", "net": "{money(net)}", "tax": "{money(vat)}"}}]\t'
                   f"{money(net + vat)}\t0.00\t{at}\t{at}\t{at}{const}")

    copy("billing_creditnote", "id, number, invoice_id, customer_id, customer_name, customer_address, issue_date, "
         "net_total, tax_total, gross_total, tax_summary, applied_amount, customer_credit, issued_at, created_at, "
         "updated_at, currency, language, tax_treatment, customer_country, customer_vat_id, notes, pdf, pdf_sha256, "
         "emailed_to, origin, reason", credit_notes(), len(data.credit_notes))

    # payments, by weekly run, in date order, and their allocations
    runs = sorted(data.payments)
    payment_numbers, last_payment = numbered("PAY", [day for day, _ in runs])

    def payments() -> Iterator[str]:
        for n, key in enumerate(runs):
            day, customer = key
            amount = money(sum(cents for _, cents in data.payments[key]))
            at = f"{iso(day)} 12:00:00+00"
            yield (f"{ids['payment'] + n}\t{payment_numbers[n]}\t{ids['customer'] + customer}\t{iso(day)}\t{amount}\t"
                   f"{amount}\t0.00\t0.00\tEUR\tbank_transfer\t{payment_numbers[n]}\t\t{at}\t{at}\n")

    copy("receivables_payment", "id, number, customer_id, received_date, amount, allocated_amount, refunded_amount, "
         "unapplied_amount, currency, method, reference, note, created_at, updated_at", payments(), len(runs))

    allocations = sum(len(parts) for parts in data.payments.values())

    def allocation_rows() -> Iterator[str]:
        n = ids["allocation"]
        for p, key in enumerate(runs):
            day = iso(key[0])
            for i, cents in data.payments[key]:
                yield (f"{n}\t{ids['payment'] + p}\t{ids['invoice'] + i}\t{money(cents)}\t0.00\t"
                       f"{day}\t{day} 12:00:00+00\n")
                n += 1

    copy("receivables_allocation", "id, payment_id, invoice_id, amount, discount_amount, date, created_at",
         allocation_rows(), allocations)
    return {"INV": last_invoice, "CN": last_credit, "PAY": last_payment}


def loaded_counts() -> dict[str, int]:
    with connection.cursor() as cur:
        counts = {}
        for table in TABLES:
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
    return counts


def replica_role(cur: Any) -> bool:
    """No row triggers for this transaction's bulk COPY (superuser only; the checks after the load stand in for
    them). False when not a superuser: the triggers run, slower."""
    try:
        with transaction.atomic():
            cur.execute("SET LOCAL session_replication_role = replica")
        return True
    except DatabaseError:
        return False


def sequences_set(cur: Any, last: dict[str, dict[int, int]], tables: tuple[str, ...]) -> None:
    """The number series (series → year → last number loaded) and the tables' id sequences after the load."""
    for series, years in last.items():
        for year, value in years.items():
            cur.execute("INSERT INTO o2c_numbersequence (series, year, last_value, updated_at) "
                        "VALUES (%s, %s, %s, now())", [series, year, value])
    for table in tables:
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def prepare(reload: bool) -> None:
    counts = loaded_counts()
    if not reload and counts["billing_invoice"] == INVOICES and counts["orders_customer"] == CUSTOMERS:
        print(f"data already loaded in {DATABASE}: {counts['billing_invoice']:,} invoices, "
              f"{counts['orders_customer']:,} customers (--reload loads it again)")
        fill_settled_on()
        return
    started = time.perf_counter()
    today = timezone.localdate()
    with connection.cursor() as cur:
        if any(counts.values()):
            # TRUNCATE: the row-level append-only and frozen triggers do not fire; CASCADE empties what refers
            cur.execute(f"TRUNCATE {', '.join(TABLES)}, o2c_numbersequence RESTART IDENTITY CASCADE")
    first_ids = {"customer": 1, "invoice": 1, "credit_note": 1, "payment": 1, "allocation": 1}
    print(f"generating {INVOICES:,} invoices for {CUSTOMERS:,} customers as of {today} …", flush=True)
    data = generate(today, first_ids)
    generated = time.perf_counter()
    print(f"  generated in {generated - started:.1f} s; loading with COPY in one transaction", flush=True)
    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with transaction.atomic(), Progress(*columns) as progress, connection.cursor() as cur:
        replica = replica_role(cur)
        term_ids = []
        for days, code, text, _ in TERMS:
            cur.execute("INSERT INTO orders_paymentterm (code, name, net_days, end_of_month, discount_percent, "
                        "discount_days, is_active) VALUES (%s, %s, %s, false, 0, 0, true) RETURNING id",
                        [code, text, days])
            term_ids.append(cur.fetchone()[0])
        sequences_set(cur, load(data, term_ids, progress), TABLES)
    copied = time.perf_counter()
    triggers = "row triggers off: session_replication_role = replica" if replica else "row triggers on"
    print(f"  loaded in {copied - generated:.1f} s ({triggers})", flush=True)
    with connection.cursor() as cur:  # autocommit: VACUUM cannot run in a transaction
        for table in TABLES:
            cur.execute(f"VACUUM (ANALYZE) {table}")
    print(f"  vacuumed and analysed in {time.perf_counter() - copied:.1f} s; "
          f"total {time.perf_counter() - started:.1f} s", flush=True)
    check()


# the day a paid invoice was settled in full: its last allocation's date (the later of received and issued)
# or write-off's
SETTLED_DAY = ("greatest((SELECT max(a.date) FROM receivables_allocation a WHERE a.invoice_id = i.id), "
               "(SELECT max(w.date) FROM receivables_writeoff w WHERE w.invoice_id = i.id))")


def fill_settled_on() -> None:
    """Data loaded before invoices kept `settled_on` (billing 0005): fill it on the paid invoices as receivables
    would have, in one UPDATE (rows written in id order: a sequential scan with index look-ups), then put
    the table back as a fresh load leaves it — CLUSTER by id (the UPDATE leaves the old versions of 80 % of
    the rows behind and the new ones after them), VACUUM ANALYZE (the visibility map for index-only scans,
    the new column's statistics) — and check."""
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM billing_invoice WHERE status = 'paid' AND settled_on IS NULL")
        if not (missing := cur.fetchone()[0]):
            return
    print(f"  {missing:,} paid invoices without settled_on (loaded before billing 0005): filling it", flush=True)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        try:  # the frozen-invoice trigger allows settled_on, but runs per row (~4× the time): not for this
            with transaction.atomic():
                cur.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:  # not a superuser: the trigger runs
            pass
        cur.execute(f"UPDATE billing_invoice i SET settled_on = {SETTLED_DAY} "
                    "WHERE i.status = 'paid' AND i.settled_on IS NULL")
        filled = cur.rowcount
    updated = time.perf_counter()
    with connection.cursor() as cur:  # autocommit: VACUUM cannot run in a transaction
        cur.execute("CLUSTER billing_invoice USING billing_invoice_pkey")
        cur.execute("VACUUM (ANALYZE) billing_invoice")
    print(f"  filled {filled:,} in {updated - started:.1f} s; clustered by id, vacuumed and analysed in "
          f"{time.perf_counter() - updated:.1f} s", flush=True)
    check()


CHECKS = {
    "invoice without its customer": "SELECT count(*) FROM billing_invoice i "
    "WHERE NOT EXISTS (SELECT 1 FROM orders_customer c WHERE c.id = i.customer_id)",
    "allocation without its invoice or payment": "SELECT count(*) FROM receivables_allocation a "
    "WHERE NOT EXISTS (SELECT 1 FROM billing_invoice i WHERE i.id = a.invoice_id) "
    "OR NOT EXISTS (SELECT 1 FROM receivables_payment p WHERE p.id = a.payment_id)",
    "credit note without its invoice": "SELECT count(*) FROM billing_creditnote n "
    "WHERE NOT EXISTS (SELECT 1 FROM billing_invoice i WHERE i.id = n.invoice_id)",
    "invoice paid ≠ Σ allocations": "SELECT count(*) FROM billing_invoice i LEFT JOIN (SELECT invoice_id, "
    "sum(amount + discount_amount) s FROM receivables_allocation GROUP BY invoice_id) a ON a.invoice_id = i.id "
    "WHERE i.paid_amount <> coalesce(a.s, 0)",
    "amount_due ≠ gross − credited − paid": "SELECT count(*) FROM billing_invoice "
    "WHERE amount_due <> gross_total - credited_amount - paid_amount",
    "payment ≠ Σ allocations": "SELECT count(*) FROM receivables_payment p LEFT JOIN (SELECT payment_id, sum(amount) s "
    "FROM receivables_allocation GROUP BY payment_id) a ON a.payment_id = p.id WHERE p.allocated_amount <> "
    "coalesce(a.s, 0)",
    "open_balance ≠ Σ open amount_due": "SELECT count(*) FROM orders_customer c LEFT JOIN (SELECT customer_id, "
    "sum(amount_due) s FROM billing_invoice WHERE status IN ('issued', 'partially_paid') GROUP BY customer_id) o "
    "ON o.customer_id = c.id WHERE c.open_balance <> coalesce(o.s, 0)",
    "paid settled_on ≠ last allocation/write-off date": "SELECT count(*) FROM billing_invoice i LEFT JOIN "
    "(SELECT invoice_id, max(date) d FROM receivables_allocation GROUP BY invoice_id) a ON a.invoice_id = i.id "
    "LEFT JOIN (SELECT invoice_id, max(date) d FROM receivables_writeoff GROUP BY invoice_id) w ON w.invoice_id = i.id "
    "WHERE i.status = 'paid' AND i.settled_on IS DISTINCT FROM greatest(a.d, w.d)",
}


def check() -> None:
    with connection.cursor() as cur:
        for what, sql in CHECKS.items():
            cur.execute(sql)
            if (bad := cur.fetchone()[0]) != 0:
                raise SystemExit(f"the loaded data is inconsistent: {bad} × {what}")
    print(f"  checked: {', '.join(CHECKS)} — none", flush=True)


# ---------------------------------------------------------------------------------------------- the timings


def best_of(fn: Callable[[], Any], runs: int = RUNS) -> tuple[float, Any, int]:
    """(best seconds, the result, the statements one call ran), after a warm-up call."""
    statements = 0

    def count(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        result = fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), result, statements


def fetch(sql: str, params: dict[str, Any]) -> list[tuple]:
    """Hand-written SQL: a psycopg2 cursor on the same connection, every row fetched."""
    with connection.connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


OPEN_SQL = "status IN ('issued', 'partially_paid')"
# a day's bucket by its due date (days past due = as_of − due_date): current ≤ 0, 1–30, 31–60, 61–90, 91+
BUCKETS_SQL = """
           sum(amount_due) FILTER (WHERE due_date >= %(as_of)s) AS current,
           sum(amount_due) FILTER (WHERE due_date < %(as_of)s AND due_date >= %(as_of)s - 30) AS d1_30,
           sum(amount_due) FILTER (WHERE due_date < %(as_of)s - 30 AND due_date >= %(as_of)s - 60) AS d31_60,
           sum(amount_due) FILTER (WHERE due_date < %(as_of)s - 60 AND due_date >= %(as_of)s - 90) AS d61_90,
           sum(amount_due) FILTER (WHERE due_date < %(as_of)s - 90) AS d90_plus,
           sum(amount_due) AS total"""

# (a) aging: per customer and currency, with the customer's number and name, largest first; the company's
# total per currency is summed from these rows (as a GROUPING SETS row it costs a sort: slower)
AGING_SQL = f"""
SELECT a.customer_id, c.number, c.legal_name, a.currency, a.invoices,
       a.current, a.d1_30, a.d31_60, a.d61_90, a.d90_plus, a.total
  FROM (SELECT customer_id, currency, count(*) AS invoices, {BUCKETS_SQL}
          FROM billing_invoice
         WHERE {OPEN_SQL} AND amount_due > 0
         GROUP BY customer_id, currency) a
  JOIN orders_customer c ON c.id = a.customer_id
 ORDER BY a.total DESC, c.number
"""


def aging_by_sql(params: dict[str, Any]) -> tuple[list[tuple], dict[str, list]]:
    rows = fetch(AGING_SQL, params)
    totals: dict[str, list] = {}
    for row in rows:
        total = totals.setdefault(row[3], [0, ZERO, ZERO, ZERO, ZERO, ZERO])
        total[0] += row[4]
        for k in range(5):
            total[k + 1] += row[k + 5] or ZERO
    return rows, totals


# (b) customer balances: the collector worklist, customers ranked by overdue amount × days overdue, with
# their open balance, hold flags, highest reminder level on an open invoice and open disputes
WORKLIST_SQL = f"""
SELECT w.customer_id, c.number, c.legal_name, w.currency, c.open_balance, w.overdue, w.oldest, w.priority,
       c.credit_hold, c.do_not_dun,
       (SELECT max(r.level) FROM receivables_reminderlog r JOIN billing_invoice ri ON ri.id = r.invoice_id
         WHERE ri.customer_id = w.customer_id AND ri.{OPEN_SQL}),
       (SELECT count(*) FROM receivables_dispute d WHERE d.customer_id = w.customer_id AND d.status = 'open')
  FROM (SELECT customer_id, currency, sum(amount_due) AS overdue, max(%(as_of)s - due_date) AS oldest,
               sum(amount_due * (%(as_of)s - due_date)) AS priority
          FROM billing_invoice
         WHERE {OPEN_SQL} AND amount_due > 0 AND due_date < %(as_of)s
         GROUP BY customer_id, currency
         ORDER BY priority DESC LIMIT %(limit)s) w
  JOIN orders_customer c ON c.id = w.customer_id
 ORDER BY w.priority DESC, c.number
"""

# invoices settled in (since, as_of]: the day receivables settled each in full (its last allocation or
# write-off) is kept on the invoice, `settled_on`, and the partial index invoice_settled covers the read
SETTLED_SQL = """
      FROM billing_invoice
     WHERE status = 'paid' AND settled_on IS NOT NULL AND currency = %(currency)s
       AND settled_on > %(since)s AND settled_on <= %(as_of)s"""
# money settled on another currency's invoice is left out (the invoice says the currency)
OTHER_CURRENCY = ("NOT EXISTS (SELECT 1 FROM billing_invoice oi WHERE oi.id = {alias}.invoice_id "
                  "AND oi.currency <> %(currency)s)")

# (c) the KPIs of the receivables home: AR and overdue AR now, credit sales of 90 and 30 days, AR 30 days
# ago (from the documents' dates), days to pay and days late over the invoices settled in 12 months,
# unapplied credit, open disputes; DSO, overdue % and CEI are arithmetic on these
KPIS_SQL = f"""
WITH inv AS (
    SELECT coalesce(sum(amount_due) FILTER (WHERE {OPEN_SQL}), 0) AS open_ar,
           coalesce(sum(amount_due) FILTER (WHERE {OPEN_SQL} AND due_date < %(as_of)s), 0) AS overdue,
           coalesce(sum(gross_total) FILTER (WHERE issue_date BETWEEN %(from_90)s AND %(as_of)s), 0) AS sales_90,
           coalesce(sum(gross_total) FILTER (WHERE issue_date > %(start)s AND issue_date <= %(as_of)s), 0) AS sales_30,
           coalesce(sum(gross_total) FILTER (WHERE issue_date <= %(start)s), 0) AS gross_start
      FROM billing_invoice WHERE number IS NOT NULL AND currency = %(currency)s),
cn AS (
    SELECT coalesce(sum(gross_total) FILTER (WHERE issue_date BETWEEN %(from_90)s AND %(as_of)s), 0) AS cn_90,
           coalesce(sum(gross_total) FILTER (WHERE issue_date > %(start)s AND issue_date <= %(as_of)s), 0) AS cn_30,
           coalesce(sum(applied_amount) FILTER (WHERE issue_date <= %(start)s), 0) AS cn_start
      FROM billing_creditnote WHERE currency = %(currency)s),
al AS (
    SELECT coalesce(sum(a.amount + a.discount_amount), 0) AS settled_start FROM receivables_allocation a
     WHERE a.date <= %(start)s AND {OTHER_CURRENCY.format(alias="a")}),
wo AS (
    SELECT coalesce(sum(w.amount), 0) AS written_start FROM receivables_writeoff w
     WHERE w.date <= %(start)s AND {OTHER_CURRENCY.format(alias="w")}),
habit AS (
    SELECT count(*) AS settled, avg(settled_on - issue_date) AS days_to_pay, avg(settled_on - due_date) AS days_late
      {SETTLED_SQL})
SELECT inv.*, cn.*, al.*, wo.*, habit.*,
       (SELECT coalesce(sum(unapplied_amount), 0) FROM receivables_payment
         WHERE unapplied_amount > 0 AND currency = %(currency)s) AS unapplied,
       (SELECT count(*) FROM receivables_dispute d JOIN billing_invoice i ON i.id = d.invoice_id
         WHERE d.status = 'open' AND i.currency = %(currency)s) AS disputes
  FROM inv, cn, al, wo, habit
"""

# (d) days to pay and days late per customer (and the company: customer_id NULL)
DAYS_TO_PAY_SQL = f"""
SELECT customer_id, count(*), avg(settled_on - issue_date), avg(settled_on - due_date)
       {SETTLED_SQL}
 GROUP BY ROLLUP (customer_id)
"""


# (e) the DSO trend: per day, what was invoiced, credited, settled and written off (one aggregate per table,
# ~730 rows each); AR at each month end and the credit sales of the 90 days up to it are running sums of these
TREND_SQL = f"""
SELECT 'invoiced', issue_date, sum(gross_total), 0 FROM billing_invoice
 WHERE number IS NOT NULL AND currency = %(currency)s AND issue_date <= %(as_of)s GROUP BY issue_date
UNION ALL
SELECT 'credited', issue_date, sum(applied_amount), sum(gross_total) FROM billing_creditnote
 WHERE currency = %(currency)s AND issue_date <= %(as_of)s GROUP BY issue_date
UNION ALL
SELECT 'settled', a.date, sum(a.amount + a.discount_amount), 0 FROM receivables_allocation a
 WHERE a.date <= %(as_of)s AND {OTHER_CURRENCY.format(alias="a")} GROUP BY a.date
UNION ALL
SELECT 'written off', w.date, sum(w.amount), 0 FROM receivables_writeoff w
 WHERE w.date <= %(as_of)s AND {OTHER_CURRENCY.format(alias="w")} GROUP BY w.date
"""


def one(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def kpis_by_sql(params: dict[str, Any]) -> dict[str, Any]:
    (row,) = fetch(KPIS_SQL, params)
    names = ("open_ar", "overdue", "sales_90", "sales_30", "gross_start", "cn_90", "cn_30", "cn_start",
             "settled_start", "written_start", "settled", "days_to_pay", "days_late", "unapplied", "disputes")
    k = dict(zip(names, row, strict=True))
    sales_90, sales_30 = k["sales_90"] - k["cn_90"], k["sales_30"] - k["cn_30"]
    begin = k["gross_start"] - k["cn_start"] - k["settled_start"] - k["written_start"]
    collectable = begin + sales_30 - (k["open_ar"] - k["overdue"])
    return {"open_ar": k["open_ar"], "overdue_ar": k["overdue"], "credit_sales_90": sales_90,
            "dso": one(k["open_ar"] / sales_90 * 90) if sales_90 > 0 else None,
            "overdue_percent": one(k["overdue"] / k["open_ar"] * 100) if k["open_ar"] > 0 else None,
            "cei": one((begin + sales_30 - k["open_ar"]) / collectable * 100) if collectable > 0 else None,
            "average_days_to_pay": one(k["days_to_pay"]), "average_days_late": one(k["days_late"]),
            "unapplied_credit": k["unapplied"], "open_disputes": k["disputes"]}


def trend_by_sql(params: dict[str, Any], days: list[datetime.date]) -> list[tuple]:
    """[(month end, AR, credit sales of the 90 days up to it)]."""
    rows = fetch(TREND_SQL, params)
    points = []
    for day in days:
        first = day - datetime.timedelta(days=89)
        ar = sales = ZERO
        for kind, date, amount, credited_gross in rows:
            if date <= day:
                ar += amount if kind == "invoiced" else -amount
                if date >= first:
                    sales += amount if kind == "invoiced" else -credited_gross
        points.append((day, ar, sales))
    return points


@dataclass
class Figure:
    name: str
    app: Callable[[], Any]
    sql: Callable[[], Any]
    same: Callable[[Any, Any], bool]  # (app result, SQL result) → the same figures?


def figures(as_of: datetime.date) -> list[Figure]:
    params = {"as_of": as_of, "limit": 50, "currency": "EUR", "from_90": as_of - datetime.timedelta(days=89),
              "start": as_of - datetime.timedelta(days=30), "since": as_of - datetime.timedelta(days=round(12 * 30.44))}
    months = month_ends(as_of, 12)

    def same_aging(report: Any, by_sql: tuple[list[tuple], dict[str, list]]) -> bool:
        rows, totals = by_sql
        total = report.totals["EUR"]
        return (len(report.rows) == len(rows) and [total.invoices, *total.cells()] == totals["EUR"]
                and [r.customer_id for r in report.rows] == [row[0] for row in rows])

    def same_worklist(worklist: list, rows: list[tuple]) -> bool:
        return [(w.customer_id, w.priority, w.overdue) for w in worklist] == [(r[0], r[7], r[5]) for r in rows]

    def same_kpis(kpis: Any, by_sql: dict[str, Any]) -> bool:
        return all(getattr(kpis, name) == value for name, value in by_sql.items())

    def same_days_to_pay(habits: dict, rows: list[tuple]) -> bool:
        return len(habits) == len(rows) and all(
            (habits[c].invoices, habits[c].days_to_pay, habits[c].days_late) == (n, one(p), one(late))
            for c, n, p, late in rows)

    def same_trend(points: list, rows: list[tuple]) -> bool:
        return [(p.date, p.ar, p.sales_90) for p in points] == rows

    return [
        Figure("(a) aging report (company + per customer)", lambda: aging_report(as_of),
               lambda: aging_by_sql(params), same_aging),
        Figure("(b) customer balances: collector worklist", lambda: collector_worklist(as_of, limit=50),
               lambda: fetch(WORKLIST_SQL, params), same_worklist),
        Figure("(c) DSO: receivables_kpis (all KPIs)", lambda: receivables_kpis(as_of),
               lambda: kpis_by_sql(params), same_kpis),
        Figure("(c) DSO trend, 12 month ends", lambda: dso_trend(as_of, months=12),
               lambda: trend_by_sql(params, months), same_trend),
        Figure("    days to pay per customer", lambda: days_to_pay(as_of),
               lambda: fetch(DAYS_TO_PAY_SQL, params), same_days_to_pay),
    ]


def server(tables: tuple[str, ...]) -> tuple[str, str, int, int]:
    """("PostgreSQL <version> (<settings>)", the tables' size with their indexes, open invoices, invoices)."""
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('server_version'), current_setting('shared_buffers'), "
                    "current_setting('work_mem'), pg_size_pretty(sum(pg_total_relation_size(c.oid))) "
                    "FROM pg_class c WHERE c.relname = ANY(%s)", [list(tables)])
        version, buffers, work_mem, size = cur.fetchone()
        cur.execute(f"SELECT count(*) FILTER (WHERE {OPEN_SQL}), count(*) FROM billing_invoice")
        open_count, invoices = cur.fetchone()
    return f"PostgreSQL {version} (shared_buffers {buffers}, work_mem {work_mem})", size, open_count, invoices


def environment() -> str:
    postgres, size, open_count, invoices = server(("billing_invoice",))
    counts = loaded_counts()
    return (f"{postgres}; billing_invoice with its indexes {size}\n"
            f"rows: {invoices:,} invoices ({open_count:,} open), {counts['orders_customer']:,} customers, "
            f"{counts['receivables_payment']:,} payments, {counts['receivables_allocation']:,} allocations, "
            f"{counts['billing_creditnote']:,} credit notes")


def main() -> None:
    prepare(ARGS.reload)
    as_of = timezone.localdate()
    print(environment())
    print(f"as of {as_of}; best of {RUNS} after a warm-up; DESIGN.md §8: each well under 1 s, app/SQL ≤ 2; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'figure':<44}{'app ms':>9}{'SQL ms':>9}{'app/SQL':>9}{'queries':>9}{'rows':>8}  same  budget")
    for figure in figures(as_of):
        app_seconds, app_result, queries = best_of(figure.app)
        sql_seconds, sql_result, _ = best_of(figure.sql)
        rows = len(app_result) if isinstance(app_result, list | dict) else len(getattr(app_result, "rows", [1]))
        ratio = app_seconds / sql_seconds
        budget = "ok" if app_seconds < 1 and ratio <= 2 else "OVER"
        print(f"{figure.name:<44}{app_seconds * 1000:9.1f}{sql_seconds * 1000:9.1f}{ratio:9.2f}{queries:9d}"
              f"{rows:8,}  {'yes' if figure.same(app_result, sql_result) else 'NO':<4}  {budget}", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    connection.close()


if __name__ == "__main__":
    main()
