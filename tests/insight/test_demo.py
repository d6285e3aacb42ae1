"""The demo's history (insight.demo): loaded by load_demo after the receivables demo, written by the
services as on each past day; every customer pays the way it was configured to, the dates follow one
another and lie in the past, the books and the stock ledger agree, and a second load adds nothing."""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Q, Sum
from django.utils import timezone
from pytest_django.fixtures import Settings

from billing.enums import OPEN_STATUSES, CreditReason, InvoiceStatus
from billing.models import CreditNote, Invoice
from fulfillment.models import Shipment
from inventory.models import StockLevel, StockMove, StockReservation
from inventory.selectors import ledger_mismatches
from o2c.models import AuditEvent, OutboxEvent
from orders.models import Customer, SalesOrder, SalesOrderLine
from receivables.enums import AUTO_RULES, MatchRule
from receivables.models import Allocation, BankStatement, BankStatementLine, Payment, Reminder, ReminderLog

pytestmark = pytest.mark.django_db

HIST = "HIST-"
# The configuration the demo was given (insight.demo.BEHAVIOURS), written out: mean days paid after the due
# date, and how far the realised mean may stray from it (about half the configured spread, at least two days:
# a year gives each customer 8 to 25 invoices due 60 days ago or more, all of them settled)
PAYS = {
    "Münchner Coworking Spaces GmbH": (3, 2),  # NET14, a few days late, now and then in two instalments
    "Schwarzwald Praxisbedarf e.K.": (-2, 2),  # weekly invoices, NET30EOM, on time
    "Bureau Moderne SARL": (20, 4),  # 20 days late, spread 8, big invoices later
    "Kantoor Design B.V.": (-6, 2),  # monthly invoices, pays early
    "Milano Ufficio S.r.l.": (38, 4),  # 38 on average over the year, 1.2 days later every month
    "Zürich Workspace AG": (0, 2),  # on the due date
}
# (share of invoices paid within the discount days, less the discount; mean days after the due date otherwise)
SKONTO = {"Rheinland Office Solutions AG": (0.75, 1), "Bruxelles Office Supplies SA": (0.4, 4)}


def _load(months: int | None = None) -> str:
    out = StringIO()
    options = {} if months is None else {"history_months": months}
    call_command("load_demo", password="pw-demo", stdout=out, **options)
    return out.getvalue()


def _history() -> list[Invoice]:
    return list(Invoice.objects.filter(lines__order_line__order__customer_reference__startswith=HIST)
                .exclude(status=InvoiceStatus.DRAFT).distinct().select_related("customer").order_by("due_date", "pk"))


def _settled(today: datetime.date) -> dict[str, list[tuple[int, bool, Invoice]]]:
    """(days paid after the due date, discount taken, invoice) of each customer's history invoices due 60 days
    ago or more: all of them are paid by now (the demo's delays stop at 55 days), so none is left out."""
    discounted = set(Allocation.objects.filter(discount_amount__gt=0).values_list("invoice_id", flat=True))
    settled: dict[str, list[tuple[int, bool, Invoice]]] = defaultdict(list)
    for invoice in _history():
        if invoice.due_date <= today - datetime.timedelta(days=60):
            assert invoice.status == InvoiceStatus.PAID, invoice
            settled[invoice.customer.legal_name].append(
                ((invoice.settled_on - invoice.due_date).days, invoice.pk in discounted, invoice))
    return settled


def test_a_year_of_history_pays_the_way_each_customer_was_configured_to(settings: Settings) -> None:
    settings.DEMO_HISTORY_MONTHS = 12
    assert "Insight demo (12 months of history):" in _load()
    today = timezone.localdate()
    settled = _settled(today)
    assert set(settled) == set(PAYS) | set(SKONTO)
    for name, (mean, tolerance) in PAYS.items():
        delays = [days for days, _, _ in settled[name]]
        assert len(delays) >= 6, name
        assert abs(statistics.mean(delays) - mean) <= tolerance, (name, statistics.mean(delays), delays)
    for name, (share, mean) in SKONTO.items():
        rows = settled[name]
        taken = [days for days, discount, _ in rows if discount]
        others = [days for days, discount, _ in rows if not discount]
        assert abs(len(taken) / len(rows) - share) <= 0.25, (name, len(taken), len(rows))
        assert all(days <= -20 for days in taken), taken  # 2/10 net 30: paid within 10 days of the issue
        assert not others or abs(statistics.mean(others) - mean) <= 3, (name, others)

    # Milano pays later and later (1.2 days a month): the later half of these invoices some 5 days later
    milano = [days for days, _, _ in settled["Milano Ufficio S.r.l."]]
    half = len(milano) // 2
    assert statistics.mean(milano[half:]) - statistics.mean(milano[:half]) >= 3, milano
    # Bureau Moderne pays big invoices later (3 days per 1,000 EUR more)
    bureau = sorted(settled["Bureau Moderne SARL"], key=lambda row: row[2].net_total)
    assert statistics.mean(d for d, _, _ in bureau[len(bureau) // 2:]) > statistics.mean(
        d for d, _, _ in bureau[:len(bureau) // 2])

    # what else the KPIs learn from: invoices still open, a few paid in two instalments, transfers matched by the
    # bank statement import (and a few by hand), reminders, price corrections, invoices Finance issued by hand
    history = _history()
    recent = [i for i in history if i.issue_date >= today - datetime.timedelta(days=60)]
    assert sum(i.status in OPEN_STATUSES for i in recent) >= 8
    assert not [i for i in history if i.status in OPEN_STATUSES and i.issue_date < today - datetime.timedelta(days=100)]
    two = Allocation.objects.filter(invoice__in=history).values("invoice").annotate(n=Count("id")).filter(n=2)
    assert two.count() >= 3
    lines = BankStatementLine.objects.filter(statement__statement_ref__startswith="O2C-HIST-")
    assert lines.count() >= 40 and not lines.filter(status="unmatched").exists()
    auto = lines.filter(match_rule__in=AUTO_RULES).count()
    assert 0.8 <= auto / lines.count() < 1 and lines.filter(match_rule=MatchRule.MANUAL).exists()
    assert lines.filter(match_rule=MatchRule.IBAN_AMOUNT).exists()  # the IBAN learnt from a line matched by hand
    reminded = set(ReminderLog.objects.filter(invoice__in=history).values_list("invoice__customer__legal_name",
                                                                               flat=True))
    assert {"Milano Ufficio S.r.l.", "Bureau Moderne SARL"} <= reminded
    assert not reminded & {"Zürich Workspace AG", "Kantoor Design B.V.", "Rheinland Office Solutions AG"}
    assert CreditNote.objects.filter(invoice__in=history, reason=CreditReason.PRICE).count() >= 3
    touched = [i for i in history if i.issued_by_id is not None]
    assert 3 <= len(touched) <= len(history) // 8
    delivered = Shipment.objects.filter(order__customer_reference__startswith=HIST, delivered_on__isnull=False)
    on_time = delivered.filter(on_time=True).count() / delivered.count()
    assert 0.65 <= on_time <= 0.95 and delivered.filter(in_full=False).exists()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        SalesOrder, Shipment, Invoice, CreditNote, Payment, Allocation, BankStatement, Reminder, ReminderLog,
        StockMove, StockReservation, OutboxEvent, AuditEvent)}


def _levels() -> dict[tuple[int, int], tuple]:
    return {(s.product_id, s.warehouse_id): (s.on_hand, s.reserved) for s in StockLevel.objects.all()}


def test_the_history_is_added_to_a_loaded_demo_once_dated_in_the_past_and_consistent(settings: Settings) -> None:
    settings.DEMO_HISTORY_MONTHS = 3
    assert "Insight demo" not in _load(months=0)
    assert not SalesOrder.objects.filter(customer_reference__startswith=HIST).exists()
    stock, held = _levels(), set(Customer.objects.filter(credit_hold=True).values_list("pk", flat=True))
    assert "Insight demo (3 months of history):" in _load()  # settings.DEMO_HISTORY_MONTHS
    first = _counts()
    assert "Insight demo" not in _load()
    assert _counts() == first  # a second load adds nothing

    # the stock came in for each sale and left with it: the demo's levels and reservations are as they were
    assert _levels() == stock and ledger_mismatches() == []
    orders = SalesOrder.objects.filter(customer_reference__startswith=HIST)
    assert orders.count() >= 30 and not StockReservation.objects.filter(reference__in=orders.values("number"))

    # dates: confirmed ≤ shipped ≤ issued ≤ settled, all before today; the orders were made on their day
    today = timezone.localdate()
    for order in orders.prefetch_related("shipments"):
        confirmed = timezone.localdate(order.confirmed_at)
        assert timezone.localdate(order.created_at) == confirmed < today, order
        for shipment in order.shipments.all():
            assert order.confirmed_at < shipment.shipped_at and timezone.localdate(shipment.shipped_at) < today
            assert shipment.delivered_on is None or timezone.localdate(shipment.shipped_at) < shipment.delivered_on
    for invoice in _history():
        shipped = Shipment.objects.filter(lines__invoice_lines__invoice=invoice).distinct()
        assert all(timezone.localdate(s.shipped_at) <= invoice.issue_date < today for s in shipped), invoice
        assert timezone.localdate(invoice.issued_at) == invoice.issue_date
        if invoice.status == InvoiceStatus.PAID:
            assert invoice.issue_date < invoice.settled_on < today
        for allocation in invoice.allocations.all():
            assert invoice.issue_date <= allocation.date < today
            assert allocation.payment.received_date <= timezone.localdate(allocation.payment.created_at) < today
    assert not ReminderLog.objects.filter(invoice__in=_history(), sent_on__gte=today).exists()

    # the books agree: each customer's open balance is what its open invoices owe
    owed = dict(Invoice.objects.filter(status__in=OPEN_STATUSES).values("customer").annotate(s=Sum("amount_due"))
                .values_list("customer", "s"))
    for customer in Customer.objects.all():
        assert customer.open_balance == owed.get(customer.pk, 0), customer
    # nobody went on hold because of the history, nothing waits for stock or for a warehouse, no draft is left
    assert set(Customer.objects.filter(credit_hold=True).values_list("pk", flat=True)) == held
    assert not SalesOrderLine.objects.filter(order__in=orders).filter(
        Q(backordered_quantity__gt=0) | Q(reserved_quantity__gt=0)).exists()
    assert set(orders.values_list("status", flat=True)) <= {"done", "confirmed"}  # confirmed: still on its way
    assert not Shipment.objects.filter(order__in=orders).exclude(status__in=["shipped", "delivered"]).exists()
    assert not Invoice.objects.filter(lines__order_line__order__in=orders, status=InvoiceStatus.DRAFT).exists()
