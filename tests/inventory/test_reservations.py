"""Reservations never oversell, under real concurrency against PostgreSQL."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from inventory.models import StockLevel, StockReservation
from inventory.services import (
    DemandLine,
    ReservationRequest,
    stock_fill_backorders,
    stock_release,
    stock_reserve,
    stock_reserve_many,
)
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked


@pytest.mark.django_db(transaction=True)
def test_fifty_threads_reserving_one_unit_of_twenty_exactly_twenty_succeed() -> None:
    warehouse = WarehouseFactory(code="HAM")
    product = stocked(ProductFactory(), warehouse, 20)
    barrier = threading.Barrier(50)
    results: list[Decimal] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def reserve(n: int) -> None:
        try:
            barrier.wait()
            got = stock_reserve(order_line=DemandLine(f"test.line:{n}", product.pk, f"SO-{n}"),
                                warehouse=warehouse, qty=Decimal(1))
            with lock:
                results.append(got)
        except BaseException as exc:  # any error leaking to the caller fails the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert errors == []
    assert len(results) == 50
    assert results.count(Decimal(1)) == 20 and results.count(Decimal(0)) == 30
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (Decimal(20), Decimal(20))
    assert StockReservation.objects.filter(quantity_reserved=1).count() == 20
    # the 30 that got nothing are backorders: they claim the next receipt
    assert sum(r.backordered for r in StockReservation.objects.all()) == Decimal(30)
    print(f"\n50 threads × 1 unit of 20 on hand: {results.count(Decimal(1))} reserved, "
          f"{results.count(Decimal(0))} backordered, reserved={level.reserved}, on_hand={level.on_hand}")


@pytest.mark.django_db
def test_partial_reservation_and_release() -> None:
    warehouse = WarehouseFactory()
    product = stocked(ProductFactory(), warehouse, 5)
    line = DemandLine("test.line:1", product.pk, "SO-1")

    assert stock_reserve(order_line=line, warehouse=warehouse, qty=Decimal(8)) == Decimal(5)
    reservation = StockReservation.objects.get()
    assert (reservation.quantity_requested, reservation.quantity_reserved) == (Decimal(8), Decimal(5))

    # releasing 4 gives back the 3 backordered first, then 1 reserved unit
    assert stock_release(order_line=line, warehouse=warehouse, qty=Decimal(4)) == Decimal(1)
    level = StockLevel.objects.get()
    assert level.reserved == Decimal(4)
    assert stock_release(order_line=line, warehouse=warehouse) == Decimal(4)
    assert not StockReservation.objects.exists()
    assert StockLevel.objects.get().reserved == 0


@pytest.mark.django_db
def test_reserving_many_lines_takes_a_fixed_number_of_queries(django_assert_max_num_queries) -> None:
    warehouse = WarehouseFactory()
    products = [stocked(ProductFactory(), warehouse, 10) for _ in range(12)]

    def requests(count: int, start: int) -> list[ReservationRequest]:
        return [ReservationRequest(DemandLine(f"test.line:{start + i}", p.pk), warehouse, Decimal(2))
                for i, p in enumerate(products[:count])]

    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as two:
        stock_reserve_many(requests=requests(2, 0))
    with CaptureQueriesContext(connection) as twelve:
        granted = stock_reserve_many(requests=requests(12, 100))
    assert granted == [Decimal(2)] * 12
    assert len(two.captured_queries) == len(twelve.captured_queries)
    print(f"\nstock_reserve_many: {len(twelve.captured_queries)} queries for 2 lines and for 12 lines")


@pytest.mark.django_db
def test_waiting_backorders_are_served_before_new_demand_and_in_the_callers_order() -> None:
    warehouse = WarehouseFactory()
    product = stocked(ProductFactory(), warehouse, 1)
    older, newer, newest = (DemandLine(f"test.line:{n}", product.pk, f"SO-{n}") for n in (1, 2, 3))
    assert stock_reserve(order_line=older, warehouse=warehouse, qty=Decimal(3)) == Decimal(1)  # 2 backordered
    assert stock_reserve(order_line=newer, warehouse=warehouse, qty=Decimal(2)) == Decimal(0)  # 2 backordered
    stocked(product, warehouse, 3)  # 3 more arrived; the stock.received fill has not run yet
    # new demand gets only what is left beyond the 4 backordered units waiting: nothing
    assert stock_reserve(order_line=newest, warehouse=warehouse, qty=Decimal(1)) == Decimal(0)

    # the caller's queue decides: newer first, then older
    assert stock_fill_backorders(product=product, warehouse=warehouse, lines=[newer, older]) == [2, 1]
    assert stock_fill_backorders(product=product, warehouse=warehouse, lines=[newer, older]) == [0, 0]
    reserved = dict(StockReservation.objects.values_list("source_key", "quantity_reserved"))
    assert reserved == {"test.line:1": 2, "test.line:2": 2, "test.line:3": 0}
    assert StockLevel.objects.get(product=product).reserved == 4
