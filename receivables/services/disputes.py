"""Disputes: the customer contests (part of) an invoice. An open dispute pauses its reminders; it ends
resolved by a credit note (through billing) or rejected (reminders resume). Audited on the dispute,
the invoice and the customer, so both timelines show it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.enums import OPEN_STATUSES, CreditReason
from billing.models import Invoice
from billing.services import credit_note_create
from billing.services.invoices import actor_or_none, lock_invoice
from o2c.audit import audit_record
from o2c.errors import Conflict, NotFound, ValidationFailed
from o2c.events import publish
from o2c.states import transition

from ..enums import DISPUTE_TRANSITIONS, DisputeReason, DisputeStatus
from ..models import Dispute
from .payments import money

# what a dispute resolved in the customer's favour is credited as
CREDIT_REASON = {
    DisputeReason.PRICE: CreditReason.PRICE, DisputeReason.DAMAGED: CreditReason.DAMAGED,
    DisputeReason.QUALITY: CreditReason.DAMAGED, DisputeReason.DUPLICATE: CreditReason.CANCELLATION,
}


def _audit_all(dispute: Dispute, action: str, actor: AbstractBaseUser | None, data: dict) -> None:
    data = {"dispute": dispute.pk, **data}
    audit_record(obj=dispute.invoice, action=action, actor=actor, data=data)
    audit_record(obj=dispute.invoice.customer, action=action, actor=actor, data={"invoice": dispute.invoice.number,
                                                                                 **data})


def _owner(owner_id: object) -> AbstractBaseUser | None:
    """The active user who owns a dispute (None: nobody); a clear error for anyone else."""
    if owner_id in (None, ""):
        return None
    users = get_user_model().objects.filter(is_active=True)
    owner = users.filter(pk=owner_id).first() if str(owner_id).isdigit() else None
    if owner is None:
        raise ValidationFailed("Choose who owns the dispute.", details={"owner": ["No such active user."]})
    return owner


def _note(note: str | None) -> str:
    if len(note or "") > 4000:
        raise ValidationFailed("A note has at most 4000 characters.", details={"note": ["Too long."]})
    return (note or "").strip()


@transaction.atomic
def dispute_open(*, invoice_id: int, reason: str, amount: object, actor: AbstractBaseUser | None, note: str = "",
                 owner_id: int | None = None) -> Dispute:
    if reason not in DisputeReason.values:
        raise ValidationFailed("Choose a reason.", details={"reason": [f"One of {', '.join(DisputeReason.values)}."]})
    value = money(amount)
    owner = _owner(owner_id)
    note = _note(note)
    invoice = lock_invoice(invoice_id)
    if invoice.status not in OPEN_STATUSES:
        raise Conflict(f"Invoice {invoice} is {invoice.get_status_display().lower()}: there is nothing to dispute.",
                       code="invoice_not_open", details={"status": invoice.status})
    if value > invoice.amount_due:
        raise ValidationFailed(f"{invoice} owes {invoice.amount_due} {invoice.currency}; a dispute is at most that.",
                               details={"amount": [f"At most {invoice.amount_due}."]})
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(invoice=invoice, customer_id=invoice.customer_id, reason=reason,
                                             amount=value, note=note, owner=owner,
                                             opened_by=actor_or_none(actor))
    except IntegrityError:
        raise Conflict(f"Invoice {invoice} has an open dispute already.", code="dispute_open") from None
    audit_record(obj=dispute, action="opened", actor=actor, to_state=DisputeStatus.OPEN,
                 data={"reason": reason, "amount": value})
    _audit_all(dispute, "dispute_opened", actor, {"reason": reason, "amount": value})
    publish("dispute.opened", {"dispute": dispute.pk, "invoice": invoice.pk, "number": invoice.number,
                               "customer": invoice.customer_id, "amount": value, "reason": reason})
    return dispute


def _lock(dispute_id: int) -> Dispute:
    invoice_id = Dispute.objects.filter(pk=dispute_id).values_list("invoice_id", flat=True).first()
    if invoice_id is None:
        raise NotFound(f"Dispute {dispute_id} does not exist.")
    lock_invoice(invoice_id)  # the project's lock order: the invoice before what hangs on it
    dispute = Dispute.objects.select_for_update(of=("self",)).select_related("invoice__customer").get(pk=dispute_id)
    if dispute.status != DisputeStatus.OPEN:
        raise Conflict(f"Dispute {dispute.pk} is {dispute.get_status_display().lower()} already.",
                       code="dispute_closed", details={"status": dispute.status})
    return dispute


KEEP: Any = object()  # dispute_update: leave the owner as it is


@transaction.atomic
def dispute_update(*, dispute_id: int, actor: AbstractBaseUser | None, note: str | None = None,
                   owner_id: object = KEEP) -> Dispute:
    """Change an open dispute's note (None: keep it) or owner (KEEP: keep it; None: nobody). Audited with the
    old and new values; a resolved or rejected dispute does not change (409)."""
    new_note = None if note is None else _note(note)
    owner = KEEP if owner_id is KEEP else _owner(owner_id)
    dispute = _lock(dispute_id)
    changes: dict[str, list[Any]] = {}
    if new_note is not None and new_note != dispute.note:
        changes["note"] = [dispute.note, new_note]
        dispute.note = new_note
    if owner is not KEEP and getattr(owner, "pk", None) != dispute.owner_id:
        changes["owner"] = [dispute.owner.get_username() if dispute.owner else None,
                            owner.get_username() if owner else None]
        dispute.owner = owner
    if changes:
        dispute.save(update_fields=[name for name in ("note", "owner") if name in changes])
        audit_record(obj=dispute, action="updated", actor=actor, data=changes)
    return dispute


@transaction.atomic
def dispute_resolve(*, dispute_id: int, actor: AbstractBaseUser | None, note: str = "",
                    amount: object = None) -> Dispute:
    """Resolve in the customer's favour: billing credits `amount` (default: the disputed amount)."""
    dispute = _lock(dispute_id)
    value = dispute.amount if amount in (None, "") else money(amount)
    credit = credit_note_create(invoice_id=dispute.invoice_id, actor=actor, amount=value,
                                reason=CREDIT_REASON.get(dispute.reason, CreditReason.OTHER),
                                note=f"Dispute {dispute.pk}: {note}".strip(": ")[:2000])
    dispute.credit_note, dispute.resolution_note = credit, (note or "").strip()
    dispute.resolved_by, dispute.resolved_at = actor_or_none(actor), timezone.now()
    transition(dispute, to=DisputeStatus.RESOLVED, actor=actor, allowed=DISPUTE_TRANSITIONS,
               data={"credit_note": credit.number, "amount": value},
               also_update=("credit_note", "resolution_note", "resolved_by", "resolved_at"))
    dispute.invoice = Invoice.objects.select_related("customer").get(pk=dispute.invoice_id)
    _audit_all(dispute, "dispute_resolved", actor, {"credit_note": credit.number, "amount": value})
    publish("dispute.resolved", {"dispute": dispute.pk, "invoice": dispute.invoice_id, "credit_note": credit.pk})
    return dispute


@transaction.atomic
def dispute_reject(*, dispute_id: int, note: str, actor: AbstractBaseUser | None) -> Dispute:
    """Reject the dispute: the invoice stands and its reminders resume."""
    if not (note or "").strip():
        raise ValidationFailed("Say why the dispute is rejected.", details={"note": ["A reason is required."]})
    dispute = _lock(dispute_id)
    dispute.resolution_note = note.strip()[:4000]
    dispute.resolved_by, dispute.resolved_at = actor_or_none(actor), timezone.now()
    transition(dispute, to=DisputeStatus.REJECTED, actor=actor, allowed=DISPUTE_TRANSITIONS,
               data={"note": dispute.resolution_note}, also_update=("resolution_note", "resolved_by", "resolved_at"))
    _audit_all(dispute, "dispute_rejected", actor, {"note": dispute.resolution_note})
    publish("dispute.rejected", {"dispute": dispute.pk, "invoice": dispute.invoice_id})
    return dispute
