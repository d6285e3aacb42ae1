"""Returns: authorised only for what shipped, received back into stock (or scrapped), published once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fulfillment.enums import ReturnStatus
from fulfillment.models import ReturnAuthorization
from fulfillment.services import return_authorize, return_cancel, return_receive
from inventory.enums import MoveKind
from inventory.models import StockLevel, StockMove
from o2c.errors import Conflict, InvalidTransition, ValidationFailed
from o2c.models import OutboxEvent
from tests.fulfillment.factories import shipped_shipment, stocked_order

pytestmark = pytest.mark.django_db


def _shipped(warehouse_user, on_hand: int = 5, ordered: int = 5):
    order = stocked_order([(on_hand, ordered)])
    shipped_shipment(order, actor=warehouse_user)
    return order, order.lines.get()


def _on_hand(line) -> Decimal:
    return StockLevel.objects.get(product=line.product, warehouse=line.order.warehouse).on_hand


def test_cannot_return_more_than_shipped_counting_open_authorisations(warehouse_user):
    order, line = _shipped(warehouse_user, on_hand=3, ordered=5)  # 3 shipped, 2 backordered
    with pytest.raises(ValidationFailed, match="at most 3 can be returned"):
        return_authorize(order_id=order.pk, lines=[{"order_line": line.pk, "quantity": 4}], reason="damaged",
                         actor=warehouse_user)
    return_authorize(order_id=order.pk, lines=[{"order_line": line.pk, "quantity": 2}], reason="damaged",
                     actor=warehouse_user)
    with pytest.raises(ValidationFailed, match="at most 1 can be returned") as refused:
        return_authorize(order_id=order.pk, lines=[{"order_line": line.pk, "quantity": 2}], reason="damaged",
                         actor=warehouse_user)
    assert refused.value.code == "over_return"
    assert ReturnAuthorization.objects.filter(order=order).count() == 1


def test_bad_requests_are_refused_and_create_nothing(warehouse_user):
    order, line = _shipped(warehouse_user)
    unshipped = stocked_order([(1, 1)])
    cases = [
        ({"order_id": order.pk, "lines": [], "reason": "damaged"}, "at least one line"),
        ({"order_id": order.pk, "lines": [{"order_line": line.pk, "quantity": 1}], "reason": "bored"}, "reason"),
        ({"order_id": order.pk, "lines": [{"order_line": unshipped.lines.get().pk, "quantity": 1}],
          "reason": "damaged"}, "not a line"),
        ({"order_id": order.pk, "lines": [{"order_line": line.pk, "quantity": "-1"}], "reason": "damaged"},
         "greater than zero"),
        ({"order_id": order.pk, "lines": [{"order_line": line.pk, "quantity": 1, "disposition": "burn"}],
          "reason": "damaged"}, "restock or scrap"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValidationFailed, match=message):
            return_authorize(actor=warehouse_user, **kwargs)
    with pytest.raises(Conflict, match="nothing of it has shipped"):
        from orders.services import order_create
        draft = order_create(customer=order.customer, actor=None, lines=[{"product": line.product_id, "quantity": 1}])
        return_authorize(order_id=draft.pk, lines=[], reason="damaged", actor=warehouse_user)
    assert not ReturnAuthorization.objects.exists()


def test_received_goods_come_back_into_stock_and_the_event_is_published_once(warehouse_user):
    order, line = _shipped(warehouse_user)
    assert _on_hand(line) == 0
    rma = return_authorize(order_id=order.pk, lines=[{"order_line": line.pk, "quantity": 2}], reason="defective",
                           actor=warehouse_user, note="Two units rattle")
    received = return_receive(rma_id=rma.pk, actor=warehouse_user)
    assert received.status == ReturnStatus.RECEIVED
    assert _on_hand(line) == 2
    line.refresh_from_db()
    assert line.returned_quantity == 2
    move = StockMove.objects.get(reference=rma.number)
    assert (move.kind, move.quantity) == (MoveKind.RETURN, Decimal(2))
    with pytest.raises(InvalidTransition, match="only an authorised return can be received"):
        return_receive(rma_id=rma.pk, actor=warehouse_user)
    assert _on_hand(line) == 2
    events = OutboxEvent.objects.filter(type="return.received")
    assert events.count() == 1
    payload = events.get().payload
    assert payload["order"] == order.pk and Decimal(payload["lines"][0]["quantity"]) == 2
    # three shipped are left to return; the two received count against the line
    with pytest.raises(ValidationFailed, match="at most 3"):
        return_authorize(order_id=order.pk, lines=[{"order_line": line.pk, "quantity": 4}], reason="damaged",
                         actor=warehouse_user)


def test_scrapped_returns_are_booked_in_and_out(warehouse_user):
    order, line = _shipped(warehouse_user)
    rma = return_authorize(order_id=order.pk, lines=[{"order_line": line.pk, "quantity": 1}], reason="damaged",
                           actor=warehouse_user)
    return_line = rma.lines.get()
    with pytest.raises(ValidationFailed, match="not on"):
        return_receive(rma_id=rma.pk, actor=warehouse_user, dispositions={"999999": "scrap"})
    return_receive(rma_id=rma.pk, actor=warehouse_user, dispositions={str(return_line.pk): "scrap"})
    assert _on_hand(line) == 0
    kinds = list(StockMove.objects.filter(product=line.product).order_by("id").values_list("kind", "quantity"))
    assert kinds[-2:] == [(MoveKind.RETURN, Decimal(1)), (MoveKind.SCRAP, Decimal(-1))]
    return_line.refresh_from_db()
    assert return_line.disposition == "scrap"


def test_a_cancelled_authorisation_frees_its_quantity(warehouse_user):
    order, line = _shipped(warehouse_user)
    rma = return_authorize(order_id=order.pk, lines=[{"order_line": line.pk, "quantity": 5}], reason="not_needed",
                           actor=warehouse_user)
    with pytest.raises(ValidationFailed, match="Say why"):
        return_cancel(rma_id=rma.pk, actor=warehouse_user, reason=" ")
    return_cancel(rma_id=rma.pk, actor=warehouse_user, reason="Customer keeps them")
    with pytest.raises(InvalidTransition):
        return_receive(rma_id=rma.pk, actor=warehouse_user)
    again = return_authorize(order_id=order.pk, lines=[{"order_line": line.pk, "quantity": 5}], reason="not_needed",
                             actor=warehouse_user)
    assert again.status == ReturnStatus.AUTHORISED
    assert not OutboxEvent.objects.filter(type="return.received").exists()
