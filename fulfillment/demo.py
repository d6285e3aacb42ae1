"""The demo company's warehouse floor: carriers, shipments in every status, a return.

`load_fulfillment_demo()` runs after the orders demo (it ships the confirmed demo orders) and is
idempotent: a carrier is found again by its code, a public holiday by its date, a warehouse holiday by
(warehouse, date); an order that has shipments already gets no new ones, and one with a return no new
return — so a second run adds nothing, and what was done in the app (a shipment picked, cancelled or
rescheduled) stays as it is. Everything is written by the services, by the demo users (admin keeps the
carriers and the calendar; the warehouse schedules, picks, packs, ships, records the proof of delivery
and authorises the return), so the audit trail and the outbox read like real work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders.demo import ORDERS as DEMO_ORDERS
from orders.enums import OrderStatus
from orders.models import SalesOrder

from .enums import ReturnDisposition, ReturnReason, ShipmentStatus
from .models import Carrier, ReturnAuthorization, Shipment
from .selectors import returnable_lines, schedulable_lines
from .services import (
    carrier_create,
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
    carriers, carriers_created = _carriers(admin)
    created = {"carriers": carriers_created, "shipments": 0, "returns": 0}

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
