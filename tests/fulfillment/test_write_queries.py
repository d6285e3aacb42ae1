"""Shipping, delivering and receiving a return run a fixed number of queries whatever the line count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fulfillment.services import return_authorize, return_receive, shipment_deliver, shipment_ship
from tests.fulfillment.factories import packed_shipment, stocked_order

pytestmark = pytest.mark.django_db


def _counts(lines: int, actor) -> tuple[int, int, int]:
    order = stocked_order([(5, 5)] * lines)
    shipment = packed_shipment(order, actor=actor)
    with CaptureQueriesContext(connection) as ship:
        shipment_ship(shipment_id=shipment.pk, actor=actor, tracking_number="T")
    with CaptureQueriesContext(connection) as deliver:
        shipment_deliver(shipment_id=shipment.pk, actor=actor, received_by="Goods-in")
    rma = return_authorize(order_id=order.pk, actor=actor, reason="damaged",
                           lines=[{"order_line": line.pk, "quantity": 1, "disposition": "scrap" if line.position % 2
                                   else "restock"} for line in order.lines.all()])
    with CaptureQueriesContext(connection) as receive:
        return_receive(rma_id=rma.pk, actor=actor)
    return len(ship.captured_queries), len(deliver.captured_queries), len(receive.captured_queries)


def test_ship_deliver_and_receive_cost_the_same_for_2_and_20_lines(warehouse_user):
    small, large = _counts(2, warehouse_user), _counts(20, warehouse_user)
    print(f"\nqueries (ship, deliver, receive): 2 lines {small}, 20 lines {large}")
    assert small == large
