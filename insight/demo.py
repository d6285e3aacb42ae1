"""The demo company's past: a year of dated sales, deliveries, invoices and payments, each customer
paying in its own way — what insight learns from (predicted pay dates, the forecast backtest, KPI trends).

`load_insight_demo()` runs after the receivables demo. The other demos make today's company; this one
simulates the `months` before today for eight EUR customers (`BEHAVIOURS`: not on credit hold, not
invoiced up front), about two orders a month each, a line or two, a few hundred to a few thousand EUR.
Each customer pays a mean number of days after the due date, with a spread, and may drift over the year
(Milano pays later and later), pay big invoices later (Bureau Moderne), take the early-payment discount
(Rheinland, Bruxelles), pay some invoices in two instalments, or pay by bank transfers that arrive on the
imported statement (so the auto-match rate has a history; the first vague transfer is matched by hand,
which teaches the customer's IBAN).

How: every sale and every random choice about it (the shipping delays, a late carrier, a split shipment,
an invoice Finance makes by hand, a price-correction credit note, how late it is paid) is drawn up front
from a `random.Random` with a fixed seed per customer; only the dates depend on `today`. Then a queue of
dated steps runs in date order, as on each past day: the clock (`timezone.now` and `timezone.localdate`)
is pinned to the step's day and hour (`_Clock`), so confirmed_at, shipped_at, created_at, issue and due
dates, allocation dates and reminder days are those of that day. A step adds the later steps as it
learns their dates (the planned ship date, the due date), all through the real services:

- 07:30 the goods are received (`stock_receive`, the order's quantities: the demo's own stock levels and
  reservations end as they were); the sale is skipped when it would exceed the customer's credit limit;
- 09:00 the order is created and confirmed (`order_create`, `order_confirm`), by Sales;
- 11:30 its shipment is scheduled a few working days later (`shipment_create`), sometimes part of it first;
- 15:30 it is picked, packed and shipped (on the planned day, sometimes a day or two late), and invoiced
  at once when its customer is invoiced per shipment (`invoice_create_for_shipment`, touchless) — or,
  now and then, drafted by Finance (`invoice_create_for_order`) and issued the next working day;
- 12:30 it is delivered (on the promised day, or late) and invoiced then for on-delivery customers;
- 01:30 the day after a weekly or monthly period: `invoice_create_for_period`, as the nightly sweep does;
- 14:00 a price-correction credit note now and then (`credit_note_create`), before the invoice is paid;
- 06:00 the reminder run (`reminder_run`) of each day an unpaid invoice reaches a dunning level;
- 11:00 payments (`payment_record`, by Finance); 17:00 the day's bank statement (`bank_statement_import`,
  CAMT.053 by receivables' `camt053()`); 10:00 the next working day a vague line is matched by hand.

What is paid on or after today stays open (the predictions' input): sales stop LAST_SALE days before
today (a week before the running period for weekly and monthly customers: it is not invoiced yet). An
open invoice whose dunning level would be reached today or tomorrow is paid on the last working day
before today, so that today's reminders and tomorrow's preview remain those of the receivables demo.
Delays stop at 55 days after the due date: nobody reaches the credit-control policy's 60 days.

Idempotent: a sale is found again by (customer, PO reference `HIST-<customer number>-<yyyy-mm>-<n>`), and
only sales not yet made are simulated; a second run the same day adds nothing.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
import heapq
import itertools
import random
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from unittest import mock

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing.enums import OPEN_STATUSES, CreditReason
from billing.models import Invoice
from billing.services import (
    credit_note_create,
    invoice_create_for_order,
    invoice_create_for_period,
    invoice_create_for_shipment,
    invoice_issue,
    last_completed_period,
)
from fulfillment.models import Carrier, Shipment
from fulfillment.services import (
    shipment_create,
    shipment_deliver,
    shipment_pack,
    shipment_ship,
    shipment_start_picking,
)
from inventory.calendar import WorkCalendar, carrier_calendar, warehouse_calendar
from inventory.models import Product, StockReservation, Warehouse
from inventory.services import stock_receive
from o2c.money import quantize_money
from orders.enums import InvoicingPolicy, OrderStatus
from orders.models import Customer, SalesOrder
from orders.selectors import credit_position
from orders.services import order_confirm, order_create
from receivables.demo import camt053
from receivables.enums import LineStatus, PaymentMethod
from receivables.models import BankStatement, BankStatementLine
from receivables.selectors.dunning import dunnable_invoices, dunning_policy, plan_reminders
from receivables.services.dunning import reminder_run
from receivables.services.payments import discount_available, payment_record
from receivables.services.statements import bank_statement_import, statement_line_match

from .services import insight_backfill, insight_refresh

SEED = "o2c-insight-demo-278"  # a seed whose draws show each configured behaviour faithfully (see the tests)
PREFIX = "HIST-"
LAST_SALE = 10  # days before today: what is sold later would not have shipped yet
MAX_DELAY = 55  # days after the due date (the credit-control policy holds a customer at 60)
PERIODIC = (InvoicingPolicy.WEEKLY, InvoicingPolicy.MONTHLY)
PER_SHIPMENT = (InvoicingPolicy.ON_SHIPMENT, InvoicingPolicy.ON_DELIVERY)
BULKY = {"DESK-1600", "DESK-1800", "CAB-3DRW"}  # these go by pallet
MAX_TAX = Decimal("1.19")  # an order is at most its list prices plus the domestic VAT


@dataclass(frozen=True)
class Behaviour:
    """How a customer buys and pays. Days paid after the due date: `delay` + `trend` a month (from the
    middle of the history) + `per_thousand` per 1,000 EUR (net) more than its average sale, with a normal
    `spread`, at most MAX_DELAY; or, with the chance `skonto`, within the early-payment discount days,
    less the discount. With the chance `partial`, about half is paid some days before the rest."""

    customer: str
    delay: float
    spread: float
    trend: float = 0.0
    per_thousand: float = 0.0
    skonto: float = 0.0
    partial: float = 0.0
    payer: tuple[str, str] | None = None  # (name, IBAN) on its transfers: paid through the bank statement
    receiver: str = "Goods receipt"
    basket: tuple[tuple[str, int, int], ...] = ()  # (SKU, least, most) it buys


BEHAVIOURS = (
    Behaviour("Rheinland Office Solutions AG", delay=1, spread=2, skonto=0.75, receiver="Thomas Keller",
              basket=(("PAPER-A4", 20, 60), ("KB-DE-WL", 5, 15), ("MOUSE-WL", 5, 20), ("HDST-BT", 2, 6))),
    Behaviour("Münchner Coworking Spaces GmbH", delay=3, spread=3, partial=0.1, receiver="Anna Huber",
              basket=(("DESK-1600", 1, 3), ("CHAIR-ERGO", 2, 5), ("ARM-MON-2", 2, 6), ("PAPER-A4", 5, 15))),
    Behaviour("Schwarzwald Praxisbedarf e.K.", delay=-2, spread=1.5, receiver="Dr. Lena Vogt",
              payer=("SCHWARZWALD PRAXISBEDARF", "DE75512108001245126199"),
              basket=(("PAPER-A4", 8, 30), ("KB-DE-WL", 2, 6), ("MOUSE-WL", 2, 8))),
    Behaviour("Bureau Moderne SARL", delay=20, spread=8, per_thousand=3, partial=0.15, receiver="Claire Dubois",
              basket=(("CHAIR-ERGO", 2, 6), ("DESK-1800", 1, 3), ("CAB-3DRW", 1, 4))),
    Behaviour("Kantoor Design B.V.", delay=-6, spread=2.5, receiver="Daan de Vries",
              payer=("KANTOOR DESIGN", "NL91ABNA0417164300"),
              basket=(("DESK-1600", 1, 4), ("ARM-MON-2", 2, 8), ("CHAIR-ERGO", 1, 4))),
    Behaviour("Bruxelles Office Supplies SA", delay=4, spread=3, skonto=0.4, receiver="Sophie Janssens",
              basket=(("PAPER-A4", 20, 60), ("HDST-BT", 4, 12), ("KB-DE-WL", 5, 15), ("ARM-MON-2", 2, 6))),
    Behaviour("Milano Ufficio S.r.l.", delay=38, spread=5, trend=1.2, per_thousand=2, receiver="Giulia Rossi",
              basket=(("CHAIR-ERGO", 2, 8), ("ARM-MON-2", 2, 8), ("MOUSE-WL", 5, 15))),
    Behaviour("Zürich Workspace AG", delay=0, spread=1, receiver="Reto Baumann",
              payer=("ZUERICH WORKSPACE", "CH9300762011623852957"),
              basket=(("MOUSE-WL", 10, 30), ("CBL-CAT6A", 100, 300), ("HDST-BT", 5, 15), ("KB-DE-WL", 5, 15))),
)


@dataclass(frozen=True)
class Draws:
    """Every random choice about one sale, drawn up front (always all of them, in one order, so that the
    stream of a customer's generator does not depend on what is used)."""

    lines: tuple[tuple[str, int], ...]
    schedule_after: int  # working days from the order to its shipment's planned day
    ship_late: int  # working days the warehouse ships after the planned day
    carrier_late: int  # working days the carrier delivers after the promised day
    split: bool  # a third of the first line follows in a second shipment
    split_gap: int
    manual: bool  # Finance drafts the invoice by hand and issues it the next working day
    credit: float  # the share of the invoice credited as a price correction (0: none)
    credit_after: int
    z: float  # the standard normal draw of the payment delay
    skonto: float  # uniform: below the customer's `skonto`, the discount is taken
    skonto_day: int
    instalments: float  # uniform: below the customer's `partial`, paid in two instalments
    partial: float  # the share paid first then
    rest_after: int
    remittance: float  # < 0.7: the invoice number in the transfer's text, < 0.85: its RF reference, else vague

    @classmethod
    def of(cls, rng: random.Random, basket: tuple[tuple[str, int, int], ...]) -> Draws:
        chosen = rng.sample(basket, 2 if rng.random() < 0.35 else 1)
        return cls(
            lines=tuple((sku, rng.randint(least, most)) for sku, least, most in chosen),
            schedule_after=rng.choice((0, 1, 1, 1, 2, 2, 3)),
            ship_late=rng.choice((1, 2)) if rng.random() < 0.12 else 0,
            carrier_late=rng.choice((1, 2)) if rng.random() < 0.07 else 0,
            split=rng.random() < 0.08, split_gap=rng.randint(2, 5), manual=rng.random() < 0.06,
            credit=rng.uniform(0.03, 0.1) if rng.random() < 0.05 else 0.0, credit_after=rng.randint(2, 6),
            z=rng.gauss(0, 1), skonto=rng.random(), skonto_day=rng.randint(3, 9),
            instalments=rng.random(), partial=rng.uniform(0.4, 0.6), rest_after=rng.randint(10, 20),
            remittance=rng.random(),
        )


@dataclass(frozen=True)
class Sale:
    behaviour: Behaviour
    customer: Customer
    day: datetime.date
    month: int  # of the history, 0 the oldest
    reference: str
    draws: Draws


def _weekday(day: datetime.date, step: int = 1) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=step)
    return day


def _last_sale_day(customer: Customer, today: datetime.date) -> datetime.date:
    """Sold up to LAST_SALE days ago; for a weekly or monthly customer, early enough to ship within the last
    completed period (the running one is invoiced when it ends)."""
    last = today - datetime.timedelta(days=LAST_SALE)
    if customer.invoicing_policy in PERIODIC:
        last = min(last, last_completed_period(customer.invoicing_policy, today).end - datetime.timedelta(days=7))
    return last


def _plan(behaviour: Behaviour, customer: Customer, months: int, today: datetime.date) -> list[Sale]:
    """The customer's sales of the history, oldest first (1 to 3 a month, about 2)."""
    rng = random.Random(f"{SEED}:{customer.number}")
    start = today - datetime.timedelta(days=30 * months)
    drawn = []
    for month in range(months):
        for _ in range(rng.choice((1, 2, 2, 2, 3))):
            day = _weekday(start + datetime.timedelta(days=30 * month + rng.randrange(30)))
            drawn.append((day, month, Draws.of(rng, behaviour.basket)))
    last = _last_sale_day(customer, today)
    drawn = sorted((d for d in drawn if d[0] <= last), key=lambda d: d[0])
    counters: Counter[str] = Counter()
    sales = []
    for day, month, draws in drawn:
        counters[f"{day:%Y-%m}"] += 1
        reference = f"{PREFIX}{customer.number}-{day:%Y-%m}-{counters[f'{day:%Y-%m}']}"
        sales.append(Sale(behaviour, customer, day, month, reference, draws))
    return sales


class _Clock:
    """`timezone.now()` and `timezone.localdate()` pinned to a moment of the past (a call for another
    moment, `localdate(value)`, is left alone)."""

    def __init__(self) -> None:
        self.moment = timezone.now()
        self._localdate = timezone.localdate

    def set(self, day: datetime.date, at: datetime.time) -> None:
        self.moment = timezone.make_aware(datetime.datetime.combine(day, at))

    def now(self) -> datetime.datetime:
        return self.moment

    def localdate(self, value: datetime.datetime | None = None, timezone: Any = None) -> datetime.date:
        return self._localdate(value or self.moment, timezone)

    @contextlib.contextmanager
    def pinned(self) -> Iterator[None]:
        with mock.patch("django.utils.timezone.now", self.now), \
                mock.patch("django.utils.timezone.localdate", self.localdate):
            yield


# the hour of each kind of step; steps of a day run in this order
RANKS = {"period": "01:30", "remind": "06:00", "receive": "07:30", "sell": "09:00", "match": "10:00",
         "issue": "10:30", "pay": "11:00", "schedule": "11:30", "deliver": "12:30", "credit": "14:00",
         "ship": "15:30", "statement": "17:00", "sweep": "18:00"}
ORDER = {kind: n for n, kind in enumerate(RANKS)}


@dataclass(order=True)
class _Step:
    day: datetime.date
    rank: int
    seq: int
    run: Callable[..., None] = field(compare=False)
    args: tuple[Any, ...] = field(compare=False, default=())


@dataclass
class _Transfer:
    sale: Sale
    invoice: Invoice
    vague: bool


class _History:
    """The simulation: a queue of dated steps; each step is a method that may queue later ones."""

    def __init__(self, *, sales: Any, warehouse: Any, finance: Any, months: int, today: datetime.date,
                 stock: Warehouse, typical: dict[int, float]) -> None:
        self.sales, self.shipper, self.finance, self.today = sales, warehouse, finance, today
        self.typical = typical  # each customer's average sale (net, at list prices)
        self.months, self.stock = months, stock
        self.start = today - datetime.timedelta(days=30 * months + 7)
        self.work: WorkCalendar = warehouse_calendar(stock, self.start)
        self.carriers = {c.code: c for c in Carrier.objects.filter(code__in=("PARCEL", "PALLET"), is_active=True)}
        self.carry: WorkCalendar = carrier_calendar(self.start)
        self.queue: list[_Step] = []
        self.seq = itertools.count()
        self.made: Counter[str] = Counter()
        self.periods: set[tuple[int, datetime.date]] = set()
        self.remind_days: set[datetime.date] = set()
        self.transfers: dict[datetime.date, list[_Transfer]] = defaultdict(list)
        self.open: set[int] = set()  # the invoices made
        self.levels = [level.days_after_due for level in dunning_policy().levels.all()]
        self.clock = _Clock()
        self.now: tuple[datetime.date, int] = (self.start, 0)

    # --- the queue -------------------------------------------------------------------------------------

    def at(self, day: datetime.date, kind: str, run: Callable[..., None], *args: Any) -> None:
        if day >= self.today:
            return  # the future: not part of the history
        assert (day, ORDER[kind]) >= self.now, f"{kind} on {day} is before {self.now}"
        heapq.heappush(self.queue, _Step(day, ORDER[kind], next(self.seq), run, args))

    def run(self) -> None:
        with self.clock.pinned():
            while self.queue:
                step = heapq.heappop(self.queue)
                self.now = (step.day, step.rank)
                self.clock.set(step.day, datetime.time.fromisoformat(list(RANKS.values())[step.rank]))
                step.run(*step.args)

    # --- selling and shipping --------------------------------------------------------------------------

    def receive(self, sale: Sale, products: dict[str, Product]) -> None:
        """The goods the sale needs come in, unless the sale would break the customer's credit limit."""
        customer = Customer.objects.get(pk=sale.customer.pk)
        lines = [{"product": products[sku].pk, "quantity": Decimal(qty)} for sku, qty in sale.draws.lines]
        at_most = sum(qty * products[sku].list_price for sku, qty in sale.draws.lines) * MAX_TAX  # no discount
        exposure = customer.open_balance + credit_position(customer).open_orders + at_most
        if customer.credit_hold or (customer.credit_limit is not None and exposure > customer.credit_limit):
            self.made["skipped"] += 1
            return
        for sku, qty in sale.draws.lines:
            stock_receive(product=products[sku], warehouse=self.stock, quantity=Decimal(qty), actor=self.shipper,
                          reference=f"Supplier delivery for {sale.reference}")
            self.made["receipts"] += 1
        self.at(sale.day, "sell", self.sell, sale, lines)

    def sell(self, sale: Sale, lines: list[dict[str, Any]]) -> None:
        order = order_create(customer=sale.customer, lines=lines, actor=self.sales, warehouse=self.stock,
                             customer_reference=sale.reference)
        order = order_confirm(order_id=order.pk, actor=self.sales)
        self.made["orders"] += 1
        if order.status != OrderStatus.CONFIRMED or any(line.backordered_quantity for line in order.lines.all()):
            return  # on hold, or short of stock: it waits, like any order
        self.at(self.work.add(sale.day, sale.draws.schedule_after), "schedule", self.schedule, sale, order.pk, True)

    def schedule(self, sale: Sale, order_id: int, first: bool) -> None:
        """The warehouse plans the shipment; it leaves on the planned day or a day or two late. A split
        order ships a third of its first line a few days after the rest (when both leave before today)."""
        d = sale.draws
        late = d.ship_late if self.work.add(self.now[0], d.ship_late) < self.today else 0
        split = (first and d.split and d.lines[0][1] >= 3
                 and self.work.add(self.now[0], late + d.split_gap) < self.today)
        lines = None
        if split:
            order_lines = SalesOrder.objects.get(pk=order_id).lines.order_by("position")
            lines = [{"order_line": line.pk, "quantity": line.quantity - (line.quantity // 3 if n == 0 else 0)}
                     for n, line in enumerate(order_lines)]
        shipment = shipment_create(order_id=order_id, actor=self.shipper, carrier=self.carriers.get(_carrier(sale)),
                                   lines=lines)
        self.made["shipments"] += 1
        day = self.work.add(shipment.planned_ship_date, late)
        self.at(day, "ship", self.ship, sale, shipment.pk)
        if split:
            self.at(self.work.add(day, d.split_gap), "schedule", self.schedule, sale, order_id, False)

    def ship(self, sale: Sale, shipment_id: int) -> None:
        shipment_start_picking(shipment_id=shipment_id, actor=self.shipper)
        shipment_pack(shipment_id=shipment_id, actor=self.shipper)
        shipment = shipment_ship(shipment_id=shipment_id, actor=self.shipper,
                                 tracking_number=_tracking(_carrier(sale), shipment_id))
        day = self.carry.add(self.now[0], shipment.carrier.transit_days)
        self.at(self.carry.add(day, sale.draws.carrier_late), "deliver", self.deliver, sale, shipment_id)
        policy = sale.customer.invoicing_policy
        if policy == InvoicingPolicy.ON_SHIPMENT:
            self.invoice_shipment(sale, shipment)
        elif policy in PERIODIC:
            self.period_after(sale, self.now[0])

    def deliver(self, sale: Sale, shipment_id: int) -> None:
        shipment = shipment_deliver(shipment_id=shipment_id, actor=self.shipper, received_by=sale.behaviour.receiver,
                                    delivered_on=self.now[0])
        if sale.customer.invoicing_policy == InvoicingPolicy.ON_DELIVERY:
            self.invoice_shipment(sale, shipment)

    # --- invoicing -------------------------------------------------------------------------------------

    def invoice_shipment(self, sale: Sale, shipment: Shipment) -> None:
        issue_day = self.work.add(self.now[0], 1)
        if sale.draws.manual and issue_day < self.today:  # Finance drafts it and issues it the next working day
            draft = invoice_create_for_order(order_id=shipment.order_id, actor=self.finance, issue=False)
            if draft is not None:
                self.at(issue_day, "issue", self.issue, sale, draft.pk)
            return
        invoice = invoice_create_for_shipment(shipment_id=shipment.pk)
        if invoice is not None:
            self.invoiced(sale, invoice)

    def issue(self, sale: Sale, draft_id: int) -> None:
        self.invoiced(sale, invoice_issue(invoice_id=draft_id, actor=self.finance))

    def period_after(self, sale: Sale, shipped: datetime.date) -> None:
        """The consolidated invoice of the period the goods shipped in, the night after it ends."""
        if sale.customer.invoicing_policy == InvoicingPolicy.WEEKLY:
            start = shipped - datetime.timedelta(days=shipped.weekday())
            end = start + datetime.timedelta(days=6)
        else:
            start = shipped.replace(day=1)
            end = shipped.replace(day=calendar.monthrange(shipped.year, shipped.month)[1])
        if (sale.customer.pk, start) not in self.periods:
            self.periods.add((sale.customer.pk, start))
            self.at(end + datetime.timedelta(days=1), "period", self.invoice_period, sale, start, end)

    def invoice_period(self, sale: Sale, start: datetime.date, end: datetime.date) -> None:
        invoice = invoice_create_for_period(customer_id=sale.customer.pk, currency=sale.customer.currency,
                                            start=start, end=end)
        if invoice is not None:
            self.invoiced(sale, invoice)

    def invoiced(self, sale: Sale, invoice: Invoice) -> None:
        """An issued invoice: its credit note, its payment(s) and its reminders are planned."""
        self.made["invoices"] += 1
        self.open.add(invoice.pk)
        paid = self.plan_payment(sale, invoice)
        settled = paid or self.today
        credit_day = _weekday(invoice.issue_date + datetime.timedelta(days=sale.draws.credit_after))
        if sale.draws.credit and credit_day < settled - datetime.timedelta(days=1):
            self.at(credit_day, "credit", self.credit, sale, invoice.pk)
        for after in self.levels:
            day = invoice.due_date + datetime.timedelta(days=after)
            if day <= settled and day not in self.remind_days:
                self.remind_days.add(day)
                self.at(day, "remind", self.remind)

    def credit(self, sale: Sale, invoice_id: int) -> None:
        invoice = Invoice.objects.get(pk=invoice_id)
        amount = quantize_money(invoice.gross_total * Decimal(str(round(sale.draws.credit, 4))))
        if invoice.status not in OPEN_STATUSES or not 0 < amount < invoice.amount_due:
            return
        credit_note_create(invoice_id=invoice.pk, actor=self.finance, reason=CreditReason.PRICE, amount=amount,
                           note=f"Price correction on {invoice.number}: the agreed project price, "
                                f"{sale.draws.credit:.0%} below the invoiced one.")
        self.made["credit_notes"] += 1

    def remind(self) -> None:
        self.made["reminders"] += len(reminder_run(today=self.now[0], actor=None))

    # --- payments --------------------------------------------------------------------------------------

    def plan_payment(self, sale: Sale, invoice: Invoice) -> datetime.date | None:
        """Queue the customer's payment(s) of the invoice; the day it will be settled (None: not before today)."""
        b, d = sale.behaviour, sale.draws
        if d.skonto < b.skonto and invoice.discount_date is not None:
            day = _weekday(min(invoice.issue_date + datetime.timedelta(days=d.skonto_day), invoice.discount_date), -1)
            self.at(max(day, invoice.issue_date), "pay", self.pay, sale, invoice.pk, "skonto")
            return max(day, invoice.issue_date) if day < self.today else None
        middle = (self.months - 1) / 2
        bigger = float(invoice.net_total) - self.typical[sale.customer.pk]
        delay = b.delay + b.trend * (sale.month - middle) + b.per_thousand * bigger / 1000 + d.z * b.spread
        day = _weekday(invoice.due_date + datetime.timedelta(days=round(min(delay, MAX_DELAY))))
        day = max(day, _weekday(invoice.issue_date + datetime.timedelta(days=1)))
        first = _weekday(day - datetime.timedelta(days=min(d.rest_after, (day - invoice.issue_date).days // 2)), -1)
        if d.instalments < b.partial and invoice.issue_date < first < day:
            self.at(first, "pay", self.pay, sale, invoice.pk, "part")
        self.at(day, "pay", self.pay, sale, invoice.pk, "full")
        return day if day < self.today else None

    def pay(self, sale: Sale, invoice_id: int, how: str) -> None:
        invoice = Invoice.objects.get(pk=invoice_id)
        if invoice.status not in OPEN_STATUSES or invoice.amount_due <= 0:
            return
        day = self.now[0]
        if sale.behaviour.payer and how == "full":  # a transfer on today's statement
            if not self.transfers[day]:
                self.at(day, "statement", self.statement)
            vague = sale.draws.remittance >= 0.85 and self.work.add(day, 1) < self.today
            self.transfers[day].append(_Transfer(sale, invoice, vague))
            return
        amount = invoice.amount_due
        if how == "skonto":
            amount -= discount_available(invoice, day, discounted=())
        elif how == "part":
            amount = quantize_money(amount * Decimal(str(round(sale.draws.partial, 4))))
        self.record(invoice, amount, f"{invoice.number}" if how != "part" else f"{invoice.number} Teilzahlung")

    def record(self, invoice: Invoice, amount: Decimal, reference: str) -> None:
        payment_record(customer_id=invoice.customer_id, amount=amount, method=PaymentMethod.BANK_TRANSFER,
                       received_date=self.now[0], reference=reference,
                       allocations=[{"invoice": invoice.pk, "amount": str(min(amount, invoice.amount_due))}]
                       if amount < invoice.amount_due else [{"invoice": invoice.pk}], actor=self.finance)
        self.made["payments"] += 1

    def statement(self) -> None:
        """The day's statement of the company account, imported: most transfers match by themselves."""
        day, account = self.now[0], settings.O2C_COMPANY["iban"].replace(" ", "").upper()
        transfers = [t for t in self.transfers.pop(day, []) if _still_open(t.invoice)]
        if not transfers:
            return
        ref = f"O2C-HIST-{day:%Y%m%d}"
        for n in itertools.count(2):  # a second load on another day may find the day's statement taken
            if not BankStatement.objects.filter(account_iban=account, statement_ref=ref).exists():
                break
            ref = f"O2C-HIST-{day:%Y%m%d}-{n}"
        entries = [_entry(t, ref, n) for n, t in enumerate(transfers, 1)]
        content = camt053(account_iban=account, statement_id=ref, currency="EUR", day=day, entries=entries)
        result = bank_statement_import(content=content, filename=f"camt053-{day:%Y%m%d}.xml", actor=self.finance)
        self.made["statements"] += 1
        self.made["payments"] += sum(1 for line in result.lines if line.payment_id)
        for line, transfer in zip(result.lines, transfers, strict=True):
            if line.status == LineStatus.UNMATCHED:
                self.at(self.work.add(day, 1), "match", self.match, line.pk, transfer)

    def match(self, line_id: int, transfer: _Transfer) -> None:
        """Finance places a line the bank could not: the customer's IBAN is learnt for the next time."""
        line = BankStatementLine.objects.get(pk=line_id)
        if line.status != LineStatus.UNMATCHED:
            return
        owes = _still_open(transfer.invoice) and transfer.invoice.amount_due == line.amount
        statement_line_match(line_id=line_id, customer_id=transfer.invoice.customer_id, actor=self.finance,
                             allocations=[{"invoice": transfer.invoice.pk}] if owes else None)
        self.made["payments"] += 1

    def sweep(self) -> None:
        """The last working day: an open invoice that today's or tomorrow's reminder run would take up is paid
        now, so that the receivables demo's reminders stay the only ones due."""
        tomorrow = self.today + datetime.timedelta(days=1)
        due = plan_reminders(dunnable_invoices(tomorrow, invoice_ids=sorted(self.open)), dunning_policy(), tomorrow)
        for plan in due.values():
            for line in plan.lines:
                self.record(line.invoice, line.invoice.amount_due, f"{line.invoice.number}")


def _still_open(invoice: Invoice) -> bool:
    invoice.refresh_from_db(fields=["status", "amount_due"])
    return invoice.status in OPEN_STATUSES and invoice.amount_due > 0


def _entry(transfer: _Transfer, statement: str, n: int) -> dict[str, Any]:
    """A credit of the statement: the invoice number, its RF reference or (vague) neither in the text."""
    invoice, (name, iban) = transfer.invoice, transfer.sale.behaviour.payer or ("", "")
    if transfer.vague:
        text = f"Zahlung Lieferung {invoice.issue_date:%m/%Y}"
    elif transfer.sale.draws.remittance < 0.7:
        text = f"Rechnung {invoice.number}"
    else:
        text = invoice.payment_reference
    return {"amount": invoice.amount_due, "credit": True, "ref": f"{statement}-{n:03d}", "name": name,
            "iban": iban, "text": text}


def _carrier(sale: Sale) -> str:
    return "PALLET" if any(sku in BULKY for sku, _ in sale.draws.lines) else "PARCEL"


def _tracking(carrier: str, shipment_id: int) -> str:
    number = zlib.crc32(f"{SEED}:{shipment_id}".encode())
    return f"HS-{number % 10**7:07d}" if carrier == "PALLET" else f"NP{number % 10**8:08d}DE"


def _customers() -> dict[str, Customer]:
    """The customers of `BEHAVIOURS` that can buy now: active, in EUR, not on hold, not invoiced up front."""
    rows = (Customer.objects.filter(legal_name__in=[b.customer for b in BEHAVIOURS], is_active=True, currency="EUR",
                                    credit_hold=False, invoicing_policy__in=[*PER_SHIPMENT, *PERIODIC])
            .select_related("payment_term"))
    return {c.legal_name: c for c in rows}


def _products(stock: Warehouse) -> dict[str, Product]:
    """The products the history sells: active, and without backorders in the warehouse (a receipt would fill
    those first and change the demo's reservations)."""
    skus = {sku for b in BEHAVIOURS for sku, _, _ in b.basket}
    short = set(StockReservation.objects.filter(warehouse=stock, product__sku__in=skus).exclude(
        quantity_requested=F("quantity_reserved")).values_list("product__sku", flat=True))
    return {p.sku: p for p in Product.objects.filter(sku__in=skus - short, is_active=True)}


def _sales(months: int, today: datetime.date, products: dict[str, Product]) -> tuple[list[Sale], dict[int, float]]:
    """The sales of the history not made yet, oldest first; each customer's average sale (net, at list prices)."""
    customers = _customers()
    made = set(SalesOrder.objects.filter(customer_reference__startswith=PREFIX)
               .values_list("customer_id", "customer_reference"))
    sales = [s for b in BEHAVIOURS if b.customer in customers for s in _plan(b, customers[b.customer], months, today)
             if all(sku in products for sku, _ in s.draws.lines)]
    worth: dict[int, list[float]] = defaultdict(list)
    for sale in sales:
        worth[sale.customer.pk].append(sum(qty * float(products[sku].list_price) for sku, qty in sale.draws.lines))
    typical = {pk: sum(values) / len(values) for pk, values in worth.items()}
    return [s for s in sales if (s.customer.pk, s.reference) not in made], typical


@transaction.atomic
def load_insight_demo(*, sales: AbstractBaseUser | None, warehouse: AbstractBaseUser | None,
                      finance: AbstractBaseUser | None, months: int,
                      today: datetime.date | None = None) -> dict[str, int]:
    """Simulate the `months` before `today` (default: today) for the customers of `BEHAVIOURS`; how many of
    each thing were created."""
    today = today or timezone.localdate()
    made = dict.fromkeys(("orders", "shipments", "invoices", "credit_notes", "payments", "statements",
                          "reminders", "receipts"), 0)
    stock = Warehouse.objects.filter(code="HAM", is_active=True).first()
    products = _products(stock) if stock is not None and months > 0 else {}
    todo, typical = _sales(months, today, products) if products else ([], {})
    if todo:
        history = _History(sales=sales, warehouse=warehouse, finance=finance, months=months, today=today,
                           stock=stock, typical=typical)
        for sale in todo:
            history.at(sale.day, "receive", history.receive, sale, products)
        history.at(_weekday(today - datetime.timedelta(days=1), -1), "sweep", history.sweep)
        history.run()
        made.update({k: v for k, v in history.made.items() if k in made})
    # KPI snapshots at the past month ends and forecasts made on the past Mondays, so the trends and the
    # forecast-against-actual weeks show the history; then predictions and today's snapshots
    insight_backfill(as_of=today, months=months)
    insight_refresh(as_of=today, actor=None)
    return made
