"""Shipments: schedule them for an order, reschedule, pick → pack → ship → deliver, or cancel.

Lock order, everywhere (the sales desk's, extended): sales order → its lines → the warehouse (only
while scheduling) → the shipment → stock by product id (inventory). A shipment never carries more
than its order lines still have open: scheduling counts what open shipments already hold, and
shipping re-checks it under the line locks against what is reserved (the CHECK constraint
`salesorderline_not_overshipped` is the last line).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from inventory.models import Warehouse
from inventory.services import DemandLine, ReservationRequest, stock_issue_many
from o2c.audit import audit_record
from o2c.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from o2c.events import publish
from o2c.numbering import next_number
from o2c.states import transition
from orders.enums import OrderStatus
from orders.models import SalesOrder, SalesOrderLine, ShippingAddress
from orders.services import order_refresh_progress

from ..enums import OPEN_SHIPMENT_STATUSES, SHIPMENT_TRANSITIONS, ShipmentStatus
from ..models import Carrier, Package, Shipment, ShipmentLine
from ..selectors import scheduled_quantities
from .lines import choose_lines
from .scheduling import check_reschedule, plan_shipment

ZERO = Decimal(0)
MAX_PACKAGES = 50


def _actor(actor: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return actor if actor is not None and actor.is_authenticated else None


def _lock_order(order_id: int) -> SalesOrder:
    try:
        return (SalesOrder.objects.select_for_update(of=("self",))
                .select_related("customer", "warehouse", "ship_to").get(pk=order_id))
    except SalesOrder.DoesNotExist:
        raise NotFound(f"Order {order_id} does not exist.") from None


def _lock_lines(order: SalesOrder) -> dict[int, SalesOrderLine]:
    lines = (SalesOrderLine.objects.select_for_update(of=("self",)).filter(order=order)
             .select_related("product").order_by("pk"))
    return {line.pk: line for line in lines}


def _lock_shipment(shipment_id: int) -> Shipment:
    return (Shipment.objects.select_for_update(of=("self",)).select_related("carrier", "order", "warehouse")
            .get(pk=shipment_id))


def _order_of(shipment_id: int) -> int:
    order_id = Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(f"Shipment {shipment_id} does not exist.")
    return order_id


def _expect(shipment: Shipment, allowed: Sequence[str], verb: str) -> None:
    if shipment.status not in allowed:
        wanted = " or ".join(ShipmentStatus(s).label.lower() for s in allowed)
        raise InvalidTransition(
            f"Shipment {shipment.number} is {shipment.get_status_display().lower()}; only a {wanted} shipment "
            f"can be {verb}.", details={"status": shipment.status, "allowed_from": list(allowed)},
        )


def _default_carrier() -> Carrier:
    carrier = (Carrier.objects.filter(is_active=True).order_by("-is_default", "transit_days", "code").first())
    if carrier is None:
        raise ValidationFailed("Set up a carrier first.", details={"carrier": ["No active carrier."]})
    return carrier


def _chosen(order: SalesOrder, lines: dict[int, SalesOrderLine], scheduled: dict[int, Decimal],
            wanted: Sequence[Mapping[str, Any]] | None) -> list[tuple[SalesOrderLine, Decimal]]:
    """What goes on the new shipment: every line's reserved quantity not yet on a shipment, or the
    chosen lines and quantities (each at most what is open and not yet scheduled)."""
    if wanted is None:
        chosen = [(line, line.reserved_quantity - scheduled.get(line.pk, ZERO)) for line in lines.values()]
        chosen = [(line, qty) for line, qty in chosen if qty > 0]
        if not chosen:
            raise Conflict(f"Nothing of {order.number} is reserved and unscheduled; choose lines and quantities "
                           "to schedule backordered goods.", code="nothing_to_ship")
        return chosen
    chosen = choose_lines(
        lines=lines, wanted=wanted, order_number=order.number, purpose="", over_code="over_shipment",
        room=lambda line: line.open_quantity - scheduled.get(line.pk, ZERO),
        too_much=lambda line, room, asked: (f"Line {line.position} ({line.product.sku}): at most {room.normalize():f} "
                                            f"can still be scheduled; {asked.normalize():f} asked."),
    )
    return [(choice.line, choice.quantity) for choice in chosen]


def _ready_date(chosen: list[tuple[SalesOrderLine, Decimal]], scheduled: dict[int, Decimal],
                today: datetime.date) -> datetime.date:
    """When the goods can leave: today for reserved stock, the promise date of backordered lines."""
    ready = today
    for line, qty in chosen:
        if qty > line.reserved_quantity - scheduled.get(line.pk, ZERO) and line.promise_date:
            ready = max(ready, line.promise_date)
    return ready


def _ship_to(order: SalesOrder) -> ShippingAddress | None:
    """The order's ship-to address, else the customer's default one (None: the billing address)."""
    return order.ship_to or order.customer.shipping_addresses.filter(is_default=True).first()


def ship_to_text(order: SalesOrder, address: ShippingAddress | None) -> str:
    if address is not None:
        return "\n".join(p for p in (address.recipient or order.customer.legal_name, address.address,
                                     address.country) if p)
    return "\n".join((order.customer.legal_name, order.customer.billing_address, order.customer.country))


def is_day(value: object) -> bool:
    """A calendar day (a datetime is not one: comparing it with a date would fail)."""
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


@transaction.atomic
def shipment_create(
    *, order_id: int, actor: AbstractBaseUser | None, lines: Sequence[Mapping[str, Any]] | None = None,
    carrier: Carrier | None = None,
) -> Shipment:
    """Schedule a shipment for a confirmed order: all reserved quantities not yet on a shipment, or
    the chosen `lines` [{order_line, quantity}] (the rest stays on the order)."""
    order = _lock_order(order_id)
    if order.status != OrderStatus.CONFIRMED:
        raise Conflict(f"Order {order.number} is {order.get_status_display().lower()}; only a confirmed order "
                       "ships.", code="order_not_confirmed", details={"status": order.status})
    order_lines = _lock_lines(order)
    scheduled = scheduled_quantities(list(order_lines))
    chosen = _chosen(order, order_lines, scheduled, lines)
    carrier = carrier or _default_carrier()
    if not carrier.is_active:
        raise ValidationFailed(f"Carrier {carrier.code} is inactive.", details={"carrier": ["Inactive."]})
    warehouse = Warehouse.objects.select_for_update().get(pk=order.warehouse_id)
    today = timezone.localdate()
    plan = plan_shipment(warehouse=warehouse, carrier=carrier, ready=_ready_date(chosen, scheduled, today),
                         today=today)
    address = _ship_to(order)
    shipment = Shipment.objects.create(
        number=str(next_number("SH", today.year)), order=order, customer_id=order.customer_id, warehouse=warehouse,
        ship_to=address, ship_to_text=ship_to_text(order, address), carrier=carrier,
        planned_ship_date=plan.ship_date, planned_delivery_date=plan.delivery_date,
        promised_date=max(order.requested_date or plan.delivery_date, today), created_by=_actor(actor),
    )
    ShipmentLine.objects.bulk_create([ShipmentLine(shipment=shipment, order_line=line, quantity=qty)
                                      for line, qty in chosen])
    audit_record(obj=shipment, action="scheduled", actor=actor, to_state=shipment.status, data={
        "order": order.number, "planned_ship_date": plan.ship_date, "planned_delivery_date": plan.delivery_date,
        "carrier": carrier.code, "lines": {str(line.position): str(qty) for line, qty in chosen},
    })
    audit_record(obj=order, action="shipment_scheduled", actor=actor,
                 data={"shipment": shipment.number, "planned_ship_date": plan.ship_date})
    return shipment


@transaction.atomic
def shipment_reschedule(
    *, shipment_id: int, planned_ship_date: datetime.date, actor: AbstractBaseUser | None,
    over_capacity: bool = False,
) -> Shipment:
    """Move a shipment that has not left to another working day (audited); a full day only when
    `over_capacity` says so."""
    warehouse_id = Shipment.objects.filter(pk=shipment_id).values_list("warehouse_id", flat=True).first()
    if warehouse_id is None:
        raise NotFound(f"Shipment {shipment_id} does not exist.")
    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse_id)
    shipment = _lock_shipment(shipment_id)
    _expect(shipment, OPEN_SHIPMENT_STATUSES, "rescheduled")
    if not is_day(planned_ship_date):
        raise ValidationFailed("Choose a date.", details={"planned_ship_date": ["A date is required."]})
    if planned_ship_date == shipment.planned_ship_date:
        return shipment
    plan = check_reschedule(shipment=shipment, warehouse=warehouse, day=planned_ship_date,
                            today=timezone.localdate(), over_capacity=over_capacity)
    before = (shipment.planned_ship_date, shipment.planned_delivery_date)
    shipment.planned_ship_date, shipment.planned_delivery_date = plan.ship_date, plan.delivery_date
    shipment.save(update_fields=["planned_ship_date", "planned_delivery_date", "updated_at"])
    audit_record(obj=shipment, action="rescheduled", actor=actor, data={
        "planned_ship_date": [before[0], plan.ship_date], "planned_delivery_date": [before[1], plan.delivery_date],
        **({"over_capacity": True} if over_capacity else {}),
    })
    return shipment


def _unreserved(shipment: Shipment, lines: Mapping[int, SalesOrderLine],
                claimed: Mapping[int, Decimal] | None = None) -> list[str]:
    """Lines of `shipment` whose quantity is not covered by reserved stock, less what other shipments
    already picked or packed hold of it (`claimed`)."""
    short = []
    for item in shipment.lines.all():
        line = lines[item.order_line_id]
        free = line.reserved_quantity - (claimed or {}).get(line.pk, ZERO)
        if item.quantity > free:
            short.append(f"Line {line.position} ({line.product.sku}): {max(free, ZERO).normalize():f} of "
                         f"{item.quantity.normalize():f} reserved")
    return short


def _claimed(shipment: Shipment) -> dict[int, Decimal]:
    """{order line id: quantity on the order's other shipments being picked or already packed}."""
    rows = (ShipmentLine.objects.filter(shipment__order_id=shipment.order_id,
                                        shipment__status__in=(ShipmentStatus.PICKING, ShipmentStatus.PACKED))
            .exclude(shipment=shipment).order_by().values("order_line").annotate(q=Sum("quantity"))
            .values_list("order_line", "q"))  # order_by(): no join to the order lines for Meta.ordering
    return dict(rows)


@transaction.atomic
def shipment_start_picking(*, shipment_id: int, actor: AbstractBaseUser | None) -> Shipment:
    """The warehouse starts picking; refused while goods on it are still waiting for stock (reserved
    stock that the order's other picked or packed shipments hold does not count)."""
    order = _lock_order(_order_of(shipment_id))
    lines = _lock_lines(order)
    shipment = _lock_shipment(shipment_id)
    _expect(shipment, (ShipmentStatus.SCHEDULED,), "picked")
    short = _unreserved(shipment, lines, _claimed(shipment))
    if short:
        raise Conflict(f"{shipment.number} waits for stock: {'; '.join(short)}.", code="not_reserved",
                       details={"lines": short})
    shipment.picked_at = timezone.now()
    transition(shipment, to=ShipmentStatus.PICKING, actor=actor, allowed=SHIPMENT_TRANSITIONS, action="picking",
               also_update=("picked_at",))
    return shipment


def _clean_packages(packages: Sequence[Mapping[str, Any]]) -> list[Package]:
    if len(packages) > MAX_PACKAGES:
        raise ValidationFailed(f"At most {MAX_PACKAGES} packages.", details={"packages": ["Too many."]})
    cleaned, errors = [], []
    for index, item in enumerate(packages, start=1):
        values: dict[str, Decimal | None] = {}
        for name in ("weight_kg", "length_cm", "width_cm", "height_cm"):
            raw = item.get(name)
            if raw in (None, "") and name != "weight_kg":
                values[name] = None
                continue
            step = Decimal("0.001") if name == "weight_kg" else Decimal("0.1")
            try:
                value = (raw if isinstance(raw, Decimal) else Decimal(str(raw))).quantize(step)
            except (InvalidOperation, ValueError, TypeError):
                value = None
            label = name.replace("_", " ")
            if isinstance(raw, float) or value is None or not value.is_finite() or not 0 <= value < 10**6 \
                    or (value == 0 and Decimal(str(raw)) <= 0):
                errors.append(f"Package {index}: {label} must be a positive number.")
                break
            if value == 0:  # positive, but less than what is stored (grams, millimetres)
                errors.append(f"Package {index}: {label} must be at least {step}.")
                break
            values[name] = value
        else:
            cleaned.append(Package(**values))
    if errors:
        raise ValidationFailed(errors[0], details={"packages": errors})
    return cleaned


def _goods_weight(shipment: Shipment) -> Decimal:
    return sum((item.quantity * item.order_line.product.weight_kg
                for item in shipment.lines.select_related("order_line__product")), ZERO)


@transaction.atomic
def shipment_pack(
    *, shipment_id: int, actor: AbstractBaseUser | None, packages: Sequence[Mapping[str, Any]] | None = None,
) -> Shipment:
    """Picked goods are packed: the packages (weight, dimensions) are recorded. Without any, one
    package weighing what the goods weigh."""
    shipment = _lock_shipment(shipment_id)
    _expect(shipment, (ShipmentStatus.PICKING,), "packed")
    if packages:
        boxes = _clean_packages(packages)
    else:
        weight = _goods_weight(shipment)
        if weight <= 0:
            raise ValidationFailed("The goods have no weight on record; enter the package weight.",
                                   details={"packages": ["Weigh the package."]})
        boxes = [Package(weight_kg=weight.quantize(Decimal("0.001")))]
    for box in boxes:
        box.shipment = shipment
    Package.objects.bulk_create(boxes)
    shipment.packed_at = timezone.now()
    transition(shipment, to=ShipmentStatus.PACKED, actor=actor, allowed=SHIPMENT_TRANSITIONS, action="packed",
               also_update=("packed_at",),
               data={"packages": len(boxes), "weight_kg": str(sum((b.weight_kg for b in boxes), ZERO))})
    return shipment


@transaction.atomic
def shipment_ship(
    *, shipment_id: int, actor: AbstractBaseUser | None, tracking_number: str = "", carrier: Carrier | None = None,
) -> Shipment:
    """The packed shipment leaves: its reserved stock is issued, the order lines count it as
    shipped, `shipment.shipped` is published (once: the status change is under the row lock) and,
    after commit, the customer gets the shipping notification with the tracking link."""
    order = _lock_order(_order_of(shipment_id))
    lines = _lock_lines(order)
    shipment = _lock_shipment(shipment_id)
    _expect(shipment, (ShipmentStatus.PACKED,), "shipped")
    carrier = carrier or shipment.carrier
    tracking = (tracking_number or "").strip()
    if not carrier.is_active:
        raise ValidationFailed(f"Carrier {carrier.code} is inactive.", details={"carrier": ["Inactive."]})
    if carrier.tracking_url_template and not tracking:
        raise ValidationFailed(f"{carrier.name} tracks parcels: enter the tracking number.",
                               details={"tracking_number": ["Required for this carrier."]})
    if len(tracking) > 60:
        raise ValidationFailed("A tracking number has at most 60 characters.",
                               details={"tracking_number": ["Too long."]})
    items = sorted(shipment.lines.all(), key=lambda i: (lines[i.order_line_id].product_id, i.order_line_id))
    short = _unreserved(shipment, lines)
    if short:
        raise Conflict(f"{shipment.number} cannot ship: {'; '.join(short)}.", code="not_reserved",
                       details={"lines": short})
    stock_issue_many(issues=[ReservationRequest(DemandLine.for_instance(lines[i.order_line_id], reference=order.number),
                                                shipment.warehouse, i.quantity) for i in items],
                     actor=actor, reference=shipment.number)
    for item in items:
        line = lines[item.order_line_id]
        line.shipped_quantity += item.quantity
        line.reserved_quantity -= item.quantity
    changed = [lines[item.order_line_id] for item in items]
    SalesOrderLine.objects.bulk_update(changed, ["shipped_quantity", "reserved_quantity"])
    order_refresh_progress(order=order, lines=list(lines.values()))
    shipment.carrier, shipment.tracking_number, shipment.shipped_at = carrier, tracking, timezone.now()
    shipment.in_full = all(line.open_quantity == 0 for line in changed)
    transition(shipment, to=ShipmentStatus.SHIPPED, actor=actor, allowed=SHIPMENT_TRANSITIONS, action="shipped",
               also_update=("carrier", "tracking_number", "shipped_at", "in_full"),
               data={"carrier": carrier.code, "tracking_number": tracking})
    audit_record(obj=order, action="shipped", actor=actor, data={
        "shipment": shipment.number, "lines": {str(lines[i.order_line_id].position): str(i.quantity) for i in items}})
    publish("shipment.shipped", {
        "shipment": shipment.pk, "number": shipment.number, "order": order.pk, "order_number": order.number,
        "customer": order.customer_id, "warehouse": shipment.warehouse.code, "carrier": carrier.code,
        "tracking_number": tracking, "tracking_url": shipment.tracking_url, "shipped_at": shipment.shipped_at,
        "lines": [{"order_line": item.order_line_id, "product": lines[item.order_line_id].product_id,
                   "quantity": item.quantity} for item in items],
    })
    return shipment


@transaction.atomic
def shipment_deliver(
    *, shipment_id: int, actor: AbstractBaseUser | None, received_by: str,
    delivered_on: datetime.date | None = None,
) -> Shipment:
    """Proof of delivery: who signed and on which day. Records whether it came on time (by the
    promised date) and publishes `shipment.delivered` once."""
    order = _lock_order(_order_of(shipment_id))
    lines = _lock_lines(order)
    shipment = _lock_shipment(shipment_id)
    _expect(shipment, (ShipmentStatus.SHIPPED,), "delivered")
    today = timezone.localdate()
    day = delivered_on or today
    signer = (received_by or "").strip()
    if not signer:
        raise ValidationFailed("Say who received the goods.", details={"received_by": ["Required."]})
    if len(signer) > 100:
        raise ValidationFailed("At most 100 characters.", details={"received_by": ["Too long."]})
    shipped_on = timezone.localdate(shipment.shipped_at)
    if not is_day(day) or day > today or day < shipped_on:
        raise ValidationFailed(f"The delivery day is between the ship day ({shipped_on}) and today.",
                               details={"delivered_on": [f"Between {shipped_on} and {today}."]})
    items = list(shipment.lines.all())
    for item in items:
        lines[item.order_line_id].delivered_quantity += item.quantity
    SalesOrderLine.objects.bulk_update([lines[i.order_line_id] for i in items], ["delivered_quantity"])
    shipment.delivered_on, shipment.received_by = day, signer
    shipment.on_time = day <= shipment.promised_date
    transition(shipment, to=ShipmentStatus.DELIVERED, actor=actor, allowed=SHIPMENT_TRANSITIONS,
               action="delivered", also_update=("delivered_on", "received_by", "on_time"),
               data={"delivered_on": day, "received_by": signer, "on_time": shipment.on_time})
    publish("shipment.delivered", {
        "shipment": shipment.pk, "number": shipment.number, "order": order.pk, "customer": order.customer_id,
        "delivered_on": day, "received_by": signer, "on_time": shipment.on_time, "in_full": shipment.in_full,
        "lines": [{"order_line": item.order_line_id, "quantity": item.quantity} for item in items],
    })
    return shipment


@transaction.atomic
def shipment_cancel(*, shipment_id: int, actor: AbstractBaseUser | None, reason: str) -> Shipment:
    """Call off a shipment that has not left; its goods stay reserved on the order."""
    shipment = _lock_shipment(shipment_id)
    _expect(shipment, OPEN_SHIPMENT_STATUSES, "cancelled")
    return _cancel(shipment, reason, actor)


def _cancel(shipment: Shipment, reason: str, actor: AbstractBaseUser | None) -> Shipment:
    why = (reason or "").strip()
    if not why:
        raise ValidationFailed("Say why the shipment is cancelled.", details={"reason": ["A reason is required."]})
    shipment.cancel_reason = why[:200]
    transition(shipment, to=ShipmentStatus.CANCELLED, actor=actor, allowed=SHIPMENT_TRANSITIONS,
               action="cancelled", also_update=("cancel_reason",), data={"reason": shipment.cancel_reason})
    return shipment


@transaction.atomic
def shipments_cancel_for_order(*, order_id: int, reason: str, actor: AbstractBaseUser | None = None) -> list[str]:
    """The order was cancelled: its shipments that have not left are called off. Safe to repeat."""
    shipments = (Shipment.objects.select_for_update().filter(order_id=order_id, status__in=OPEN_SHIPMENT_STATUSES)
                 .order_by("pk"))
    return [_cancel(shipment, reason, actor).number for shipment in shipments]
