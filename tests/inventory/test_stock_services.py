"""Stock services refuse bad input with a clear error and change nothing."""

import datetime
from decimal import Decimal

import pytest

from inventory.models import ExpectedReceipt, StockLevel, StockMove, StockReservation
from inventory.services import (
    DemandLine,
    ReservationRequest,
    expected_receipt_create,
    expected_receipt_receive,
    product_create,
    product_update,
    stock_adjust,
    stock_issue,
    stock_issue_many,
    stock_receive,
    stock_reserve,
    stock_transfer,
)
from o2c.audit import timeline
from o2c.errors import Conflict, ValidationFailed
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked


@pytest.fixture
def stock(db):
    warehouse = WarehouseFactory(code="HAM")
    return stocked(ProductFactory(), warehouse, 10), warehouse


def _state() -> tuple:
    return list(StockLevel.objects.values_list("on_hand", "reserved")), StockMove.objects.count()


@pytest.mark.parametrize("quantity", ["0", "-1", "abc", "1.0001", None])
def test_bad_quantities_are_refused(stock, quantity) -> None:
    product, warehouse = stock
    before = _state()
    with pytest.raises(ValidationFailed) as err:
        stock_receive(product=product, warehouse=warehouse, quantity=quantity, actor=None)
    assert "quantity" in err.value.details
    assert _state() == before


def test_adjusting_below_zero_is_refused(stock) -> None:
    product, warehouse = stock
    before = _state()
    with pytest.raises(ValidationFailed, match="less than zero") as err:
        stock_adjust(product=product, warehouse=warehouse, quantity=Decimal(-11), reason="count", actor=None)
    assert err.value.code == "below_zero"
    assert _state() == before


def test_adjustment_needs_a_reason_and_cannot_take_reserved_stock(stock) -> None:
    product, warehouse = stock
    with pytest.raises(ValidationFailed) as err:
        stock_adjust(product=product, warehouse=warehouse, quantity=Decimal(1), reason="  ", actor=None)
    assert "reason" in err.value.details
    stock_reserve(order_line=DemandLine("test.line:1", product.pk), warehouse=warehouse, qty=Decimal(8))
    before = _state()
    with pytest.raises(Conflict, match="reserved"):
        stock_adjust(product=product, warehouse=warehouse, quantity=Decimal(-3), reason="count", actor=None)
    assert _state() == before


def test_transfer_to_the_same_warehouse_or_beyond_available_is_refused(stock) -> None:
    product, warehouse = stock
    before = _state()
    with pytest.raises(ValidationFailed) as err:
        stock_transfer(product=product, from_warehouse=warehouse, to_warehouse=warehouse, quantity=1, actor=None)
    assert "to_warehouse" in err.value.details
    with pytest.raises(Conflict) as err:
        stock_transfer(product=product, from_warehouse=warehouse, to_warehouse=WarehouseFactory(code="MUC"),
                       quantity=11, actor=None)
    assert err.value.code == "insufficient_stock"
    assert StockMove.objects.count() == before[1]


def test_transfer_moves_stock_with_two_moves(stock) -> None:
    product, warehouse = stock
    other = WarehouseFactory(code="MUC")
    out, into = stock_transfer(product=product, from_warehouse=warehouse, to_warehouse=other, quantity=4, actor=None)
    assert (out.quantity, out.balance_after, into.quantity, into.balance_after) == (-4, 6, 4, 4)


def test_issue_takes_on_hand_and_reserved_down_together(stock) -> None:
    product, warehouse = stock
    line = DemandLine("test.line:9", product.pk, "SO-9")
    stock_reserve(order_line=line, warehouse=warehouse, qty=Decimal(6))
    with pytest.raises(Conflict, match="reserved"):
        stock_issue(order_line=line, warehouse=warehouse, qty=Decimal(7), actor=None)
    move = stock_issue(order_line=line, warehouse=warehouse, qty=Decimal(6), actor=None)
    level = StockLevel.objects.get()
    assert (level.on_hand, level.reserved, move.kind, move.reference) == (4, 0, "shipment", "SO-9")


def test_receiving_an_expected_receipt_in_parts(stock, django_capture_on_commit_callbacks) -> None:
    product, warehouse = stock
    receipt = expected_receipt_create(product=product, warehouse=warehouse, quantity=Decimal(10),
                                      expected_date=datetime.date(2026, 12, 1), actor=None, reference="PO-7")
    expected_receipt_receive(receipt_id=receipt.pk, actor=None, quantity=Decimal(4))
    with pytest.raises(ValidationFailed, match="too many"):
        expected_receipt_receive(receipt_id=receipt.pk, actor=None, quantity=Decimal(7))
    with django_capture_on_commit_callbacks() as callbacks:
        move = expected_receipt_receive(receipt_id=receipt.pk, actor=None)
    receipt.refresh_from_db()
    assert (receipt.received_quantity, receipt.status, move.quantity, move.reference) == (10, "received", 6, "PO-7")
    assert len(callbacks) == 1  # the stock.received event's dispatch
    with pytest.raises(ValidationFailed, match="nothing more"):
        expected_receipt_receive(receipt_id=receipt.pk, actor=None)
    assert ExpectedReceipt.objects.get().status == "received"


@pytest.mark.django_db
def test_products_are_validated_and_audited(admin_user) -> None:
    with pytest.raises(ValidationFailed) as err:
        product_create(sku="bad sku!", name="X", list_price=Decimal("-1"), actor=admin_user)
    assert {"sku", "list_price"} <= set(err.value.details)
    product = product_create(sku="desk-1600", name="Desk", list_price=Decimal("499.00"), actor=admin_user)
    assert product.sku == "DESK-1600"
    product_update(product_id=product.pk, actor=admin_user, list_price=Decimal("479.00"), name="Desk")
    history = list(timeline(product))
    assert [e.action for e in history] == ["updated", "created"]
    assert history[0].data["changes"] == {"list_price": ["499.00", "479.00"]}


@pytest.mark.django_db
def test_issuing_many_lines_at_once_checks_each_and_changes_nothing_on_refusal() -> None:
    warehouse = WarehouseFactory()
    product = stocked(ProductFactory(), warehouse, 10)
    first, second = DemandLine("test.line:1", product.pk, "SO-1"), DemandLine("test.line:2", product.pk, "SO-1")
    stock_reserve(order_line=first, warehouse=warehouse, qty=Decimal(4))
    stock_reserve(order_line=second, warehouse=warehouse, qty=Decimal(3))

    with pytest.raises(Conflict, match="Only 3 are reserved"):
        stock_issue_many(issues=[ReservationRequest(first, warehouse, Decimal(4)),
                                 ReservationRequest(second, warehouse, Decimal(5))], actor=None, reference="SH-1")
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (10, 7)

    moves = stock_issue_many(issues=[ReservationRequest(first, warehouse, Decimal(4)),
                                     ReservationRequest(second, warehouse, Decimal(1))], actor=None, reference="SH-1")
    assert [(m.quantity, m.balance_after) for m in moves] == [(-4, 6), (-1, 5)]
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (5, 2)
    assert list(StockReservation.objects.values_list("source_key", "quantity_requested")) == [("test.line:2", 2)]
