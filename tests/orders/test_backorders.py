"""Backorders fill first come, first served — by (requested date, order number) — when stock arrives."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import StockLevel, StockReservation
from inventory.services import stock_receive
from o2c.events import event_dispatch
from o2c.models import EventReceipt, OutboxEvent
from orders.models import SalesOrderLine
from orders.services import backorders_fill, order_confirm
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked
from tests.orders.factories import CustomerFactory, draft_order, german_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    german_rates()
    return WarehouseFactory(code="HAM")


def _line(order) -> SalesOrderLine:
    return SalesOrderLine.objects.get(order=order)


def test_received_stock_goes_to_backorders_by_requested_date_then_number(warehouse, sales_user):
    product = stocked(ProductFactory(), warehouse, 2)
    customer = CustomerFactory()
    soon = timezone.localdate() + datetime.timedelta(days=3)
    later = soon + datetime.timedelta(days=10)
    first = draft_order(customer, [(product, 5)], warehouse=warehouse, requested_date=later)  # takes the 2
    second = draft_order(customer, [(product, 4)], warehouse=warehouse, requested_date=later)
    third = draft_order(customer, [(product, 3)], warehouse=warehouse, requested_date=soon)
    for order in (first, second, third):
        order_confirm(order_id=order.pk, actor=sales_user)
    assert [(_line(o).reserved_quantity, _line(o).backordered_quantity) for o in (first, second, third)] == [
        (2, 3), (0, 4), (0, 3)]

    stock_receive(product=product, warehouse=warehouse, quantity=Decimal(7), actor=None, reference="PO-7")
    event = OutboxEvent.objects.filter(type="stock.received").latest("created_at")
    assert event_dispatch(event_id=str(event.pk)) is True

    # the earliest requested date first (third: 3), then by order number (first: 3), then second gets 1
    assert [(_line(o).reserved_quantity, _line(o).backordered_quantity) for o in (first, second, third)] == [
        (5, 0), (1, 3), (3, 0)]
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (9, 9)
    assert EventReceipt.objects.filter(event=event, subscriber="orders.fill_backorders").count() == 1


def test_filling_again_changes_nothing_and_new_orders_do_not_jump_the_queue(warehouse, sales_user):
    product = stocked(ProductFactory(), warehouse, 0 + 1)
    customer = CustomerFactory()
    waiting = draft_order(customer, [(product, 4)], warehouse=warehouse)
    order_confirm(order_id=waiting.pk, actor=sales_user)  # 1 reserved, 3 backordered
    stock_receive(product=product, warehouse=warehouse, quantity=Decimal(2), actor=None)  # event not dispatched yet
    newcomer = draft_order(customer, [(product, 2)], warehouse=warehouse)
    order_confirm(order_id=newcomer.pk, actor=sales_user)
    assert _line(newcomer).reserved_quantity == 0  # the 2 that arrived belong to the older backorder

    assert backorders_fill(product_id=product.pk, warehouse_id=warehouse.pk) == {waiting.number: Decimal(2)}
    assert backorders_fill(product_id=product.pk, warehouse_id=warehouse.pk) == {}
    assert (_line(waiting).reserved_quantity, _line(waiting).backordered_quantity) == (3, 1)
    assert StockReservation.objects.get(source_key=f"orders.salesorderline:{_line(waiting).pk}").backordered == 1
