"""Never more shipped than ordered, never a day's last slot taken twice: real threads, real PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fulfillment.models import Shipment, ShipmentLine
from fulfillment.services import shipment_create, shipment_pack, shipment_ship, shipment_start_picking
from inventory.models import StockLevel, StockMove
from o2c.models import OutboxEvent
from tests.conftest import race
from tests.fulfillment.factories import packed_shipment, stocked_order
from tests.inventory.factories import WarehouseFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_concurrent_ship_requests_for_the_same_shipment_ship_it_once(warehouse_user):
    order = stocked_order([(5, 5), (3, 3)])
    shipment = packed_shipment(order, actor=warehouse_user)
    lines = list(order.lines.order_by("position"))

    shipped, refused = race([
        lambda: shipment_ship(shipment_id=shipment.pk, actor=None, tracking_number="A"),
        lambda: shipment_ship(shipment_id=shipment.pk, actor=None, tracking_number="B"),
    ])

    assert len(shipped) == 1 and len(refused) == 1
    assert refused[0].status == 409 and refused[0].code == "invalid_transition"
    assert [line.shipped_quantity for line in order.lines.order_by("position")] == [5, 3]
    for line in lines:
        level = StockLevel.objects.get(product=line.product, warehouse=order.warehouse)
        assert (level.on_hand, level.reserved) == (0, 0)
    assert StockMove.objects.filter(reference=shipment.number).count() == 2
    assert OutboxEvent.objects.filter(type="shipment.shipped", payload__shipment=shipment.pk).count() == 1
    assert Shipment.objects.get(pk=shipment.pk).tracking_number == shipped[0].tracking_number


def test_two_concurrent_schedulers_share_the_reserved_goods_without_double_counting(warehouse_user):
    order = stocked_order([(6, 6)])
    line = order.lines.get()

    made, refused = race([lambda: shipment_create(order_id=order.pk, actor=None) for _ in range(4)])

    assert len(made) == 1 and len(refused) == 3
    assert {exc.code for exc in refused} == {"nothing_to_ship"}
    assert ShipmentLine.objects.filter(order_line=line).values_list("quantity", flat=True).get() == Decimal(6)


def test_chosen_quantities_racing_for_one_line_never_exceed_what_is_open(warehouse_user):
    order = stocked_order([(10, 10)])
    line = order.lines.get()

    made, refused = race([
        lambda: shipment_create(order_id=order.pk, actor=None, lines=[{"order_line": line.pk, "quantity": 4}])
        for _ in range(4)
    ])

    assert len(made) == 2 and len(refused) == 2  # 4 + 4 fit in 10; a third 4 does not
    assert all(exc.code == "over_shipment" for exc in refused)
    total = sum(ShipmentLine.objects.filter(order_line=line).values_list("quantity", flat=True))
    assert total == Decimal(8)
    # both ship, concurrently: 8 leave, the CHECK and the locks keep the line consistent
    for shipment in made:
        shipment_start_picking(shipment_id=shipment.pk, actor=None)
        shipment_pack(shipment_id=shipment.pk, actor=None)
    shipped, refused = race([lambda s=s: shipment_ship(shipment_id=s.pk, actor=None, tracking_number="T")
                              for s in made])
    assert len(shipped) == 2 and refused == []
    line.refresh_from_db()
    assert (line.shipped_quantity, line.reserved_quantity) == (Decimal(8), Decimal(2))


def test_the_last_slot_of_a_day_goes_to_one_scheduler(warehouse_user):
    warehouse = WarehouseFactory(shipping_capacity_per_day=1)
    orders = [stocked_order([(1, 1)], warehouse=warehouse) for _ in range(3)]

    made, refused = race([lambda o=o: shipment_create(order_id=o.pk, actor=None) for o in orders])

    assert refused == []
    days = sorted(s.planned_ship_date for s in made)
    assert len(set(days)) == 3, days  # capacity 1: three different working days
