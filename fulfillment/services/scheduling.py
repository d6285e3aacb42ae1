"""Where a shipment goes on the calendar: the first working day of its warehouse, on or after the
day its goods are ready, that still has shipping capacity; delivery after the carrier's transit days.

The caller holds the warehouse row lock, so two schedulers never both take a day's last slot.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count

from inventory.calendar import MAX_SEARCH_DAYS, ONE_DAY, WorkCalendar, carrier_calendar, warehouse_calendar
from inventory.models import Warehouse
from o2c.errors import Conflict, ValidationFailed

from ..enums import ShipmentStatus
from ..models import Carrier, Shipment

MAX_PLANNING_DAYS = 366


@dataclass(frozen=True)
class Plan:
    ship_date: datetime.date
    delivery_date: datetime.date


def shipments_per_day(warehouse: Warehouse, since: datetime.date, *, exclude: int | None = None) -> dict:
    """{planned ship date: shipments} of `warehouse` from `since`; cancelled ones free their slot."""
    qs = Shipment.objects.filter(warehouse=warehouse, planned_ship_date__gte=since).exclude(
        status=ShipmentStatus.CANCELLED)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return dict(qs.values("planned_ship_date").annotate(n=Count("id")).values_list("planned_ship_date", "n"))


def delivery_date(carrier: Carrier, ship_date: datetime.date) -> datetime.date:
    return carrier_calendar(ship_date).add(ship_date, carrier.transit_days)


def _require_capacity(warehouse: Warehouse) -> None:
    if warehouse.shipping_capacity_per_day < 1:
        raise Conflict(f"Warehouse {warehouse.code} has no shipping capacity; set its shipments per day first.",
                       code="no_capacity", details={"warehouse": ["Shipping capacity is 0."]})


def plan_shipment(*, warehouse: Warehouse, carrier: Carrier, ready: datetime.date,
                  today: datetime.date) -> Plan:
    """The first working day on or after max(today, ready) with a free slot, and its delivery day."""
    _require_capacity(warehouse)
    earliest = max(today, ready)
    calendar = warehouse_calendar(warehouse, earliest)
    taken = shipments_per_day(warehouse, earliest)
    day = calendar.next_working(earliest)
    for _ in range(MAX_SEARCH_DAYS):
        if taken.get(day, 0) < warehouse.shipping_capacity_per_day:
            return Plan(day, delivery_date(carrier, day))
        day = calendar.next_working(day + ONE_DAY)
    raise Conflict(f"Warehouse {warehouse.code} is fully booked for the next three years.", code="no_capacity")


def check_reschedule(*, shipment: Shipment, warehouse: Warehouse, day: datetime.date, today: datetime.date,
                     over_capacity: bool) -> Plan:
    """A new ship day chosen by hand: a working day, not past, with room unless overbooking is asked for."""
    if day < today:
        raise ValidationFailed("A shipment cannot be planned in the past.",
                               details={"planned_ship_date": ["Today or later."]})
    if day > today + datetime.timedelta(days=MAX_PLANNING_DAYS):
        raise ValidationFailed("A shipment is planned at most a year ahead.",
                               details={"planned_ship_date": ["At most a year ahead."]})
    calendar: WorkCalendar = warehouse_calendar(warehouse, day)
    if not calendar.is_working(day):
        raise ValidationFailed(f"{warehouse.code} does not ship on {day:%A %d %b %Y}.",
                               details={"planned_ship_date": ["Not a working day of the warehouse."]})
    _require_capacity(warehouse)
    taken = shipments_per_day(warehouse, day, exclude=shipment.pk).get(day, 0)
    if taken >= warehouse.shipping_capacity_per_day and not over_capacity:
        raise Conflict(
            f"{warehouse.code} already has {taken} shipments on {day:%d %b %Y} (capacity "
            f"{warehouse.shipping_capacity_per_day}). Choose another day, or book it over capacity.",
            code="day_full", details={"planned_ship_date": ["The day is full."], "planned": taken,
                                      "capacity": warehouse.shipping_capacity_per_day},
        )
    return Plan(day, delivery_date(shipment.carrier, day))
