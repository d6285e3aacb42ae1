"""The finance and management home pages over 1,000,000 orders and 1,000,000 invoices: each query the pages run
beside hand-written SQL on the same data (DESIGN.md §8: each well under a second, within 2× of a hand-written SQL
query on the same data).

The data lives in its own bench database, `o2c_bench_dash` (on the server of DATABASE_URL), and is kept: a second
run finds it loaded (by its counts) and only times; `--reload` empties the bench tables and loads afresh.
BENCH_ORDERS (1,000,000) and BENCH_CUSTOMERS (50,000) set the size; another size reloads.

The load writes what the services would have left, with COPY from generated rows in one transaction (with the
helpers of bench/aging.py: its COPY stream, gap-free numbering per year, VAT rounded half up, weekly payment runs,
how likely an invoice this far past due is still open, and its consistency checks):
- 3 payment terms (14, 30, 60 days net), 200 products, 2 warehouses, 2 carriers, 50,000 customers (a few big ones,
  a long tail), each with `open_balance` = Σ amount_due of its open invoices;
- the sales orders, confirmed over the last 744 days (SO-YYYY-NNNNNN in creation order), 1–3 lines of 1–20 pieces
  at 5–250 EUR, 19 % VAT rounded per line; 6 % of the lines could not be covered in full at confirmation; 40 % name
  a requested date. Of the last 3 days' orders some are still drafts or on credit hold;
- a shipment per confirmed order, planned 1–4 days after confirmation on a weekday, 12 % leaving 1–3 days late,
  delivered after the carrier's 1 or 2 transit days (8 % 1–3 days later), `promised_date` the requested date or
  the planned delivery, `on_time` and `in_full` as fulfillment sets them; 5 % of the orders ship in two parts (the
  first not in full, the rest 3–10 days later). What should have left by yesterday has; the rest is scheduled,
  picking or packed;
- an invoice per shipped shipment (INV-YYYY-NNNNNN in issue order), its lines the shipment's lines: 97 % made and
  issued by the automation the day the goods left (touchless: no `created_by`), 3 % by Finance by hand 1–3 days
  later. ~80 % paid (`settled_on` the day of the allocation that paid it), ~19 % open over every aging bucket (40 %
  of them partly paid), ~1 % cancelled by a credit note in full, 3 % with a partial credit note (price correction,
  return, damaged goods, goodwill or other). The order lines' shipped / delivered / invoiced quantities, the
  orders' invoiced and paid amounts, delivery / invoice / payment status and status (done once shipped and
  invoiced in full) follow;
- the payments: each customer pays in weekly runs (PAY-YYYY-NNNNNN), allocated in full to the invoices they settle;
  a bank statement every working day, a line per payment (85 % matched by a rule, the rest by Finance) and a few
  lines no payment was found for (ignored; the last 10 days' still in the reconciliation queue);
- the weekly dunning run of the last year: reminders (level 1, 2, 3 at 7, 21, 35 days past due) on the Mondays an
  invoice was still unpaid, one per customer, level and day, with their logs;
- the number sequences (SO, SH, INV, CN, PAY per year) set to the last number loaded.
No stock levels, reservations, audit events or outbox rows are written.

The load session sets `session_replication_role = replica` (superuser) as bench/aging.py does: the row triggers —
deferred foreign-key checks, billing's "issued documents are frozen" (which refuses the lines of an issued
invoice) and receivables' append-only triggers — do not fire for the bulk COPY; the script checks the foreign keys
and the balances by query afterwards. In the same transaction the tables are emptied (TRUNCATE), so COPY FREEZE
writes them frozen and all-visible (index-only scans need no VACUUM); their indexes that back no constraint and
billing's three BEFORE INSERT triggers are dropped for the COPY and created again before the commit (the indexes
by one sort each; a table with a BEFORE INSERT trigger is copied a row at a time and without all-visible pages);
then ANALYZE.

Then the nightly job, timed: `payment_predictions_refresh()` (every open invoice's predicted pay date) and
`kpi_snapshot_take()` for the days `kpi_trends` shows (the last 11 month ends and yesterday). A later run
refreshes the predictions only if they were not computed today, and takes the missing snapshots; `--nightly` times
both again (snapshots recomputed).

Each figure is the best of 5 runs after a warm-up (`time.perf_counter`), as of the day of the run: the parts of
`finance_home()` (aging totals, the DSO KPI, its trend, the 13-week cash forecast, the collection priorities, the
reconciliation queue) and the page whole; `management_home()` (last night's snapshot of every KPI and the 12 month
ends); then what the KPI page computes live: every KPI of `insight.selectors.kpis.KPIS` over the 30 days up to today,
one line each, all of them together, and the trends. The hand-written SQL, written from each KPI's definition, runs
on the same connection through a psycopg2 cursor, fetches every row, and must give the same figures (column
"same"); for a whole page it is every part's hand-written SQL in turn. `--set NAME=VALUE` sets a
PostgreSQL setting for the session first (e.g. `--set jit=off`), to measure a proposed server setting.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from _setup import setup_bench_db

DATABASE = "o2c_bench_dash"
ORDERS = int(os.environ.get("BENCH_ORDERS", "1000000"))
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "50000"))
ORDER_DAYS = 744  # orders confirmed over the last 744 days: invoices issued over the last two years
PRODUCTS = 200
SEED = 11
PRIORITIES = 10  # finance_home's collection priorities


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reload", action="store_true", help="empty the bench tables and load the data again")
    parser.add_argument("--nightly", action="store_true",
                        help="time the nightly refresh and the KPI snapshots again (snapshots recomputed)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a PostgreSQL setting for the bench's session, e.g. jit=off (repeatable): to measure a "
                             "proposed server setting on both sides")
    return parser.parse_args()


ARGS = parse()
setup_bench_db(DATABASE)

from aging import (  # noqa: E402  (Django is set up: aging imports the app's selectors)
    BUCKETS_SQL,
    CHECKS,
    DAYS,
    OPEN_SQL,
    OTHER_CURRENCY,
    RUNS,
    TERMS,
    VAT,
    ZERO,
    Stream,
    best_of,
    fetch,
    iso,
    money,
    numbered,
    one,
    open_probability,
    payment_day,
    replica_role,
    sequences_set,
    server,
    tax,
)
from aging import Figure as AgingFigure  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.utils import timezone  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402
from rich.table import Table  # noqa: E402

from insight.selectors.forecast import cash_forecast, monday  # noqa: E402
from insight.selectors.home import finance_home, kpi_trends, management_home  # noqa: E402
from insight.selectors.kpis import KPIS, kpi_values, trailing  # noqa: E402
from insight.selectors.predictions import collection_priorities  # noqa: E402
from insight.services import kpi_snapshot_take, payment_predictions_refresh  # noqa: E402
from receivables.selectors.aging import aging_totals  # noqa: E402
from receivables.selectors.kpis import month_ends  # noqa: E402
from receivables.selectors.statements import reconciliation_queue  # noqa: E402

CONSOLE = Console(width=None if sys.stdout.isatty() else 132)

# ---------------------------------------------------------------------------------------------- the data

DRAFT, ON_HOLD, CONFIRMED, DONE = "draft", "on_hold", "confirmed", "done"
ISSUED, PARTIAL, PAID, CANCELLED = range(4)
INVOICE_STATUSES = ("issued", "partially_paid", "paid", "cancelled")
CARRIERS = (("BPOST", "Bench Post", 1), ("BFREIGHT", "Bench Freight", 2))  # (code, name, transit days)
WAREHOUSES = (("BHH", "Bench Hamburg"), ("BMUC", "Bench München"))
# partial credit notes: (reason, cumulative share)
CREDIT_REASONS = (("price", 0.35), ("return", 0.60), ("damaged", 0.75), ("goodwill", 0.90), ("other", 1.0))
# the weekly dunning run (Mondays), live for the last year: (level, days past due, fee in cents)
REMINDER_LEVELS = ((1, 7, 0), (2, 21, 500), (3, 35, 1000))
DUNNING_DAYS = 365
# how an incoming bank line found its payment: (rule, cumulative share); "manual" lines were matched by Finance
MATCH_RULES = (("invoice_number", 0.60), ("payment_reference", 0.75), ("iban_amount", 0.83),
               ("name_amount", 0.85), ("manual", 1.0))
QUEUE_DAYS = 10  # bank lines nobody matched stay in the queue this long, then Finance ignores them


@dataclass
class Data:
    """Everything loaded, as parallel lists (ids are index + 1, rows in creation order)."""

    today: int  # ordinal
    prices: list[int] = field(default_factory=list)  # cents per product
    customer_term: list[int] = field(default_factory=list)
    customer_open: list[int] = field(default_factory=list)  # cents
    # orders
    o_customer: list[int] = field(default_factory=list)
    o_day: list[int] = field(default_factory=list)
    o_minute: list[int] = field(default_factory=list)
    o_status: list[str] = field(default_factory=list)
    o_requested: list[int] = field(default_factory=list)  # 0: none
    o_warehouse: list[int] = field(default_factory=list)
    o_first: list[int] = field(default_factory=lambda: [0])  # the order's lines: o_first[k] to o_first[k + 1]
    o_invoiced: list[int] = field(default_factory=list)
    o_paid: list[int] = field(default_factory=list)
    # order lines
    l_product: list[int] = field(default_factory=list)
    l_qty: list[int] = field(default_factory=list)
    l_net: list[int] = field(default_factory=list)
    l_tax: list[int] = field(default_factory=list)
    l_backordered: list[int] = field(default_factory=list)
    l_promise: list[int] = field(default_factory=list)
    l_shipped: list[int] = field(default_factory=list)
    l_delivered: list[int] = field(default_factory=list)
    # shipments: (created day, order, part, planned ship, planned delivery, promised, shipped day, delivered day,
    # carrier, ((order line, quantity), ...), in full); a day 0 is "not yet"
    shipments: list[tuple] = field(default_factory=list)
    sl_first: list[int] = field(default_factory=lambda: [0])  # the shipment's lines (ids follow shipments)
    # invoices, in issue order: (issue day, shipment, by hand)
    invoices: list[tuple[int, int, bool]] = field(default_factory=list)
    inv_status: list[int] = field(default_factory=list)
    inv_net: list[int] = field(default_factory=list)
    inv_tax: list[int] = field(default_factory=list)
    inv_paid: list[int] = field(default_factory=list)
    inv_credited: list[int] = field(default_factory=list)
    inv_settled: list[int] = field(default_factory=list)
    # credit notes: (day, invoice, reason, gross cents)
    credit_notes: list[tuple[int, int, str, int]] = field(default_factory=list)
    # payments: (received day, customer) → [(invoice, cents), ...]
    payments: dict[tuple[int, int], list[tuple[int, int]]] = field(default_factory=dict)
    # reminder logs: (sent on, customer, level, invoice, amount due cents, days overdue)
    reminder_logs: list[tuple[int, int, int, int, int, int]] = field(default_factory=list)

    @property
    def invoice_lines(self) -> int:
        return sum(self.sl_first[s + 1] - self.sl_first[s] for _, s, _ in self.invoices)


def weekday(ordinal: int) -> int:
    return (ordinal - 1) % 7  # ordinal 1 (0001-01-01) is a Monday


def working(ordinal: int) -> int:
    """The day, or the Monday after it if it falls on a weekend."""
    w = weekday(ordinal)
    return ordinal + 7 - w if w >= 5 else ordinal


def pick(shares: tuple[tuple[str, float], ...], r: float) -> str:
    return next(name for name, upto in shares if r < upto)


def progress_status(shipped: int, wanted: int) -> str:
    return "none" if shipped <= 0 else "full" if shipped >= wanted else "partial"


def generate(today: datetime.date, progress: Progress) -> Data:
    rng = random.Random(SEED)
    rand, gauss = rng.random, rng.gauss
    t = today.toordinal()
    d = Data(today=t)
    d.prices = [rng.randrange(500, 25_000) for _ in range(PRODUCTS)]
    d.customer_term = rng.choices(range(len(TERMS)), weights=[term[3] for term in TERMS], k=CUSTOMERS)
    d.customer_open = [0] * CUSTOMERS
    weights, total = [], 0.0
    for k in range(CUSTOMERS):  # a few big customers, a long tail (as bench/aging.py)
        total += 1 / (1 + k / 2000)
        weights.append(total)
    d.o_customer = rng.choices(range(CUSTOMERS), cum_weights=weights, k=ORDERS)
    first_day = t - ORDER_DAYS + 1
    d.o_day = sorted(first_day + int(rand() * ORDER_DAYS) for _ in range(ORDERS))
    prices = d.prices
    l_product, l_qty, l_net, l_tax, l_back, l_promise = d.l_product, d.l_qty, d.l_net, d.l_tax, d.l_backordered, \
        d.l_promise
    o_minute, o_status, o_requested, o_warehouse, o_first = d.o_minute, d.o_status, d.o_requested, d.o_warehouse, \
        d.o_first
    firsts, seconds = [], []
    task = progress.add_task("generating orders", total=ORDERS)
    for k in range(ORDERS):
        if k % 50_000 == 0:
            progress.update(task, completed=k)
        day = d.o_day[k]
        r = rand()
        n = 1 if r < 0.5 else 2 if r < 0.8 else 3
        start = len(l_product)
        for _ in range(n):
            p = int(rand() * PRODUCTS)
            q = 1 + int(rand() * 20)
            net = q * prices[p]
            l_product.append(p)
            l_qty.append(q)
            l_net.append(net)
            l_tax.append(tax(net))
            l_back.append(1 + int(rand() * q) if rand() < 0.06 else 0)
        o_first.append(len(l_product))
        o_minute.append(int(rand() * 480))  # confirmed between 09:00 and 17:00
        o_warehouse.append(0 if rand() < 0.7 else 1)
        if day >= t - 2 and rand() < 0.15:  # the last days' orders not yet confirmed
            o_status.append(ON_HOLD if rand() < 0.3 else DRAFT)
            o_requested.append(0)
            l_promise.extend([0] * n)
            continue
        o_status.append(CONFIRMED)  # done, once shipped and invoiced in full (below)
        requested = day + 5 + int(rand() * 8) if rand() < 0.4 else 0
        o_requested.append(requested)
        carrier = 0 if rand() < 0.6 else 1
        transit = CARRIERS[carrier][2]
        planned = working(day + 1 + int(rand() * 4))
        planned_delivery = working(planned + transit)
        l_promise.extend([planned_delivery] * n)
        leaves = working(planned + 1 + int(rand() * 3)) if rand() < 0.12 else planned
        lines = [(j, l_qty[j]) for j in range(start, start + n)]
        split = n >= 2 and lines[0][1] >= 2 and rand() < 0.05
        if split:
            part = lines[0][1] // 2
            rest = [(lines[0][0], lines[0][1] - part)]
            lines[0] = (lines[0][0], part)
        shipped = leaves if leaves < t else 0
        delivered = 0
        if shipped:
            delivered = working(shipped + transit + (1 + int(rand() * 3) if rand() < 0.08 else 0))
            delivered = delivered if delivered < t else 0
        firsts.append((day, k, 0, planned, planned_delivery, requested or planned_delivery, shipped, delivered,
                       carrier, tuple(lines), not split))
        if split and shipped:  # the rest, scheduled when the first part left
            planned = working(shipped + 3 + int(rand() * 8))
            planned_delivery = working(planned + transit)
            leaves = working(planned + 1 + int(rand() * 2)) if rand() < 0.12 else planned
            shipped2 = leaves if leaves < t else 0
            delivered = working(shipped2 + transit) if shipped2 else 0
            seconds.append((shipped, k, 1, planned, planned_delivery, max(requested, shipped) if requested
                            else planned_delivery, shipped2, delivered if delivered < t else 0, carrier, tuple(rest),
                            True))
    progress.update(task, completed=ORDERS)
    d.shipments = sorted(firsts + seconds)  # creation order (two sorted runs: a merge)
    for sh in d.shipments:
        d.sl_first.append(d.sl_first[-1] + len(sh[9]))

    # what shipped and was delivered; an invoice per shipped shipment, in issue order
    d.l_shipped, d.l_delivered = [0] * len(l_product), [0] * len(l_product)
    for s, sh in enumerate(d.shipments):
        if sh[6]:
            for j, q in sh[9]:
                d.l_shipped[j] += q
                if sh[7]:
                    d.l_delivered[j] += q
            by_hand = rand() < 0.03
            d.invoices.append((min(sh[6] + 1 + int(rand() * 3), t) if by_hand else sh[6], s, by_hand))
    d.invoices.sort()

    # each invoice's fate: cancelled, credited in part, paid (when), open (partly paid) — and its reminders
    d.o_invoiced, d.o_paid = [0] * ORDERS, [0] * ORDERS
    task = progress.add_task("generating invoices", total=len(d.invoices))
    for i, (issue, s, _) in enumerate(d.invoices):
        if i % 50_000 == 0:
            progress.update(task, completed=i)
        sh = d.shipments[s]
        k = sh[1]
        customer = d.o_customer[k]
        net = vat = 0
        for j, q in sh[9]:
            line_net = q * prices[l_product[j]]
            net += line_net
            vat += tax(line_net)
        gross = net + vat
        d.inv_net.append(net)
        d.inv_tax.append(vat)
        term = TERMS[d.customer_term[customer]][0]
        due = issue + term
        credited = paid = settled = credit_day = paid_part_day = 0
        if rand() < 0.01:
            status = CANCELLED
            credited = gross
            d.credit_notes.append((min(issue + 1 + int(rand() * 20), t), i, "cancellation", gross))
        else:
            if rand() < 0.03:
                credited = max(100, int(gross * (0.05 + rand() * 0.25)))
                credit_day = min(issue + 1 + int(rand() * 10), t)
                d.credit_notes.append((credit_day, i, pick(CREDIT_REASONS, rand()), credited))
            owed = gross - credited
            if rand() < open_probability(t - due):
                if rand() < 0.4:  # a part paid
                    status, paid = PARTIAL, rng.randint(owed // 10, owed * 9 // 10) or 1
                    paid_part_day = payment_day(issue + int(rand() * (t - issue + 1)), t)
                    d.payments.setdefault((paid_part_day, customer), []).append((i, paid))
                else:
                    status = ISSUED
                d.customer_open[customer] += owed - paid
            else:
                status, paid = PAID, owed
                days = min(max(0, term + int(gauss(3, 15))), t - issue)
                settled = payment_day(max(issue + days, credit_day), t)  # ≥ issue: the allocation's date
                d.payments.setdefault((settled, customer), []).append((i, owed))
            unpaid_until = settled if status == PAID else t  # reminded on the Mondays it was still unpaid
            for level, after, _ in REMINDER_LEVELS:
                sent = due + after + (7 - weekday(due + after)) % 7  # the run on or after the level's day
                if sent >= unpaid_until:
                    break
                if sent <= t - DUNNING_DAYS:
                    continue
                owed_then = gross - (credited if credit_day <= sent else 0) - (paid if paid_part_day and
                                                                             paid_part_day <= sent else 0)
                d.reminder_logs.append((sent, customer, level, i, owed_then, after))
        d.inv_status.append(status)
        d.inv_paid.append(paid)
        d.inv_credited.append(credited)
        d.inv_settled.append(settled)
        d.o_invoiced[k] += gross
        d.o_paid[k] += paid
    progress.update(task, completed=len(d.invoices))
    d.credit_notes.sort()
    d.reminder_logs.sort()
    for k in range(ORDERS):  # done: shipped and invoiced in full (every shipped shipment is invoiced)
        if o_status[k] == CONFIRMED:
            lines = range(o_first[k], o_first[k + 1])
            if all(d.l_shipped[j] == l_qty[j] for j in lines):
                o_status[k] = DONE
    return d


# ---------------------------------------------------------------------------------------------- the load

TABLES = ("orders_paymentterm", "orders_customer", "inventory_product", "inventory_warehouse", "fulfillment_carrier",
          "orders_salesorder", "orders_salesorderline", "fulfillment_shipment", "fulfillment_shipmentline",
          "billing_invoice", "billing_invoiceline", "billing_creditnote", "billing_creditnoteline",
          "receivables_payment", "receivables_allocation", "receivables_bankstatement",
          "receivables_bankstatementline", "receivables_reminder", "receivables_reminderlog")
DERIVED = ("insight_paymentprediction", "insight_paymenthabit", "insight_kpisnapshot", "insight_cashforecastweek")
NULL = "\\N"  # COPY text: NULL


def summary(net: int, vat: int) -> str:
    """The tax summary of a document at one rate."""
    return f'[{{"rate": "{VAT}.00", "net": "{money(net)}", "tax": "{money(vat)}"}}]'


def customer_name(k: int) -> str:
    return f"Dashboard Bench {k + 1:05d} GmbH"


def customer_address(k: int) -> str:
    return f"Benchweg {k + 1}\\n80331 München"  # \n as COPY text writes a newline


def at(day: int, minutes: int) -> str:
    """A timestamp `minutes` after midnight, Central European Time (the days stay the same in Europe/Berlin)."""
    return f"{iso(day)} {minutes // 60:02d}:{minutes % 60:02d}:00+01"


Copy = Callable[[str, str, Iterator[str], int], None]  # (table, columns, lines, how many)


def load(d: Data, ids: dict[str, Any], copy: Copy) -> dict[str, dict[int, int]]:
    t = d.today
    stamp = at(t, 420)
    finance = ids["finance"]

    # customers
    const = "\t\tDE\tEUR\t0\ton_shipment\ten\tf\t\tf\tt\t"
    copy("orders_customer", "id, number, legal_name, billing_address, vat_id, country, currency, discount_percent, "
         "invoicing_policy, language, credit_hold, credit_hold_reason, do_not_dun, is_active, payment_term_id, "
         "open_balance, created_at, updated_at",
         (f"{k + 1}\tDB-{k + 1:06d}\t{customer_name(k)}\t{customer_address(k)}{const}"
          f"{ids['terms'][d.customer_term[k]]}\t{money(d.customer_open[k])}\t{stamp}\t{stamp}\n"
          for k in range(CUSTOMERS)), CUSTOMERS)

    # orders and their lines
    order_numbers, last_order = numbered("SO", d.o_day)
    products, warehouses = ids["products"], ids["warehouses"]

    def orders() -> Iterator[str]:
        l_net, l_tax, l_qty, l_shipped = d.l_net, d.l_tax, d.l_qty, d.l_shipped
        for k in range(ORDERS):
            lines = range(d.o_first[k], d.o_first[k + 1])
            net, vat = sum(l_net[j] for j in lines), sum(l_tax[j] for j in lines)
            status, day = d.o_status[k], d.o_day[k]
            created = at(day, 540 + d.o_minute[k] - 5)
            if status in (CONFIRMED, DONE):
                confirmed, sent = at(day, 540 + d.o_minute[k]), at(day, 540 + d.o_minute[k] + 1)
            else:
                confirmed = sent = NULL
            wanted, shipped = sum(l_qty[j] for j in lines), sum(l_shipped[j] for j in lines)
            delivery = progress_status(shipped, wanted)  # invoiced = shipped: every shipped shipment is invoiced
            payment = progress_status(d.o_paid[k], d.o_invoiced[k])
            requested = iso(d.o_requested[k]) if d.o_requested[k] else NULL
            yield (f"{k + 1}\t{order_numbers[k]}\tEUR\tdomestic\t\t{money(net)}\t{money(vat)}\t{money(net + vat)}\t"
                   f"{summary(net, vat)}\t{created}\t{created}\t{status}\t{requested}\t"
                   f"\t{'credit limit exceeded' if status == ON_HOLD else ''}\t{confirmed}\t{sent}\t{delivery}\t"
                   f"{delivery}\t{payment}\t{money(d.o_invoiced[k])}\t{money(d.o_paid[k])}\t\\N\t"
                   f"{d.o_customer[k] + 1}\t\\N\t{warehouses[d.o_warehouse[k]]}\t\\N\n")

    copy("orders_salesorder", "id, number, currency, tax_treatment, notes, net_total, tax_total, gross_total, "
         "tax_summary, created_at, updated_at, status, requested_date, customer_reference, hold_reason, confirmed_at, "
         "confirmation_sent_at, delivery_status, invoice_status, payment_status, invoiced_amount, paid_amount, "
         "created_by_id, customer_id, quote_id, warehouse_id, ship_to_id", orders(), ORDERS)

    def order_lines() -> Iterator[str]:
        for k in range(ORDERS):
            for position, j in enumerate(range(d.o_first[k], d.o_first[k + 1]), 1):
                p, q = d.l_product[j], d.l_qty[j]
                promise = iso(d.l_promise[j]) if d.l_promise[j] else NULL
                yield (f"{j + 1}\t{position}\tBench product {p + 1}\t{q}\t{money(d.prices[p])}\t0\tstandard\t{VAT}\t"
                       f"{money(d.l_net[j])}\t{money(d.l_tax[j])}\t0\t0\t{d.l_shipped[j]}\t{d.l_delivered[j]}\t0\t"
                       f"{d.l_shipped[j]}\t0\t{promise}\t{k + 1}\t{products[p]}\t{d.l_backordered[j]}\n")

    copy("orders_salesorderline", "id, position, description, quantity, unit_price, discount_percent, tax_category, "
         "tax_rate, net_amount, tax_amount, reserved_quantity, backordered_quantity, shipped_quantity, "
         "delivered_quantity, returned_quantity, invoiced_quantity, cancelled_quantity, promise_date, order_id, "
         "product_id, backordered_at_confirmation", order_lines(), len(d.l_product))

    # shipments and their lines
    shipment_numbers, last_shipment = numbered("SH", [sh[0] for sh in d.shipments])
    carriers = ids["carriers"]

    def shipments() -> Iterator[str]:
        for s, sh in enumerate(d.shipments):
            created, k, _, planned, planned_delivery, promised, shipped, delivered, carrier, _, in_full = sh
            customer = d.o_customer[k]
            if delivered:
                status = "delivered"
            elif shipped:
                status = "shipped"
            else:
                status = "scheduled" if planned > t else "picking" if s % 2 else "packed"
            picked = at(shipped, 600) if shipped else at(planned, 600) if status != "scheduled" else NULL
            packed = at(shipped, 780) if shipped else at(planned, 780) if status == "packed" else NULL
            yield (f"{s + 1}\t{shipment_numbers[s]}\t{customer_name(customer)}\\n{customer_address(customer)}\t"
                   f"{status}\t{iso(planned)}\t{iso(planned_delivery)}\t{iso(promised)}\t"
                   f"{f'TRK{s + 1:09d}' if shipped else ''}\t{picked}\t{packed}\t"
                   f"{at(shipped, 930) if shipped else NULL}\t{iso(delivered) if delivered else NULL}"
                   f"\t{'J. Doe' if delivered else ''}\t"
                   f"{('t' if delivered <= promised else 'f') if delivered else NULL}\t"
                   f"{('t' if in_full else 'f') if shipped else NULL}\t\t"
                   f"{at(shipped, 931) if shipped else NULL}\t{at(created, 690)}\t{at(created, 690)}\t"
                   f"{carriers[carrier]}\t\\N\t{customer + 1}\t{k + 1}\t\\N\t{warehouses[d.o_warehouse[k]]}\n")

    copy("fulfillment_shipment", "id, number, ship_to_text, status, planned_ship_date, planned_delivery_date, "
         "promised_date, tracking_number, picked_at, packed_at, shipped_at, delivered_on, received_by, on_time, "
         "in_full, cancel_reason, notification_sent_at, created_at, updated_at, carrier_id, created_by_id, "
         "customer_id, order_id, ship_to_id, warehouse_id", shipments(), len(d.shipments))

    copy("fulfillment_shipmentline", "id, quantity, order_line_id, shipment_id",
         (f"{d.sl_first[s] + n + 1}\t{q}\t{j + 1}\t{s + 1}\n"
          for s, sh in enumerate(d.shipments) for n, (j, q) in enumerate(sh[9])), d.sl_first[-1])

    # invoices, their lines, and the credit notes
    invoice_numbers, last_invoice = numbered("INV", [issue for issue, _, _ in d.invoices])
    customer_part = [f"{k + 1}\t{customer_name(k)}\t{customer_address(k)}\t{TERMS[d.customer_term[k]][1]}\t"
                     f"{TERMS[d.customer_term[k]][2]}" for k in range(CUSTOMERS)]

    def invoices() -> Iterator[str]:
        for i, (issue, s, by_hand) in enumerate(d.invoices):
            k = d.shipments[s][1]
            customer, status = d.o_customer[k], d.inv_status[i]
            net, vat, paid, credited = d.inv_net[i], d.inv_tax[i], d.inv_paid[i], d.inv_credited[i]
            gross = net + vat
            due = issue + TERMS[d.customer_term[customer]][0]
            issued = at(issue, 931 if not by_hand else 600)
            settled = iso(d.inv_settled[i]) if d.inv_settled[i] else NULL
            source = ("manual\t\\N\t\\N" if by_hand else f"shipment\tshipment:{s + 1}\t{s + 1}")
            who = f"{finance}\t{finance}" if by_hand else "\\N\t\\N"
            yield (f"{i + 1}\t{invoice_numbers[i]}\t{iso(issue)}\t{iso(due)}\t{INVOICE_STATUSES[status]}\t"
                   f"{money(net)}\t{money(vat)}\t{money(gross)}\t{summary(net, vat)}\t"
                   f"{money(gross - paid - credited)}\t{money(credited)}\t{money(paid)}\t{settled}\t{issued}\t"
                   f"{issued}\t{issued}\t{customer_part[customer]}\tEUR\ten\tdomestic\tDE\t\t\t\t\t\t{source}\t"
                   f"{k + 1}\t{who}\t\t0\t0.00\t\n")

    copy("billing_invoice", "id, number, issue_date, due_date, status, net_total, tax_total, gross_total, "
         "tax_summary, amount_due, credited_amount, paid_amount, settled_on, issued_at, created_at, updated_at, "
         "customer_id, customer_name, customer_address, payment_term_code, payment_term_text, "
         "currency, language, tax_treatment, customer_country, customer_vat_id, notes, pdf, pdf_sha256, "
         "emailed_to, origin, source_key, shipment_id, order_id, created_by_id, issued_by_id, customer_reference, "
         "discount_percent, discount_amount, payment_reference", invoices(), len(d.invoices))

    cancelled = {i for _, i, reason, _ in d.credit_notes if reason == "cancellation"}
    invoice_line_ids: dict[int, int] = {}  # the cancelled invoices' first line id (their credit notes credit them)

    def invoice_lines() -> Iterator[str]:
        n = 0
        for i, (_, s, _) in enumerate(d.invoices):
            if i in cancelled:
                invoice_line_ids[i] = n + 1
            for position, (j, q) in enumerate(d.shipments[s][9], 1):
                n += 1
                p = d.l_product[j]
                line_net = q * d.prices[p]
                yield (f"{n}\t{position}\tBench product {p + 1}\t{q}\tpc\t{money(d.prices[p])}\t0\tstandard\t{VAT}\t"
                       f"{money(line_net)}\t{money(tax(line_net))}\t{q if i in cancelled else 0}\t{i + 1}\t{j + 1}\t"
                       f"{products[p]}\t{d.sl_first[s] + position}\n")

    copy("billing_invoiceline", "id, position, description, quantity, unit, unit_price, discount_percent, "
         "tax_category, tax_rate, net_amount, tax_amount, credited_quantity, invoice_id, order_line_id, product_id, "
         "shipment_line_id", invoice_lines(), d.invoice_lines)

    credit_numbers, last_credit = numbered("CN", [day for day, _, _, _ in d.credit_notes])

    def credit_notes() -> Iterator[str]:
        for n, (day, i, reason, gross) in enumerate(d.credit_notes):
            customer = d.o_customer[d.shipments[d.invoices[i][1]][1]]
            net = d.inv_net[i] if reason == "cancellation" else (gross * 100 + (100 + VAT) // 2) // (100 + VAT)
            vat = gross - net
            stamp = at(day, 840)
            yield (f"{n + 1}\t{credit_numbers[n]}\t{i + 1}\t{customer + 1}\t{customer_name(customer)}\t"
                   f"{customer_address(customer)}\t{iso(day)}\t{money(net)}\t{money(vat)}\t{money(gross)}\t"
                   f"{summary(net, vat)}\t{money(gross)}\t0.00\t{stamp}\t{stamp}\t"
                   f"{stamp}\tEUR\ten\tdomestic\tDE\t\t\t\t\t\tmanual\t{reason}\t{finance}\t{finance}\n")

    copy("billing_creditnote", "id, number, invoice_id, customer_id, customer_name, customer_address, issue_date, "
         "net_total, tax_total, gross_total, tax_summary, applied_amount, customer_credit, issued_at, created_at, "
         "updated_at, currency, language, tax_treatment, customer_country, customer_vat_id, notes, pdf, pdf_sha256, "
         "emailed_to, origin, reason, created_by_id, issued_by_id", credit_notes(), len(d.credit_notes))

    def credit_note_lines() -> Iterator[str]:
        n = 0
        for c, (_, i, reason, gross) in enumerate(d.credit_notes):
            s = d.invoices[i][1]
            if reason == "cancellation":  # every line of the invoice, in full
                for position, (j, q) in enumerate(d.shipments[s][9], 1):
                    n += 1
                    p = d.l_product[j]
                    line_net = q * d.prices[p]
                    yield (f"{n}\t{position}\tBench product {p + 1}\t{q}\tpc\t{money(d.prices[p])}\t0\tstandard\t"
                           f"{VAT}\t{money(line_net)}\t{money(tax(line_net))}\t{c + 1}\t"
                           f"{invoice_line_ids[i] + position - 1}\t{products[p]}\n")
            else:  # an amount, at the invoice's rate
                n += 1
                net = (gross * 100 + (100 + VAT) // 2) // (100 + VAT)
                yield (f"{n}\t1\tCredit\t1\tpc\t{money(net)}\t0\tstandard\t{VAT}\t{money(net)}\t{money(gross - net)}\t"
                       f"{c + 1}\t\\N\t\\N\n")

    lines = sum(len(d.shipments[d.invoices[i][1]][9]) if reason == "cancellation" else 1
                for _, i, reason, _ in d.credit_notes)
    copy("billing_creditnoteline", "id, position, description, quantity, unit, unit_price, discount_percent, "
         "tax_category, tax_rate, net_amount, tax_amount, credit_note_id, invoice_line_id, product_id",
         credit_note_lines(), lines)

    # payments, by weekly run, in date order, each on the day's bank statement, and their allocations
    runs = sorted(d.payments)
    payment_numbers, last_payment = numbered("PAY", [day for day, _ in runs])
    # a bank statement a working day (and on the load day, if a payment run is dated then)
    days = sorted({day for day in range(t - DAYS, t) if weekday(day) < 5} | {day for day, _ in runs})
    statement_of = {day: n + 1 for n, day in enumerate(days)}

    def payments() -> Iterator[str]:
        for n, key in enumerate(runs):
            day, customer = key
            amount = money(sum(cents for _, cents in d.payments[key]))
            stamp = at(day, 1020)
            yield (f"{n + 1}\t{payment_numbers[n]}\t{customer + 1}\t{iso(day)}\t{amount}\t{amount}\t0.00\t0.00\tEUR\t"
                   f"bank_transfer\t{invoice_numbers[d.payments[key][0][0]]}\tBTX-{n + 1:08d}\t\t{stamp}\t{stamp}\n")

    copy("receivables_payment", "id, number, customer_id, received_date, amount, allocated_amount, refunded_amount, "
         "unapplied_amount, currency, method, reference, bank_transaction_id, note, created_at, updated_at",
         payments(), len(runs))

    def allocations() -> Iterator[str]:
        n = 0
        for p, key in enumerate(runs):
            day = iso(key[0])
            for i, cents in d.payments[key]:
                n += 1
                yield f"{n}\t{p + 1}\t{i + 1}\t{money(cents)}\t0.00\t{day}\t{day} 17:00:00+01\n"

    copy("receivables_allocation", "id, payment_id, invoice_id, amount, discount_amount, date, created_at",
         allocations(), sum(len(parts) for parts in d.payments.values()))

    # the bank statements: a line per payment (matched by a rule or by hand) and a few lines a day no payment
    # was found for (Finance ignores them after QUEUE_DAYS; the recent ones wait in the reconciliation queue)
    rng = random.Random(SEED + 1)
    by_day: dict[int, list[int]] = {day: [] for day in days}
    for n, (day, _) in enumerate(runs):
        by_day[day].append(n)
    extra = {day: int(len(payments_) * 0.02) + 3 for day, payments_ in by_day.items()}
    copy("receivables_bankstatement", "id, format, account_iban, statement_ref, sha256, filename, currency, "
         "from_date, to_date, line_count, credit_count, duplicate_count, auto_matched_count, imported_at, "
         "imported_by_id",
         (f"{statement_of[day]}\tcamt053\tDE89370400440532013000\tSTMT-{iso(day)}\t"
          f"{hashlib.sha256(iso(day).encode()).hexdigest()}\tstatement-{iso(day)}.xml\tEUR\t{iso(day)}\t{iso(day)}\t"
          f"{len(by_day[day]) + extra[day]}\t{len(by_day[day]) + extra[day]}\t0\t{len(by_day[day])}\t"
          f"{at(day, 1050)}\t{finance}\n" for day in days), len(days))

    def statement_lines() -> Iterator[str]:
        n = 0
        rand = rng.random
        for day in days:
            stamp, booked = at(day, 1051), iso(day)
            for position, p in enumerate(by_day[day], 1):
                n += 1
                customer = runs[p][1]
                amount = money(sum(cents for _, cents in d.payments[runs[p]]))
                rule = pick(MATCH_RULES, rand())
                yield (f"{n}\t{position}\tBTX-{p + 1:08d}\t{booked}\t{booked}\tcredit\tf\t{amount}\tEUR\t"
                       f"{customer_name(customer)}\t\t{invoice_numbers[d.payments[runs[p]][0][0]]}\tmatched\t{rule}\t"
                       f"{stamp}\t{finance if rule == 'manual' else NULL}\t{statement_of[day]}\t{p + 1}\n")
            for position in range(len(by_day[day]) + 1, len(by_day[day]) + extra[day] + 1):
                n += 1
                status = "unmatched" if day > t - QUEUE_DAYS else "ignored"
                yield (f"{n}\t{position}\tBTX-X{n:08d}\t{booked}\t{booked}\tcredit\tf\t"
                       f"{money(rng.randint(500, 90_000))}\tEUR\tUnknown payer {n}\t\tpayment\t{status}\t\t{NULL}\t"
                       f"{NULL}\t{statement_of[day]}\t{NULL}\n")

    copy("receivables_bankstatementline", "id, position, bank_transaction_id, booking_date, value_date, direction, "
         "is_reversal, amount, currency, counterparty_name, counterparty_iban, remittance, status, match_rule, "
         "matched_at, matched_by_id, statement_id, payment_id", statement_lines(), len(runs) + sum(extra.values()))

    # reminders: one per customer, level and day, listing its invoices at that level that day
    reminder_of: dict[tuple[int, int, int], int] = {}
    totals: dict[int, int] = {}
    for sent, customer, level, _, owed, _ in d.reminder_logs:
        n = reminder_of.setdefault((sent, customer, level), len(reminder_of) + 1)
        totals[n] = totals.get(n, 0) + owed
    fees = {level: fee for level, _, fee in REMINDER_LEVELS}
    copy("receivables_reminder", "id, level, run_date, currency, total_due, fee, interest, compensation, email_to, "
         "sent_at, manual, pdf, created_at, created_by_id, customer_id",
         (f"{n}\t{level}\t{iso(sent)}\tEUR\t{money(totals[n])}\t{money(fees[level])}\t0.00\t0.00\t"
          f"ar@customer{customer + 1}.example\t{at(sent, 360)}\tf\t\t{at(sent, 360)}\t\\N\t{customer + 1}\n"
          for (sent, customer, level), n in reminder_of.items()), len(reminder_of))
    copy("receivables_reminderlog", "id, level, amount_due, days_overdue, interest, compensation, sent_on, "
         "invoice_id, reminder_id",
         (f"{n}\t{level}\t{money(owed)}\t{after}\t0.00\t0.00\t{iso(sent)}\t{i + 1}\t"
          f"{reminder_of[(sent, customer, level)]}\n"
          for n, (sent, customer, level, i, owed, after) in enumerate(d.reminder_logs, 1)), len(d.reminder_logs))
    return {"SO": last_order, "SH": last_shipment, "INV": last_invoice, "CN": last_credit, "PAY": last_payment}


def reference_rows(cur: Any, d: Data) -> dict[str, Any]:
    """Payment terms, products, warehouses, carriers and Finance's user: what the bulk rows refer to."""
    ids: dict[str, Any] = {"terms": [], "products": [], "warehouses": [], "carriers": []}
    for days, code, text, _ in TERMS:
        cur.execute("INSERT INTO orders_paymentterm (code, name, net_days, end_of_month, discount_percent, "
                    "discount_days, is_active) VALUES (%s, %s, %s, false, 0, 0, true) RETURNING id", [code, text, days])
        ids["terms"].append(cur.fetchone()[0])
    for p, price in enumerate(d.prices):
        cur.execute("INSERT INTO inventory_product (sku, name, description, unit, list_price, currency, tax_category, "
                    "weight_kg, is_active, lead_time_days, created_at, updated_at) VALUES (%s, %s, '', 'pc', %s, "
                    "'EUR', 'standard', 1.5, true, 10, now(), now()) RETURNING id",
                    [f"BENCH-{p + 1:04d}", f"Bench product {p + 1}", money(price)])
        ids["products"].append(cur.fetchone()[0])
    for code, name in WAREHOUSES:
        cur.execute("INSERT INTO inventory_warehouse (code, name, address, shipping_capacity_per_day, working_days, "
                    "is_active) VALUES (%s, %s, '', 2000, '{0,1,2,3,4}', true) RETURNING id", [code, name])
        ids["warehouses"].append(cur.fetchone()[0])
    for code, name, transit in CARRIERS:
        cur.execute("INSERT INTO fulfillment_carrier (code, name, service_level, transit_days, tracking_url_template, "
                    "is_default, is_active) VALUES (%s, %s, 'Standard', %s, '', %s, true) RETURNING id",
                    [code, name, transit, code == CARRIERS[0][0]])
        ids["carriers"].append(cur.fetchone()[0])
    finance, _ = get_user_model().objects.get_or_create(username="bench-finance",
                                                       defaults={"first_name": "Bench", "last_name": "Finance"})
    ids["finance"] = finance.pk
    return ids


def loaded_counts() -> dict[str, int]:
    with connection.cursor() as cur:
        counts = {}
        for table in (*TABLES, *DERIVED):
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
    return counts


def copier(progress: Progress) -> Copy:
    """COPY … FROM STDIN (FREEZE: the tables were emptied in this transaction) from generated lines, with a bar."""
    def copy(table: str, columns: str, lines: Iterator[str], total: int) -> None:
        task = progress.add_task(table, total=total)

        def tick() -> Iterator[str]:
            for n, line in enumerate(lines, 1):
                yield line
                if n % 20_000 == 0:
                    progress.advance(task, 20_000)
            progress.update(task, completed=total)

        with connection.connection.cursor() as cur:
            cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FREEZE)", Stream(tick()), size=1 << 20)
    return copy


def set_aside(cur: Any) -> tuple[list[str], list[str]]:
    """Drop, for the bulk load, the bench tables' indexes that back no constraint (built after it by one sort
    each: ~3× faster than keeping them up to date row by row) and their BEFORE INSERT row triggers (billing's
    frozen-document triggers: they do not fire under the replica role anyway, but a table with one is copied a row
    at a time, without COPY FREEZE's all-visible pages). Returns their CREATE statements, to run after the load."""
    cur.execute("SELECT pg_get_indexdef(i.indexrelid), i.indexrelid::regclass::text FROM pg_index i "
                "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%s) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", [list(TABLES)])
    indexes = cur.fetchall()
    cur.execute("SELECT pg_get_triggerdef(g.oid), quote_ident(g.tgname), t.relname FROM pg_trigger g "
                "JOIN pg_class t ON t.oid = g.tgrelid WHERE t.relname = ANY(%s) AND NOT g.tgisinternal "
                "AND g.tgtype & 7 = 7", [list(TABLES)])  # ROW | BEFORE | INSERT
    triggers = cur.fetchall()
    for _, name in indexes:
        cur.execute(f"DROP INDEX {name}")
    for _, name, table in triggers:
        cur.execute(f"DROP TRIGGER {name} ON {table}")
    return [sql for sql, _ in indexes], [sql for sql, _, _ in triggers]


def prepare(reload: bool) -> float | None:
    """Load the data unless it is there; the load's seconds, or None when it was there."""
    counts = loaded_counts()
    if not reload and counts["orders_salesorder"] == ORDERS and counts["orders_customer"] == CUSTOMERS:
        print(f"data already loaded in {DATABASE}: {counts['orders_salesorder']:,} orders, "
              f"{counts['billing_invoice']:,} invoices, {counts['orders_customer']:,} customers "
              "(--reload loads it again)")
        return None
    started = time.perf_counter()
    today = timezone.localdate()
    columns = (TextColumn("{task.description:<30}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    print(f"generating {ORDERS:,} orders for {CUSTOMERS:,} customers as of {today} …", flush=True)
    with Progress(*columns) as progress:
        data = generate(today, progress)
    generated = time.perf_counter()
    print(f"  generated in {generated - started:.1f} s; loading with COPY in one transaction", flush=True)
    with transaction.atomic(), connection.cursor() as cur:
        # TRUNCATE: the row-level append-only and frozen triggers do not fire; in this transaction, so COPY FREEZE
        cur.execute(f"TRUNCATE {', '.join((*TABLES, *DERIVED))}, o2c_numbersequence RESTART IDENTITY CASCADE")
        replica = replica_role(cur)
        indexes, triggers = set_aside(cur)
        with Progress(*columns) as progress:
            sequences_set(cur, load(data, reference_rows(cur, data), copier(progress)), TABLES)
        copied = time.perf_counter()
        print(f"  copied in {copied - generated:.1f} s; building {len(indexes)} indexes …", flush=True)
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")  # the sorts of the index builds, this session
        for sql in (*indexes, *triggers):
            cur.execute(sql)
    built = time.perf_counter()
    triggers_off = ("row triggers off: session_replication_role = replica" if replica else "row triggers on") + \
        f"; {len(triggers)} BEFORE INSERT triggers dropped for the COPY and re-created"
    print(f"  indexes built in {built - copied:.1f} s; committed ({triggers_off})", flush=True)
    with connection.cursor() as cur:  # COPY FREEZE left the rows frozen and all-visible: statistics only
        for table in TABLES:
            cur.execute(f"ANALYZE {table}")
    print(f"  analysed in {time.perf_counter() - built:.1f} s", flush=True)
    check()
    seconds = time.perf_counter() - started
    print(f"  load total {seconds:.1f} s", flush=True)
    return seconds


MORE_CHECKS = {
    "order line without its order": "SELECT count(*) FROM orders_salesorderline l "
    "WHERE NOT EXISTS (SELECT 1 FROM orders_salesorder o WHERE o.id = l.order_id)",
    "shipment without its order, or another customer": "SELECT count(*) FROM fulfillment_shipment s "
    "LEFT JOIN orders_salesorder o ON o.id = s.order_id WHERE o.customer_id IS DISTINCT FROM s.customer_id",
    "shipment line of another order": "SELECT count(*) FROM fulfillment_shipmentline sl "
    "JOIN fulfillment_shipment s ON s.id = sl.shipment_id LEFT JOIN orders_salesorderline l ON l.id = sl.order_line_id "
    "WHERE l.order_id IS DISTINCT FROM s.order_id",
    "invoice line of another order or shipment": "SELECT count(*) FROM billing_invoiceline il "
    "JOIN billing_invoice i ON i.id = il.invoice_id "
    "LEFT JOIN fulfillment_shipmentline sl ON sl.id = il.shipment_line_id "
    "LEFT JOIN orders_salesorderline l ON l.id = il.order_line_id WHERE sl.order_line_id IS DISTINCT FROM l.id "
    "OR l.order_id IS DISTINCT FROM i.order_id OR (i.shipment_id IS NOT NULL AND i.shipment_id <> sl.shipment_id)",
    "invoice gross ≠ Σ lines": "SELECT count(*) FROM billing_invoice i JOIN (SELECT invoice_id, "
    "sum(net_amount + tax_amount) g FROM billing_invoiceline GROUP BY invoice_id) l ON l.invoice_id = i.id "
    "WHERE l.g <> i.gross_total",
    "order invoiced / paid ≠ its invoices": "SELECT count(*) FROM orders_salesorder o LEFT JOIN (SELECT order_id, "
    "sum(gross_total) g, sum(paid_amount) p FROM billing_invoice GROUP BY order_id) i ON i.order_id = o.id "
    "WHERE o.invoiced_amount <> coalesce(i.g, 0) OR o.paid_amount <> coalesce(i.p, 0)",
    # in total (per line it is a 1.7-million-group aggregate of ~10 s; the per-order amounts above are checked)
    "Σ shipped / invoiced quantities ≠ the shipped shipments' / invoices' lines": "SELECT count(*) FROM "
    "(SELECT sum(shipped_quantity) s, sum(invoiced_quantity) i FROM orders_salesorderline) l, "
    "(SELECT sum(sl.quantity) s FROM fulfillment_shipmentline sl JOIN fulfillment_shipment h ON h.id = sl.shipment_id "
    "WHERE h.shipped_at IS NOT NULL) s, (SELECT sum(quantity) i FROM billing_invoiceline) i "
    "WHERE l.s <> s.s OR l.i <> i.i",
    "credit notes ≠ the invoice's credited amount": "SELECT count(*) FROM billing_invoice i LEFT JOIN (SELECT "
    "invoice_id, sum(applied_amount) a FROM billing_creditnote GROUP BY 1) c ON c.invoice_id = i.id "
    "WHERE i.credited_amount <> coalesce(c.a, 0)",
    "on_time ≠ delivered by the promised date": "SELECT count(*) FROM fulfillment_shipment "
    "WHERE on_time IS DISTINCT FROM (CASE WHEN delivered_on IS NOT NULL THEN delivered_on <= promised_date END)",
    "statement line of a missing payment": "SELECT count(*) FROM receivables_bankstatementline b "
    "WHERE b.payment_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM receivables_payment p WHERE p.id = b.payment_id)",
    "reminder log without its invoice or reminder": "SELECT count(*) FROM receivables_reminderlog r "
    "WHERE NOT EXISTS (SELECT 1 FROM billing_invoice i WHERE i.id = r.invoice_id) "
    "OR NOT EXISTS (SELECT 1 FROM receivables_reminder m WHERE m.id = r.reminder_id)",
}


def check() -> None:
    started = time.perf_counter()
    checks = {**CHECKS, **MORE_CHECKS}  # bench/aging.py's (invoices, allocations, payments, balances) and these
    with connection.cursor() as cur:
        for what, sql in checks.items():
            cur.execute(sql)
            if (bad := cur.fetchone()[0]) != 0:
                raise SystemExit(f"the loaded data is inconsistent: {bad} × {what}")
    print(f"  checked in {time.perf_counter() - started:.1f} s: {len(checks)} foreign-key and balance checks, "
          "none failed", flush=True)


# ---------------------------------------------------------------------------------------------- the nightly job


def nightly(force: bool) -> None:
    """The nightly job's two heavy steps, timed: the predictions (unless made today) and the KPI snapshots of the
    days the trends show (the missing ones; all of them again, recomputed, when `force`)."""
    from insight.models import KpiSnapshot

    today = timezone.localdate()
    with connection.cursor() as cur:
        cur.execute("SELECT max(computed_at) FROM insight_paymentprediction")
        last = cur.fetchone()[0]
    if force or last is None or timezone.localdate(last) < today:
        started = time.perf_counter()
        stored = payment_predictions_refresh(as_of=today)
        seconds = time.perf_counter() - started
        with connection.cursor() as cur:  # as autovacuum would after the job: the index-only scans' visibility map
            for table in DERIVED:
                cur.execute(f"VACUUM (ANALYZE) {table}")
        print(f"nightly: payment_predictions_refresh() stored {stored:,} predictions in {seconds:.1f} s", flush=True)
    else:
        print(f"nightly: predictions computed today at {timezone.localtime(last):%H:%M} (--nightly makes them again)")
    days = month_ends(today - datetime.timedelta(days=1), 12)  # what kpi_trends shows (insight_backfill's days)
    taken = set(KpiSnapshot.objects.filter(day__in=days).values_list("day", flat=True).distinct())
    todo = days if force else [day for day in days if day not in taken]
    times = []
    for day in todo:
        started = time.perf_counter()
        kpi_snapshot_take(day=day, recompute=force)
        times.append(time.perf_counter() - started)
    if times:
        print(f"nightly: kpi_snapshot_take() for {len(times)} days ({todo[0]} … {todo[-1]}) in {sum(times):.1f} s: "
              f"{min(times):.1f}–{max(times):.1f} s a day (all {len(KPIS)} KPIs over the 30 days up to it)", flush=True)
    else:
        print(f"nightly: KPI snapshots of the {len(days)} trend days already taken (--nightly takes them again)")


# ---------------------------------------------------------------------------------------------- hand-written SQL

# every issued invoice (it has its number): issued, partially paid, paid or cancelled
ISSUED_SQL = "status IN ('issued', 'partially_paid', 'paid', 'cancelled')"


def params_for(today: datetime.date) -> dict[str, Any]:
    """The 30 days up to today (both included), as the KPIs read them: days, and local midnights for timestamps."""
    zone, start = ZoneInfo(settings.TIME_ZONE), today - datetime.timedelta(days=29)
    first = monday(today)
    return {"today": today, "end": today, "start": start, "before": start - datetime.timedelta(days=1),
            "from_90": today - datetime.timedelta(days=89), "as_of": today, "currency": "EUR",
            "t0": datetime.datetime.combine(start, datetime.time(), zone),
            "t1": datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(), zone),
            "tz": settings.TIME_ZONE, "first": first, "since": first - datetime.timedelta(weeks=8),
            "limit": PRIORITIES, "days": month_ends(today - datetime.timedelta(days=1), 12)}


# the KPIs, each from its definition (insight.selectors.kpis.KPIS[...].definition); (count, average) or
# (count, how many pass); the percentages and roundings are done in Python as the page shows them
AVERAGE, PERCENT = "average", "percent"
KPI_SQL: dict[str, tuple[str, str]] = {
    # orders whose last shipment left in the period, shipped in full: days from confirmation to that shipment
    "order_cycle_time": (AVERAGE, """
SELECT count(*), avg(extract(epoch FROM (s.shipped_at - o.confirmed_at)) / 86400)
  FROM fulfillment_shipment s JOIN orders_salesorder o ON o.id = s.order_id
 WHERE s.shipped_at >= %(t0)s AND s.shipped_at < %(t1)s
   AND o.delivery_status = 'full' AND o.confirmed_at IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM fulfillment_shipment x WHERE x.order_id = s.order_id
                    AND (x.shipped_at, x.id) > (s.shipped_at, s.id))"""),
    # orders fully paid (invoiced in full, none of their invoices still open) whose last invoice was settled in
    # the period: days from confirmation to that day
    "order_to_cash": (AVERAGE, """
WITH settled AS (
    SELECT DISTINCT l.order_id FROM billing_invoice i
      JOIN billing_invoiceline il ON il.invoice_id = i.id JOIN orders_salesorderline l ON l.id = il.order_line_id
     WHERE i.status = 'paid' AND i.settled_on BETWEEN %(start)s AND %(end)s)
SELECT count(*), avg(paid.day - (o.confirmed_at AT TIME ZONE %(tz)s)::date)
  FROM settled JOIN orders_salesorder o ON o.id = settled.order_id
 CROSS JOIN LATERAL (SELECT max(i.settled_on) AS day, bool_or(i.status IN ('issued', 'partially_paid')) AS owing
                       FROM orders_salesorderline l JOIN billing_invoiceline il ON il.order_line_id = l.id
                       JOIN billing_invoice i ON i.id = il.invoice_id WHERE l.order_id = o.id) paid
 WHERE o.invoice_status = 'full' AND NOT paid.owing AND o.confirmed_at IS NOT NULL AND paid.day <= %(end)s"""),
    "on_time": (PERCENT, "SELECT count(*), count(*) FILTER (WHERE on_time) FROM fulfillment_shipment "
                "WHERE delivered_on BETWEEN %(start)s AND %(end)s"),
    "in_full": (PERCENT, "SELECT count(*), count(*) FILTER (WHERE in_full) FROM fulfillment_shipment "
                "WHERE delivered_on BETWEEN %(start)s AND %(end)s"),
    "otif": (PERCENT, "SELECT count(*), count(*) FILTER (WHERE on_time AND in_full) FROM fulfillment_shipment "
             "WHERE delivered_on BETWEEN %(start)s AND %(end)s"),
    # on time, in full, and no credit note on any invoice of its order: the credited orders once, anti-joined
    "perfect_order": (PERCENT, """
SELECT count(*), count(*) FILTER (WHERE s.on_time AND s.in_full AND credited.order_id IS NULL)
  FROM fulfillment_shipment s
  LEFT JOIN (SELECT DISTINCT l.order_id FROM billing_creditnote cn
               JOIN billing_invoiceline il ON il.invoice_id = cn.invoice_id
               JOIN orders_salesorderline l ON l.id = il.order_line_id) credited ON credited.order_id = s.order_id
 WHERE s.delivered_on BETWEEN %(start)s AND %(end)s"""),
    "backorder_rate": (PERCENT, """
SELECT count(*), count(*) FILTER (WHERE l.backordered_at_confirmation > 0)
  FROM orders_salesorder o JOIN orders_salesorderline l ON l.order_id = o.id
 WHERE o.confirmed_at >= %(t0)s AND o.confirmed_at < %(t1)s"""),
    # each (invoice, shipment) pair of the invoices issued in the period
    "days_to_invoice": (AVERAGE, f"""
SELECT count(*), avg(p.issue_date - (s.shipped_at AT TIME ZONE %(tz)s)::date)
  FROM (SELECT DISTINCT i.id, i.issue_date, sl.shipment_id
          FROM billing_invoice i JOIN billing_invoiceline il ON il.invoice_id = i.id
          JOIN fulfillment_shipmentline sl ON sl.id = il.shipment_line_id
         WHERE i.{ISSUED_SQL} AND i.issue_date BETWEEN %(start)s AND %(end)s) p
  JOIN fulfillment_shipment s ON s.id = p.shipment_id"""),
    "invoice_accuracy": (PERCENT, f"""
SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (
         SELECT 1 FROM billing_creditnote cn
          WHERE cn.invoice_id = i.id AND cn.reason IN ('price', 'cancellation', 'other')))
  FROM billing_invoice i WHERE i.{ISSUED_SQL} AND i.issue_date BETWEEN %(start)s AND %(end)s"""),
    "touchless_invoicing": (PERCENT, f"""
SELECT count(*), count(*) FILTER (WHERE created_by_id IS NULL AND issued_by_id IS NULL)
  FROM billing_invoice WHERE {ISSUED_SQL} AND issue_date BETWEEN %(start)s AND %(end)s"""),
    "auto_match": (PERCENT, """
SELECT count(*),
       count(*) FILTER (WHERE match_rule IN ('invoice_number', 'payment_reference', 'iban_amount', 'name_amount'))
  FROM receivables_bankstatementline
 WHERE direction = 'credit' AND NOT is_reversal AND booking_date BETWEEN %(start)s AND %(end)s"""),
    # (invoices, cash) allocated in the period to company-currency invoices reminded by then (cash: money
    # received, not a credit note's credit)
    "cash_after_reminder": ("money", """
SELECT count(DISTINCT a.invoice_id), coalesce(sum(a.amount), 0)
  FROM receivables_allocation a JOIN billing_invoice i ON i.id = a.invoice_id
  JOIN receivables_payment p ON p.id = a.payment_id
 WHERE a.date BETWEEN %(start)s AND %(end)s AND i.currency = %(currency)s
   AND p.method <> 'credit_note' AND a.amount > 0
   AND EXISTS (SELECT 1 FROM receivables_reminderlog r WHERE r.invoice_id = a.invoice_id AND r.sent_on <= a.date)"""),
}


def sales_sql(first: str) -> str:
    """Credit sales from `first` to the end: invoiced less credited, company currency."""
    return (f"(SELECT coalesce(sum(gross_total), 0) FROM billing_invoice WHERE {ISSUED_SQL} "
            f"AND currency = %(currency)s AND issue_date BETWEEN {first} AND %(end)s) "
            f"- (SELECT coalesce(sum(gross_total), 0) FROM billing_creditnote WHERE currency = %(currency)s "
            f"AND issue_date BETWEEN {first} AND %(end)s)")


# the balance KPIs' parts: AR and overdue AR now (the open items), credit sales, and how much more AR there was at
# the end of the day before the period — counted back from today's: what was credited, settled (cash and
# discount) and written off since, less what was invoiced since (only the period's documents are read)
BALANCE_PARTS = {
    "ar": "o.ar", "overdue": "o.overdue",
    "sales_90": f"({sales_sql('%(from_90)s')})",
    "period_sales": f"({sales_sql('%(start)s')})",
    "back": """(
    (SELECT coalesce(sum(applied_amount), 0) FROM billing_creditnote WHERE currency = %(currency)s
        AND issue_date > %(before)s)
  + (SELECT coalesce(sum(a.amount + a.discount_amount), 0) FROM receivables_allocation a
      WHERE a.date > %(before)s AND """ + OTHER_CURRENCY.format(alias="a") + """)
  + (SELECT coalesce(sum(w.amount), 0) FROM receivables_writeoff w
      WHERE w.date > %(before)s AND """ + OTHER_CURRENCY.format(alias="w") + """)
  - (SELECT coalesce(sum(gross_total), 0) FROM billing_invoice WHERE """ + ISSUED_SQL + """
        AND currency = %(currency)s AND issue_date > %(before)s))""",
}
OPEN_AR_SQL = (f"SELECT coalesce(sum(amount_due), 0) AS ar, coalesce(sum(amount_due) FILTER "
               f"(WHERE due_date < %(end)s), 0) AS overdue FROM billing_invoice "
               f"WHERE {OPEN_SQL} AND amount_due > 0 AND currency = %(currency)s")
BALANCE_NEEDS = {"dso": ("ar", "sales_90"), "cei": ("ar", "overdue", "period_sales", "back"),
                 "days_delinquent": ("overdue", "sales_90"), "overdue_percent": ("ar", "overdue")}


def balances_by_sql(parts: tuple[str, ...], params: dict[str, Any]) -> dict[str, Decimal]:
    sql = f"SELECT {', '.join(BALANCE_PARTS[part] for part in parts)} FROM ({OPEN_AR_SQL}) o"
    return dict(zip(parts, fetch(sql, params)[0], strict=True))


def balance_value(key: str, b: dict[str, Decimal]) -> Decimal | None:
    """The KPI from its definition (DSO and days delinquent over 90 days of sales)."""
    if key == "dso":
        return None if b["sales_90"] <= 0 else b["ar"] / b["sales_90"] * 90
    if key == "days_delinquent":
        return None if b["sales_90"] <= 0 else b["overdue"] / b["sales_90"] * 90
    if key == "overdue_percent":
        return None if b["ar"] <= 0 else b["overdue"] * 100 / b["ar"]
    before = b["ar"] + b["back"]  # cei
    collectable = before + b["period_sales"] - (b["ar"] - b["overdue"])
    return None if collectable <= 0 else (before + b["period_sales"] - b["ar"]) * 100 / collectable


def kpi_by_sql(key: str, params: dict[str, Any]) -> tuple[Decimal | None, int]:
    """(value, sample) as the KPI tile shows it."""
    if key in BALANCE_NEEDS:
        return one(balance_value(key, balances_by_sql(BALANCE_NEEDS[key], params))), 1
    kind, sql = KPI_SQL[key]
    n, x = fetch(sql, params)[0]
    if kind == AVERAGE:
        return (one(x) if n else None), n or 0
    if kind == PERCENT:
        return (one(Decimal(x) * 100 / n) if n else None), n or 0
    return (x if n else ZERO), n  # money


def kpis_by_sql(params: dict[str, Any]) -> dict[str, tuple[Decimal | None, int]]:
    """Every KPI, the balance ones from one statement (as the page reads them)."""
    b = balances_by_sql(tuple(BALANCE_PARTS), params)
    return {key: ((one(balance_value(key, b)), 1) if key in BALANCE_NEEDS else kpi_by_sql(key, params))
            for key in KPIS}


AGING_TOTAL_SQL = (f"SELECT count(*), {BUCKETS_SQL} FROM billing_invoice "
                   f"WHERE {OPEN_SQL} AND amount_due > 0 AND currency = %(currency)s")
TRENDS_SQL = "SELECT kpi, day, value FROM insight_kpisnapshot WHERE day = ANY(%(days)s) AND kpi = ANY(%(keys)s)"
SNAPSHOTS_SQL = "SELECT kpi, day, value, sample FROM insight_kpisnapshot WHERE day = ANY(%(days)s)"


def trends_by_sql(params: dict[str, Any], keys: tuple[str, ...]) -> dict[str, list[tuple]]:
    stored = {(kpi, day): value for kpi, day, value in fetch(TRENDS_SQL, {**params, "keys": list(keys)})}
    return {key: [(day, stored.get((key, day))) for day in params["days"]] for key in keys}


# the 13-week cash forecast: the open invoices' predicted receipts and the confirmed orders' uninvoiced amounts
# (expected on the earliest open shipment's planned day, else the lines' promise, else the requested day, else
# today; due by the customer's terms; paid its usual days late, rounded half to even), per week from this
# Monday (-1 before, 13 and on after: "later"); the 8 weeks before: cash received (credit-note credit is not
# cash) and what the forecast made before each week expected of it
FORECAST_SQL = """
SELECT 'invoices', floor((predicted_date - %(first)s) / 7.0)::int, sum(amount_due)
  FROM insight_paymentprediction WHERE currency = %(currency)s GROUP BY 2
UNION ALL
SELECT 'orders', floor((greatest(r.due + r.late, %(today)s) - %(first)s) / 7.0)::int, sum(r.amount)
  FROM (SELECT o.gross_total - o.invoiced_amount AS amount,
               CASE WHEN t.end_of_month
                    THEN (date_trunc('month', (ships.day + t.net_days)::timestamp) + interval '1 month - 1 day')::date
                    ELSE ships.day + t.net_days END AS due,
               coalesce(CASE WHEN abs(h.expected_days_late %% 1) = 0.5 THEN 2 * round(h.expected_days_late / 2)
                             ELSE round(h.expected_days_late) END, 0)::int AS late
          FROM orders_salesorder o
          JOIN orders_customer c ON c.id = o.customer_id JOIN orders_paymentterm t ON t.id = c.payment_term_id
          LEFT JOIN insight_paymenthabit h ON h.customer_id = o.customer_id
         CROSS JOIN LATERAL (SELECT greatest(coalesce(
                   (SELECT min(x.planned_ship_date) FROM fulfillment_shipment x
                     WHERE x.order_id = o.id AND x.status IN ('scheduled', 'picking', 'packed')),
                   (SELECT min(l.promise_date) FROM orders_salesorderline l WHERE l.order_id = o.id),
                   o.requested_date, %(today)s), %(today)s) AS day) ships
         WHERE o.status = 'confirmed' AND o.currency = %(currency)s AND o.invoice_status <> 'full'
           AND o.gross_total > o.invoiced_amount) r
 GROUP BY 2
UNION ALL
SELECT 'received', (received_date - %(since)s) / 7, sum(amount) FROM receivables_payment
 WHERE currency = %(currency)s AND method <> 'credit_note' AND received_date >= %(since)s
   AND received_date < %(first)s GROUP BY 2
UNION ALL
SELECT 'expected', (week_start - %(since)s) / 7, expected
  FROM (SELECT DISTINCT ON (week_start) week_start, from_invoices + from_orders AS expected
          FROM insight_cashforecastweek WHERE currency = %(currency)s AND week_start >= %(since)s
           AND week_start < %(first)s AND made_on <= week_start ORDER BY week_start, made_on DESC) f
"""


def forecast_by_sql(params: dict[str, Any]) -> tuple[list[tuple], Decimal, list[tuple]]:
    """([(week, from invoices, from orders)] × 13, later, [(past week, expected then, received)] × 8)."""
    weeks, later, received, expected = [[ZERO, ZERO] for _ in range(13)], ZERO, {}, {}
    for kind, k, amount in fetch(FORECAST_SQL, params):
        if kind in ("invoices", "orders"):
            if 0 <= k < 13:
                weeks[k][kind == "orders"] += amount
            else:
                later += amount
        else:
            (received if kind == "received" else expected)[k] = amount
    first, since = params["first"], params["since"]
    return ([(first + datetime.timedelta(weeks=k), *w) for k, w in enumerate(weeks)], later,
            [(since + datetime.timedelta(weeks=k), expected.get(k), received.get(k, ZERO)) for k in range(8)])


# the collector's worklist by prediction: customers by Σ amount due × expected days late of the invoices expected
# late; aggregated first, the customers joined to the aggregate
PRIORITIES_SQL = """
SELECT p.customer_id, c.number, c.legal_name, p.currency, p.open_amount, p.overdue, p.days_late, p.next_payment,
       p.priority, p.invoices
  FROM (SELECT customer_id, currency, sum(amount_due) AS open_amount,
               coalesce(sum(amount_due) FILTER (WHERE due_date < %(today)s), 0) AS overdue,
               coalesce(sum(amount_due * expected_days_late) FILTER (WHERE expected_days_late > 0)
                        / nullif(sum(amount_due) FILTER (WHERE expected_days_late > 0), 0), 0) AS days_late,
               min(predicted_date) AS next_payment,
               sum(amount_due * expected_days_late) FILTER (WHERE expected_days_late > 0) AS priority,
               count(*) AS invoices
          FROM insight_paymentprediction WHERE currency = %(currency)s GROUP BY customer_id, currency) p
  JOIN orders_customer c ON c.id = p.customer_id
 WHERE p.priority > 0
 ORDER BY p.priority DESC, c.number LIMIT %(limit)s
"""


def priorities_by_sql(params: dict[str, Any]) -> list[tuple]:
    return [(*row[:6], Decimal(row[6]).quantize(Decimal("0.1")), *row[7:]) for row in fetch(PRIORITIES_SQL, params)]


QUEUE_SQL = ("SELECT count(*), coalesce(sum(amount), 0) FROM receivables_bankstatementline "
             "WHERE status = 'unmatched' AND direction = 'credit' AND NOT is_reversal")


def finance_by_sql(params: dict[str, Any]) -> dict[str, Any]:
    """The finance home's figures, each part's hand-written SQL in turn."""
    return {"aging": fetch(AGING_TOTAL_SQL, params)[0], "dso": kpi_by_sql("dso", params),
            "dso_trend": trends_by_sql(params, ("dso",))["dso"], "forecast": forecast_by_sql(params),
            "priorities": priorities_by_sql(params), "queue": fetch(QUEUE_SQL, params)[0]}


def management_by_sql(params: dict[str, Any]) -> dict[str, tuple[tuple, list[tuple]]]:
    """The management home: last night's snapshot of every KPI (value, sample) and its 12 month ends."""
    stored = {(kpi, day): (value, sample) for kpi, day, value, sample in fetch(SNAPSHOTS_SQL, params)}
    days = params["days"]
    return {key: (stored[key, days[-1]], [(day, stored.get((key, day), (None,))[0]) for day in days]) for key in KPIS}


# ---------------------------------------------------------------------------------------------- the figures


@dataclass
class Figure(AgingFigure):
    rows: Callable[[Any], int] = lambda result: 1  # the rows of a result


def same_aging(row: Any, by_sql: tuple) -> bool:
    return row is not None and [row.invoices, *row.cells()] == [by_sql[0], *(x or ZERO for x in by_sql[1:6])]


def same_kpi(value: Any, by_sql: tuple) -> bool:
    return (value.value, value.sample) == by_sql


def same_forecast(forecast: Any, by_sql: tuple) -> bool:
    weeks, later, past = by_sql
    return ([(w.start, w.from_invoices, w.from_orders) for w in forecast.weeks] == weeks and forecast.later == later
            and [(w.start, w.forecast_then, w.actual) for w in forecast.past] == past)


def same_priorities(rows: list, by_sql: list[tuple]) -> bool:
    return [tuple(vars(r).values()) for r in rows] == by_sql


def same_queue(queue: dict, by_sql: tuple) -> bool:
    return (queue["n"], queue["amount"] or ZERO) == by_sql


def same_finance(home: Any, by_sql: dict[str, Any]) -> bool:
    return (same_aging(home.aging, by_sql["aging"]) and same_kpi(home.dso, by_sql["dso"])
            and home.dso_trend == by_sql["dso_trend"] and same_forecast(home.forecast, by_sql["forecast"])
            and same_priorities(home.priorities, by_sql["priorities"])
            and (home.unmatched_lines, home.unmatched_amount) == by_sql["queue"])


def same_management(tiles: list, by_sql: dict[str, tuple[tuple, list[tuple]]]) -> bool:
    return [(t.key, t.value.value, t.value.sample, t.trend) for t in tiles] == [
        (key, *by_sql[key][0], by_sql[key][1]) for key in KPIS]


def forecast_rows(forecast: Any) -> int:
    return len(forecast.weeks) + len(forecast.past)


def figures(today: datetime.date) -> list[tuple[str, list[Figure]]]:
    params, f = params_for(today), trailing(today)
    queue = reconciliation_queue

    finance = [
        Figure("aging_totals (open AR by bucket)", lambda: aging_totals(today).get("EUR"),
               lambda: fetch(AGING_TOTAL_SQL, params)[0], same_aging),
        Figure("DSO: kpi_values(trailing(today), dso)", lambda: kpi_values(f, ("dso",))["dso"],
               lambda: kpi_by_sql("dso", params), same_kpi),
        Figure("kpi_trends(dso), 12 month ends", lambda: kpi_trends(today, keys=("dso",))["dso"],
               lambda: trends_by_sql(params, ("dso",))["dso"], lambda a, b: a == b, len),
        Figure("cash_forecast (13 weeks + 8 past)", lambda: cash_forecast(today, currency="EUR"),
               lambda: forecast_by_sql(params), same_forecast, forecast_rows),
        Figure(f"collection_priorities (top {PRIORITIES})",
               lambda: collection_priorities(limit=PRIORITIES, today=today), lambda: priorities_by_sql(params),
               same_priorities, len),
        Figure("reconciliation queue aggregate", lambda: queue().aggregate(n=Count("pk"), amount=Sum("amount")),
               lambda: fetch(QUEUE_SQL, params)[0], same_queue),
        Figure("finance_home() whole page", lambda: finance_home(today), lambda: finance_by_sql(params), same_finance,
               lambda home: 2 + len(home.dso_trend) + forecast_rows(home.forecast) + len(home.priorities) + 1),
    ]

    def kpi_figure(key: str) -> Figure:
        return Figure(f"{key} ({KPIS[key].unit})", lambda: kpi_values(f, (key,))[key],
                      lambda: kpi_by_sql(key, params), same_kpi)

    kpi_page = [
        *(kpi_figure(key) for key in KPIS),
        Figure(f"kpi_values(trailing(today)), all {len(KPIS)}", lambda: kpi_values(f),
               lambda: kpis_by_sql(params), lambda a, b: all(same_kpi(a[key], b[key]) for key in KPIS), len),
        Figure(f"kpi_trends, {len(KPIS)} KPIs × 12 month ends", lambda: kpi_trends(today),
               lambda: trends_by_sql(params, tuple(KPIS)),
               lambda a, b: a == b, lambda trends: sum(len(points) for points in trends.values())),
    ]
    management = [Figure("management_home() whole page (last night's snapshot)", lambda: management_home(today),
                         lambda: management_by_sql(params), same_management, len)]
    return [("finance home", finance), ("management home", management),
            ("the KPI page, live: the 30 days up to today", kpi_page)]


def environment() -> str:
    postgres, size, open_count, invoices = server(TABLES)
    c = loaded_counts()
    return (f"{postgres}; the bench tables {size}\n"
            f"rows: {c['orders_salesorder']:,} orders ({c['orders_salesorderline']:,} lines), "
            f"{c['fulfillment_shipment']:,} shipments ({c['fulfillment_shipmentline']:,} lines), {invoices:,} invoices "
            f"({open_count:,} open; {c['billing_invoiceline']:,} lines), {c['billing_creditnote']:,} credit notes, "
            f"{c['orders_customer']:,} customers, {c['receivables_payment']:,} payments, "
            f"{c['receivables_allocation']:,} allocations, {c['receivables_bankstatementline']:,} bank lines, "
            f"{c['receivables_reminderlog']:,} reminder logs, {c['insight_paymentprediction']:,} predictions, "
            f"{c['insight_kpisnapshot']:,} KPI snapshots")


def main() -> None:
    with connection.cursor() as cur:
        for setting in ARGS.set:
            name, _, value = setting.partition("=")
            cur.execute("SELECT set_config(%s, %s, false)", [name.strip(), value.strip()])
    load_seconds = prepare(ARGS.reload)
    nightly(ARGS.nightly or load_seconds is not None)
    today = timezone.localdate()
    print(environment())
    settings_ = f"; session settings: {', '.join(ARGS.set)}" if ARGS.set else ""
    print(f"as of {today}; best of {RUNS} after a warm-up; DESIGN.md §8: each well under 1 s, app/SQL ≤ 2; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs{settings_}", flush=True)
    table = Table(title="finance and management home pages: the app vs hand-written SQL")
    for column, justify in (("figure", "left"), ("app ms", "right"), ("SQL ms", "right"), ("app/SQL", "right"),
                            ("queries", "right"), ("rows", "right"), ("same", "left"), ("budget", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    over = []
    for page, page_figures in figures(today):
        table.add_section()
        table.add_row(f"[bold]{page}[/bold]")
        for figure in page_figures:
            app_seconds, app_result, queries = best_of(figure.app)
            sql_seconds, sql_result, _ = best_of(figure.sql)
            ratio = app_seconds / sql_seconds
            faults = [fault for fault, bad in (("> 1 s", app_seconds >= 1),
                                               (f"> 2× (+{(app_seconds - sql_seconds) * 1000:.1f} ms)", ratio > 2))
                      if bad]
            same = figure.same(app_result, sql_result)
            if faults or not same:
                over.append(f"{figure.name}: {', '.join(faults) or 'not the same figures'}")
            table.add_row(figure.name, f"{app_seconds * 1000:.1f}", f"{sql_seconds * 1000:.1f}", f"{ratio:.2f}",
                          str(queries), f"{figure.rows(app_result):,}", "yes" if same else "[red]NO[/red]",
                          f"[red]OVER {' '.join(faults)}[/red]" if faults else "ok")
            CONSOLE.print(f"  {figure.name}: app {app_seconds * 1000:.1f} ms, SQL {sql_seconds * 1000:.1f} ms",
                          highlight=False)
    CONSOLE.print(table)
    for line in over:
        CONSOLE.print(f"[red]over budget or different:[/red] {line}", highlight=False)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    connection.close()


if __name__ == "__main__":
    main()
