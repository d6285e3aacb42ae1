"""Credit notes: by lines or by an amount, from returns; they lower amount due or leave a credit,
a full one cancels the invoice, and nothing is credited twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from billing.enums import InvoiceStatus
from billing.models import CreditNote, Invoice, InvoiceLine
from billing.services import credit_note_create, credit_notes_for_return, invoice_create_for_shipment
from fulfillment.services import return_authorize, return_receive
from o2c.errors import Conflict, ValidationFailed
from orders.models import Customer
from tests.billing.factories import issued_invoice, shipped_order

pytestmark = pytest.mark.django_db


def _balance(invoice: Invoice) -> Decimal:
    return Customer.objects.get(pk=invoice.customer_id).open_balance


def test_a_partial_credit_by_lines_lowers_the_amount_due() -> None:
    invoice = issued_invoice([(3, "100.00", "standard"), (2, "10.00", "reduced")])
    first = invoice.lines.get(position=1)
    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="damaged",
                              lines=[{"invoice_line": first.pk, "quantity": "1"}], note="One arrived broken")
    year = timezone.localdate().year
    assert note.number.startswith(f"CN-{year}-") and note.invoice == invoice
    assert (note.net_total, note.tax_total, note.gross_total) == (Decimal("100.00"), Decimal("19.00"),
                                                                  Decimal("119.00"))
    assert note.customer_name == invoice.customer_name and note.applied_amount == Decimal("119.00")
    invoice.refresh_from_db()
    assert invoice.amount_due == Decimal("259.40") and invoice.credited_amount == Decimal("119.00")
    assert invoice.status == InvoiceStatus.ISSUED
    assert InvoiceLine.objects.get(pk=first.pk).credited_quantity == 1
    assert _balance(invoice) == Decimal("259.40")


def test_crediting_the_rest_of_a_line_credits_exactly_what_is_left() -> None:
    # 3 × 0.35 = 1.05 (tax 0.20); one by one each piece would be 0.35 + 0.07 → 3 × 0.42 = 1.26 ≠ 1.25
    invoice = issued_invoice([(3, "0.35", "standard")])
    line = invoice.lines.get()
    notes = [credit_note_create(invoice_id=invoice.pk, actor=None, reason="price",
                                lines=[{"invoice_line": line.pk, "quantity": "1"}]) for _ in range(3)]
    assert sum(n.gross_total for n in notes) == invoice.gross_total == Decimal("1.25")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED and invoice.amount_due == 0


def test_an_amount_credit_at_the_invoices_rate() -> None:
    invoice = issued_invoice([(3, "100.00", "standard")])
    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="goodwill", amount="59.50")
    assert (note.net_total, note.tax_total, note.gross_total) == (Decimal("50.00"), Decimal("9.50"),
                                                                  Decimal("59.50"))
    assert note.lines.get().tax_rate == Decimal("19.00")
    invoice.refresh_from_db()
    assert invoice.amount_due == Decimal("297.50")


def test_a_full_credit_cancels_the_invoice() -> None:
    invoice = issued_invoice([(3, "100.00", "standard"), (1, "10.00", "reduced")])
    everything = [{"invoice_line": line.pk, "quantity": str(line.quantity)} for line in invoice.lines.all()]
    credit_note_create(invoice_id=invoice.pk, actor=None, reason="cancellation", lines=everything)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED and invoice.amount_due == 0
    assert _balance(invoice) == 0
    with pytest.raises(Conflict):
        credit_note_create(invoice_id=invoice.pk, actor=None, reason="other", amount="1.00")


def test_a_credit_on_a_paid_invoice_leaves_the_customer_a_credit() -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    # receivables will do this through its allocation service; here the invoice is paid by hand
    Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.PAID, amount_due=0, paid_amount=Decimal("119"))
    Customer.objects.filter(pk=invoice.customer_id).update(open_balance=0)
    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="price", amount="11.90")
    assert note.applied_amount == 0 and note.customer_credit == Decimal("11.90")
    invoice.refresh_from_db()
    assert invoice.amount_due == 0 and invoice.status == InvoiceStatus.PAID
    # the open balance is what open invoices owe; the credit is receivables' (a credit-note credit payment)
    assert _balance(invoice) == 0


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"lines": [{"invoice_line": 0, "quantity": "1"}]}, "lines"),
    ({"lines": "LINE", "quantity": "4"}, "lines"),
    ({"lines": []}, "lines"),
    ({"amount": "400.00"}, "amount"),
    ({"amount": "-1"}, "amount"),
    ({"amount": "abc"}, "amount"),
    ({"amount": 1.5}, "amount"),
    ({"amount": "10", "tax_rate": "7"}, "tax_rate"),
    ({"amount": "10", "lines": [{"invoice_line": 0, "quantity": "1"}]}, "lines"),
    ({}, "lines"),
])
def test_bad_credits_are_refused_and_write_nothing(kwargs, field) -> None:
    invoice = issued_invoice([(3, "100.00", "standard")])
    line = invoice.lines.get()
    for item in kwargs.get("lines", []) if isinstance(kwargs.get("lines"), list) else []:
        item["invoice_line"] = item["invoice_line"] or -1
    if kwargs.get("lines") == "LINE":
        kwargs = {"lines": [{"invoice_line": line.pk, "quantity": "4"}]}  # only 3 invoiced
    with pytest.raises(ValidationFailed) as caught:
        credit_note_create(invoice_id=invoice.pk, actor=None, reason="price", **kwargs)
    assert field in caught.value.details
    assert not CreditNote.objects.exists()
    invoice.refresh_from_db()
    assert invoice.amount_due == invoice.gross_total and invoice.credited_amount == 0


def test_a_reason_is_required() -> None:
    invoice = issued_invoice()
    with pytest.raises(ValidationFailed) as caught:
        credit_note_create(invoice_id=invoice.pk, actor=None, reason="because", amount="1")
    assert "reason" in caught.value.details


def test_credit_notes_cannot_change_or_be_deleted() -> None:
    invoice = issued_invoice()
    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="price", amount="1.19")
    with pytest.raises(DatabaseError), transaction.atomic():
        CreditNote.objects.filter(pk=note.pk).update(gross_total=Decimal("2.00"))
    with pytest.raises(DatabaseError), transaction.atomic():
        note.lines.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        CreditNote.objects.filter(pk=note.pk).delete()


def _return(order, quantities: dict[int, int]):
    rma = return_authorize(order_id=order.pk, reason="defective", actor=None,
                           lines=[{"order_line": pk, "quantity": str(q)} for pk, q in quantities.items()])
    return return_receive(rma_id=rma.pk, actor=None)


def test_a_return_of_invoiced_goods_is_credited_once() -> None:
    order, shipment = shipped_order([(5, "20.00", "standard"), (2, "50.00", "reduced")])
    invoice = invoice_create_for_shipment(shipment_id=shipment.pk)
    first = order.lines.get(position=1)
    rma = _return(order, {first.pk: 2})
    notes = credit_notes_for_return(return_id=rma.pk, order_id=order.pk, order_line_ids=[first.pk],
                                    return_number=rma.number)
    assert len(notes) == 1 and notes[0].gross_total == Decimal("47.60") and notes[0].reason == "return"
    assert notes[0].lines.get().invoice_line.order_line_id == first.pk
    assert credit_notes_for_return(return_id=rma.pk, order_id=order.pk, order_line_ids=[first.pk]) == []
    invoice.refresh_from_db()
    assert invoice.amount_due == invoice.gross_total - Decimal("47.60")


def test_goods_returned_before_they_were_invoiced_are_not_invoiced() -> None:
    order, shipment = shipped_order([(5, "20.00", "standard")])
    line = order.lines.get()
    rma = _return(order, {line.pk: 2})
    assert credit_notes_for_return(return_id=rma.pk, order_id=order.pk, order_line_ids=[line.pk]) == []
    invoice = invoice_create_for_shipment(shipment_id=shipment.pk)
    assert invoice.lines.get().quantity == 3 and invoice.net_total == Decimal("60.00")
