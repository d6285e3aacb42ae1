"""The demo warehouse floor: loaded by load_demo after the sales desk, idempotent, written by the services."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from fulfillment.demo import SHIPMENTS, load_fulfillment_demo
from fulfillment.enums import ReturnStatus, ShipmentStatus
from fulfillment.models import Carrier, Package, ReturnAuthorization, ReturnLine, Shipment, ShipmentLine
from fulfillment.services import carrier_update, shipment_cancel
from inventory.calendar import warehouse_calendar
from inventory.models import Holiday, StockMove
from inventory.selectors import ledger_mismatches
from inventory.services import holiday_delete
from o2c.models import AuditEvent, OutboxEvent

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        Carrier, Holiday, Shipment, ShipmentLine, Package, ReturnAuthorization, ReturnLine, StockMove, OutboxEvent,
        AuditEvent)}


def _load() -> str:
    out = StringIO()
    call_command("load_demo", password="pw-demo", stdout=out)
    return out.getvalue()


def test_load_demo_twice_gives_the_same_warehouse_floor() -> None:
    first_output = _load()
    first = _counts()
    assert "Fulfillment demo: 3 carriers" in first_output
    second_output = _load()
    assert _counts() == first
    assert "Fulfillment demo:" not in second_output  # nothing was created the second time
    assert ledger_mismatches() == []  # shipped goods left the ledger through the services


def test_the_demo_has_shipments_in_every_status_and_a_return() -> None:
    _load()
    statuses = set(Shipment.objects.values_list("status", flat=True))
    assert statuses == {ShipmentStatus.SCHEDULED, ShipmentStatus.PICKING, ShipmentStatus.PACKED,
                        ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED}
    assert Shipment.objects.filter(status=ShipmentStatus.SCHEDULED).count() >= 2
    assert Shipment.objects.values("order").distinct().count() >= 3  # several orders, some in several shipments

    # the billing demo ships orders of its own (to invoice them): these are the warehouse floor's
    floor = Shipment.objects.filter(order__customer_reference__in={spec.order for spec in SHIPMENTS})
    shipped = floor.get(status=ShipmentStatus.SHIPPED)
    assert shipped.tracking_number and shipped.tracking_url.startswith("https://")
    assert shipped.tracking_number in shipped.tracking_url and shipped.packages.count() >= 1
    delivered = floor.get(status=ShipmentStatus.DELIVERED)
    assert delivered.received_by and delivered.delivered_on == timezone.localdate() and delivered.on_time
    for status in (ShipmentStatus.PACKED, ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED):
        assert Package.objects.filter(shipment__status=status).exists(), status
    events = OutboxEvent.objects.filter(payload__shipment__in=list(floor.values_list("pk", flat=True)))
    assert events.filter(type="shipment.shipped").count() == 2  # the shipped and the delivered one
    assert events.filter(type="shipment.delivered").count() == 1

    rma = ReturnAuthorization.objects.get()
    assert rma.status == ReturnStatus.AUTHORISED and rma.order == delivered.order
    assert rma.lines.get().quantity <= rma.lines.get().order_line.shipped_quantity

    # backordered goods wait on their own shipment, planned no earlier than their promise date
    waiting = [s for s in Shipment.objects.filter(status=ShipmentStatus.SCHEDULED) if any(
        item.order_line.backordered_quantity > 0 for item in s.lines.select_related("order_line"))]
    assert waiting
    for shipment in waiting:
        for item in shipment.lines.select_related("order_line"):
            assert shipment.planned_ship_date >= item.order_line.promise_date
    # every open shipment is planned on a working day of its warehouse
    for shipment in Shipment.objects.exclude(status__in=[ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED]):
        calendar = warehouse_calendar(shipment.warehouse, shipment.planned_ship_date)
        assert calendar.is_working(shipment.planned_ship_date), shipment

    wanda = User.objects.get(username="warehouse")
    assert not Shipment.objects.exclude(created_by=wanda).exists()
    assert not ReturnAuthorization.objects.exclude(created_by=wanda).exists()
    assert AuditEvent.objects.filter(content_type__model="shipment", action="delivered", actor=wanda).exists()


def test_the_demo_carriers() -> None:
    _load()
    demo = Carrier.objects.filter(code__in=["PARCEL", "EXPRESS", "PALLET"])
    assert demo.count() == 3
    for carrier in demo:
        assert carrier.is_active and "{tracking}" in carrier.tracking_url_template and carrier.transit_days >= 1
    assert Carrier.objects.filter(is_default=True).count() == 1  # the tests' own default carrier kept its flag


def test_the_first_demo_carrier_becomes_the_default_when_there_is_none(default_carrier: Carrier) -> None:
    carrier_update(carrier_id=default_carrier.pk, actor=None, is_default=False)
    load_fulfillment_demo(warehouse=None, admin=None)  # no orders yet: carriers only
    assert list(Carrier.objects.filter(is_default=True).values_list("code", flat=True)) == ["PARCEL"]
    assert not Shipment.objects.exists()
    assert load_fulfillment_demo(warehouse=None, admin=None) == {"carriers": 0, "shipments": 0, "returns": 0}


def test_what_was_done_in_the_app_stays_on_the_next_run() -> None:
    _load()
    scheduled = Shipment.objects.filter(status=ShipmentStatus.SCHEDULED).first()
    shipment_cancel(shipment_id=scheduled.pk, actor=None, reason="customer collects it")
    holiday = Holiday.objects.filter(warehouse__isnull=True).first()
    holiday_delete(holiday_id=holiday.pk, actor=None)
    before = _counts()

    output = _load()

    assert "1 holidays" in output  # the missing public holiday comes back …
    scheduled.refresh_from_db()
    assert scheduled.status == ShipmentStatus.CANCELLED  # … but the cancelled shipment stays cancelled
    after = _counts()
    assert after["Shipment"] == before["Shipment"] and after["ShipmentLine"] == before["ShipmentLine"]
    assert after["Holiday"] == before["Holiday"] + 1
