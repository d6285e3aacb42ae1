"""Sales orders: create and change drafts, confirm (credit check, reservation, promise dates),
release or reject a credit hold, cancel, and fill backorders when stock arrives.

Lock order, everywhere: sales order(s) by id → their lines → the customer → stock (inventory).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from inventory.calendar import warehouse_calendar
from inventory.models import Warehouse
from inventory.selectors import cover_dates, default_warehouse
from inventory.services import DemandLine, ReservationRequest, stock_fill_backorders, stock_release, stock_reserve_many
from o2c.audit import audit_record
from o2c.bulk import bulk_set
from o2c.errors import Conflict, ValidationFailed
from o2c.events import publish
from o2c.numbering import next_number
from o2c.states import transition

from ..enums import ORDER_TRANSITIONS, OrderStatus, Progress
from ..models import Customer, Quote, SalesOrder, SalesOrderLine, ShippingAddress
from ..selectors import credit_block_reason
from .customers import require_credit_manager
from .documents import check_customer, priced_document, replace_lines, with_lines

ZERO = Decimal(0)
HEADER_FIELDS = ("ship_to", "requested_date", "customer_reference", "notes", "warehouse")
_UPDATE_LINE_STATE = f"""
UPDATE {SalesOrderLine._meta.db_table} AS l
   SET reserved_quantity = v.reserved, backordered_quantity = v.backordered, promise_date = v.promise_date,
       cancelled_quantity = v.cancelled, backordered_at_confirmation = v.at_confirmation
  FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::date[], %s::numeric[], %s::numeric[])
       AS v(id, reserved, backordered, promise_date, cancelled, at_confirmation)
 WHERE l.id = v.id"""


def _save_line_state(lines: Sequence[SalesOrderLine]) -> None:
    """Write what confirming, filling and cancelling change on lines: one statement for any count."""
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_LINE_STATE, [
            [line.pk for line in lines], [line.reserved_quantity for line in lines],
            [line.backordered_quantity for line in lines], [line.promise_date for line in lines],
            [line.cancelled_quantity for line in lines], [line.backordered_at_confirmation for line in lines],
        ])


def _check_header(customer: Customer, header: dict[str, Any], *, for_update: bool = False) -> dict[str, Any]:
    unknown = set(header) - set(HEADER_FIELDS)
    if unknown:
        raise ValidationFailed(f"Unknown field(s): {', '.join(sorted(unknown))}.",
                               details={f: ["Unknown field."] for f in unknown})
    ship_to = header.get("ship_to")
    if isinstance(ship_to, ShippingAddress) and ship_to.customer_id != customer.pk:
        raise ValidationFailed("The ship-to address belongs to another customer.",
                               details={"ship_to": ["Not an address of this customer."]})
    warehouse = header.get("warehouse")
    if "warehouse" in header and warehouse is None and for_update:
        raise ValidationFailed("An order ships from a warehouse.", details={"warehouse": ["Required."]})
    if isinstance(warehouse, Warehouse) and not warehouse.is_active:
        raise ValidationFailed(f"Warehouse {warehouse.code} is closed.", details={"warehouse": ["Closed."]})
    requested = header.get("requested_date")
    if isinstance(requested, datetime.date) and requested < timezone.localdate():
        raise ValidationFailed("The requested delivery date is in the past.",
                               details={"requested_date": ["Must be today or later."]})
    for name in ("customer_reference", "notes"):
        if header.get(name) is None and name in header:
            header[name] = ""
    return header


def _default_warehouse() -> Warehouse:
    warehouse = default_warehouse()
    if warehouse is None:
        raise ValidationFailed("Set up a warehouse first.", details={"warehouse": ["No active warehouse."]})
    return warehouse


@transaction.atomic
def order_create(
    *, customer: Customer, lines: Sequence[Mapping[str, Any]], actor: AbstractBaseUser | None,
    currency: str | None = None, quote: Quote | None = None, **header: Any,
) -> SalesOrder:
    """A draft order with its priced lines: a fixed number of queries whatever the line count."""
    currency = check_customer(customer, currency)
    header = _check_header(customer, header)
    if header.get("warehouse") is None:
        header["warehouse"] = _default_warehouse()
    totals, priced = priced_document(customer, lines)
    number = next_number("SO", timezone.localdate().year)
    order = SalesOrder.objects.create(
        number=str(number), customer=customer, currency=currency, quote=quote,
        created_by=actor if actor is not None and actor.is_authenticated else None, **header, **totals,
    )
    lines = replace_lines(order, SalesOrderLine, "order", priced, new=True)
    audit_record(obj=order, action="created", actor=actor,
                 data={"lines": len(priced), "gross_total": str(order.gross_total),
                       **({"quote": quote.number} if quote else {})})
    return with_lines(order, lines)


def _lock(order_id: int) -> SalesOrder:
    return SalesOrder.objects.select_for_update(of=("self",)).select_related("customer", "warehouse").get(pk=order_id)


def _locked_lines(order: SalesOrder) -> list[SalesOrderLine]:
    return list(SalesOrderLine.objects.select_for_update(of=("self",)).filter(order=order).select_related("product")
                .order_by("pk"))


@transaction.atomic
def order_update(
    *, order_id: int, actor: AbstractBaseUser | None, lines: Sequence[Mapping[str, Any]] | None = None,
    **header: Any,
) -> SalesOrder:
    """Change a draft: its header and/or all its lines (re-priced). Anything else is refused."""
    order = _lock(order_id)
    if order.status != OrderStatus.DRAFT:
        raise Conflict(f"Order {order.number} is {order.get_status_display().lower()}; only a draft can be changed.",
                       code="order_not_editable", details={"status": order.status})
    changed = {k: v for k, v in header.items() if k not in HEADER_FIELDS or getattr(order, k) != v}
    header = _check_header(order.customer, changed, for_update=True)
    changes = {k: [str(getattr(order, k)), str(v)] for k, v in header.items()}
    for name, value in header.items():
        setattr(order, name, value)
    if lines is not None:
        totals, priced = priced_document(order.customer, lines)
        for name, value in totals.items():
            setattr(order, name, value)
        replace_lines(order, SalesOrderLine, "order", priced)
        changes["lines"] = [None, len(priced)]
    if changes:
        order.save()
        audit_record(obj=order, action="updated", actor=actor, data={"changes": changes})
    return order


def _promise_dates(order: SalesOrder, lines: list[SalesOrderLine]) -> None:
    today = timezone.localdate()
    calendar = warehouse_calendar(order.warehouse, today)
    ready = calendar.next_working(today)
    short = [line.product for line in lines if line.backordered_quantity > 0]
    dates = cover_dates(products=short, warehouse=order.warehouse, today=today, calendar=calendar) if short else {}
    for line in lines:
        if line.open_quantity > 0:
            line.promise_date = dates.get(line.product_id, ready) if line.backordered_quantity > 0 else ready


def _reserve_and_confirm(order: SalesOrder, lines: list[SalesOrderLine], actor: AbstractBaseUser | None,
                         *, action: str, data: dict[str, Any] | None = None) -> SalesOrder:
    requests = [ReservationRequest(DemandLine.for_instance(line, reference=order.number), order.warehouse,
                                   line.quantity) for line in lines]
    granted = stock_reserve_many(requests=requests, actor=actor)
    for line, grant in zip(lines, granted, strict=True):
        line.reserved_quantity = grant
        line.backordered_quantity = line.backordered_at_confirmation = line.quantity - grant
    _promise_dates(order, lines)
    _save_line_state(lines)
    order.confirmed_at = timezone.now()
    order.hold_reason = ""
    backordered = sum((line.backordered_quantity for line in lines), ZERO)
    transition(order, to=OrderStatus.CONFIRMED, actor=actor, allowed=ORDER_TRANSITIONS, action=action,
               also_update=("confirmed_at", "hold_reason"), data={**(data or {}), "backordered": str(backordered)})
    publish("order.confirmed", {
        "order": order.pk, "number": order.number, "customer": order.customer_id, "currency": order.currency,
        "gross_total": order.gross_total, "warehouse": order.warehouse.code,
        "lines": [{"line": line.pk, "product": line.product_id, "quantity": line.quantity,
                   "reserved": line.reserved_quantity, "backordered": line.backordered_quantity,
                   "promise_date": line.promise_date} for line in lines],
    })
    return with_lines(order, lines)


def _already(order: SalesOrder, wanted: set[str], verb: str) -> None:
    if order.status not in wanted:
        raise Conflict(f"Order {order.number} is {order.get_status_display().lower()}; it cannot be {verb}.",
                       code="invalid_transition", details={"status": order.status})


@transaction.atomic
def order_confirm(*, order_id: int, actor: AbstractBaseUser | None) -> SalesOrder:
    """Credit check, then reserve line by line (the rest is backordered), date the lines, publish
    `order.confirmed` (its subscriber e-mails the confirmation, off the request path). Over the
    credit limit or on credit hold, the order goes on hold instead and waits in Finance's queue."""
    order = _lock(order_id)
    _already(order, {OrderStatus.DRAFT}, "confirmed")
    lines = _locked_lines(order)
    if not lines:
        raise ValidationFailed("An order without lines cannot be confirmed.", details={"lines": ["No lines."]})
    customer = Customer.objects.select_for_update().get(pk=order.customer_id)
    reason = credit_block_reason(customer, order)
    if reason:
        order.hold_reason = reason
        transition(order, to=OrderStatus.ON_HOLD, actor=actor, allowed=ORDER_TRANSITIONS, action="held",
                   also_update=("hold_reason",), data={"reason": reason})
        publish("order.held", {"order": order.pk, "number": order.number, "customer": customer.pk,
                               "reason": reason})
        return order
    return _reserve_and_confirm(order, lines, actor, action="confirmed")


@transaction.atomic
def order_release_hold(*, order_id: int, actor: AbstractBaseUser | None, note: str = "") -> SalesOrder:
    """Finance accepts the credit risk: the held order confirms (reserves, dates, publishes)."""
    require_credit_manager(actor)
    order = _lock(order_id)
    _already(order, {OrderStatus.ON_HOLD}, "released")
    lines = _locked_lines(order)
    return _reserve_and_confirm(order, lines, actor, action="credit_released",
                                data={"hold_reason": order.hold_reason, "note": note.strip()})


@transaction.atomic
def order_reject_hold(*, order_id: int, actor: AbstractBaseUser | None, reason: str) -> SalesOrder:
    require_credit_manager(actor)
    order = _lock(order_id)
    _already(order, {OrderStatus.ON_HOLD}, "rejected")
    if not reason or not reason.strip():
        raise ValidationFailed("Say why the credit is refused.", details={"reason": ["A reason is required."]})
    transition(order, to=OrderStatus.CANCELLED, actor=actor, allowed=ORDER_TRANSITIONS, action="credit_rejected",
               data={"reason": reason.strip(), "hold_reason": order.hold_reason})
    publish("order.cancelled", {"order": order.pk, "number": order.number, "reason": reason.strip()})
    return order


@transaction.atomic
def order_cancel(*, order_id: int, actor: AbstractBaseUser | None, reason: str = "") -> SalesOrder:
    """Cancel what has not shipped: reservations and backorders are released. An order that has
    shipped part of its goods is closed short (done) with the rest cancelled."""
    order = _lock(order_id)
    _already(order, {OrderStatus.DRAFT, OrderStatus.ON_HOLD, OrderStatus.CONFIRMED}, "cancelled")
    lines = _locked_lines(order)
    released: dict[str, str] = {}
    if order.status == OrderStatus.CONFIRMED:
        open_lines = [line for line in lines if line.open_quantity > 0]
        if not open_lines:
            raise Conflict(f"Everything on {order.number} has shipped; nothing is left to cancel.",
                           code="nothing_to_cancel")
        for line in open_lines:
            if line.reserved_quantity or line.backordered_quantity:
                stock_release(order_line=DemandLine.for_instance(line, reference=order.number),
                              warehouse=order.warehouse, actor=actor)
            released[str(line.position)] = str(line.open_quantity)
            line.cancelled_quantity += line.open_quantity
            line.reserved_quantity = line.backordered_quantity = ZERO
        _save_line_state(open_lines)
    shipped = any(line.shipped_quantity > 0 for line in lines)
    transition(order, to=OrderStatus.DONE if shipped else OrderStatus.CANCELLED, actor=actor,
               allowed=ORDER_TRANSITIONS, action="cancelled", data={"reason": reason.strip(), "released": released})
    if shipped:
        order_refresh_progress(order=order, lines=lines)
    publish("order.cancelled", {"order": order.pk, "number": order.number, "reason": reason.strip(),
                                "closed_short": shipped, "cancelled": released})
    return order


def _progress(done: Decimal, total: Decimal) -> str:
    if done <= 0:
        return Progress.NONE
    return Progress.FULL if done >= total else Progress.PARTIAL


def order_refresh_progress(
    *, order: SalesOrder, lines: Sequence[SalesOrderLine] | None = None, also_update: tuple[str, ...] = (),
) -> SalesOrder:
    """Derive delivery / invoice / payment status from the lines and amounts (the caller holds the
    order lock). Downstream apps call this after they change the quantities they keep, naming in
    `also_update` the order fields of theirs they changed (one UPDATE for both)."""
    _derive_progress(order, list(lines if lines is not None else order.lines.all()))
    order.save(update_fields=[*PROGRESS_FIELDS, "updated_at", *also_update])
    return order


PROGRESS_FIELDS = ("delivery_status", "invoice_status", "payment_status")


def _derive_progress(order: SalesOrder, lines: Sequence[SalesOrderLine]) -> None:
    wanted = sum((line.quantity - line.cancelled_quantity for line in lines), ZERO)
    order.delivery_status = _progress(sum((line.shipped_quantity for line in lines), ZERO), wanted)
    order.invoice_status = _progress(sum((line.invoiced_quantity for line in lines), ZERO), wanted)
    order.payment_status = _progress(order.paid_amount, order.invoiced_amount)


def orders_refresh_progress(
    *, orders: Sequence[SalesOrder], lines: Sequence[SalesOrderLine], also_update: tuple[str, ...] = (),
) -> None:
    """`order_refresh_progress()` for many orders (the caller holds their locks and passes all their
    lines): one UPDATE."""
    by_order: dict[int, list[SalesOrderLine]] = {}
    for line in lines:
        by_order.setdefault(line.order_id, []).append(line)
    now = timezone.now()
    for order in orders:
        _derive_progress(order, by_order.get(order.pk, []))
        order.updated_at = now
    bulk_set(orders, [*PROGRESS_FIELDS, "updated_at", *also_update])


@transaction.atomic
def backorders_fill(*, product_id: int, warehouse_id: int, actor: AbstractBaseUser | None = None) -> dict[str, Decimal]:
    """Stock arrived: serve backordered lines of confirmed orders first come, first served —
    by (requested date, order number). Idempotent: with nothing new available it changes nothing.
    Returns {order number: quantity newly reserved}."""
    waiting = (SalesOrderLine.objects.filter(product_id=product_id, order__warehouse_id=warehouse_id,
                                             order__status=OrderStatus.CONFIRMED, backordered_quantity__gt=0)
               .values_list("order_id", flat=True))
    order_ids = sorted(set(waiting))
    if not order_ids:
        return {}
    orders = {o.pk: o for o in SalesOrder.objects.select_for_update(of=("self",)).select_related("warehouse")
              .filter(pk__in=order_ids, status=OrderStatus.CONFIRMED).order_by("pk")}
    lines = list(
        SalesOrderLine.objects.select_for_update(of=("self",)).select_related("product")
        .filter(order_id__in=orders, product_id=product_id, backordered_quantity__gt=0)
        .order_by(F("order__requested_date").asc(nulls_last=True), "order__number", "position")
    )
    if not lines:
        return {}
    first = orders[lines[0].order_id]
    granted = stock_fill_backorders(
        product=lines[0].product, warehouse=first.warehouse, actor=actor,
        lines=[DemandLine.for_instance(line, reference=orders[line.order_id].number) for line in lines],
    )
    filled: dict[str, Decimal] = {}
    changed = []
    for line, grant in zip(lines, granted, strict=True):
        if grant > 0:
            line.reserved_quantity += grant
            line.backordered_quantity -= grant
            changed.append(line)
            number = orders[line.order_id].number
            filled[number] = filled.get(number, ZERO) + grant
    if changed:
        _promise_dates(first, changed)
        _save_line_state(changed)
        for line in changed:
            audit_record(obj=orders[line.order_id], action="backorder_filled", actor=actor,
                         data={"line": line.position, "sku": line.product.sku,
                               "reserved": str(line.reserved_quantity), "still_backordered":
                               str(line.backordered_quantity)})
    return filled
