"""Invoices made from shipments and orders: amounts, numbers, the order's and customer's figures."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.enums import InvoiceStatus
from billing.models import Invoice, InvoiceLine
from billing.services import (
    invoice_create_for_order,
    invoice_create_for_shipment,
    invoice_discard,
    invoice_issue,
    invoice_update_notes,
)
from o2c.audit import timeline
from o2c.errors import Conflict, InvalidTransition
from orders.enums import OrderStatus, Progress
from tests.billing.factories import billing_customer, issued_invoice, priced_order, shipped_order
from tests.fulfillment.factories import shipped_shipment

pytestmark = pytest.mark.django_db


def test_a_shipped_shipment_is_invoiced_with_its_lines_prices_and_tax() -> None:
    order, shipment = shipped_order([(3, "100.00", "standard"), (2, "10.00", "reduced")],
                                    customer_reference="PO-77")
    invoice = invoice_create_for_shipment(shipment_id=shipment.pk)
    assert invoice is not None and invoice.status == InvoiceStatus.ISSUED
    year = timezone.localdate().year
    assert invoice.number.startswith(f"INV-{year}-")
    assert [(ln.quantity, ln.unit_price, ln.tax_rate, ln.net_amount, ln.tax_amount)
            for ln in invoice.lines.order_by("position")] == [
        (Decimal(3), Decimal("100.00"), Decimal("19.00"), Decimal("300.00"), Decimal("57.00")),
        (Decimal(2), Decimal("10.00"), Decimal("7.00"), Decimal("20.00"), Decimal("1.40")),
    ]
    assert (invoice.net_total, invoice.tax_total, invoice.gross_total) == (Decimal("320.00"), Decimal("58.40"),
                                                                          Decimal("378.40"))
    assert invoice.amount_due == invoice.gross_total
    assert invoice.order == order and invoice.shipment == shipment and invoice.customer_reference == "PO-77"
    assert invoice.customer_name == order.customer.legal_name and invoice.payment_reference.startswith("RF")
    assert invoice.due_date == invoice.issue_date + datetime.timedelta(days=30)
    order.refresh_from_db()
    order.customer.refresh_from_db()
    assert order.invoiced_amount == Decimal("378.40") and order.invoice_status == Progress.FULL
    assert order.status == OrderStatus.DONE  # everything shipped and invoiced
    assert order.customer.open_balance == Decimal("378.40")
    assert [ln.invoiced_quantity for ln in order.lines.order_by("position")] == [Decimal(3), Decimal(2)]
    assert {e.action for e in timeline(invoice)} >= {"created", "issued"}


def test_invoicing_a_shipment_twice_adds_nothing() -> None:
    _, shipment = shipped_order([(2, "50.00", "standard")])
    first = invoice_create_for_shipment(shipment_id=shipment.pk)
    assert first is not None
    assert invoice_create_for_shipment(shipment_id=shipment.pk) is None
    assert Invoice.objects.count() == 1 and InvoiceLine.objects.count() == 1


def test_the_shipment_line_unique_key_is_the_last_line() -> None:
    invoice = issued_invoice()
    line = invoice.lines.get()
    draft = Invoice.objects.create(customer=invoice.customer, currency="EUR", language="en", origin="manual",
                                   tax_treatment="domestic", customer_name="x", customer_address="x",
                                   customer_country="DE")
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.create(invoice=draft, position=1, shipment_line=line.shipment_line, description="again",
                                   quantity=1, unit_price=1, tax_category="standard", tax_rate=19, net_amount=1,
                                   tax_amount=0)


def test_partial_shipments_are_invoiced_one_by_one() -> None:
    order = priced_order([(10, "10.00", "standard")])
    line = order.lines.get()
    first = shipped_shipment(order, lines=[{"order_line": line.pk, "quantity": "4"}])
    invoice = invoice_create_for_shipment(shipment_id=first.pk)
    assert invoice is not None and invoice.lines.get().quantity == Decimal(4)
    order.refresh_from_db()
    assert order.invoice_status == Progress.PARTIAL and order.status == OrderStatus.CONFIRMED
    second = shipped_shipment(order, tracking="TRK2")
    assert invoice_create_for_shipment(shipment_id=second.pk).lines.get().quantity == Decimal(6)
    order.refresh_from_db()
    assert order.invoice_status == Progress.FULL and order.invoiced_amount == Decimal("119.00")


def test_an_up_front_invoice_bills_the_order_and_its_shipments_add_nothing() -> None:
    customer = billing_customer(invoicing_policy="upfront")
    order = priced_order([(5, "20.00", "standard")], customer=customer)
    invoice = invoice_create_for_order(order_id=order.pk, upfront=True)
    assert invoice is not None and invoice.gross_total == Decimal("119.00") and invoice.origin == "order"
    assert invoice_create_for_order(order_id=order.pk, upfront=True) is None
    shipment = shipped_shipment(order)
    assert invoice_create_for_shipment(shipment_id=shipment.pk) is None
    order.refresh_from_db()
    assert order.status == OrderStatus.DONE


def test_a_draft_by_hand_is_issued_later_and_then_frozen() -> None:
    order, _ = shipped_order([(2, "10.00", "standard")])
    draft = invoice_create_for_order(order_id=order.pk, issue=False)
    assert draft is not None and draft.status == InvoiceStatus.DRAFT and draft.number is None
    order.refresh_from_db()
    assert order.invoiced_amount == 0 and order.invoice_status == Progress.FULL  # the goods are taken
    assert order.status == OrderStatus.CONFIRMED  # done only once the invoice is issued
    invoice_update_notes(invoice_id=draft.pk, notes="Thank you!", actor=None)
    invoice = invoice_issue(invoice_id=draft.pk, actor=None)
    assert invoice.number and invoice.notes == "Thank you!" and invoice.amount_due == Decimal("23.80")
    order.refresh_from_db()
    assert order.status == OrderStatus.DONE
    with pytest.raises(InvalidTransition):
        invoice_issue(invoice_id=draft.pk, actor=None)
    with pytest.raises(InvalidTransition):
        invoice_update_notes(invoice_id=draft.pk, notes="changed", actor=None)
    with pytest.raises(InvalidTransition):
        invoice_discard(invoice_id=draft.pk, actor=None)


def test_discarding_a_draft_frees_its_goods() -> None:
    order, shipment = shipped_order([(2, "10.00", "standard")])
    draft = invoice_create_for_order(order_id=order.pk, issue=False)
    invoice_discard(invoice_id=draft.pk, actor=None)
    assert not Invoice.objects.exists()
    order.refresh_from_db()
    assert order.invoice_status == Progress.NONE
    assert invoice_create_for_shipment(shipment_id=shipment.pk).gross_total == Decimal("23.80")


def test_nothing_to_invoice_and_unshipped_goods_are_refused() -> None:
    order = priced_order([(2, "10.00", "standard")])
    assert invoice_create_for_order(order_id=order.pk) is None
    from fulfillment.services import shipment_create

    shipment = shipment_create(order_id=order.pk, actor=None)
    with pytest.raises(Conflict):
        invoice_create_for_shipment(shipment_id=shipment.pk)
    assert not Invoice.objects.exists()
