"""Disputes: open, resolve by a credit note, reject; bad input; timelines on the invoice and customer."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.enums import InvoiceStatus
from o2c.errors import Conflict, NotFound, ValidationFailed
from o2c.models import AuditEvent, OutboxEvent
from receivables.enums import DisputeStatus
from receivables.models import Dispute
from receivables.services.disputes import dispute_open, dispute_reject, dispute_resolve
from tests.billing.factories import issued_invoice
from tests.receivables.factories import payment_of

pytestmark = pytest.mark.django_db


def _actions(obj) -> list[str]:
    return list(AuditEvent.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name)
                .order_by("id").values_list("action", flat=True))


def test_a_dispute_resolved_by_a_credit_note(finance_user) -> None:
    invoice = issued_invoice([(2, "100.00", "standard")])  # 238.00
    dispute = dispute_open(invoice_id=invoice.pk, reason="damaged", amount="119.00", note="one arrived broken",
                           owner_id=finance_user.pk, actor=finance_user)
    assert (dispute.status, dispute.customer_id, dispute.owner) == (DisputeStatus.OPEN, invoice.customer_id,
                                                                     finance_user)
    assert OutboxEvent.objects.filter(type="dispute.opened", payload__dispute=dispute.pk).exists()
    with pytest.raises(Conflict, match="open dispute already"):
        dispute_open(invoice_id=invoice.pk, reason="price", amount="1.00", actor=finance_user)

    resolved = dispute_resolve(dispute_id=dispute.pk, note="credited the broken one", actor=finance_user)
    invoice.refresh_from_db()
    assert resolved.status == DisputeStatus.RESOLVED and resolved.credit_note.gross_total == Decimal("119.00")
    assert resolved.credit_note.reason == "damaged" and invoice.amount_due == Decimal("119.00")
    assert _actions(invoice)[-3:] == ["dispute_opened", "credited", "dispute_resolved"]
    assert "dispute_resolved" in _actions(invoice.customer)
    with pytest.raises(Conflict, match="resolved"):
        dispute_reject(dispute_id=dispute.pk, note="too late", actor=finance_user)


def test_a_rejected_dispute_leaves_the_invoice_as_it_was(finance_user) -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    dispute = dispute_open(invoice_id=invoice.pk, reason="price", amount="19.00", actor=finance_user)
    with pytest.raises(ValidationFailed, match="why"):
        dispute_reject(dispute_id=dispute.pk, note=" ", actor=finance_user)
    rejected = dispute_reject(dispute_id=dispute.pk, note="price was agreed in the quote", actor=finance_user)
    invoice.refresh_from_db()
    assert rejected.status == DisputeStatus.REJECTED and rejected.credit_note is None
    assert invoice.amount_due == Decimal("119.00") and invoice.credited_amount == 0
    # a new dispute may be opened once the first is closed
    assert dispute_open(invoice_id=invoice.pk, reason="other", amount="1.00", actor=finance_user).pk != dispute.pk


@pytest.mark.parametrize(("fields", "field"), [
    ({"reason": "angry"}, "reason"),
    ({"amount": "0"}, "amount"),
    ({"amount": "500.00"}, "amount"),
    ({"amount": 3.5}, "amount"),
    ({"owner_id": 999999}, "owner"),
    ({"owner_id": "boss"}, "owner"),
    ({"note": "x" * 4001}, "note"),
])
def test_bad_disputes_are_refused_and_write_nothing(fields, field, finance_user) -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    kwargs = {"invoice_id": invoice.pk, "reason": "price", "amount": "10.00", "actor": finance_user, **fields}
    with pytest.raises(ValidationFailed) as caught:
        dispute_open(**kwargs)
    assert field in caught.value.details
    assert not Dispute.objects.exists()


def test_a_paid_invoice_cannot_be_disputed_and_unknown_ones_are_404(finance_user) -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    payment_of(invoice.customer, "119.00", invoices=[invoice])
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    with pytest.raises(Conflict, match="nothing to dispute"):
        dispute_open(invoice_id=invoice.pk, reason="price", amount="1.00", actor=finance_user)
    with pytest.raises(NotFound):
        dispute_open(invoice_id=999999, reason="price", amount="1.00", actor=finance_user)
    with pytest.raises(NotFound):
        dispute_resolve(dispute_id=999999, actor=finance_user)
