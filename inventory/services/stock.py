"""Stock levels and the ledger: receive, adjust, scrap, transfer, reserve, release, issue, return.

Rules: quantities are positive Decimals with at most 3 places; stock rows are locked with
SELECT … FOR UPDATE in (product id, warehouse id) order before any check, so a check and the
write it guards see the same row (no check-then-act); every change of on_hand writes a StockMove
with the resulting balance. The CHECK constraints on StockLevel are the last line, never the
first: a shortage is a clear 409 before the database would refuse it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, models, transaction

from o2c.errors import Conflict, ValidationFailed
from o2c.events import publish

from ..enums import MoveKind
from ..models import Product, StockLevel, StockMove, StockReservation, Warehouse

MAX_QUANTITY = Decimal("100000000000")


@dataclass(frozen=True)
class DemandLine:
    """What a reservation is for: a source line (e.g. an order line) wanting a product."""

    source_key: str
    product_id: int
    reference: str = ""

    @classmethod
    def for_instance(cls, line: models.Model, *, reference: str = "") -> DemandLine:
        return cls(f"{line._meta.label_lower}:{line.pk}", line.product_id, reference)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ReservationRequest:
    line: DemandLine
    warehouse: Warehouse
    quantity: Decimal


def clean_quantity(value: Any, field: str = "quantity", *, allow_negative: bool = False) -> Decimal:
    try:
        qty = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(f"{value!r} is not a quantity.", details={field: ["Enter a number."]}) from None
    if isinstance(value, float):
        raise ValidationFailed("Quantities are decimals, not floats.", details={field: ["Enter a decimal number."]})
    if not qty.is_finite() or qty == 0 or (qty < 0 and not allow_negative):
        sign = "non-zero" if allow_negative else "greater than zero"
        raise ValidationFailed(f"The quantity must be {sign}.", details={field: [f"Must be {sign}."]})
    if qty.as_tuple().exponent < -3 or abs(qty) >= MAX_QUANTITY:  # type: ignore[operator]
        raise ValidationFailed("At most 3 decimal places.", details={field: ["At most 3 decimal places."]})
    return qty


def require_active(product: Product, warehouse: Warehouse) -> None:
    if not warehouse.is_active:
        raise ValidationFailed(f"Warehouse {warehouse.code} is closed.", details={"warehouse": ["Closed."]})
    if not product.is_active:
        raise ValidationFailed(f"{product.sku} is inactive.", details={"product": ["Inactive product."]})


_LEVELS = StockLevel._meta.db_table
_RESERVATIONS = StockReservation._meta.db_table
_LOCK_LEVELS = f"""
SELECT * FROM {_LEVELS}
 WHERE (product_id, warehouse_id) IN (SELECT * FROM unnest(%s::bigint[], %s::bigint[]))
 ORDER BY product_id, warehouse_id FOR UPDATE"""
_CREATE_LEVELS = f"""
INSERT INTO {_LEVELS} (product_id, warehouse_id, on_hand, reserved, updated_at)
SELECT p, w, 0, 0, now() FROM unnest(%s::bigint[], %s::bigint[]) AS t(p, w)
ON CONFLICT (product_id, warehouse_id) DO NOTHING"""
_UPDATE_LEVELS = f"""
UPDATE {_LEVELS} AS s SET on_hand = v.on_hand, reserved = v.reserved, updated_at = now()
  FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[]) AS v(id, on_hand, reserved)
 WHERE s.id = v.id"""
_LOCK_RESERVATIONS = f"""
SELECT * FROM {_RESERVATIONS}
 WHERE (source_key, warehouse_id) IN (SELECT * FROM unnest(%s::varchar[], %s::bigint[]))
 ORDER BY source_key, warehouse_id FOR UPDATE"""
_UPSERT_RESERVATIONS = f"""
INSERT INTO {_RESERVATIONS} (product_id, warehouse_id, source_key, reference, quantity_requested,
                            quantity_reserved, created_at, updated_at)
SELECT p, w, k, r, q, h, now(), now()
  FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[], %s::numeric[], %s::numeric[])
       AS v(p, w, k, r, q, h)
ON CONFLICT (source_key, warehouse_id) DO UPDATE
   SET quantity_requested = EXCLUDED.quantity_requested, quantity_reserved = EXCLUDED.quantity_reserved,
       updated_at = now()"""
_BACKORDERS_AHEAD = f"""
SELECT product_id, warehouse_id, sum(quantity_requested - quantity_reserved)
  FROM {_RESERVATIONS}
 WHERE (product_id, warehouse_id) IN (SELECT * FROM unnest(%s::bigint[], %s::bigint[]))
   AND quantity_requested > quantity_reserved AND NOT source_key = ANY(%s::varchar[])
 GROUP BY product_id, warehouse_id"""


def lock_levels(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    """Lock every (product id, warehouse id) stock row in one fixed order, creating missing rows.

    One statement when the rows exist (the usual case); missing ones are inserted and locked after.
    Raw SQL with arrays: the cost does not grow with the ORM's per-row expression building.
    """
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    products, warehouses = [p for p, _ in wanted], [w for _, w in wanted]
    rows = {(r.product_id, r.warehouse_id): r for r in StockLevel.objects.raw(_LOCK_LEVELS, [products, warehouses])}
    if len(rows) < len(wanted):
        with connection.cursor() as cursor:
            cursor.execute(_CREATE_LEVELS, [products, warehouses])
        rows = {(r.product_id, r.warehouse_id): r
                for r in StockLevel.objects.raw(_LOCK_LEVELS, [products, warehouses])}
    return rows


def _lock_one(product_id: int, warehouse_id: int) -> StockLevel:
    return lock_levels([(product_id, warehouse_id)])[(product_id, warehouse_id)]


def _update_levels(levels: Iterable[StockLevel]) -> None:
    rows = list(levels)
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_LEVELS, [[r.pk for r in rows], [r.on_hand for r in rows], [r.reserved for r in rows]])


def _post(
    level: StockLevel, *, kind: MoveKind, quantity: Decimal, actor: AbstractBaseUser | None,
    reason: str = "", reference: str = "", source_key: str = "",
) -> StockMove:
    level.on_hand += quantity
    return StockMove(
        product_id=level.product_id, warehouse_id=level.warehouse_id, kind=kind, quantity=quantity,
        balance_after=level.on_hand, reason=reason[:200], reference=reference[:100], source_key=source_key[:100],
        actor=actor if actor is not None and actor.is_authenticated else None,
    )


def _upsert_reservations(reservations: Iterable[StockReservation]) -> None:
    rows = list(reservations)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_RESERVATIONS, [
            [r.product_id for r in rows], [r.warehouse_id for r in rows], [r.source_key for r in rows],
            [r.reference for r in rows], [r.quantity_requested for r in rows], [r.quantity_reserved for r in rows],
        ])


def _save(levels: Iterable[StockLevel], moves: Sequence[StockMove] = ()) -> list[StockMove]:
    _update_levels(levels)
    return StockMove.objects.bulk_create(moves)


def _shortage(level: StockLevel, wanted: Decimal, what: str, product: Product, warehouse: Warehouse) -> Conflict:
    return Conflict(
        f"Only {level.available.normalize():f} of {product.sku} available in {warehouse.code}; "
        f"{what} needs {wanted.normalize():f}.",
        code="insufficient_stock",
        details={"quantity": [f"At most {level.available.normalize():f}."], "available": level.available,
                 "on_hand": level.on_hand, "reserved": level.reserved, "requested": wanted},
    )


@transaction.atomic
def stock_receive(
    *, product: Product, warehouse: Warehouse, quantity: Any, actor: AbstractBaseUser | None,
    reference: str = "", source_key: str = "",
) -> StockMove:
    qty = clean_quantity(quantity)
    require_active(product, warehouse)
    level = _lock_one(product.pk, warehouse.pk)
    move = _post(level, kind=MoveKind.RECEIPT, quantity=qty, actor=actor, reference=reference, source_key=source_key)
    [move] = _save([level], [move])
    publish("stock.received", {"product": product.pk, "sku": product.sku, "warehouse": warehouse.code,
                               "quantity": qty, "on_hand": level.on_hand, "move": move.pk, "reference": reference})
    return move


def _remove(
    *, product: Product, warehouse: Warehouse, quantity: Decimal, kind: MoveKind, reason: str,
    actor: AbstractBaseUser | None, reference: str = "",
) -> StockMove:
    level = _lock_one(product.pk, warehouse.pk)
    if quantity > level.on_hand:
        raise ValidationFailed(
            f"{warehouse.code} holds {level.on_hand.normalize():f} of {product.sku}: removing "
            f"{quantity.normalize():f} would leave less than zero.",
            code="below_zero", details={"quantity": [f"At most {level.on_hand.normalize():f}."]},
        )
    if quantity > level.available:
        raise Conflict(
            f"{level.reserved.normalize():f} of {product.sku} in {warehouse.code} are reserved for orders; "
            f"at most {level.available.normalize():f} can be removed.",
            code="reserved_stock", details={"quantity": [f"At most {level.available.normalize():f}."]},
        )
    move = _post(level, kind=kind, quantity=-quantity, actor=actor, reason=reason, reference=reference)
    return _save([level], [move])[0]


def _clean_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise ValidationFailed("Say why the stock changes.", details={"reason": ["A reason is required."]})
    return reason.strip()


@transaction.atomic
def stock_adjust(
    *, product: Product, warehouse: Warehouse, quantity: Any, reason: str, actor: AbstractBaseUser | None,
) -> StockMove:
    """Correct on_hand by a signed quantity (a count found more or less than the books)."""
    qty = clean_quantity(quantity, allow_negative=True)
    why = _clean_reason(reason)
    if qty < 0:
        return _remove(product=product, warehouse=warehouse, quantity=-qty, kind=MoveKind.ADJUSTMENT,
                       reason=why, actor=actor)
    require_active(product, warehouse)  # filling a closed warehouse is refused, as on receive and transfer
    level = _lock_one(product.pk, warehouse.pk)
    return _save([level], [_post(level, kind=MoveKind.ADJUSTMENT, quantity=qty, actor=actor, reason=why)])[0]


@transaction.atomic
def stock_scrap(
    *, product: Product, warehouse: Warehouse, quantity: Any, reason: str, actor: AbstractBaseUser | None,
) -> StockMove:
    return _remove(product=product, warehouse=warehouse, quantity=clean_quantity(quantity),
                   kind=MoveKind.SCRAP, reason=_clean_reason(reason), actor=actor)


@transaction.atomic
def stock_transfer(
    *, product: Product, from_warehouse: Warehouse, to_warehouse: Warehouse, quantity: Any,
    actor: AbstractBaseUser | None, reference: str = "",
) -> tuple[StockMove, StockMove]:
    qty = clean_quantity(quantity)
    if from_warehouse.pk == to_warehouse.pk:
        raise ValidationFailed("A transfer goes to another warehouse.",
                               details={"to_warehouse": ["Choose a different warehouse."]})
    require_active(product, to_warehouse)  # emptying a closed warehouse is allowed, filling one is not
    levels = lock_levels([(product.pk, from_warehouse.pk), (product.pk, to_warehouse.pk)])
    source, target = levels[(product.pk, from_warehouse.pk)], levels[(product.pk, to_warehouse.pk)]
    if qty > source.available:
        raise _shortage(source, qty, f"the transfer to {to_warehouse.code}", product, from_warehouse)
    ref = reference or f"{from_warehouse.code}→{to_warehouse.code}"
    out = _post(source, kind=MoveKind.TRANSFER_OUT, quantity=-qty, actor=actor, reference=ref)
    into = _post(target, kind=MoveKind.TRANSFER_IN, quantity=qty, actor=actor, reference=ref)
    out, into = _save([source, target], [out, into])
    return out, into


@transaction.atomic
def stock_reserve_many(
    *, requests: Sequence[ReservationRequest], actor: AbstractBaseUser | None = None,
) -> list[Decimal]:
    """Reserve for many lines at once (an order's confirmation): a fixed number of queries.

    Each request adds to its line's demand; what is available now is reserved, the rest stays
    requested (a backorder). Earlier backorders come first: stock they wait for is not handed to
    new demand (they get it when `stock_fill_backorders` runs). Returns the quantity newly
    reserved per request, in order.
    """
    cleaned = [(r, clean_quantity(r.quantity)) for r in requests]
    levels = lock_levels((r.line.product_id, r.warehouse.pk) for r, _ in cleaned)
    keys = sorted({(r.line.source_key, r.warehouse.pk) for r, _ in cleaned})
    existing = {
        (res.source_key, res.warehouse_id): res
        for res in StockReservation.objects.raw(_LOCK_RESERVATIONS, [[k for k, _ in keys], [w for _, w in keys]])
    }
    ahead = _backorders_ahead(levels, [k for k, _ in keys])
    granted: list[Decimal] = []
    for request, qty in cleaned:
        pair = (request.line.product_id, request.warehouse.pk)
        level = levels[pair]
        key = (request.line.source_key, request.warehouse.pk)
        reservation = existing.get(key)
        if reservation is None:
            reservation = existing[key] = StockReservation(
                product_id=request.line.product_id, warehouse_id=request.warehouse.pk,
                source_key=request.line.source_key, reference=request.line.reference[:100],
                quantity_requested=Decimal(0), quantity_reserved=Decimal(0),
            )
        elif reservation.product_id != request.line.product_id:
            raise ValidationFailed("A source line reserves one product.", details={"product": ["Mismatch."]})
        grant = max(min(qty, level.available - ahead.get(pair, Decimal(0))), Decimal(0))
        ahead[pair] = ahead.get(pair, Decimal(0)) + qty - grant
        level.reserved += grant
        reservation.quantity_requested += qty
        reservation.quantity_reserved += grant
        granted.append(grant)
    _update_levels(levels.values())
    _upsert_reservations(existing.values())
    return granted


def _backorders_ahead(levels: dict[tuple[int, int], StockLevel], own_keys: list[str]) -> dict[tuple[int, int], Decimal]:
    """Backordered demand of other lines per locked (product, warehouse): it is served first."""
    pairs = list(levels)
    with connection.cursor() as cursor:
        cursor.execute(_BACKORDERS_AHEAD, [[p for p, _ in pairs], [w for _, w in pairs], own_keys])
        return {(p, w): qty for p, w, qty in cursor.fetchall()}


@transaction.atomic
def stock_fill_backorders(
    *, product: Product, warehouse: Warehouse, lines: Sequence[DemandLine], actor: AbstractBaseUser | None = None,
) -> list[Decimal]:
    """Reserve available stock for backordered lines in the order given (the caller's queue, e.g.
    first come first served). Adds no demand; a line that is not backordered gets nothing.
    Running it again with nothing new available changes nothing. Returns the grant per line."""
    level = _lock_one(product.pk, warehouse.pk)
    keys = sorted({line.source_key for line in lines})
    found = {res.source_key: res for res in StockReservation.objects.raw(
        _LOCK_RESERVATIONS, [keys, [warehouse.pk] * len(keys)])}
    granted: list[Decimal] = []
    changed: dict[str, StockReservation] = {}
    for line in lines:
        reservation = found.get(line.source_key)
        grant = min(reservation.backordered, level.available) if reservation else Decimal(0)
        grant = max(grant, Decimal(0))
        if grant:
            reservation.quantity_reserved += grant
            level.reserved += grant
            changed[line.source_key] = reservation
        granted.append(grant)
    if changed:
        _update_levels([level])
        _upsert_reservations(changed.values())
    return granted


def stock_reserve(
    *, order_line: DemandLine, warehouse: Warehouse, qty: Any, actor: AbstractBaseUser | None = None,
) -> Decimal:
    """Reserve `qty` for one line; returns what was reserved now (may be partial, or zero)."""
    return stock_reserve_many(requests=[ReservationRequest(order_line, warehouse, qty)], actor=actor)[0]


def _reservation_for_update(line: DemandLine, warehouse: Warehouse) -> tuple[StockLevel, StockReservation]:
    level = _lock_one(line.product_id, warehouse.pk)
    reservation = (
        StockReservation.objects.select_for_update()
        .filter(source_key=line.source_key, warehouse=warehouse).first()
    )
    if reservation is None:
        raise Conflict(f"Nothing is reserved for {line.reference or line.source_key} in {warehouse.code}.",
                       code="no_reservation")
    return level, reservation


@transaction.atomic
def stock_release(
    *, order_line: DemandLine, warehouse: Warehouse, qty: Any = None, actor: AbstractBaseUser | None = None,
) -> Decimal:
    """Give back demand (a cancelled or reduced line): the backorder first, then reserved stock.

    `qty=None` releases the whole line. Returns the reserved quantity given back to available.
    """
    level, reservation = _reservation_for_update(order_line, warehouse)
    amount = reservation.quantity_requested if qty is None else clean_quantity(qty)
    if amount > reservation.quantity_requested:
        raise ValidationFailed(
            f"Only {reservation.quantity_requested.normalize():f} are requested for this line.",
            details={"quantity": ["More than the line asks for."]},
        )
    from_backorder = min(amount, reservation.backordered)
    freed = amount - from_backorder
    reservation.quantity_requested -= amount
    reservation.quantity_reserved -= freed
    level.reserved -= freed
    _update_levels([level])
    _save_reservations([reservation])
    return freed


_DELETE_RESERVATIONS = f"DELETE FROM {_RESERVATIONS} WHERE id = ANY(%s::bigint[])"


def _save_reservations(reservations: Iterable[StockReservation]) -> None:
    """Write reservations back; a line's demand that reached zero is gone."""
    rows = list(reservations)
    kept = [r for r in rows if r.quantity_requested != 0]
    gone = [r.pk for r in rows if r.quantity_requested == 0]
    if kept:
        _upsert_reservations(kept)
    if gone:
        with connection.cursor() as cursor:
            cursor.execute(_DELETE_RESERVATIONS, [gone])


@transaction.atomic
def stock_issue_many(
    *, issues: Sequence[ReservationRequest], actor: AbstractBaseUser | None, reference: str = "",
) -> list[StockMove]:
    """Stock leaves on a shipment, for many lines at once (a fixed number of queries): on_hand and
    reserved go down together, and each line's reservation by what left. A line may ship only what
    is reserved for it."""
    cleaned = [(r, clean_quantity(r.quantity)) for r in issues]
    levels = lock_levels((r.line.product_id, r.warehouse.pk) for r, _ in cleaned)
    keys = sorted({(r.line.source_key, r.warehouse.pk) for r, _ in cleaned})
    found = {(res.source_key, res.warehouse_id): res for res in StockReservation.objects.raw(
        _LOCK_RESERVATIONS, [[k for k, _ in keys], [w for _, w in keys]])}
    moves = []
    for request, amount in cleaned:
        line, warehouse = request.line, request.warehouse
        reservation = found.get((line.source_key, warehouse.pk))
        if reservation is None:
            raise Conflict(f"Nothing is reserved for {line.reference or line.source_key} in {warehouse.code}.",
                           code="no_reservation")
        if amount > reservation.quantity_reserved:
            raise Conflict(
                f"Only {reservation.quantity_reserved.normalize():f} are reserved for "
                f"{line.reference or line.source_key}; cannot ship {amount.normalize():f}.",
                code="not_reserved", details={"quantity": ["More than reserved."]},
            )
        level = levels[(line.product_id, warehouse.pk)]
        reservation.quantity_reserved -= amount
        reservation.quantity_requested -= amount
        level.reserved -= amount
        moves.append(_post(level, kind=MoveKind.SHIPMENT, quantity=-amount, actor=actor,
                           reference=reference or line.reference, source_key=line.source_key))
    moves = _save(levels.values(), moves)
    _save_reservations(found.values())
    return moves


def stock_issue(
    *, order_line: DemandLine, warehouse: Warehouse, qty: Any, actor: AbstractBaseUser | None,
    reference: str = "",
) -> StockMove:
    """Stock leaves on a shipment for one line (see `stock_issue_many`)."""
    return stock_issue_many(issues=[ReservationRequest(order_line, warehouse, qty)], actor=actor,
                            reference=reference)[0]


@dataclass(frozen=True)
class ReturnedGoods:
    """Goods a customer sent back: booked in, and out again at once when `scrap` (so the ledger
    shows both what came back and what was thrown away)."""

    product_id: int
    quantity: Any
    source_key: str = ""
    reason: str = ""
    scrap: bool = False


@transaction.atomic
def stock_return_many(
    *, goods: Sequence[ReturnedGoods], warehouse: Warehouse, actor: AbstractBaseUser | None, reference: str = "",
) -> list[StockMove]:
    """Goods come back (a customer return) into `warehouse`, for many lines at once (a fixed number
    of queries): a return move each, and a scrap move after it for what is scrapped."""
    cleaned = [(item, clean_quantity(item.quantity)) for item in goods]
    levels = lock_levels((item.product_id, warehouse.pk) for item, _ in cleaned)
    moves = []
    for item, qty in cleaned:
        level = levels[(item.product_id, warehouse.pk)]
        moves.append(_post(level, kind=MoveKind.RETURN, quantity=qty, actor=actor, reason=item.reason,
                           reference=reference, source_key=item.source_key))
        if item.scrap:
            moves.append(_post(level, kind=MoveKind.SCRAP, quantity=-qty, actor=actor,
                               reason=f"Scrapped on return: {item.reason}", reference=reference,
                               source_key=item.source_key))
    return _save(levels.values(), moves)


def stock_return(
    *, product: Product, warehouse: Warehouse, quantity: Any, actor: AbstractBaseUser | None,
    reference: str = "", source_key: str = "", reason: str = "",
) -> StockMove:
    """Goods come back (a customer return) into the warehouse's stock (see `stock_return_many`)."""
    return stock_return_many(goods=[ReturnedGoods(product.pk, quantity, source_key, reason)], warehouse=warehouse,
                             actor=actor, reference=reference)[0]
