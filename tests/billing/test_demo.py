"""The demo books: loaded by load_demo after the warehouse floor, idempotent, written by the services."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import QuerySet
from django.utils import timezone

from billing.enums import CreditReason, InvoiceOrigin, InvoiceStatus
from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from billing.services import credit_notes_for_return, invoice_discard
from fulfillment.enums import ShipmentStatus
from fulfillment.models import ReturnAuthorization, Shipment
from fulfillment.services import return_receive
from inventory.selectors import ledger_mismatches
from o2c.models import AuditEvent, OutboxEvent
from orders.enums import TaxTreatment
from orders.models import SalesOrder, SalesOrderLine
from receivables.demo import INVOICES as OVERDUE_DEMO

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        Invoice, InvoiceLine, CreditNote, CreditNoteLine, SalesOrder, Shipment, OutboxEvent, AuditEvent)}


def _load() -> str:
    out = StringIO()
    call_command("load_demo", password="pw-demo", stdout=out)
    return out.getvalue()


def test_load_demo_twice_gives_the_same_books() -> None:
    first_output = _load()
    first = _counts()
    assert "Billing demo: 5 orders, 5 shipments, 5 invoices, 1 drafts, 2 credit_notes, 7 pdfs." in first_output
    second_output = _load()
    assert _counts() == first
    assert "Billing demo:" not in second_output  # nothing was created the second time
    assert ledger_mismatches() == []


def _books() -> QuerySet[Invoice]:
    """The billing demo's invoices (the receivables demo invoices orders of its own, back-dated: overdue; the
    insight demo's history has its own orders, `HIST-…`)."""
    return (Invoice.objects.exclude(order__customer_reference__in=[spec.sale.reference for spec in OVERDUE_DEMO])
            .exclude(lines__order_line__order__customer_reference__startswith="HIST-"))


def _credits() -> QuerySet[CreditNote]:
    return CreditNote.objects.filter(invoice__in=_books())


def test_the_demo_has_invoices_in_every_state_with_real_numbers_and_pdfs() -> None:
    _load()
    year = timezone.localdate().year
    issued = _books().exclude(status=InvoiceStatus.DRAFT).order_by("number")
    # gap-free numbers, drawn by the services
    assert [i.number for i in issued] == [f"INV-{year}-{n:06d}" for n in range(1, 6)]
    assert sorted(_credits().values_list("number", flat=True)) == [f"CN-{year}-{n:06d}" for n in (1, 2)]
    assert set(_books().values_list("status", flat=True)) == {InvoiceStatus.DRAFT, InvoiceStatus.ISSUED,
                                                                     InvoiceStatus.CANCELLED}
    assert set(_books().values_list("origin", flat=True)) == {InvoiceOrigin.SHIPMENT, InvoiceOrigin.PERIOD,
                                                                     InvoiceOrigin.MANUAL}
    assert _books().values("customer").distinct().count() == 6
    assert {i.currency for i in issued} == {"EUR", "USD"}
    assert {i.tax_treatment for i in issued} == set(TaxTreatment.values)  # domestic, reverse charge, export

    # every issued document has its PDF, stored with its SHA-256; nothing was e-mailed yet (the worker does)
    for document in [*issued, *_credits()]:
        with document.pdf.open("rb") as file:
            content = file.read()
        assert content.startswith(b"%PDF") and hashlib.sha256(content).hexdigest() == document.pdf_sha256, document
        assert document.emailed_at is None
    assert OutboxEvent.objects.filter(type="invoice.issued", payload__invoice__in=[i.pk for i in issued]).count() == 5
    assert OutboxEvent.objects.filter(type="credit_note.issued",
                                      payload__credit_note__in=[c.pk for c in _credits()]).count() == 2

    # per shipment, touchless (as the worker would): the shipment's lines
    by_shipment = issued.filter(origin=InvoiceOrigin.SHIPMENT)
    assert by_shipment.count() == 4 and not by_shipment.exclude(issued_by=None).exists()
    for invoice in by_shipment:
        assert {line.shipment_line.shipment_id for line in invoice.lines.select_related("shipment_line")} == {
            invoice.shipment_id}
    delivered = by_shipment.get(customer__invoicing_policy="on_delivery")
    assert delivered.shipment.status == ShipmentStatus.DELIVERED

    # the monthly customer: the warehouse floor's two shipments in one invoice for the month so far
    period = issued.get(origin=InvoiceOrigin.PERIOD)
    assert period.customer_reference == "RH-2025-118" and period.period_start == timezone.localdate().replace(day=1)
    assert period.lines.values("shipment_line__shipment").distinct().count() == 2
    assert period.status == InvoiceStatus.ISSUED and period.discount_amount > 0  # 2 % skonto within 10 days

    # a partial credit: one damaged chair, the rest still due
    fiona = User.objects.get(username="finance")
    partial = CreditNote.objects.get(reason=CreditReason.DAMAGED)
    invoice = partial.invoice
    assert partial.lines.get().quantity == 1 and partial.created_by == fiona
    assert invoice.status == InvoiceStatus.ISSUED and invoice.credited_amount == partial.gross_total > 0
    assert invoice.amount_due == invoice.gross_total - partial.gross_total
    # a full credit: the invoice cancelled
    full = CreditNote.objects.get(reason=CreditReason.CANCELLATION)
    assert full.invoice.status == InvoiceStatus.CANCELLED and full.invoice.amount_due == 0
    assert full.gross_total == full.invoice.gross_total

    # Finance's draft, by hand, with a note: no number, no PDF, its goods counted as invoiced
    draft = Invoice.objects.get(status=InvoiceStatus.DRAFT)
    assert draft.origin == InvoiceOrigin.MANUAL and draft.created_by == fiona and draft.notes
    assert draft.number is None and not draft.pdf_sha256 and draft.lines.exists()

    # every billing-demo order was sold by Sales, shipped by the Warehouse and invoiced in full
    demo_orders = SalesOrder.objects.filter(invoices__in=_books()).distinct()
    assert demo_orders.count() == 6 and not demo_orders.exclude(created_by__username="sales").exists()
    assert not Shipment.objects.exclude(created_by__username="warehouse").exists()
    for line in SalesOrderLine.objects.filter(order__in=demo_orders):
        assert line.invoiced_quantity == line.shipped_quantity == line.quantity, line
    assert AuditEvent.objects.filter(content_type__model="creditnote", action="issued", actor=fiona,
                                     object_id__in=[str(c.pk) for c in _credits()]).count() == 2


def test_receiving_the_demo_return_credits_the_monthly_invoice() -> None:
    _load()
    rma = ReturnAuthorization.objects.get()
    return_receive(rma_id=rma.pk, actor=None)  # the worker then credits it (return.received)
    [note] = credit_notes_for_return(return_id=rma.pk, order_id=rma.order_id,
                                     order_line_ids=[line.order_line_id for line in rma.lines.all()],
                                     return_number=rma.number)
    assert note.invoice.origin == InvoiceOrigin.PERIOD and note.reason == CreditReason.RETURN
    assert note.lines.get().quantity == rma.lines.get().quantity
    assert note.invoice.amount_due == note.invoice.gross_total - note.gross_total > Decimal(0)


def test_what_was_done_in_the_app_stays_on_the_next_run() -> None:
    _load()
    draft = Invoice.objects.get(status=InvoiceStatus.DRAFT)
    invoice_discard(invoice_id=draft.pk, actor=None)  # Finance threw the draft away
    before = _counts()

    output = _load()

    assert "Billing demo:" not in output and _counts() == before
    assert not Invoice.objects.filter(status=InvoiceStatus.DRAFT).exists()
