"""Draft orders: created with all lines in one go, changed as a whole while draft, derived statuses."""

from decimal import Decimal

import pytest

from o2c.errors import ValidationFailed
from o2c.models import AuditEvent
from orders.enums import Progress
from orders.models import SalesOrder, SalesOrderLine
from orders.services import order_refresh_progress, order_update
from tests.inventory.factories import ProductFactory, WarehouseFactory
from tests.orders.factories import CustomerFactory, ShippingAddressFactory, draft_order, german_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    german_rates()
    return WarehouseFactory(code="HAM"), CustomerFactory()


def test_a_draft_is_repriced_when_its_lines_change(setup, sales_user):
    warehouse, customer = setup
    a, b = ProductFactory(list_price=Decimal("10.00")), ProductFactory(list_price=Decimal("2.50"))
    order = draft_order(customer, [(a, 1)], warehouse=warehouse)
    assert (order.number.startswith("SO-"), order.gross_total) == (True, Decimal("11.90"))
    order_update(order_id=order.pk, actor=sales_user, customer_reference="PO-1",
                 lines=[{"product": a.pk, "quantity": "2"}, {"product": b.pk, "quantity": "4"}])
    order.refresh_from_db()
    assert (order.net_total, order.tax_total, order.gross_total) == (Decimal("30.00"), Decimal("5.70"),
                                                                    Decimal("35.70"))
    assert list(order.lines.values_list("position", "quantity")) == [(1, 2), (2, 4)]
    change = AuditEvent.objects.get(object_id=str(order.pk), action="updated")
    assert change.data["changes"]["customer_reference"] == ["", "PO-1"]


def test_bad_lines_leave_the_draft_as_it_was(setup, sales_user):
    warehouse, customer = setup
    product = ProductFactory()
    order = draft_order(customer, [(product, 1)], warehouse=warehouse)
    with pytest.raises(ValidationFailed):
        order_update(order_id=order.pk, actor=sales_user, lines=[{"product": product.pk, "quantity": "-2"}])
    with pytest.raises(ValidationFailed):
        order_update(order_id=order.pk, actor=sales_user, ship_to=ShippingAddressFactory())  # another customer's
    assert list(SalesOrderLine.objects.filter(order=order).values_list("quantity", flat=True)) == [1]
    assert SalesOrder.objects.get(pk=order.pk).ship_to is None


def test_delivery_and_invoice_status_are_derived_from_the_lines(setup):
    warehouse, customer = setup
    order = draft_order(customer, [(ProductFactory(), 4), (ProductFactory(), 2)], warehouse=warehouse)
    lines = list(order.lines.order_by("position"))
    assert order_refresh_progress(order=order).delivery_status == Progress.NONE
    lines[0].shipped_quantity = 4
    assert order_refresh_progress(order=order, lines=lines).delivery_status == Progress.PARTIAL
    lines[1].cancelled_quantity = 2
    lines[0].invoiced_quantity = 4
    order.invoiced_amount, order.paid_amount = Decimal("47.60"), Decimal("10.00")
    refreshed = order_refresh_progress(order=order, lines=lines)
    assert (refreshed.delivery_status, refreshed.invoice_status, refreshed.payment_status) == (
        Progress.FULL, Progress.FULL, Progress.PARTIAL)
