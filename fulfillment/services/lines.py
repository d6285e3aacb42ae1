"""Chosen order lines and quantities, for a shipment or a return: each row names a line of the
order once, with a quantity of at most the room the line has; every problem is listed at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from inventory.services.stock import clean_quantity
from o2c.errors import ValidationFailed
from orders.models import SalesOrderLine


@dataclass(frozen=True)
class Choice:
    line: SalesOrderLine
    quantity: Decimal
    row: Mapping[str, Any]


def line_id(value: Any) -> Any:
    return value.pk if isinstance(value, SalesOrderLine) else value


def choose_lines(
    *, lines: Mapping[int, SalesOrderLine], wanted: Sequence[Mapping[str, Any]], order_number: str,
    room: Callable[[SalesOrderLine], Decimal], too_much: Callable[[SalesOrderLine, Decimal, Decimal], str],
    purpose: str, over_code: str,
) -> list[Choice]:
    """The rows of `wanted` ({order_line, quantity, …}) checked against the order's `lines`;
    `too_much(line, room, asked)` words a quantity over the line's `room(line)`."""
    if not wanted:
        raise ValidationFailed(f"Choose at least one line{purpose}.", details={"lines": ["No lines."]})
    chosen: list[Choice] = []
    errors: list[str] = []
    seen: set[int] = set()
    for index, row in enumerate(wanted, start=1):
        line = lines.get(line_id(row.get("order_line")))
        if line is None or line.pk in seen:
            errors.append(f"Row {index}: not a line of {order_number}." if line is None
                          else f"Row {index}: line {line.position} is chosen twice.")
            continue
        seen.add(line.pk)
        try:
            quantity = clean_quantity(row.get("quantity"))
        except ValidationFailed as exc:
            errors.append(f"Row {index}: {exc.message}")
            continue
        limit = room(line)
        if quantity > limit:
            errors.append(too_much(line, limit, quantity))
            continue
        chosen.append(Choice(line, quantity, row))
    if errors:
        over = any(" at most " in e for e in errors)
        raise ValidationFailed(errors[0] if len(errors) == 1 else f"Some lines cannot be chosen{purpose}.",
                               code=over_code if over else None, details={"lines": errors})
    return chosen
