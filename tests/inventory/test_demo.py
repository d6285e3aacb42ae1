"""The demo stock: loaded by load_demo, idempotent, with a ledger that agrees and work to do."""

import datetime
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from inventory.demo import easter_sunday, german_public_holidays
from inventory.enums import ReceiptStatus, ReplenishmentStatus
from inventory.models import (
    ExpectedReceipt,
    Holiday,
    Product,
    ReorderRule,
    ReplenishmentRequest,
    StockLevel,
    StockMove,
    Warehouse,
)
from inventory.selectors import ledger_mismatches
from o2c.models import AuditEvent

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "warehouses": Warehouse.objects.count(),
        "products": Product.objects.count(),
        "levels": StockLevel.objects.count(),
        "moves": StockMove.objects.count(),
        "expected_receipts": ExpectedReceipt.objects.count(),
        "rules": ReorderRule.objects.count(),
        "requests": ReplenishmentRequest.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_load_demo_twice_gives_the_same_stock_and_a_ledger_that_agrees() -> None:
    call_command("load_demo", password="pw-demo", stdout=StringIO())
    first = _counts()
    call_command("load_demo", password="pw-demo", stdout=StringIO())
    assert _counts() == first

    assert set(Warehouse.objects.values_list("code", flat=True)) == {"HAM", "MUC"}
    assert Warehouse.objects.get(code="MUC").working_days == [0, 1, 2, 3, 4, 5]
    assert first["products"] >= 10
    assert first["rules"] == first["products"] * first["warehouses"]  # a rule for every product/warehouse
    assert ledger_mismatches() == []
    # stock came in as receipts; the fulfillment demo shipped some of it
    assert set(StockMove.objects.values_list("kind", flat=True)) == {"receipt", "shipment"}
    assert ExpectedReceipt.objects.filter(status=ReceiptStatus.OPEN).count() >= 2

    open_requests = ReplenishmentRequest.objects.filter(status=ReplenishmentStatus.OPEN)
    assert open_requests.count() >= 2
    assert open_requests.values("product").distinct().count() >= 2


def test_demo_stock_is_written_by_the_warehouse_user_and_audited() -> None:
    call_command("load_demo", password="pw-demo", stdout=StringIO())
    wanda = User.objects.get(username="warehouse")
    assert not StockMove.objects.exclude(actor=wanda).exists()
    desk = Product.objects.get(sku="DESK-1600")
    assert AuditEvent.objects.filter(object_id=str(desk.pk), action="created", actor=wanda,
                                     content_type__model="product").exists()
    raised = AuditEvent.objects.filter(action="raised", content_type__model="replenishmentrequest")
    assert raised.count() == ReplenishmentRequest.objects.count()
    assert set(raised.values_list("actor__username", flat=True)) == {"warehouse"}


def test_a_request_the_warehouse_cancelled_stays_cancelled_and_nothing_else_moves() -> None:
    """Idempotent also after work in the app: what exists is left alone."""
    from inventory.services import replenishment_cancel, stock_adjust

    call_command("load_demo", password="pw-demo", stdout=StringIO())
    wanda = User.objects.get(username="warehouse")
    desk = Product.objects.get(sku="DESK-1600")
    stock_adjust(product=desk, warehouse=Warehouse.objects.get(code="HAM"), quantity=-2, reason="count",
                 actor=wanda)
    request = ReplenishmentRequest.objects.filter(status=ReplenishmentStatus.OPEN).first()
    replenishment_cancel(request_id=request.pk, actor=wanda)
    before = _counts()

    call_command("load_demo", password="pw-demo", stdout=StringIO())

    after = _counts()
    # the run raises the cancelled request again (still below its point); nothing else is created
    assert after["requests"] == before["requests"] + 1
    assert {k: v for k, v in after.items() if k not in ("requests", "audit")} == {
        k: v for k, v in before.items() if k not in ("requests", "audit")
    }
    assert ledger_mismatches() == []


def test_the_holiday_calendar() -> None:
    call_command("load_demo", password="pw-demo", stdout=StringIO())
    year = timezone.localdate().year
    public = Holiday.objects.filter(warehouse__isnull=True)
    for y in (year, year + 1):
        days = set(public.filter(date__year=y).values_list("date", flat=True))
        assert {datetime.date(y, 1, 1), datetime.date(y, 10, 3), datetime.date(y, 12, 25)} <= days
        assert easter_sunday(y) + datetime.timedelta(days=1) in days  # Easter Monday
    assert Holiday.objects.filter(warehouse__code="MUC").exists() and Holiday.objects.filter(
        warehouse__code="HAM").exists()
    wanda = User.objects.get(username="warehouse")
    assert AuditEvent.objects.filter(content_type__model="holiday", action="created", actor=wanda).count() == (
        Holiday.objects.count())


@pytest.mark.parametrize(("year", "easter"), [
    (2000, datetime.date(2000, 4, 23)), (2019, datetime.date(2019, 4, 21)), (2024, datetime.date(2024, 3, 31)),
    (2025, datetime.date(2025, 4, 20)), (2026, datetime.date(2026, 4, 5)), (2027, datetime.date(2027, 3, 28)),
    (2038, datetime.date(2038, 4, 25)),
])
def test_easter_and_the_holidays_that_move_with_it(year: int, easter: datetime.date) -> None:
    assert easter_sunday(year) == easter
    named = {name: day for day, name in german_public_holidays(year)}
    assert named["Good Friday"] == easter - datetime.timedelta(days=2)
    assert named["Ascension Day"].weekday() == 3 and named["Whit Monday"].weekday() == 0
    assert len(named) == 9
