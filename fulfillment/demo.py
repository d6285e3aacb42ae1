"""The demo company's warehouse floor: carriers, the holiday calendar, shipments in every status, a return.

`load_fulfillment_demo()` runs after the orders demo (it ships the confirmed demo orders) and is
idempotent: a carrier is found again by its code, a public holiday by its date, a warehouse holiday by
(warehouse, date); an order that has shipments already gets no new ones, and one with a return no new
return — so a second run adds nothing, and what was done in the app (a shipment picked, cancelled or
rescheduled) stays as it is. Everything is written by the services, by the demo users (admin keeps the
carriers and the calendar; the warehouse schedules, picks, packs, ships, records the proof of delivery
and authorises the return), so the audit trail and the outbox read like real work.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from inventory.models import Warehouse
from orders.demo import ORDERS as DEMO_ORDERS
from orders.enums import OrderStatus
from orders.models import SalesOrder

from .enums import ReturnDisposition, ReturnReason, ShipmentStatus
from .models import Carrier, Holiday, ReturnAuthorization, Shipment
from .selectors import returnable_lines, schedulable_lines
from .services import (
    carrier_create,
    holiday_create,
    return_authorize,
    shipment_create,
    shipment_deliver,
    shipment_pack,
    shipment_ship,
    shipment_start_picking,
)

CARRIERS = [  # the first is the default (unless another carrier is the default already)
    {"code": "PARCEL", "name": "Nordpaket", "service_level": "Standard parcel", "transit_days": 2,
     "tracking_url_template": "https://tracking.example/{tracking}"},
    {"code": "EXPRESS", "name": "Nordpaket", "service_level": "Express", "transit_days": 1,
     "tracking_url_template": "https://tracking.example/express/{tracking}"},
    {"code": "PALLET", "name": "Hanse Spedition", "service_level": "Pallet freight", "transit_days": 3,
     "tracking_url_template": "https://freight.example/track?ref={tracking}"},
]


def easter_sunday(year: int) -> datetime.date:
    """Easter Sunday of the Gregorian calendar (the anonymous "Meeus/Jones/Butcher" algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's own names)
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return datetime.date(year, month, day + 1)


def german_public_holidays(year: int) -> list[tuple[datetime.date, str]]:
    """The nationwide public holidays of Germany (every state keeps these)."""
    easter = easter_sunday(year)

    def after_easter(days: int) -> datetime.date:
        return easter + datetime.timedelta(days=days)

    return [
        (datetime.date(year, 1, 1), "New Year's Day"),
        (after_easter(-2), "Good Friday"),
        (after_easter(1), "Easter Monday"),
        (datetime.date(year, 5, 1), "Labour Day"),
        (after_easter(39), "Ascension Day"),
        (after_easter(50), "Whit Monday"),
        (datetime.date(year, 10, 3), "Day of German Unity"),
        (datetime.date(year, 12, 25), "Christmas Day"),
        (datetime.date(year, 12, 26), "Boxing Day"),
    ]


def regional_holidays(year: int) -> dict[str, list[tuple[datetime.date, str]]]:
    """The state holidays of the demo warehouses: Hamburg's and Bavaria's (Munich), by warehouse code."""
    easter = easter_sunday(year)
    return {
        "HAM": [(datetime.date(year, 10, 31), "Reformation Day (Hamburg)")],
        "MUC": [(datetime.date(year, 1, 6), "Epiphany (Bavaria)"),
                (easter + datetime.timedelta(days=60), "Corpus Christi (Bavaria)"),
                (datetime.date(year, 8, 15), "Assumption Day (Bavaria)"),
                (datetime.date(year, 11, 1), "All Saints' Day (Bavaria)")],
    }


@dataclass(frozen=True)
class DemoShipment:
    """One shipment of a demo order (found by the customer's PO reference), taken as far as `status`.

    `skus`: the lines it carries (None: every line); `backordered`: it takes what is still waiting for
    stock (scheduled at the promise date), else what is reserved."""

    order: str
    status: str
    carrier: str
    skus: tuple[str, ...] | None = None
    backordered: bool = False
    tracking: str = ""
    packages: list[dict[str, str]] = field(default_factory=list)  # empty: one box weighing what the goods weigh
    received_by: str = ""


SHIPMENTS = [
    # Rheinland: the furniture went by pallet and has arrived; the accessories are on their way by parcel
    DemoShipment("RH-2025-118", ShipmentStatus.DELIVERED, "PALLET", skus=("DESK-1600", "CAB-3DRW"),
                 tracking="HS-4471093", received_by="Stefan Krämer",
                 packages=[{"weight_kg": "245.000", "length_cm": "120", "width_cm": "80", "height_cm": "140"},
                           {"weight_kg": "139.000", "length_cm": "120", "width_cm": "80", "height_cm": "110"}]),
    DemoShipment("RH-2025-118", ShipmentStatus.SHIPPED, "PARCEL", tracking="NP00472219DE",
                 packages=[{"weight_kg": "31.500", "length_cm": "80", "width_cm": "60", "height_cm": "40"},
                           {"weight_kg": "6.200", "length_cm": "40", "width_cm": "30", "height_cm": "20"}]),
    # Bureau Moderne: what Munich holds is packed; the chairs still missing follow when stock arrives
    DemoShipment("BM-PO-7781", ShipmentStatus.PACKED, "PALLET",
                 packages=[{"weight_kg": "276.000", "length_cm": "120", "width_cm": "80", "height_cm": "160"}]),
    DemoShipment("BM-PO-7781", ShipmentStatus.SCHEDULED, "PALLET", backordered=True),
    # Wiener Büromöbel: the reserved goods are being picked; the backordered monitors and docks wait
    DemoShipment("WB-4471", ShipmentStatus.PICKING, "PARCEL"),
    DemoShipment("WB-4471", ShipmentStatus.SCHEDULED, "PARCEL", backordered=True),
    # Zürich: scheduled by express (nothing of it has left yet, so the order can still be cancelled whole)
    DemoShipment("ZW-5530", ShipmentStatus.SCHEDULED, "EXPRESS"),
]


@dataclass(frozen=True)
class DemoReturn:
    order: str
    reason: str
    lines: list[tuple[str, int, str]]  # (SKU, quantity, disposition)
    note: str = ""


RETURNS = [
    DemoReturn("RH-2025-118", ReturnReason.DAMAGED, [("CAB-3DRW", 1, ReturnDisposition.SCRAP)],
               note="Pedestal arrived with a dented drawer front; photos in the customer's e-mail of today."),
]

_STEPS = [ShipmentStatus.SCHEDULED, ShipmentStatus.PICKING, ShipmentStatus.PACKED, ShipmentStatus.SHIPPED,
          ShipmentStatus.DELIVERED]


def _carriers(admin: AbstractBaseUser | None) -> tuple[dict[str, Carrier], int]:
    existing = {c.code: c for c in Carrier.objects.filter(code__in=[spec["code"] for spec in CARRIERS])}
    created = 0
    for index, spec in enumerate(CARRIERS):
        if spec["code"] in existing:
            continue
        default = index == 0 and not Carrier.objects.filter(is_default=True).exists()
        existing[spec["code"]] = carrier_create(actor=admin, is_default=default, **spec)
        created += 1
    return existing, created


def _holidays(admin: AbstractBaseUser | None, years: list[int]) -> int:
    warehouses = {w.code: w for w in Warehouse.objects.all()}
    wanted: list[tuple[datetime.date, str, Warehouse | None]] = []
    for year in years:
        wanted += [(day, name, None) for day, name in german_public_holidays(year)]
        for code, days in regional_holidays(year).items():
            if code in warehouses:
                wanted += [(day, name, warehouses[code]) for day, name in days]
    have = set(Holiday.objects.filter(date__year__in=years).values_list("warehouse_id", "date"))
    created = 0
    for day, name, warehouse in wanted:
        key = (warehouse.pk if warehouse else None, day)
        # a warehouse's own holiday on a public holiday is redundant (and the public one exists already)
        if key in have or (warehouse is not None and (None, day) in have):
            continue
        holiday_create(actor=admin, date=day, name=name, warehouse=warehouse)
        have.add(key)
        created += 1
    return created


def _lines(order: SalesOrder, spec: DemoShipment) -> list[dict[str, Any]] | None:
    """What the shipment takes: None (every reserved quantity, the service's default) or chosen lines."""
    if spec.skus is None and not spec.backordered:
        return None
    rows = [row for row in schedulable_lines(order) if spec.skus is None or row.line.product.sku in spec.skus]
    return [{"order_line": row.line.pk, "quantity": row.room if spec.backordered else row.ready} for row in rows
            if (row.room - row.ready if spec.backordered else row.ready) > 0]


def _ship(order: SalesOrder, spec: DemoShipment, carriers: dict[str, Carrier], actor: Any) -> Shipment | None:
    lines = _lines(order, spec)
    if lines == []:
        return None
    carrier = carriers.get(spec.carrier)
    shipment = shipment_create(order_id=order.pk, actor=actor, lines=lines, carrier=carrier)
    target = _STEPS.index(ShipmentStatus(spec.status))
    if target >= _STEPS.index(ShipmentStatus.PICKING):
        shipment = shipment_start_picking(shipment_id=shipment.pk, actor=actor)
    if target >= _STEPS.index(ShipmentStatus.PACKED):
        shipment = shipment_pack(shipment_id=shipment.pk, actor=actor, packages=spec.packages or None)
    if target >= _STEPS.index(ShipmentStatus.SHIPPED):
        shipment = shipment_ship(shipment_id=shipment.pk, actor=actor, tracking_number=spec.tracking, carrier=carrier)
    if target >= _STEPS.index(ShipmentStatus.DELIVERED):
        shipment = shipment_deliver(shipment_id=shipment.pk, actor=actor, received_by=spec.received_by,
                                    delivered_on=timezone.localdate())
    return shipment


def _return(order: SalesOrder, spec: DemoReturn, actor: Any) -> ReturnAuthorization | None:
    room = {row.line.product.sku: row for row in returnable_lines(order)}
    lines = [{"order_line": room[sku].line.pk, "quantity": Decimal(qty), "disposition": disposition}
             for sku, qty, disposition in spec.lines if sku in room and room[sku].returnable >= qty]
    if not lines:
        return None
    return return_authorize(order_id=order.pk, lines=lines, reason=spec.reason, note=spec.note, actor=actor)


def _demo_orders(references: set[str]) -> dict[str, SalesOrder]:
    """The orders demo's orders by PO reference (each of its customer: another customer may use the same)."""
    customers = {spec.reference: spec.customer for spec in DEMO_ORDERS if spec.reference in references}
    condition = Q(pk__in=[])
    for reference, customer in customers.items():
        condition |= Q(customer_reference=reference, customer__legal_name=customer)
    return {order.customer_reference: order for order in SalesOrder.objects.filter(condition).order_by("pk")}


@transaction.atomic
def load_fulfillment_demo(
    *, warehouse: AbstractBaseUser | None, admin: AbstractBaseUser | None = None,
) -> dict[str, int]:
    """Create what is missing of the demo warehouse floor; returns how many of each thing were created."""
    today = timezone.localdate()
    carriers, carriers_created = _carriers(admin)
    created = {"carriers": carriers_created, "holidays": _holidays(admin, [today.year, today.year + 1]),
               "shipments": 0, "returns": 0}

    orders = _demo_orders({spec.order for spec in SHIPMENTS} | {spec.order for spec in RETURNS})
    # an order that has shipments (or a return) already was shipped by an earlier run, or by hand: left alone
    shipped = set(Shipment.objects.filter(order__in=orders.values()).values_list("order__customer_reference",
                                                                                  flat=True))
    returned = set(ReturnAuthorization.objects.filter(order__in=orders.values())
                   .values_list("order__customer_reference", flat=True))
    for spec in SHIPMENTS:
        order = orders.get(spec.order)
        if order is None or spec.order in shipped or order.status != OrderStatus.CONFIRMED:
            continue
        if _ship(order, spec, carriers, warehouse) is not None:
            created["shipments"] += 1
    for spec in RETURNS:
        order = orders.get(spec.order)
        if order is None or spec.order in returned:
            continue
        if _return(order, spec, warehouse) is not None:
            created["returns"] += 1
    return created
