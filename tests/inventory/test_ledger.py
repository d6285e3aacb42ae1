"""The ledger never lies: on_hand is always the sum of the moves, reserved stays within bounds."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.models import StockLevel, StockMove, StockReservation
from inventory.selectors import ledger_mismatches
from inventory.services import (
    DemandLine,
    stock_adjust,
    stock_issue,
    stock_receive,
    stock_release,
    stock_reserve,
    stock_return,
    stock_scrap,
    stock_transfer,
)
from o2c.errors import DomainError
from tests.inventory.factories import ProductFactory, WarehouseFactory

quantities = st.integers(min_value=1, max_value=40).map(Decimal)
operations = st.lists(
    st.tuples(
        st.sampled_from(["receive", "adjust_up", "adjust_down", "scrap", "transfer", "reserve", "release",
                         "issue", "return"]),
        st.integers(0, 1),  # product
        st.integers(0, 1),  # warehouse
        quantities,
        st.integers(0, 3),  # order line
    ),
    min_size=1, max_size=25,
)


def _snapshot() -> tuple:
    return (
        list(StockLevel.objects.order_by("pk").values_list("on_hand", "reserved")),
        StockMove.objects.count(),
        list(StockReservation.objects.order_by("pk").values_list("quantity_requested", "quantity_reserved")),
    )


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_random_operations_keep_the_ledger_true(ops: list) -> None:
    from django.db import transaction

    sid = transaction.savepoint()
    try:
        products = [ProductFactory(), ProductFactory()]
        warehouses = [WarehouseFactory(code="LA"), WarehouseFactory(code="LB")]
        for op, p, w, qty, line_no in ops:
            product, warehouse, other = products[p], warehouses[w], warehouses[1 - w]
            line = DemandLine(f"test.line:{p}-{line_no}", product.pk)
            before = _snapshot()
            try:
                match op:
                    case "receive":
                        stock_receive(product=product, warehouse=warehouse, quantity=qty, actor=None)
                    case "adjust_up":
                        stock_adjust(product=product, warehouse=warehouse, quantity=qty, reason="count", actor=None)
                    case "adjust_down":
                        stock_adjust(product=product, warehouse=warehouse, quantity=-qty, reason="count", actor=None)
                    case "scrap":
                        stock_scrap(product=product, warehouse=warehouse, quantity=qty, reason="broken", actor=None)
                    case "transfer":
                        stock_transfer(product=product, from_warehouse=warehouse, to_warehouse=other, quantity=qty,
                                       actor=None)
                    case "reserve":
                        stock_reserve(order_line=line, warehouse=warehouse, qty=qty)
                    case "release":
                        stock_release(order_line=line, warehouse=warehouse, qty=None)
                    case "issue":
                        stock_issue(order_line=line, warehouse=warehouse, qty=qty, actor=None)
                    case "return":
                        stock_return(product=product, warehouse=warehouse, quantity=qty, actor=None)
            except DomainError:
                assert _snapshot() == before, f"refused {op} changed something"
            assert ledger_mismatches() == []
            for level in StockLevel.objects.all():
                assert 0 <= level.reserved <= level.on_hand
            for reservation in StockReservation.objects.all():
                assert 0 <= reservation.quantity_reserved <= reservation.quantity_requested
    finally:
        transaction.savepoint_rollback(sid)


@pytest.mark.django_db
def test_check_stock_ledger_passes_then_fails_on_a_tampered_row() -> None:
    warehouse = WarehouseFactory()
    product = ProductFactory()
    stock_receive(product=product, warehouse=warehouse, quantity=Decimal(12), actor=None)
    stock_adjust(product=product, warehouse=warehouse, quantity=Decimal(-2), reason="broken in storage", actor=None)
    out = StringIO()
    call_command("check_stock_ledger", stdout=out)
    assert "Stock ledger OK" in out.getvalue()

    with connection.cursor() as cursor:  # somebody edits the balance behind the services' back
        cursor.execute("UPDATE inventory_stocklevel SET on_hand = on_hand + 1 WHERE product_id = %s", [product.pk])
    err = StringIO()
    with pytest.raises(CommandError, match="1 stock level"):
        call_command("check_stock_ledger", stderr=err)
    assert f"product {product.pk}" in err.getvalue() and "on_hand 11" in err.getvalue()


@pytest.mark.django_db
def test_the_ledger_is_append_only() -> None:
    from django.db import DatabaseError, transaction

    move = stock_receive(product=ProductFactory(), warehouse=WarehouseFactory(), quantity=Decimal(3), actor=None)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        StockMove.objects.filter(pk=move.pk).update(quantity=Decimal(30))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        StockMove.objects.filter(pk=move.pk).delete()
