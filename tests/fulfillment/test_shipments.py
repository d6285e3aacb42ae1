"""Shipments through the services: partial shipment + backorder, several shipments per order,
pick → pack → ship → deliver with the order lines and stock kept in step, and every refusal."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from fulfillment.enums import ShipmentStatus
from fulfillment.models import Shipment
from fulfillment.services import (
    shipment_cancel,
    shipment_create,
    shipment_deliver,
    shipment_pack,
    shipment_ship,
    shipment_start_picking,
)
from inventory.models import StockLevel, StockReservation
from inventory.services import stock_receive
from o2c.errors import Conflict, InvalidTransition, ValidationFailed
from o2c.models import OutboxEvent
from orders.enums import Progress
from tests.fulfillment.factories import CarrierFactory, packed_shipment, shipped_shipment, stocked_order

pytestmark = pytest.mark.django_db


def _level(line) -> StockLevel:
    return StockLevel.objects.get(product=line.product, warehouse=line.order.warehouse)


def _events(kind: str, shipment: Shipment) -> int:
    return OutboxEvent.objects.filter(type=kind, payload__shipment=shipment.pk).count()


def test_partial_shipment_then_backorder_ships_when_stock_arrives(warehouse_user):
    order = stocked_order([(6, 10)])
    line = order.lines.get()
    assert (line.reserved_quantity, line.backordered_quantity) == (6, 4)

    first = shipped_shipment(order, actor=warehouse_user)
    line.refresh_from_db()
    order.refresh_from_db()
    assert first.lines.get().quantity == 6
    assert (line.shipped_quantity, line.reserved_quantity, line.backordered_quantity) == (6, 0, 4)
    assert order.delivery_status == Progress.PARTIAL
    assert first.in_full is False
    assert _level(line).on_hand == 0
    with pytest.raises(Conflict, match="Nothing of"):
        shipment_create(order_id=order.pk, actor=warehouse_user)

    # the backordered 4 arrive: the order line's backorder is filled, and the rest ships
    stock_receive(product=line.product, warehouse=order.warehouse, quantity=Decimal(4), actor=None)
    from orders.services import backorders_fill
    backorders_fill(product_id=line.product_id, warehouse_id=order.warehouse_id)
    second = shipped_shipment(order, actor=warehouse_user, tracking="TRK2")
    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.shipped_quantity, line.reserved_quantity, line.backordered_quantity) == (10, 0, 0)
    assert order.delivery_status == Progress.FULL
    assert second.in_full is True
    assert not StockReservation.objects.filter(product=line.product).exists()


def test_several_shipments_for_one_order_with_chosen_quantities(warehouse_user):
    order = stocked_order([(10, 10), (5, 5)])
    first_line, second_line = order.lines.order_by("position")
    one = shipment_create(order_id=order.pk, actor=warehouse_user,
                          lines=[{"order_line": first_line.pk, "quantity": "4"}])
    two = shipment_create(order_id=order.pk, actor=warehouse_user)  # the rest of what is reserved
    assert {(s.order_line_id, s.quantity) for s in one.lines.all()} == {(first_line.pk, 4)}
    assert {(s.order_line_id, s.quantity) for s in two.lines.all()} == {(first_line.pk, 6), (second_line.pk, 5)}
    with pytest.raises(ValidationFailed, match="at most 0"):
        shipment_create(order_id=order.pk, actor=warehouse_user, lines=[{"order_line": first_line.pk, "quantity": 1}])
    assert Shipment.objects.filter(order=order).count() == 2


def test_the_flow_records_each_step_and_publishes_once(warehouse_user, mailoutbox):
    order = stocked_order([(3, 3)])
    shipment = shipment_create(order_id=order.pk, actor=warehouse_user, carrier=CarrierFactory(transit_days=1))
    assert shipment.status == ShipmentStatus.SCHEDULED
    assert shipment.planned_ship_date >= timezone.localdate()
    shipment_start_picking(shipment_id=shipment.pk, actor=warehouse_user)
    shipment = shipment_pack(shipment_id=shipment.pk, actor=warehouse_user)
    assert [p.weight_kg for p in shipment.packages.all()] == [Decimal("3.750")]
    shipment = shipment_ship(shipment_id=shipment.pk, actor=warehouse_user, tracking_number=" ABC123 ")
    assert shipment.status == ShipmentStatus.SHIPPED
    assert shipment.tracking_url == "https://track.example.com/?id=ABC123"
    assert _events("shipment.shipped", shipment) == 1
    shipment = shipment_deliver(shipment_id=shipment.pk, actor=warehouse_user, received_by="J. Doe")
    assert (shipment.status, shipment.on_time, shipment.in_full) == (ShipmentStatus.DELIVERED, True, True)
    assert order.lines.get().delivered_quantity == 3
    assert _events("shipment.delivered", shipment) == 1


def test_shipping_twice_delivering_early_and_cancelling_late_are_refused_and_change_nothing(warehouse_user):
    order = stocked_order([(2, 2)])
    shipment = packed_shipment(order, actor=warehouse_user)
    with pytest.raises(InvalidTransition, match="only a shipped shipment can be delivered"):
        shipment_deliver(shipment_id=shipment.pk, actor=warehouse_user, received_by="X")
    shipment_ship(shipment_id=shipment.pk, actor=warehouse_user, tracking_number="T")
    line = order.lines.get()
    before = (_level(line).on_hand, order.lines.get().shipped_quantity)
    with pytest.raises(InvalidTransition, match="only a packed shipment can be shipped"):
        shipment_ship(shipment_id=shipment.pk, actor=warehouse_user, tracking_number="T")
    with pytest.raises(InvalidTransition, match="can be cancelled"):
        shipment_cancel(shipment_id=shipment.pk, actor=warehouse_user, reason="too late")
    assert (_level(line).on_hand, order.lines.get().shipped_quantity) == before
    assert _events("shipment.shipped", shipment) == 1
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.SHIPPED


def test_proof_of_delivery_is_checked(warehouse_user):
    shipment = shipped_shipment(stocked_order([(1, 1)]), actor=warehouse_user)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationFailed, match="who received"):
        shipment_deliver(shipment_id=shipment.pk, actor=warehouse_user, received_by="  ")
    with pytest.raises(ValidationFailed, match="between the ship day"):
        shipment_deliver(shipment_id=shipment.pk, actor=warehouse_user, received_by="A", delivered_on=tomorrow)
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.SHIPPED


def test_a_cancelled_shipment_frees_its_goods_for_the_next_one(warehouse_user):
    order = stocked_order([(5, 5)])
    shipment = shipment_create(order_id=order.pk, actor=warehouse_user)
    with pytest.raises(ValidationFailed, match="Say why"):
        shipment_cancel(shipment_id=shipment.pk, actor=warehouse_user, reason="")
    shipment_cancel(shipment_id=shipment.pk, actor=warehouse_user, reason="Customer asked to wait")
    again = shipment_create(order_id=order.pk, actor=warehouse_user)
    assert again.lines.get().quantity == 5
    assert order.lines.get().reserved_quantity == 5


def test_goods_waiting_for_stock_cannot_be_picked(warehouse_user):
    order = stocked_order([(0, 4)])
    line = order.lines.get()
    shipment = shipment_create(order_id=order.pk, actor=warehouse_user,
                               lines=[{"order_line": line.pk, "quantity": 4}])
    assert shipment.planned_ship_date >= line.promise_date
    with pytest.raises(Conflict, match="waits for stock"):
        shipment_start_picking(shipment_id=shipment.pk, actor=warehouse_user)


def test_tracking_number_is_required_for_a_tracking_carrier(warehouse_user):
    shipment = packed_shipment(stocked_order([(1, 1)]), actor=warehouse_user)
    with pytest.raises(ValidationFailed, match="tracking number"):
        shipment_ship(shipment_id=shipment.pk, actor=warehouse_user)
    untracked = CarrierFactory(tracking_url_template="")
    shipped = shipment_ship(shipment_id=shipment.pk, actor=warehouse_user, carrier=untracked)
    assert (shipped.carrier, shipped.tracking_url) == (untracked, "")


def test_stock_picked_for_one_shipment_is_not_picked_again_for_another(warehouse_user):
    order = stocked_order([(6, 10)])
    line = order.lines.get()
    ready = shipment_create(order_id=order.pk, actor=warehouse_user)  # the 6 reserved
    waiting = shipment_create(order_id=order.pk, actor=warehouse_user, lines=[{"order_line": line.pk, "quantity": 4}])
    shipment_start_picking(shipment_id=ready.pk, actor=warehouse_user)
    with pytest.raises(Conflict, match="0 of 4 reserved"):
        shipment_start_picking(shipment_id=waiting.pk, actor=warehouse_user)
    assert Shipment.objects.get(pk=waiting.pk).status == ShipmentStatus.SCHEDULED


def test_without_a_ship_to_the_customers_default_address_is_used(warehouse_user):
    from tests.orders.factories import ShippingAddressFactory

    order = stocked_order([(1, 1)])
    ShippingAddressFactory(customer=order.customer, recipient="Goods-in", address="Kai 7\n20457 Hamburg")
    shipment = shipment_create(order_id=order.pk, actor=warehouse_user)
    assert shipment.ship_to.address == "Kai 7\n20457 Hamburg"
    assert shipment.ship_to_text == "Goods-in\nKai 7\n20457 Hamburg\nDE"


def test_a_timestamp_is_not_a_delivery_day(warehouse_user):
    shipment = shipped_shipment(stocked_order([(1, 1)]), actor=warehouse_user)
    with pytest.raises(ValidationFailed, match="delivery day"):
        shipment_deliver(shipment_id=shipment.pk, actor=warehouse_user, received_by="A", delivered_on=timezone.now())


@pytest.mark.parametrize(("package", "message"), [
    ({"weight_kg": "0.0004"}, "weight kg must be at least 0.001"),
    ({"weight_kg": "1", "length_cm": "0.04"}, "length cm must be at least 0.1"),
    *(({"weight_kg": bad}, "must be a positive number") for bad in ("-1", "0", "abc", "NaN", "Infinity", 1.5)),
    ({"length_cm": "10"}, "must be a positive number"),
])
def test_packages_too_small_to_record_or_not_numbers_are_refused(warehouse_user, package, message):
    order = stocked_order([(1, 1)])
    shipment = shipment_create(order_id=order.pk, actor=warehouse_user)
    shipment_start_picking(shipment_id=shipment.pk, actor=warehouse_user)
    with pytest.raises(ValidationFailed, match=message):
        shipment_pack(shipment_id=shipment.pk, actor=warehouse_user, packages=[package])
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.PICKING
