"""Replenishment: raise one open request per product/warehouse below its reorder point."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from o2c.audit import audit_record
from o2c.errors import ValidationFailed
from o2c.roles import WAREHOUSE
from o2c.states import transition

from ..enums import REPLENISHMENT_TRANSITIONS, ReceiptStatus, ReplenishmentStatus
from ..models import ExpectedReceipt, ReplenishmentRequest
from ..selectors import reorder_candidates
from .receipts import expected_receipt_cancel, expected_receipt_create


@transaction.atomic
def replenishment_run(*, actor: AbstractBaseUser | None = None) -> list[ReplenishmentRequest]:
    """Raise a request for every active rule whose available + incoming is below its point.

    Idempotent: a partial unique index allows one open request per product/warehouse, so a second
    run (or a concurrent one) creates nothing. The Warehouse group gets one digest e-mail.
    """
    created = []
    for candidate in reorder_candidates():
        try:
            with transaction.atomic():  # a concurrent run may have raised it a moment ago
                request = ReplenishmentRequest.objects.create(
                    product_id=candidate.product_id, warehouse_id=candidate.warehouse_id,
                    quantity=candidate.reorder_quantity, projected_quantity=candidate.projected,
                )
        except IntegrityError:
            continue
        audit_record(obj=request, action="raised", actor=actor, to_state=request.status,
                     data={"projected": candidate.projected, "reorder_point": candidate.reorder_point})
        created.append(request)
    if created:
        ids = [r.pk for r in created]
        transaction.on_commit(lambda: replenishment_send_digest(request_ids=ids))
    return created


def replenishment_send_digest(*, request_ids: list[int]) -> int:
    """E-mail the Warehouse group the requests just raised. Returns the number of recipients."""
    requests = ReplenishmentRequest.objects.filter(pk__in=request_ids).select_related("product", "warehouse")
    recipients = sorted(
        User.objects.filter(groups__name=WAREHOUSE, is_active=True).exclude(email="")
        .values_list("email", flat=True).distinct()
    )
    if not recipients or not requests:
        return 0
    lines = [
        f"- {r.product.sku} {r.product.name} @ {r.warehouse.code}: order {r.quantity.normalize():f} "
        f"(available + incoming {r.projected_quantity.normalize():f})"
        for r in requests
    ]
    send_mail(
        subject=f"[o2c] {len(lines)} product(s) to replenish",
        message="These products fell below their reorder point:\n\n" + "\n".join(lines)
        + "\n\nMark each request as ordered on the Replenishment page once the purchase is placed.\n",
        from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=recipients,
    )
    return len(recipients)


@transaction.atomic
def replenishment_mark_ordered(
    *, request_id: int, expected_date: datetime.date, actor: AbstractBaseUser | None, reference: str = "",
) -> ExpectedReceipt:
    """The purchase is placed: the request becomes ordered and its expected receipt is announced."""
    request = ReplenishmentRequest.objects.select_for_update().select_related("product", "warehouse").get(
        pk=request_id
    )
    if expected_date < timezone.localdate():
        raise ValidationFailed("The expected date is in the past.", details={"expected_date": ["In the past."]})
    transition(request, to=ReplenishmentStatus.ORDERED, actor=actor, allowed=REPLENISHMENT_TRANSITIONS,
               data={"reference": reference, "expected_date": expected_date})
    receipt = expected_receipt_create(
        product=request.product, warehouse=request.warehouse, quantity=request.quantity,
        expected_date=expected_date, actor=actor, reference=reference or f"RR-{request.pk}",
    )
    request.expected_receipt = receipt
    request.save(update_fields=["expected_receipt", "updated_at"])
    return receipt


@transaction.atomic
def replenishment_cancel(*, request_id: int, actor: AbstractBaseUser | None) -> ReplenishmentRequest:
    """Cancel a request; an ordered one takes its still-open expected receipt with it (no phantom incoming)."""
    request = ReplenishmentRequest.objects.select_for_update().get(pk=request_id)
    transition(request, to=ReplenishmentStatus.CANCELLED, actor=actor, allowed=REPLENISHMENT_TRANSITIONS)
    receipt = request.expected_receipt
    if receipt is not None and receipt.status == ReceiptStatus.OPEN:
        expected_receipt_cancel(receipt_id=receipt.pk, actor=actor)
    return request
