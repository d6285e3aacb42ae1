"""Expected receipts: inbound stock announced for a date, received fully or in parts."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from o2c.audit import audit_record
from o2c.errors import ValidationFailed
from o2c.states import transition

from ..enums import RECEIPT_TRANSITIONS, REPLENISHMENT_TRANSITIONS, ReceiptStatus, ReplenishmentStatus
from ..models import ExpectedReceipt, Product, ReplenishmentRequest, StockMove, Warehouse
from .stock import clean_quantity, require_active, stock_receive


@transaction.atomic
def expected_receipt_create(
    *, product: Product, warehouse: Warehouse, quantity: Any, expected_date: datetime.date,
    actor: AbstractBaseUser | None, reference: str = "",
) -> ExpectedReceipt:
    qty = clean_quantity(quantity)
    require_active(product, warehouse)
    if not isinstance(expected_date, datetime.date):
        raise ValidationFailed("Give the expected date.", details={"expected_date": ["A date is required."]})
    receipt = ExpectedReceipt.objects.create(
        product=product, warehouse=warehouse, quantity=qty, expected_date=expected_date, reference=reference[:100]
    )
    audit_record(obj=receipt, action="announced", actor=actor, to_state=receipt.status,
                 data={"quantity": qty, "expected_date": expected_date})
    return receipt


@transaction.atomic
def expected_receipt_receive(
    *, receipt_id: int, actor: AbstractBaseUser | None, quantity: Any = None,
) -> StockMove:
    """Receive the open quantity (or part of it): posts the receipt move, closes it when complete.
    Locks as replenishment_cancel does: the replenishment request first, then the receipt."""
    request = ReplenishmentRequest.objects.select_for_update().filter(expected_receipt_id=receipt_id).first()
    receipt = ExpectedReceipt.objects.select_for_update().select_related("product", "warehouse").get(pk=receipt_id)
    if receipt.status != ReceiptStatus.OPEN:
        raise ValidationFailed(f"ER-{receipt.pk} is {receipt.status}; nothing more to receive.",
                               code="receipt_closed")
    qty = receipt.open_quantity if quantity is None else clean_quantity(quantity)
    if qty > receipt.open_quantity:
        raise ValidationFailed(
            f"ER-{receipt.pk} expects {receipt.open_quantity.normalize():f} more; {qty.normalize():f} is too many.",
            details={"quantity": [f"At most {receipt.open_quantity.normalize():f}."]},
        )
    move = stock_receive(product=receipt.product, warehouse=receipt.warehouse, quantity=qty, actor=actor,
                         reference=receipt.reference or f"ER-{receipt.pk}",
                         source_key=f"inventory.expectedreceipt:{receipt.pk}")
    receipt.received_quantity += qty
    receipt.save(update_fields=["received_quantity", "updated_at"])
    audit_record(obj=receipt, action="received", actor=actor, data={"quantity": qty, "move": move.pk})
    if receipt.open_quantity == 0:
        transition(receipt, to=ReceiptStatus.RECEIVED, actor=actor, allowed=RECEIPT_TRANSITIONS)
        if request is not None and request.status == ReplenishmentStatus.ORDERED:
            transition(request, to=ReplenishmentStatus.RECEIVED, actor=actor, allowed=REPLENISHMENT_TRANSITIONS)
    return move


@transaction.atomic
def expected_receipt_cancel(*, receipt_id: int, actor: AbstractBaseUser | None) -> ExpectedReceipt:
    receipt = ExpectedReceipt.objects.select_for_update().get(pk=receipt_id)
    transition(receipt, to=ReceiptStatus.CANCELLED, actor=actor, allowed=RECEIPT_TRANSITIONS)
    return receipt
