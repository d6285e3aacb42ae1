"""Consolidated weekly and monthly invoices, and the nightly sweep that finds what was not invoiced."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.enums import InvoiceOrigin
from billing.models import Invoice, InvoicingQueueItem
from billing.services import (
    invoice_create_for_period,
    invoice_create_for_shipment,
    invoicing_backlog,
    invoicing_queue_add,
    invoicing_queue_take,
    last_completed_period,
)
from fulfillment.models import Shipment
from orders.models import TaxRate
from tests.billing.factories import billing_customer, priced_order, shipped_order
from tests.fulfillment.factories import shipped_shipment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("policy", "today", "start", "end"), [
    ("weekly", datetime.date(2026, 11, 22), datetime.date(2026, 11, 9), datetime.date(2026, 11, 15)),  # a Sunday
    ("weekly", datetime.date(2026, 11, 23), datetime.date(2026, 11, 16), datetime.date(2026, 11, 22)),  # Monday
    ("monthly", datetime.date(2026, 11, 22), datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)),
    ("monthly", datetime.date(2026, 3, 1), datetime.date(2026, 2, 1), datetime.date(2026, 2, 28)),
    ("monthly", datetime.date(2026, 1, 5), datetime.date(2025, 12, 1), datetime.date(2025, 12, 31)),
])
def test_the_last_completed_period(policy, today, start, end) -> None:
    period = last_completed_period(policy, today)
    assert (period.start, period.end) == (start, end)


def _ship_on(order, day: datetime.date, tracking: str) -> Shipment:
    shipment = shipped_shipment(order, lines=[{"order_line": order.lines.first().pk, "quantity": "1"}],
                                tracking=tracking)
    shipped_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    Shipment.objects.filter(pk=shipment.pk).update(shipped_at=shipped_at)
    return shipment


def test_a_monthly_customer_gets_one_invoice_for_the_months_shipments_of_several_orders() -> None:
    customer = billing_customer(invoicing_policy="monthly")
    first = priced_order([(5, "10.00", "standard")], customer=customer)
    second = priced_order([(5, "20.00", "reduced")], customer=customer)
    today = timezone.localdate()
    period = last_completed_period("monthly", today)
    _ship_on(first, period.start, "A")
    _ship_on(second, period.end, "B")
    _ship_on(first, today, "C")  # this month: the next invoice

    work = invoicing_backlog(today=today)
    assert work.periods == [(customer.pk, "EUR", period.start, period.end)] and work.shipments == []
    invoice = invoice_create_for_period(customer_id=customer.pk, currency="EUR", start=period.start,
                                        end=period.end)
    assert invoice.origin == InvoiceOrigin.PERIOD and invoice.order is None
    assert (invoice.period_start, invoice.period_end) == (period.start, period.end)
    assert invoice.lines.count() == 2 and invoice.gross_total == Decimal("11.90") + Decimal("21.40")
    assert invoice_create_for_period(customer_id=customer.pk, currency="EUR", start=period.start,
                                     end=period.end) is None
    assert invoicing_backlog(today=today).periods == []


def test_the_sweep_finds_shipments_whose_invoice_never_came_and_upfront_orders() -> None:
    per_shipment = billing_customer()
    _, missed = shipped_order([(1, "10.00", "standard")], customer=per_shipment)
    _, done = shipped_order([(1, "10.00", "standard")], customer=per_shipment)
    invoice_create_for_shipment(shipment_id=done.pk)
    on_delivery = billing_customer(invoicing_policy="on_delivery")
    shipped_order([(1, "10.00", "standard")], customer=on_delivery)  # not delivered yet: not due
    upfront = priced_order([(1, "10.00", "standard")], customer=billing_customer(invoicing_policy="upfront"))

    work = invoicing_backlog()
    assert work.shipments == [missed.pk] and work.upfront_orders == [upfront.pk] and work.periods == []
    invoice_create_for_shipment(shipment_id=missed.pk)
    assert invoicing_backlog().shipments == []
    assert Invoice.objects.count() == 2


def test_a_shipment_that_cannot_be_invoiced_does_not_hold_up_the_queue(caplog) -> None:
    good = [shipped_order([(1, "10.00", "standard")])[1] for _ in range(2)]
    _, bad = shipped_order([(1, "10.00", "reduced")])
    TaxRate.objects.filter(category="reduced").update(valid_to=datetime.date(2021, 1, 1))  # no reduced rate today
    invoicing_queue_add(shipment_ids=[good[0].pk, bad.pk, good[1].pk])

    assert invoicing_queue_take(limit=10) == 3
    assert set(Invoice.objects.values_list("shipment_id", flat=True)) == {good[0].pk, good[1].pk}
    assert not InvoicingQueueItem.objects.exists()
    assert f"shipment {bad.pk} could not be invoiced" in caplog.text
    assert invoicing_backlog().shipments == [bad.pk]  # the nightly sweep tries it again
