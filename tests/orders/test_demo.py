"""The demo sales desk: loaded by load_demo after the stock, idempotent, written by the services."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Sum

from inventory.models import StockLevel, StockReservation
from inventory.selectors import ledger_mismatches
from o2c.models import AuditEvent
from orders.enums import ContactRole, OrderStatus, QuoteStatus, TaxTreatment
from orders.models import (
    Contact,
    Customer,
    PaymentTerm,
    PriceListItem,
    Quote,
    SalesOrder,
    SalesOrderLine,
    ShippingAddress,
    TaxRate,
)
from orders.pricing import clean_vat_id, tax_treatment

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        TaxRate, PaymentTerm, Customer, ShippingAddress, Contact, PriceListItem, Quote, SalesOrder, SalesOrderLine,
        StockReservation, AuditEvent)}


def _load() -> str:
    out = StringIO()
    call_command("load_demo", password="pw-demo", stdout=out)
    return out.getvalue()


def test_load_demo_twice_gives_the_same_sales_desk() -> None:
    first_output = _load()
    first = _counts()
    assert "Orders demo:" in first_output
    second_output = _load()
    assert _counts() == first
    assert "Orders demo:" not in second_output  # nothing was created the second time

    rates = {(r.category, r.rate) for r in TaxRate.objects.filter(country="DE")}
    assert rates == {("standard", Decimal("19.00")), ("reduced", Decimal("7.00")), ("zero", Decimal(0)),
                     ("exempt", Decimal(0))}
    assert set(PaymentTerm.objects.values_list("code", flat=True)) >= {"NET14", "NET30", "NET30EOM", "2/10NET30"}
    skonto = PaymentTerm.objects.get(code="2/10NET30")
    assert (skonto.discount_percent, skonto.discount_days, skonto.net_days) == (Decimal(2), 10, 30)
    assert PaymentTerm.objects.get(code="NET30EOM").end_of_month

    customers = list(Customer.objects.all())
    assert len(customers) >= 12
    assert len({c.number for c in customers}) == len(customers)
    assert {c.country for c in customers} >= {"DE", "FR", "NL", "AT", "BE", "IT", "CH", "US"}
    assert {tax_treatment(c) for c in customers} == set(TaxTreatment.values)
    for customer in customers:
        assert clean_vat_id(customer.vat_id, customer.country) == customer.vat_id  # stored valid and compact
        roles = set(customer.contacts.values_list("role", flat=True))
        assert {ContactRole.SALES, ContactRole.BILLING} <= roles, customer
        assert customer.shipping_addresses.filter(is_default=True).count() == 1, customer
    assert len({c.invoicing_policy for c in customers}) >= 4
    assert len({c.credit_limit for c in customers}) >= 5
    held = Customer.objects.get(credit_hold=True, credit_hold_by__isnull=False)  # by hand, not by the policy
    assert held.credit_hold_reason and held.credit_hold_by.username == "finance"
    assert PriceListItem.objects.values("customer").distinct().count() >= 2
    assert Customer.objects.filter(currency="USD", prices__isnull=False).exists()


def test_demo_documents_are_created_through_the_services_and_reserve_stock() -> None:
    _load()
    statuses = set(Quote.objects.values_list("status", flat=True))
    assert statuses == {QuoteStatus.DRAFT, QuoteStatus.SENT}
    assert Quote.objects.filter(currency="USD").exists()

    orders = SalesOrder.objects.all()
    # done: shipped and invoiced in full (the billing demo's orders, and the one the warehouse floor shipped)
    assert {o.status for o in orders} == {OrderStatus.DRAFT, OrderStatus.CONFIRMED, OrderStatus.ON_HOLD,
                                          OrderStatus.DONE}
    held = orders.get(status=OrderStatus.ON_HOLD)
    assert held.customer.credit_hold and "credit hold" in held.hold_reason
    assert not StockReservation.objects.filter(source_key__in=[
        f"orders.salesorderline:{pk}" for pk in held.lines.values_list("pk", flat=True)]).exists()

    confirmed_lines = SalesOrderLine.objects.filter(order__status=OrderStatus.CONFIRMED)
    assert confirmed_lines.filter(backordered_quantity__gt=0).exists()  # some demand waits for stock
    assert confirmed_lines.filter(order__tax_treatment=TaxTreatment.REVERSE_CHARGE).exists()
    for line in confirmed_lines:  # the fulfillment demo shipped some of them
        assert line.reserved_quantity + line.backordered_quantity + line.shipped_quantity == line.quantity
        reservation = StockReservation.objects.filter(source_key=f"orders.salesorderline:{line.pk}").first()
        if line.shipped_quantity == line.quantity:
            assert reservation is None
        else:
            assert reservation.quantity_requested == line.quantity - line.shipped_quantity
            assert reservation.quantity_reserved == line.reserved_quantity
        assert line.promise_date is not None
    assert not SalesOrderLine.objects.filter(order__status=OrderStatus.DRAFT, reserved_quantity__gt=0).exists()
    # the levels carry exactly what the reservations hold, and the ledger agrees
    reserved = StockReservation.objects.aggregate(t=Sum("quantity_reserved"))["t"]
    assert StockLevel.objects.aggregate(t=Sum("reserved"))["t"] == reserved > 0
    assert ledger_mismatches() == []

    sam = User.objects.get(username="sales")
    assert not SalesOrder.objects.exclude(created_by=sam).exists()
    for order in orders.exclude(status=OrderStatus.DRAFT):
        assert AuditEvent.objects.filter(content_type__model="salesorder", object_id=str(order.pk),
                                         actor=sam, action__in=["confirmed", "held"]).exists()
    assert AuditEvent.objects.filter(content_type__model="customer", action="credit_changed",
                                     actor__username="finance").count() >= 10


def test_what_was_done_in_the_app_stays_on_the_next_run() -> None:
    from orders.services import order_cancel, quote_send

    _load()
    draft = Quote.objects.filter(status=QuoteStatus.DRAFT).first()
    quote_send(quote_id=draft.pk, actor=None)
    order = SalesOrder.objects.filter(status=OrderStatus.CONFIRMED, delivery_status="none").first()
    order_cancel(order_id=order.pk, actor=None, reason="customer changed their mind")
    before = _counts()

    _load()

    after = _counts()
    assert {k: v for k, v in after.items() if k != "AuditEvent"} == {
        k: v for k, v in before.items() if k != "AuditEvent"}
    draft.refresh_from_db()
    order.refresh_from_db()
    assert (draft.status, order.status) == (QuoteStatus.SENT, OrderStatus.CANCELLED)
    assert ledger_mismatches() == []
