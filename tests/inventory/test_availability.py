"""Available now, available-to-promise by date, and promise dates on the warehouse's working days."""

import datetime
from decimal import Decimal

import pytest

from inventory.calendar import WorkCalendar
from inventory.selectors import atp, availability, promise_date
from inventory.services import DemandLine, expected_receipt_create, expected_receipt_receive, stock_reserve
from tests.inventory.factories import HolidayFactory, ProductFactory, WarehouseFactory, stocked

MONDAY = datetime.date(2026, 11, 23)
FRIDAY = datetime.date(2026, 11, 27)
SATURDAY = datetime.date(2026, 11, 28)


@pytest.fixture
def setup(db):
    warehouse = WarehouseFactory(code="HAM", working_days=[0, 1, 2, 3, 4])
    product = stocked(ProductFactory(lead_time_days=5), warehouse, 10)
    return product, warehouse


def _receipt(product, warehouse, qty: int, day: datetime.date):
    return expected_receipt_create(product=product, warehouse=warehouse, quantity=Decimal(qty), expected_date=day,
                                   actor=None, reference="PO-1")


def test_available_now_promises_today(setup) -> None:
    product, warehouse = setup
    assert promise_date(product=product, qty=Decimal(10), warehouse=warehouse, today=MONDAY) == MONDAY


def test_a_receipt_that_covers_it_gives_its_date(setup) -> None:
    product, warehouse = setup
    _receipt(product, warehouse, 5, MONDAY + datetime.timedelta(days=2))
    _receipt(product, warehouse, 20, MONDAY + datetime.timedelta(days=9))
    assert promise_date(product=product, qty=Decimal(15), warehouse=warehouse, today=MONDAY) == datetime.date(
        2026, 11, 25)
    assert promise_date(product=product, qty=Decimal(16), warehouse=warehouse, today=MONDAY) == datetime.date(
        2026, 12, 2)


def test_receipt_too_small_falls_back_to_lead_time_in_working_days(setup) -> None:
    product, warehouse = setup
    _receipt(product, warehouse, 3, MONDAY + datetime.timedelta(days=1))
    # 10 on hand + 3 incoming < 20: lead time 5 working days from Monday = next Monday
    assert promise_date(product=product, qty=Decimal(20), warehouse=warehouse, today=MONDAY) == MONDAY + \
        datetime.timedelta(days=7)


def test_weekends_are_skipped(setup) -> None:
    product, warehouse = setup
    # available, but today is Saturday: it leaves on Monday
    assert promise_date(product=product, qty=Decimal(1), warehouse=warehouse, today=SATURDAY) == SATURDAY + \
        datetime.timedelta(days=2)
    # a receipt expected on Saturday can ship on Monday
    _receipt(product, warehouse, 10, SATURDAY)
    assert promise_date(product=product, qty=Decimal(15), warehouse=warehouse, today=FRIDAY) == SATURDAY + \
        datetime.timedelta(days=2)
    # lead time from Friday: 5 working days = next Friday
    assert WorkCalendar(frozenset(range(5)), frozenset()).add(FRIDAY, 5) == FRIDAY + datetime.timedelta(days=7)
    assert WorkCalendar(frozenset(range(6)), frozenset()).add(FRIDAY, 1) == SATURDAY


def test_backorders_ahead_claim_incoming_stock(setup) -> None:
    product, warehouse = setup
    _receipt(product, warehouse, 10, MONDAY + datetime.timedelta(days=3))
    # an earlier order wanted 14: 10 reserved now, 4 backordered on the receipt
    assert stock_reserve(order_line=DemandLine("test.line:1", product.pk), warehouse=warehouse,
                         qty=Decimal(14)) == Decimal(10)
    assert atp(product=product, warehouse=warehouse, on=MONDAY) == Decimal(-4)
    assert atp(product=product, warehouse=warehouse, on=MONDAY + datetime.timedelta(days=3)) == Decimal(6)
    assert promise_date(product=product, qty=Decimal(6), warehouse=warehouse, today=MONDAY) == MONDAY + \
        datetime.timedelta(days=3)
    assert promise_date(product=product, qty=Decimal(7), warehouse=warehouse, today=MONDAY) == MONDAY + \
        datetime.timedelta(days=7)


def test_availability_rows_per_warehouse_and_total(setup) -> None:
    product, warehouse = setup
    other = WarehouseFactory(code="MUC")
    stocked(product, other, 4)
    receipt = _receipt(product, other, 6, MONDAY)
    expected_receipt_receive(receipt_id=receipt.pk, actor=None, quantity=Decimal(2))
    stock_reserve(order_line=DemandLine("test.line:2", product.pk), warehouse=warehouse, qty=Decimal(3))
    rows = {row.warehouse: row for row in availability(product)}
    assert (rows["HAM"].on_hand, rows["HAM"].reserved, rows["HAM"].available) == (10, 3, 7)
    assert (rows["MUC"].on_hand, rows["MUC"].incoming) == (6, 4)
    assert (rows["total"].on_hand, rows["total"].available, rows["total"].incoming) == (16, 13, 4)


def test_holidays_are_skipped_public_ones_and_the_warehouse_own(setup) -> None:
    product, warehouse = setup
    tuesday = MONDAY + datetime.timedelta(days=1)
    HolidayFactory(date=MONDAY, name="Public")
    HolidayFactory(date=tuesday, name="Stocktaking", warehouse=warehouse)
    HolidayFactory(date=tuesday + datetime.timedelta(days=1), name="Elsewhere", warehouse=WarehouseFactory(code="MUC"))
    # in stock on a holiday: it leaves on the first working day after both holidays
    assert promise_date(product=product, qty=Decimal(1), warehouse=warehouse, today=MONDAY) == tuesday + \
        datetime.timedelta(days=1)
    # lead time: 5 working days counted past the holidays (Wed … next Wed)
    assert promise_date(product=product, qty=Decimal(50), warehouse=warehouse, today=MONDAY) == MONDAY + \
        datetime.timedelta(days=9)
