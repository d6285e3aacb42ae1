"""Each of the 16 KPIs on a small hand-computed fixture: the expected figure is worked out in the comments
from the KPI's written definition (`KPIS[key].definition`), not from its SQL. Every world is made through
the real services with the clock pinned to the moment each thing happens (tests/insight/factories.py), and
has documents just outside the period (which must not count); each is also measured for one customer, one
warehouse (the KPIs not `by_warehouse` must not change) and an empty period (None).

The period is March 2026 (a Sunday to a Tuesday; Europe/Berlin changes to summer time on the 29th). The
carrier takes 2 working days (Monday to Friday), so a shipment leaving on day d is promised for d + 2
working days; payment terms are 30 days net.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from billing.enums import CreditReason
from billing.models import Invoice
from fulfillment.models import Carrier
from insight.selectors.kpis import KPIS, KpiFilter, kpi_values
from inventory.models import Warehouse
from orders.models import Customer
from receivables.enums import LineStatus, MatchRule
from receivables.models import DunningPolicy
from receivables.services.payments import credit_note_credit_record, payment_allocate
from receivables.services.statements import statement_line_match
from tests.insight import factories as f
from tests.insight.factories import clock, credit, deliver, invoiced, pay, remind, restock, sale, ship
from tests.receivables.statement_files import IBANS

pytestmark = pytest.mark.django_db
D = Decimal
Expected = dict[str, tuple[Decimal | None, int]]


def day(month: int, dd: int, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, dd)


MARCH = (day(3, 1), day(3, 31))
MAY = (day(5, 1), day(5, 31))  # nothing happens in it


@pytest.fixture(autouse=True)
def default_carrier(db: None) -> Carrier:
    return f.carrier()


@pytest.fixture(autouse=True)
def default_dunning_policy(db: None) -> DunningPolicy:
    """The migration's default policy (a transactional test elsewhere may have flushed it)."""
    from importlib import import_module

    from django.apps import apps

    import_module("receivables.migrations.0002_ledgers_append_only_default_policy").default_policy(apps, None)
    return DunningPolicy.objects.get(is_default=True)


@dataclass
class World:
    c1: Customer
    c2: Customer
    a: Warehouse
    b: Warehouse


def world() -> World:
    return World(f.customer(), f.customer(), f.warehouse("WHA"), f.warehouse("WHB"))


def measured(period: tuple[datetime.date, datetime.date], keys: tuple[str, ...], *,
             customer: Customer | None = None, warehouse: Warehouse | None = None) -> Expected:
    """{key: (value, sample)} of `kpi_values` over the period for the customer and/or warehouse."""
    values = kpi_values(KpiFilter(*period, customer.pk if customer else None, warehouse.pk if warehouse else None),
                        keys)
    for key, v in values.items():  # a figure with one decimal place (money: cents)
        if v.value is not None and v.sample:
            assert v.value.as_tuple().exponent == (-2 if KPIS[key].unit == "money" else -1), (key, v.value)
    return {key: (v.value, v.sample) for key, v in values.items()}


def unaffected_by_warehouse(w: World, keys: tuple[str, ...], *, customer: Customer | None = None) -> None:
    """The KPIs about invoices and cash belong to no warehouse: a warehouse filter changes nothing."""
    assert not any(KPIS[k].by_warehouse for k in keys)
    plain = measured(MARCH, keys, customer=customer)
    assert measured(MARCH, keys, customer=customer, warehouse=w.a) == plain
    assert measured(MARCH, keys, customer=customer, warehouse=w.b) == plain


def test_every_kpi_is_tested_here() -> None:
    assert set(KPIS) == {
        "order_cycle_time", "order_to_cash", "on_time", "in_full", "otif", "perfect_order", "backorder_rate",
        "days_to_invoice", "invoice_accuracy", "dso", "cei", "days_delinquent", "overdue_percent",
        "touchless_invoicing", "auto_match", "cash_after_reminder"}


# --- orders and shipments: order cycle time, on time, in full, OTIF, perfect order, backorder rate ---------

FLOW = ("order_cycle_time", "on_time", "in_full", "otif", "perfect_order", "backorder_rate")


@pytest.fixture
def shipping_world() -> World:
    """Orders (customer, warehouse, confirmed; lines as on hand/ordered) and their shipments (shipped → promised,
    delivered):

    O7 C1 B Feb 20 09:00 (10/1)      S7  Feb 24 → Feb 26, delivered Feb 28: late, before March
    O3 C1 A Feb 20 12:00 (10/1)      S3  Mar 2 12:00 → Mar 4, delivered Mar 4; its invoice gets a price credit
    O6 C2 A Feb 23 09:00 (10/2)      S6  Feb 27 14:00 → Mar 3, delivered Mar 2; its invoice gets a goodwill credit
    O8 C1 A Feb 28 23:30 (0/2)       never ships (backordered just before March)
    O1 C1 A Mar 2 09:00 (10/4, 10/1) S1  Mar 4 15:00 → Mar 6, delivered Mar 6 (both lines)
    O2 C2 B Mar 2 10:00 (2/5)        S2a 2 units Mar 3 10:00 → Mar 5, delivered Mar 5;
                                     3 more arrive Mar 6; S2b 3 units Mar 10 10:00 → Mar 12, delivered Mar 13
    O5 C2 B Mar 11 09:00 (3/5)       S5  3 units Mar 12 11:00 → Mar 16, delivered Mar 16; 2 never ship
    O4 C2 A Mar 31 23:50 (10/1)      S4  Apr 1 00:30 (22:30 UTC on Mar 31) → Apr 3, delivered Apr 1
    """
    w = world()
    o7 = sale(w.c1, w.b, [(10, 1)], day=day(2, 20), at="09:00")
    o3 = sale(w.c1, w.a, [(10, 1)], day=day(2, 20), at="12:00")
    o6 = sale(w.c2, w.a, [(10, 2)], day=day(2, 23), at="09:00")
    s7 = ship(o7, day=day(2, 24))
    s6 = ship(o6, day=day(2, 27), at="14:00")
    i6 = f.invoice_shipment(s6, day=day(2, 27))
    deliver(s7, day=day(2, 28))
    sale(w.c1, w.a, [(0, 2)], day=day(2, 28), at="23:30")  # O8
    s3 = ship(o3, day=day(3, 2), at="12:00")
    i3 = f.invoice_shipment(s3, day=day(3, 2))
    o1 = sale(w.c1, w.a, [(10, 4), (10, 1)], day=day(3, 2), at="09:00")
    o2 = sale(w.c2, w.b, [(2, 5)], day=day(3, 2), at="10:00")
    deliver(s6, day=day(3, 2))
    s2a = ship(o2, day=day(3, 3), at="10:00")
    s1 = ship(o1, day=day(3, 4), at="15:00")
    deliver(s3, day=day(3, 4))
    deliver(s2a, day=day(3, 5))
    restock(o2, 3, day=day(3, 6))
    deliver(s1, day=day(3, 6))
    s2b = ship(o2, day=day(3, 10), at="10:00")
    o5 = sale(w.c2, w.b, [(3, 5)], day=day(3, 11), at="09:00")
    s5 = ship(o5, day=day(3, 12), at="11:00")
    deliver(s2b, day=day(3, 13))
    deliver(s5, day=day(3, 16))
    credit(i3, "10.00", reason=CreditReason.PRICE, day=day(3, 20))
    credit(i6, "10.00", reason=CreditReason.GOODWILL, day=day(3, 20))
    o4 = sale(w.c2, w.a, [(10, 1)], day=day(3, 31), at="23:50")
    s4 = ship(o4, day=day(4, 1), at="00:30")
    deliver(s4, day=day(4, 1))
    # what the services recorded is what the table above says
    for s, promised, on_time, in_full in ((s7, day(2, 26), False, True), (s3, day(3, 4), True, True),
                                         (s6, day(3, 3), True, True), (s1, day(3, 6), True, True),
                                         (s2a, day(3, 5), True, False), (s2b, day(3, 12), False, True),
                                         (s5, day(3, 16), True, False), (s4, day(4, 3), True, True)):
        s.refresh_from_db()
        assert (s.promised_date, s.on_time, s.in_full) == (promised, on_time, in_full), s
    assert [line.backordered_at_confirmation for o in (o1, o2, o5, o4) for line in o.lines.order_by("position")] \
        == [0, 0, 3, 2, 0]
    return w


def test_order_and_shipment_kpis(shipping_world: World) -> None:
    w = shipping_world
    # Order cycle time: the orders shipped in full in March (last shipment in March), confirmation → last
    # shipment: O1 Mar 2 09:00 → Mar 4 15:00 = 2.25 days, O2 Mar 2 10:00 → Mar 10 10:00 = 8, O3 Feb 20 12:00
    # → Mar 2 12:00 = 10; not O6 (shipped in February), O5 (not in full), O4 (its shipment left on April 1st).
    # (2.25 + 8 + 10) / 3 = 6.75 → 6.8.
    # Delivered in March: S1, S2a, S2b, S3, S5, S6 (not S7, Feb 28, nor S4, Apr 1).
    # On time: all but S2b → 5/6. In full: all but S2a and S5 → 4/6. OTIF: S1, S3, S6 → 3/6.
    # Perfect: of those, orders never credited — S3's order had a price credit, S6's a goodwill one → S1: 1/6.
    # Backorder rate: lines of orders confirmed in March: O1 ×2 (covered), O2 (short 3), O5 (short 2), O4
    # (covered; 23:50 on the 31st) → 2/5; not O8 (23:30 on Feb 28).
    assert measured(MARCH, FLOW) == {
        "order_cycle_time": (D("6.8"), 3), "on_time": (D("83.3"), 6), "in_full": (D("66.7"), 6),
        "otif": (D("50.0"), 6), "perfect_order": (D("16.7"), 6), "backorder_rate": (D("40.0"), 5)}
    # Warehouse A: cycle O1, O3 → 12.25 / 2 = 6.125 → 6.1; delivered S1, S3, S6 → all on time and in full,
    # perfect only S1 → 1/3; lines of O1 ×2 and O4, none short → 0 %.
    assert measured(MARCH, FLOW, warehouse=w.a) == {
        "order_cycle_time": (D("6.1"), 2), "on_time": (D("100.0"), 3), "in_full": (D("100.0"), 3),
        "otif": (D("100.0"), 3), "perfect_order": (D("33.3"), 3), "backorder_rate": (D("0.0"), 3)}
    # Warehouse B: cycle O2 → 8; delivered S2a, S2b, S5 → on time 2/3, in full S2b 1/3, OTIF none; lines of
    # O2 and O5, both short → 100 %.
    assert measured(MARCH, FLOW, warehouse=w.b) == {
        "order_cycle_time": (D("8.0"), 1), "on_time": (D("66.7"), 3), "in_full": (D("33.3"), 3),
        "otif": (D("0.0"), 3), "perfect_order": (D("0.0"), 3), "backorder_rate": (D("100.0"), 2)}
    # C1: cycle O1, O3 → 6.1; delivered S1, S3 → on time, in full, OTIF 2/2, perfect S1 1/2; O1's 2 lines → 0 %.
    assert measured(MARCH, FLOW, customer=w.c1) == {
        "order_cycle_time": (D("6.1"), 2), "on_time": (D("100.0"), 2), "in_full": (D("100.0"), 2),
        "otif": (D("100.0"), 2), "perfect_order": (D("50.0"), 2), "backorder_rate": (D("0.0"), 2)}
    # C2: cycle O2 → 8; delivered S2a, S2b, S5, S6 → on time 3/4, in full S2b, S6 2/4, OTIF S6 1/4, perfect
    # none (S6's order was credited, goodwill too); lines of O2, O5, O4 → 2/3.
    assert measured(MARCH, FLOW, customer=w.c2) == {
        "order_cycle_time": (D("8.0"), 1), "on_time": (D("75.0"), 4), "in_full": (D("50.0"), 4),
        "otif": (D("25.0"), 4), "perfect_order": (D("0.0"), 4), "backorder_rate": (D("66.7"), 3)}
    # C2 in warehouse A: no order shipped in full in March; delivered S6 only; O4's line.
    assert measured(MARCH, FLOW, customer=w.c2, warehouse=w.a) == {
        "order_cycle_time": (None, 0), "on_time": (D("100.0"), 1), "in_full": (D("100.0"), 1),
        "otif": (D("100.0"), 1), "perfect_order": (D("0.0"), 1), "backorder_rate": (D("0.0"), 1)}
    assert measured(MAY, FLOW) == dict.fromkeys(FLOW, (None, 0))
    # February: S7 (late) delivered Feb 28 → on time 0/1; O7, O3, O6, O8 lines confirmed → O8 short: 1/4.
    february = measured((day(2, 1), day(2, 28)), ("on_time", "backorder_rate"))
    assert february == {"on_time": (D("0.0"), 1), "backorder_rate": (D("25.0"), 4)}


# --- invoices: days to invoice, invoice accuracy, touchless invoicing ----------------------------------------

INVOICING = ("days_to_invoice", "invoice_accuracy", "touchless_invoicing")


@pytest.fixture
def invoicing_world(finance_user: User) -> World:
    """Invoices (customer; shipments with warehouse and ship day; how made; issued; credit notes):

    I6a C1  A Feb 26        by shipment  Feb 27  cancellation credit Mar 3 — issued before March
    I4  C2  A Feb 27        by shipment  Mar 2   cancellation credit Mar 5 (the invoice is cancelled)
    I1  C1  A Mar 2         by shipment  Mar 2
    I2  C1  B Mar 3         Finance drafts Mar 5, issues Mar 9
    I3  C2  A Mar 2, B Mar 4  the weekly invoice of Mar 2–8, made by the sweep Mar 9; price credit Mar 12
    I7  C2  (none)          up front, Mar 16 (no shipment)
    --  C1  A Mar 19        Finance drafts Mar 20, never issued
    I5  C1  B Mar 26        by shipment  Mar 31  damaged-goods credit Apr 2
    I6b C2  B Mar 31        by shipment  Apr 1   price credit Apr 2 — issued after March
    """
    w = world()
    finance = finance_user
    o6a = sale(w.c1, w.a, [(5, 1)], day=day(2, 25))
    i6a = f.invoice_shipment(ship(o6a, day=day(2, 26)), day=day(2, 27))
    o4 = sale(w.c2, w.a, [(5, 1)], day=day(2, 26))
    s4 = ship(o4, day=day(2, 27))
    o1 = sale(w.c1, w.a, [(5, 1)], day=day(3, 2), at="08:00")
    o3a = sale(w.c2, w.a, [(5, 1)], day=day(3, 2), at="10:00")
    i4 = f.invoice_shipment(s4, day=day(3, 2))
    i1 = f.invoice_shipment(ship(o1, day=day(3, 2), at="15:30"), day=day(3, 2))
    ship(o3a, day=day(3, 2), at="14:00")
    credit(i6a, i6a.gross_total, reason=CreditReason.CANCELLATION, day=day(3, 3))
    o2 = sale(w.c1, w.b, [(5, 1)], day=day(3, 2), at="09:00")
    ship(o2, day=day(3, 3), at="11:00")
    o3b = sale(w.c2, w.b, [(5, 1)], day=day(3, 3), at="09:00")
    ship(o3b, day=day(3, 4), at="14:00")
    credit(i4, i4.gross_total, reason=CreditReason.CANCELLATION, day=day(3, 5))
    i2 = f.invoice_by_hand(o2, drafted=day(3, 5), issued=day(3, 9), actor=finance)
    i3 = f.invoice_period(w.c2, start=day(3, 2), end=day(3, 8), day=day(3, 9))
    credit(i3, "10.00", reason=CreditReason.PRICE, day=day(3, 12))
    o7 = sale(w.c2, w.a, [(5, 1)], day=day(3, 16))
    i7 = f.invoice_upfront(o7, day=day(3, 16))
    o_draft = sale(w.c1, w.a, [(5, 1)], day=day(3, 19), at="08:00")
    ship(o_draft, day=day(3, 19))
    draft = f.invoice_by_hand(o_draft, drafted=day(3, 20), issued=None, actor=finance)
    o5 = sale(w.c1, w.b, [(5, 1)], day=day(3, 26))
    s5 = ship(o5, day=day(3, 26))
    o6b = sale(w.c2, w.b, [(5, 1)], day=day(3, 31), at="08:00")
    s6b = ship(o6b, day=day(3, 31), at="10:00")
    i5 = f.invoice_shipment(s5, day=day(3, 31))
    i6b = f.invoice_shipment(s6b, day=day(4, 1))
    credit(i5, "10.00", reason=CreditReason.DAMAGED, day=day(4, 2))
    credit(i6b, "10.00", reason=CreditReason.PRICE, day=day(4, 2))
    for invoice in (i1, i2, i3, i4, i5, i7, draft):
        invoice.refresh_from_db()
    assert [i.issue_date for i in (i1, i2, i3, i4, i5, i7)] == [day(3, 2), day(3, 9), day(3, 9), day(3, 2),
                                                                 day(3, 31), day(3, 16)]
    assert (i4.status, draft.status, draft.issue_date) == ("cancelled", "draft", None)
    assert [(i.created_by, i.issued_by) for i in (i1, i2, i3, i4, i5, i7)] == [
        (None, None), (finance, finance), (None, None), (None, None), (None, None), (None, None)]
    assert sorted(i3.lines.values_list("shipment_line__shipment__warehouse__code", flat=True)) == ["WHA", "WHB"]
    return w


def test_invoicing_kpis(invoicing_world: World) -> None:
    w = invoicing_world
    # Days to invoice: each (invoice issued in March, shipment it bills): I1 Mar 2 − Mar 2 = 0, I2 Mar 9 − Mar 3
    # = 6, I3 Mar 9 − Mar 2 = 7 and Mar 9 − Mar 4 = 5, I4 Mar 2 − Feb 27 = 3, I5 Mar 31 − Mar 26 = 5 (I7 bills
    # no shipment; I6a, I6b and the draft are not issued in March) → 26 / 6 = 4.33 → 4.3.
    # Accuracy: issued in March I1, I2, I3, I4, I5, I7; a correcting credit note on I3 (price) and I4
    # (cancellation); I5's is for damaged goods, not a billing error → 4/6.
    # Touchless: all but I2 (made and issued by Finance) → 5/6.
    assert measured(MARCH, INVOICING) == {
        "days_to_invoice": (D("4.3"), 6), "invoice_accuracy": (D("66.7"), 6), "touchless_invoicing": (D("83.3"), 6)}
    # Warehouse A: I1 0, I3 7, I4 3 → 10 / 3 = 3.3; warehouse B: I2 6, I3 5, I5 5 → 16 / 3 = 5.3.
    assert measured(MARCH, ("days_to_invoice",), warehouse=w.a) == {"days_to_invoice": (D("3.3"), 3)}
    assert measured(MARCH, ("days_to_invoice",), warehouse=w.b) == {"days_to_invoice": (D("5.3"), 3)}
    # C1: I1 0, I2 6, I5 5 → 11 / 3 = 3.7; all three accurate; touchless I1, I5 → 2/3.
    assert measured(MARCH, INVOICING, customer=w.c1) == {
        "days_to_invoice": (D("3.7"), 3), "invoice_accuracy": (D("100.0"), 3), "touchless_invoicing": (D("66.7"), 3)}
    # C2: I3 7 and 5, I4 3 → 15 / 3 = 5.0; I3, I4, I7 of which I7 accurate → 1/3; all touchless.
    assert measured(MARCH, INVOICING, customer=w.c2) == {
        "days_to_invoice": (D("5.0"), 3), "invoice_accuracy": (D("33.3"), 3), "touchless_invoicing": (D("100.0"), 3)}
    # C1 in warehouse B: I2 6, I5 5 → 5.5.
    assert measured(MARCH, ("days_to_invoice",), customer=w.c1, warehouse=w.b) == {"days_to_invoice": (D("5.5"), 2)}
    unaffected_by_warehouse(w, ("invoice_accuracy", "touchless_invoicing"))
    unaffected_by_warehouse(w, ("invoice_accuracy", "touchless_invoicing"), customer=w.c2)
    assert measured(MAY, INVOICING) == dict.fromkeys(INVOICING, (None, 0))
    # February: only I6a (issued Feb 27, cancelled in March: a correcting credit) → 0 % accurate.
    assert measured((day(2, 1), day(2, 28)), ("invoice_accuracy",)) == {"invoice_accuracy": (D("0.0"), 1)}


# --- order to cash --------------------------------------------------------------------------------------------

@pytest.fixture
def paid_orders_world() -> World:
    """Orders (customer, warehouse, confirmed): their invoices and when each was paid in full.

    OC5 C1 B Feb 2      invoiced Feb 3, paid Feb 27 — paid before March
    OC2 C2 B Feb 15     2 units invoiced Feb 16 (paid Feb 27), 3 invoiced Mar 2 (paid Mar 10)
    OC1 C1 A Mar 2      invoiced Mar 3, paid Mar 20
    OC4 C2 A Mar 2      1 unit invoiced Mar 3 (paid Mar 16), 1 invoiced Mar 24 (paid Apr 2) — paid after March
    OC3 C1 A Mar 3      invoiced Mar 4, 400 of 1000 paid Mar 20 — not paid in full
    OC6 C1 A Mar 5      1 of 2 units invoiced Mar 6, paid Mar 12 — the other unit is neither shipped nor invoiced
    """
    w = world()
    oc5 = sale(w.c1, w.b, [(5, 1)], day=day(2, 2), gross="1000.00")
    i5 = f.invoice_shipment(ship(oc5, day=day(2, 3)), day=day(2, 3))
    oc2 = sale(w.c2, w.b, [(5, 5)], day=day(2, 15), gross="100.00")
    i2a = f.invoice_shipment(ship(oc2, day=day(2, 16), quantity=2), day=day(2, 16))
    pay(i5, day=day(2, 27))
    pay(i2a, day=day(2, 27))
    oc1 = sale(w.c1, w.a, [(5, 1)], day=day(3, 2), gross="1000.00")
    oc4 = sale(w.c2, w.a, [(5, 2)], day=day(3, 2), at="10:00", gross="500.00")
    i2b = f.invoice_shipment(ship(oc2, day=day(3, 2)), day=day(3, 2))
    i1 = f.invoice_shipment(ship(oc1, day=day(3, 3)), day=day(3, 3))
    i4a = f.invoice_shipment(ship(oc4, day=day(3, 3), quantity=1), day=day(3, 3))
    oc3 = sale(w.c1, w.a, [(5, 1)], day=day(3, 3), gross="1000.00")
    i3 = f.invoice_shipment(ship(oc3, day=day(3, 4)), day=day(3, 4))
    oc6 = sale(w.c1, w.a, [(5, 2)], day=day(3, 5), gross="500.00")
    i6 = f.invoice_shipment(ship(oc6, day=day(3, 6), quantity=1), day=day(3, 6))
    pay(i2b, day=day(3, 10))
    pay(i6, day=day(3, 12))
    pay(i4a, day=day(3, 16))
    pay(i1, day=day(3, 20))
    pay(i3, "400.00", day=day(3, 20))
    i4b = f.invoice_shipment(ship(oc4, day=day(3, 24)), day=day(3, 24))
    pay(i4b, day=day(4, 2))
    return w


def test_order_to_cash(paid_orders_world: World) -> None:
    w = paid_orders_world
    # Orders fully paid in March, confirmation → the day their last invoice was paid in full:
    # OC1 Mar 2 → Mar 20 = 18 days, OC2 Feb 15 → Mar 10 = 23 days; not OC5 (February), OC4 (its last invoice
    # was paid on Apr 2), OC3 (400 of 1000 paid), OC6 (half the order not even invoiced) → 41 / 2 = 20.5.
    assert measured(MARCH, ("order_to_cash",)) == {"order_to_cash": (D("20.5"), 2)}
    assert measured(MARCH, ("order_to_cash",), customer=w.c1) == {"order_to_cash": (D("18.0"), 1)}
    assert measured(MARCH, ("order_to_cash",), customer=w.c2) == {"order_to_cash": (D("23.0"), 1)}
    assert measured(MARCH, ("order_to_cash",), warehouse=w.a) == {"order_to_cash": (D("18.0"), 1)}
    assert measured(MARCH, ("order_to_cash",), warehouse=w.b) == {"order_to_cash": (D("23.0"), 1)}
    assert measured(MARCH, ("order_to_cash",), customer=w.c1, warehouse=w.b) == {"order_to_cash": (None, 0)}
    # February: OC5 Feb 2 → Feb 27 = 25 (OC2 was not paid in full yet); April: OC4 Mar 2 → Apr 2 = 31.
    assert measured((day(2, 1), day(2, 28)), ("order_to_cash",)) == {"order_to_cash": (D("25.0"), 1)}
    assert measured((day(4, 1), day(4, 30)), ("order_to_cash",)) == {"order_to_cash": (D("31.0"), 1)}
    assert measured(MAY, ("order_to_cash",)) == {"order_to_cash": (None, 0)}


# --- balances: DSO, CEI, days delinquent, overdue % -----------------------------------------------------------

BALANCE = ("dso", "cei", "days_delinquent", "overdue_percent")


@pytest.fixture
def receivables_world() -> World:
    """Invoices (customer, gross, issued → due) and what happened to them:

    D1 C2   500 2025-12-15 → Jan 14  unpaid
    D2 C1  2000 Feb 10 → Mar 12      paid Mar 5
    D4 C2  1000 Feb 20 → Mar 22      400 paid Mar 25
    D3 C1  1000 Mar 2 → Apr 1        paid Apr 2
    D5 C1   500 Mar 10 → Apr 9       100 price credit Mar 15
    D6 C1   500 Apr 1 → May 1        unpaid
    """
    w = world()
    d1 = invoiced(w.c2, "500.00", day=day(12, 15, 2025))
    d2 = invoiced(w.c1, "2000.00", day=day(2, 10))
    d4 = invoiced(w.c2, "1000.00", day=day(2, 20))
    d3 = invoiced(w.c1, "1000.00", day=day(3, 2))
    pay(d2, day=day(3, 5))
    d5 = invoiced(w.c1, "500.00", day=day(3, 10))
    credit(d5, "100.00", reason=CreditReason.PRICE, day=day(3, 15))
    pay(d4, "400.00", day=day(3, 25))
    invoiced(w.c1, "500.00", day=day(4, 1))
    pay(d3, day=day(4, 2))
    assert [i.due_date for i in (d1, d2, d4, d3, d5)] == [day(1, 14), day(3, 12), day(3, 22), day(4, 1), day(4, 9)]
    return w


def test_balance_kpis(receivables_world: World) -> None:
    w = receivables_world
    # At Mar 31: AR = D1 500 + D4 600 + D3 1000 + D5 400 = 2500, of which overdue D1 500 + D4 600 = 1100 (D3 is
    # due Apr 1). Credit sales of the 90 days Jan 1 – Mar 31: 2000 + 1000 + 1000 + 500 − 100 = 4400.
    # DSO = 2500 / 4400 × 90 = 51.14 → 51.1. Days delinquent = 1100 / 4400 × 90 = 22.5. Overdue = 1100 / 2500
    # = 44 %. CEI: AR at Feb 28 = D1 500 + D2 2000 + D4 1000 = 3500; March sales 1000 + 500 − 100 = 1400;
    # (3500 + 1400 − 2500) / (3500 + 1400 − (2500 − 1100)) = 2400 / 3500 = 68.57 % → 68.6.
    assert measured(MARCH, BALANCE) == {"dso": (D("51.1"), 1), "cei": (D("68.6"), 1),
                                        "days_delinquent": (D("22.5"), 1), "overdue_percent": (D("44.0"), 1)}
    # C1: AR 1000 + 400 = 1400, nothing overdue; sales 2000 + 1000 + 500 − 100 = 3400 → DSO 37.06 → 37.1;
    # CEI (2000 + 1400 − 1400) / (2000 + 1400 − 1400) = 100 %.
    assert measured(MARCH, BALANCE, customer=w.c1) == {"dso": (D("37.1"), 1), "cei": (D("100.0"), 1),
                                                       "days_delinquent": (D("0.0"), 1),
                                                       "overdue_percent": (D("0.0"), 1)}
    # C2: AR 500 + 600 = 1100, all overdue; sales 1000 → DSO 99, days delinquent 99, overdue 100 %;
    # CEI (1500 + 0 − 1100) / (1500 + 0 − 0) = 26.67 % → 26.7.
    assert measured(MARCH, BALANCE, customer=w.c2) == {"dso": (D("99.0"), 1), "cei": (D("26.7"), 1),
                                                       "days_delinquent": (D("99.0"), 1),
                                                       "overdue_percent": (D("100.0"), 1)}
    unaffected_by_warehouse(w, BALANCE)
    unaffected_by_warehouse(w, BALANCE, customer=w.c2)
    # June 2025: no AR and no sales in the 90 days → nothing to measure.
    assert measured((day(6, 1, 2025), day(6, 30, 2025)), BALANCE) == dict.fromkeys(BALANCE, (None, 1))


def test_balances_of_a_period_not_over_are_read_today() -> None:
    """On Mar 20 the running month's balances are today's: an invoice due today is not overdue yet, and DSO
    divides by the sales of the 90 days up to today (Dec 21 – Mar 20), not up to Mar 31 (11 days of which
    have not happened). A period that has not begun has no balances yet."""
    w = world()
    december = invoiced(w.c1, "1000.00", day=day(12, 23, 2025))
    pay(december, day=day(1, 5))
    invoiced(w.c1, "1000.00", day=day(2, 18))  # due Mar 20
    invoiced(w.c1, "1000.00", day=day(3, 2))  # due Apr 1
    with clock(day(3, 20)):
        # AR 2000, nothing overdue; sales Dec 21 – Mar 20 = 3000 → DSO 2000 / 3000 × 90 = 60; CEI: AR at Feb 28
        # 1000 + March sales 1000 − AR 2000 = 0 of a collectable 1000 + 1000 − 2000 = 0 → nothing to measure.
        assert measured(MARCH, BALANCE) == {"dso": (D("60.0"), 1), "cei": (None, 1),
                                            "days_delinquent": (D("0.0"), 1), "overdue_percent": (D("0.0"), 1)}
        assert measured((day(4, 1), day(4, 30)), BALANCE) == dict.fromkeys(BALANCE, (None, 0))
    with clock(day(3, 21)):
        # the first invoice is a day overdue: 1000 of 2000; days delinquent 1000 / 3000 × 90 = 30;
        # CEI 0 / (1000 + 1000 − 1000) = 0 %.
        assert measured(MARCH, BALANCE) == {"dso": (D("60.0"), 1), "cei": (D("0.0"), 1),
                                            "days_delinquent": (D("30.0"), 1), "overdue_percent": (D("50.0"), 1)}
    # read after March, at Mar 31: sales Jan 1 – Mar 31 = 2000 (December's is out), AR 2000, 1000 overdue
    assert measured(MARCH, BALANCE) == {"dso": (D("90.0"), 1), "cei": (D("0.0"), 1),
                                        "days_delinquent": (D("45.0"), 1), "overdue_percent": (D("50.0"), 1)}


# --- cash: auto-match rate, cash collected after a reminder ---------------------------------------------------

@pytest.fixture
def statement_world(finance_user: User) -> World:
    """Incoming lines of the company account's statements (booked; from; what it says → how it was matched):

    Feb 27  C1's E6 500   "Rechnung <E6>"            → invoice number (before March)
    Mar 5   C1's E1 1000  "Rechnung <E1>"            → invoice number
    Mar 5   C1's E2 500   E2's RF reference          → payment reference
    Mar 5   123.45 from nobody we know, "Zahlung"    → stays in the queue
    Mar 12  C2's E4 600   "Zahlung Februar"          → nobody; Finance matches it by hand on Mar 13
    Mar 12  the bank's fees, 12.50 (a debit)         → not a payment
    Apr 1   C2's E7 1000  "Rechnung <E7>"            → invoice number (after March)
    """
    w = world()
    e1 = invoiced(w.c1, "1000.00", day=day(2, 20))
    e2 = invoiced(w.c1, "500.00", day=day(2, 20))
    e4 = invoiced(w.c2, "600.00", day=day(2, 20))
    e6 = invoiced(w.c1, "500.00", day=day(2, 20))
    e7 = invoiced(w.c2, "1000.00", day=day(2, 20))

    def paid(i: Invoice, text: str, n: int) -> dict:
        return {"amount": i.gross_total, "credit": True, "name": i.customer.legal_name, "iban": IBANS[n], "text": text}

    feb = f.statement(day(2, 27), [paid(e6, f"Rechnung {e6.number}", 0)], ref="ST-0227")
    first = f.statement(day(3, 5), [
        paid(e1, f"Rechnung {e1.number}", 0), paid(e2, e2.payment_reference, 0),
        {"amount": D("123.45"), "credit": True, "name": "UNBEKANNT GMBH", "iban": IBANS[3], "text": "Zahlung"}],
        ref="ST-0305")
    second = f.statement(day(3, 12), [
        {"amount": D("600.00"), "credit": True, "name": "SOMEONE ELSE", "iban": IBANS[4], "text": "Zahlung Februar"},
        {"amount": D("12.50"), "credit": False, "name": "Hausbank AG", "iban": IBANS[5], "text": "Gebuehren"}],
        ref="ST-0312")
    with clock(day(3, 13), "10:00"):
        statement_line_match(line_id=second.lines[0].pk, customer_id=w.c2.pk, actor=finance_user,
                             allocations=[{"invoice": e4.pk}])
    april = f.statement(day(4, 1), [paid(e7, f"Rechnung {e7.number}", 1)], ref="ST-0401")
    lines = [*feb.lines, *first.lines, *second.lines, *april.lines]
    for line in lines:
        line.refresh_from_db()
    assert [(line.status, line.match_rule) for line in lines] == [
        (LineStatus.MATCHED, MatchRule.INVOICE_NUMBER), (LineStatus.MATCHED, MatchRule.INVOICE_NUMBER),
        (LineStatus.MATCHED, MatchRule.PAYMENT_REFERENCE), (LineStatus.UNMATCHED, ""),
        (LineStatus.MATCHED, MatchRule.MANUAL), (LineStatus.SHOWN, ""), (LineStatus.MATCHED, MatchRule.INVOICE_NUMBER)]
    return w


def test_auto_match(statement_world: World) -> None:
    w = statement_world
    # Incoming lines booked in March: E1's, E2's (both matched by themselves), the unknown 123.45 and E4's (by
    # hand) → 2/4; not the debit, not Feb 27 nor Apr 1.
    assert measured(MARCH, ("auto_match",)) == {"auto_match": (D("50.0"), 4)}
    # C1: E1's and E2's → 2/2. C2: E4's, matched by hand → 0/1. (The unknown line is nobody's.)
    assert measured(MARCH, ("auto_match",), customer=w.c1) == {"auto_match": (D("100.0"), 2)}
    assert measured(MARCH, ("auto_match",), customer=w.c2) == {"auto_match": (D("0.0"), 1)}
    unaffected_by_warehouse(w, ("auto_match",))
    assert measured((day(2, 1), day(2, 28)), ("auto_match",)) == {"auto_match": (D("100.0"), 1)}
    assert measured(MAY, ("auto_match",)) == {"auto_match": (None, 0)}


@pytest.fixture
def reminded_world() -> World:
    """Invoices (customer, gross, issued → due), their reminders (the daily run, level 1 at 7 days overdue)
    and what was allocated to them when:

    F1 C1 1000 Jan 5 → Feb 4    reminded Feb 11; 1000 paid Mar 3
    F3 C2 1000 Jan 10 → Feb 9   reminded Feb 16; 300 paid Feb 27, 700 paid Apr 1
    F5 C2 1000 Jan 26 → Feb 25  reminded Mar 4 (06:00); 1000 paid Mar 4 (11:00)
    F2 C1  600 Feb 1 → Mar 3    200 paid Mar 5; reminded Mar 10; 300 paid Mar 16; on Mar 20 the last 100
                                from the customer's credit (a credit note on G): not cash
    G  C1  500 Feb 2 → Mar 4    paid Feb 10; 100 price credit Mar 20 (the customer's credit, G being paid)
    F4 C2  500 Feb 20 → Mar 22  paid Mar 12, never reminded
    """
    w = world()
    f1 = invoiced(w.c1, "1000.00", day=day(1, 5))
    f3 = invoiced(w.c2, "1000.00", day=day(1, 10))
    f5 = invoiced(w.c2, "1000.00", day=day(1, 26))
    f2 = invoiced(w.c1, "600.00", day=day(2, 1))
    g = invoiced(w.c1, "500.00", day=day(2, 2))
    pay(g, day=day(2, 10))
    assert remind(day=day(2, 11)) == 1
    assert remind(day=day(2, 16)) == 1
    f4 = invoiced(w.c2, "500.00", day=day(2, 20))
    pay(f3, "300.00", day=day(2, 27))
    pay(f1, day=day(3, 3))
    assert remind(day=day(3, 4)) == 2  # F5 at level 1, F3 at level 2
    pay(f5, day=day(3, 4))
    pay(f2, "200.00", day=day(3, 5))
    assert remind(day=day(3, 10)) == 1
    pay(f4, day=day(3, 12))
    pay(f2, "300.00", day=day(3, 16))
    note = credit(g, "100.00", reason=CreditReason.PRICE, day=day(3, 20))
    with clock(day(3, 20), "15:00"):
        own_credit = credit_note_credit_record(credit_note_id=note.pk)  # the `credit_note.issued` subscriber
        payment_allocate(payment_id=own_credit.pk, allocations=[{"invoice": f2.pk}], actor=None)
    pay(f3, "700.00", day=day(4, 1))
    f2.refresh_from_db()
    assert (f2.status, own_credit.method, f4.reminder_logs.exists()) == ("paid", "credit_note", False)
    assert sorted(f2.reminder_logs.values_list("sent_on", flat=True)) == [day(3, 10)]
    return w


def test_cash_after_reminder(reminded_world: World) -> None:
    w = reminded_world
    # Cash allocated in March to invoices reminded by then: F1 1000 (Mar 3, reminded Feb 11), F5 1000 (Mar 4,
    # reminded that morning), F2 300 (Mar 16; its 200 of Mar 5 came before the reminder, its last 100 is the
    # customer's credit note credit, not cash) → 2300.00 over 3 invoices; not F3 (Feb 27, Apr 1), not F4.
    assert measured(MARCH, ("cash_after_reminder",)) == {"cash_after_reminder": (D("2300.00"), 3)}
    assert measured(MARCH, ("cash_after_reminder",), customer=w.c1) == {"cash_after_reminder": (D("1300.00"), 2)}
    assert measured(MARCH, ("cash_after_reminder",), customer=w.c2) == {"cash_after_reminder": (D("1000.00"), 1)}
    unaffected_by_warehouse(w, ("cash_after_reminder",))
    # February: F3's 300 (reminded Feb 16, paid Feb 27); April: F3's 700.
    assert measured((day(2, 1), day(2, 28)), ("cash_after_reminder",)) == {"cash_after_reminder": (D("300.00"), 1)}
    assert measured((day(4, 1), day(4, 30)), ("cash_after_reminder",)) == {"cash_after_reminder": (D("700.00"), 1)}
    # no cash in May: nothing was collected, which is a figure (0), not a gap
    assert measured(MAY, ("cash_after_reminder",)) == {"cash_after_reminder": (D("0"), 0)}


def test_nothing_at_all() -> None:
    """An empty database: every KPI has nothing to measure (cash after a reminder: none collected)."""
    values = kpi_values(KpiFilter(*MARCH))
    assert {k: (v.value, v.sample) for k, v in values.items()} == {
        **{k: (None, 0) for k in KPIS if k not in BALANCE and k != "cash_after_reminder"},
        **dict.fromkeys(BALANCE, (None, 1)), "cash_after_reminder": (D("0"), 0)}
