"""Returns (RMA): authorise goods of shipped lines to come back, receive them (back to stock or
scrapped), or cancel the authorisation. Receiving publishes `return.received`; billing credits it.

Lock order: sales order → its lines → the return → stock (inventory). A line never has more
authorised or returned than it shipped: open authorisations count against it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from inventory.models import Warehouse
from inventory.services import ReturnedGoods, stock_return_many
from o2c.audit import audit_record
from o2c.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from o2c.events import publish
from o2c.numbering import next_number
from o2c.states import transition
from orders.enums import OrderStatus
from orders.models import SalesOrderLine

from ..enums import RETURN_TRANSITIONS, ReturnDisposition, ReturnReason, ReturnStatus
from ..models import ReturnAuthorization, ReturnLine
from ..selectors import authorised_quantities
from .lines import choose_lines
from .shipments import _actor, _lock_lines, _lock_order

ZERO = Decimal(0)
RETURNABLE_ORDER_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.DONE)


def _clean_disposition(value: Any, where: str) -> str:
    if value not in ReturnDisposition.values:
        raise ValidationFailed(f"{where}: choose {' or '.join(ReturnDisposition.values)}.",
                               details={"disposition": [f"One of {', '.join(ReturnDisposition.values)}."]})
    return value


def _returnable(order_number: str, order_lines: Mapping[int, SalesOrderLine], wanted: Sequence[Mapping[str, Any]],
                pending: Mapping[int, Decimal]) -> list[ReturnLine]:
    def room(line: SalesOrderLine) -> Decimal:
        return max(line.shipped_quantity - line.returned_quantity - pending.get(line.pk, ZERO), ZERO)

    def too_much(line: SalesOrderLine, limit: Decimal, asked: Decimal) -> str:
        return (f"Line {line.position} ({line.product.sku}): at most {limit.normalize():f} can be returned "
                f"(shipped {line.shipped_quantity.normalize():f}, returned or authorised "
                f"{(line.shipped_quantity - limit).normalize():f}).")

    chosen = choose_lines(lines=order_lines, wanted=wanted, order_number=order_number, purpose=" to return",
                          over_code="over_return", room=room, too_much=too_much)
    return [ReturnLine(order_line=c.line, quantity=c.quantity,
                       disposition=_clean_disposition(c.row.get("disposition") or ReturnDisposition.RESTOCK,
                                                      f"Line {c.line.position}"))
            for c in chosen]


@transaction.atomic
def return_authorize(
    *, order_id: int, lines: Sequence[Mapping[str, Any]], reason: str, actor: AbstractBaseUser | None,
    note: str = "", warehouse: Warehouse | None = None,
) -> ReturnAuthorization:
    """Authorise goods of shipped lines to come back: [{order_line, quantity, disposition?}], each at
    most shipped − returned − already authorised."""
    order = _lock_order(order_id)
    if order.status not in RETURNABLE_ORDER_STATUSES:
        raise Conflict(f"Order {order.number} is {order.get_status_display().lower()}; nothing of it has shipped.",
                       code="order_not_shipped", details={"status": order.status})
    if reason not in ReturnReason.values:
        raise ValidationFailed("Choose a return reason.",
                               details={"reason": [f"One of {', '.join(ReturnReason.values)}."]})
    order_lines = _lock_lines(order)
    chosen = _returnable(order.number, order_lines, lines, authorised_quantities(list(order_lines)))
    warehouse = warehouse or order.warehouse
    if not warehouse.is_active:
        raise ValidationFailed(f"Warehouse {warehouse.code} is closed.", details={"warehouse": ["Closed."]})
    rma = ReturnAuthorization.objects.create(
        number=str(next_number("RMA", timezone.localdate().year)), order=order, customer_id=order.customer_id,
        warehouse=warehouse, reason=reason, note=(note or "").strip(), created_by=_actor(actor),
    )
    for line in chosen:
        line.rma = rma
    ReturnLine.objects.bulk_create(chosen)
    audit_record(obj=rma, action="authorised", actor=actor, to_state=rma.status, data={
        "order": order.number, "reason": reason,
        "lines": {str(line.order_line.position): str(line.quantity) for line in chosen}})
    audit_record(obj=order, action="return_authorised", actor=actor, data={"return": rma.number})
    return rma


def _rma_order(rma_id: int) -> int:
    order_id = ReturnAuthorization.objects.filter(pk=rma_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(f"Return {rma_id} does not exist.")
    return order_id


def _lock_rma(rma_id: int, verb: str) -> ReturnAuthorization:
    rma = ReturnAuthorization.objects.select_for_update(of=("self",)).select_related("warehouse").get(pk=rma_id)
    if rma.status != ReturnStatus.AUTHORISED:
        raise InvalidTransition(f"Return {rma.number} is {rma.get_status_display().lower()}; only an authorised "
                                f"return can be {verb}.", details={"status": rma.status})
    return rma


def _chosen_dispositions(rma: ReturnAuthorization, items: Sequence[ReturnLine],
                         dispositions: Mapping[Any, str]) -> dict[int, str]:
    known = {str(item.pk): item.pk for item in items}
    chosen = {}
    for key, disposition in dispositions.items():
        if str(key) not in known:
            raise ValidationFailed(f"Return line {key} is not on {rma.number}.",
                                   details={"dispositions": ["Unknown return line."]})
        chosen[known[str(key)]] = _clean_disposition(disposition, f"Return line {key}")
    return chosen


@transaction.atomic
def return_receive(
    *, rma_id: int, actor: AbstractBaseUser | None, dispositions: Mapping[int, str] | None = None,
) -> ReturnAuthorization:
    """The goods are back: restocked lines go into stock (`inventory.stock_return_many`), scrapped ones
    are booked in and scrapped, the order lines count them as returned, and `return.received` is
    published once. `dispositions` ({return line id: restock|scrap}) overrides what was authorised."""
    order = _lock_order(_rma_order(rma_id))
    order_lines = _lock_lines(order)
    rma = _lock_rma(rma_id, "received")
    items = sorted(rma.lines.all(), key=lambda i: (order_lines[i.order_line_id].product_id, i.pk))
    chosen = _chosen_dispositions(rma, items, dispositions or {})
    why = f"{rma.get_reason_display()} ({order.number})"
    for item in items:
        item.disposition = chosen.get(item.pk, item.disposition)
        order_lines[item.order_line_id].returned_quantity += item.quantity
    stock_return_many(goods=[ReturnedGoods(order_lines[i.order_line_id].product_id, i.quantity,
                                           f"fulfillment.returnline:{i.pk}", why,
                                           scrap=i.disposition == ReturnDisposition.SCRAP) for i in items],
                      warehouse=rma.warehouse, actor=actor, reference=rma.number)
    ReturnLine.objects.bulk_update(items, ["disposition"])
    SalesOrderLine.objects.bulk_update([order_lines[i.order_line_id] for i in items], ["returned_quantity"])
    rma.received_at = timezone.now()
    transition(rma, to=ReturnStatus.RECEIVED, actor=actor, allowed=RETURN_TRANSITIONS, action="received",
               also_update=("received_at",),
               data={"lines": {str(order_lines[i.order_line_id].position): f"{i.quantity} {i.disposition}"
                               for i in items}})
    publish("return.received", {
        "return": rma.pk, "number": rma.number, "order": order.pk, "order_number": order.number,
        "customer": order.customer_id, "currency": order.currency, "reason": rma.reason,
        "lines": [{"return_line": item.pk, "order_line": item.order_line_id,
                   "product": order_lines[item.order_line_id].product_id, "quantity": item.quantity,
                   "disposition": item.disposition} for item in items],
    })
    return rma


@transaction.atomic
def return_cancel(*, rma_id: int, actor: AbstractBaseUser | None, reason: str) -> ReturnAuthorization:
    """The goods will not come back: the authorisation lapses and frees its quantities."""
    why = (reason or "").strip()
    if not why:
        raise ValidationFailed("Say why the return is cancelled.", details={"reason": ["A reason is required."]})
    rma = _lock_rma(rma_id, "cancelled")
    transition(rma, to=ReturnStatus.CANCELLED, actor=actor, allowed=RETURN_TRANSITIONS, action="cancelled",
               data={"reason": why})
    return rma
