"""Cancelling releases reservations and backorders; after a partial shipment only the rest is cancelled."""

from decimal import Decimal

import pytest

from inventory.models import StockLevel, StockReservation
from o2c.errors import Conflict
from o2c.models import OutboxEvent
from orders.enums import OrderStatus
from orders.models import SalesOrder, SalesOrderLine
from orders.services import order_cancel, order_confirm
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked
from tests.orders.factories import CustomerFactory, draft_order, german_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    german_rates()
    return WarehouseFactory(code="HAM")


def test_cancel_releases_reserved_stock_and_backorders(warehouse, sales_user):
    product = stocked(ProductFactory(), warehouse, 3)
    order = draft_order(CustomerFactory(), [(product, 5)], warehouse=warehouse)
    order_confirm(order_id=order.pk, actor=sales_user)
    order_cancel(order_id=order.pk, actor=sales_user, reason="Customer changed their mind")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert StockLevel.objects.get(product=product, warehouse=warehouse).reserved == 0
    assert not StockReservation.objects.exists()
    line = SalesOrderLine.objects.get(order=order)
    assert (line.reserved_quantity, line.backordered_quantity, line.cancelled_quantity) == (0, 0, 5)
    assert OutboxEvent.objects.get(type="order.cancelled").payload["reason"] == "Customer changed their mind"
    with pytest.raises(Conflict):
        order_cancel(order_id=order.pk, actor=sales_user)


def test_after_a_partial_shipment_only_the_unshipped_rest_is_cancelled(warehouse, sales_user):
    product = stocked(ProductFactory(), warehouse, 10)
    order = draft_order(CustomerFactory(), [(product, 6)], warehouse=warehouse)
    order_confirm(order_id=order.pk, actor=sales_user)
    # fulfillment keeps shipped_quantity: 4 of 6 left (stock issued, reservation reduced accordingly)
    from inventory.services import DemandLine, stock_issue

    line = SalesOrderLine.objects.get(order=order)
    stock_issue(order_line=DemandLine.for_instance(line), warehouse=warehouse, qty=Decimal(4), actor=None)
    SalesOrderLine.objects.filter(pk=line.pk).update(shipped_quantity=4, reserved_quantity=2)

    order_cancel(order_id=order.pk, actor=sales_user, reason="rest not needed")
    order = SalesOrder.objects.get(pk=order.pk)
    line.refresh_from_db()
    assert order.status == OrderStatus.DONE and order.delivery_status == "full"
    assert (line.shipped_quantity, line.cancelled_quantity, line.reserved_quantity) == (4, 2, 0)
    assert StockLevel.objects.get(product=product, warehouse=warehouse).reserved == 0
    assert OutboxEvent.objects.get(type="order.cancelled").payload["closed_short"] is True
