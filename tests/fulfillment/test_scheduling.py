"""Planned ship and delivery dates: working days, holidays, capacity, transit days, rescheduling.

The calendar cases use fixed days in January 2030 (Tuesday the 1st): Friday 4, Saturday 5,
Sunday 6, Monday 7, Tuesday 8, Wednesday 9.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from fulfillment.enums import ShipmentStatus
from fulfillment.models import Shipment
from fulfillment.services import shipment_create, shipment_reschedule
from fulfillment.services.scheduling import plan_shipment
from inventory.calendar import warehouse_calendar
from o2c.audit import timeline
from o2c.errors import Conflict, ValidationFailed
from tests.fulfillment.factories import CarrierFactory, stocked_order
from tests.inventory.factories import HolidayFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

FRI, SAT, SUN, MON, TUE, WED = (datetime.date(2030, 1, d) for d in (4, 5, 6, 7, 8, 9))


def _book(warehouse, day: datetime.date, count: int, *, status: str = ShipmentStatus.SCHEDULED) -> None:
    """`count` shipments already planned on `day` (test setup: only their dates matter here)."""
    order = stocked_order([(1, 1)], warehouse=warehouse)
    carrier = CarrierFactory()
    for _ in range(count):
        Shipment.objects.create(
            number=f"T-{Shipment.objects.count() + 1}", order=order, customer=order.customer, warehouse=warehouse,
            ship_to_text="x", carrier=carrier, planned_ship_date=day, planned_delivery_date=day, promised_date=day,
            status=status,
        )


def _plan(warehouse, *, today=FRI, ready=None, transit: int = 2):
    return plan_shipment(warehouse=warehouse, carrier=CarrierFactory(transit_days=transit), ready=ready or today,
                         today=today)


def test_a_weekend_pushes_the_ship_day_to_monday():
    plan = _plan(WarehouseFactory(), today=SAT)
    assert (plan.ship_date, plan.delivery_date) == (MON, WED)


def test_transit_days_are_counted_across_the_weekend():
    plan = _plan(WarehouseFactory(), today=FRI, transit=2)
    assert (plan.ship_date, plan.delivery_date) == (FRI, TUE)
    assert _plan(WarehouseFactory(), today=FRI, transit=0).delivery_date == FRI


def test_a_public_holiday_closes_every_warehouse_and_stops_the_carriers():
    HolidayFactory(date=MON, name="Test day")
    plan = _plan(WarehouseFactory(), today=SAT, transit=1)
    assert (plan.ship_date, plan.delivery_date) == (TUE, WED)
    # shipped on Friday, one transit day: the carrier does not deliver on the holiday either
    assert _plan(WarehouseFactory(), today=FRI, transit=1).delivery_date == TUE


def test_a_warehouse_holiday_closes_only_that_warehouse():
    closed, open_ = WarehouseFactory(code="CLOSED"), WarehouseFactory(code="OPEN")
    HolidayFactory(date=MON, name="Stocktaking", warehouse=closed)
    assert _plan(closed, today=MON).ship_date == TUE
    assert _plan(open_, today=MON).ship_date == MON
    assert not warehouse_calendar(closed, FRI).is_working(MON)


def test_a_full_day_pushes_to_the_next_working_day_and_cancelled_shipments_free_their_slot():
    warehouse = WarehouseFactory(shipping_capacity_per_day=2)
    _book(warehouse, FRI, 2)
    assert _plan(warehouse, today=FRI).ship_date == MON
    _book(warehouse, MON, 1)
    _book(warehouse, MON, 3, status=ShipmentStatus.CANCELLED)
    assert _plan(warehouse, today=FRI).ship_date == MON
    _book(warehouse, MON, 1)
    assert _plan(warehouse, today=FRI).ship_date == TUE


def test_goods_not_ready_yet_ship_on_their_promise_date():
    assert _plan(WarehouseFactory(), today=FRI, ready=WED).ship_date == WED
    assert _plan(WarehouseFactory(), today=WED, ready=FRI).ship_date == WED  # a past ready day: today


def test_a_warehouse_working_saturdays_ships_then_and_carriers_resume_monday():
    warehouse = WarehouseFactory(working_days=[0, 1, 2, 3, 4, 5])
    plan = _plan(warehouse, today=SAT, transit=1)
    assert (plan.ship_date, plan.delivery_date) == (SAT, MON)


def test_a_warehouse_without_capacity_cannot_schedule():
    with pytest.raises(Conflict, match="no shipping capacity"):
        _plan(WarehouseFactory(shipping_capacity_per_day=0))


def test_created_shipments_promise_the_requested_date_or_the_planned_delivery(warehouse_user):
    today = timezone.localdate()
    requested = today + datetime.timedelta(days=30)
    shipment = shipment_create(order_id=stocked_order([(2, 2)], requested_date=requested).pk, actor=warehouse_user)
    assert shipment.promised_date == requested
    plain = shipment_create(order_id=stocked_order([(2, 2)]).pk, actor=warehouse_user)
    assert plain.promised_date == plain.planned_delivery_date
    calendar = warehouse_calendar(plain.warehouse, today)
    assert plain.planned_ship_date == calendar.next_working(today)


def _working_day_ahead(warehouse, days: int) -> datetime.date:
    calendar = warehouse_calendar(warehouse, timezone.localdate())
    return calendar.next_working(timezone.localdate() + datetime.timedelta(days=days))


def test_rescheduling_checks_the_day_and_is_audited(warehouse_user):
    warehouse = WarehouseFactory(shipping_capacity_per_day=1)
    shipment = shipment_create(order_id=stocked_order([(2, 2)], warehouse=warehouse).pk, actor=warehouse_user)
    target = _working_day_ahead(warehouse, 10)
    saturday = target + datetime.timedelta(days=(5 - target.weekday()) % 7)
    with pytest.raises(ValidationFailed, match="does not ship on"):
        shipment_reschedule(shipment_id=shipment.pk, planned_ship_date=saturday, actor=warehouse_user)
    with pytest.raises(ValidationFailed, match="in the past"):
        shipment_reschedule(shipment_id=shipment.pk, planned_ship_date=timezone.localdate() - datetime.timedelta(1),
                            actor=warehouse_user)
    moved = shipment_reschedule(shipment_id=shipment.pk, planned_ship_date=target, actor=warehouse_user)
    assert moved.planned_ship_date == target
    assert moved.planned_delivery_date > target  # the default carrier takes 2 working days
    event = timeline(moved).filter(action="rescheduled").get()
    assert event.actor == warehouse_user and event.data["planned_ship_date"][1] == target.isoformat()

    other = shipment_create(order_id=stocked_order([(1, 1)], warehouse=warehouse).pk, actor=warehouse_user)
    with pytest.raises(Conflict, match="already has 1 shipments"):
        shipment_reschedule(shipment_id=other.pk, planned_ship_date=target, actor=warehouse_user)
    assert Shipment.objects.get(pk=other.pk).planned_ship_date != target
    overbooked = shipment_reschedule(shipment_id=other.pk, planned_ship_date=target, actor=warehouse_user,
                                     over_capacity=True)
    assert overbooked.planned_ship_date == target
    assert timeline(overbooked).filter(action="rescheduled", data__over_capacity=True).exists()
