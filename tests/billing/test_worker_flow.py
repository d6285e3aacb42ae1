"""Automated invoicing with a real Celery worker and Redis, per the customer's invoicing policy:
the invoice appears, its PDF is rendered once and stored, the customer's billing contact gets it once."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.core import mail

from billing.enums import InvoiceOrigin, InvoiceStatus
from billing.models import CreditNote, Invoice, InvoiceLine
from billing.services import invoice_create_for_shipment
from fulfillment.services import return_authorize, return_receive, shipment_deliver
from o2c.events import event_dispatch
from o2c.models import EventReceipt, OutboxEvent
from tests.billing.factories import billing_customer, priced_order, shipped_order
from tests.conftest import wait_for
from tests.fulfillment.factories import shipped_shipment


def _sent(number: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if number in m.subject]


def test_a_shipment_is_invoiced_rendered_and_e_mailed_once(celery_worker) -> None:
    customer = billing_customer()
    _, shipment = shipped_order([(3, "100.00", "standard")], customer=customer)

    assert wait_for(lambda: Invoice.objects.filter(shipment=shipment, emailed_at__isnull=False).exists())
    invoice = Invoice.objects.get(shipment=shipment)
    assert invoice.status == InvoiceStatus.ISSUED and invoice.origin == InvoiceOrigin.SHIPMENT
    assert invoice.created_by is None and invoice.issued_by is None  # touchless
    with invoice.pdf.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == invoice.pdf_sha256
    sent = _sent(invoice.number)
    assert len(sent) == 1 and sent[0].to == [f"billing-{customer.number.lower()}@customer.example"]
    assert [name for name, _, _ in sent[0].attachments] == [f"{invoice.number}.pdf", f"{invoice.number}.xml"]

    # the event again (a redelivery), and the task again: nothing new
    event = OutboxEvent.objects.get(type="shipment.shipped", payload__shipment=shipment.pk)
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None)
    EventReceipt.objects.filter(event=event).delete()
    event_dispatch(event_id=str(event.pk))
    assert invoice_create_for_shipment(shipment_id=shipment.pk) is None
    assert Invoice.objects.count() == 1 and InvoiceLine.objects.count() == 1
    assert len(_sent(invoice.number)) == 1


def test_customers_invoiced_on_delivery_are_invoiced_when_the_goods_arrive(celery_worker) -> None:
    customer = billing_customer(invoicing_policy="on_delivery")
    _, shipment = shipped_order([(2, "10.00", "standard")], customer=customer)
    assert wait_for(lambda: OutboxEvent.objects.filter(type="shipment.shipped", dispatched_at__isnull=False).exists())
    assert not Invoice.objects.exists()
    shipment_deliver(shipment_id=shipment.pk, actor=None, received_by="Goods in")
    assert wait_for(lambda: Invoice.objects.filter(shipment=shipment).exists())


def test_customers_paying_up_front_are_invoiced_on_confirmation_and_a_return_is_credited(celery_worker) -> None:
    customer = billing_customer(invoicing_policy="upfront")
    order = priced_order([(4, "25.00", "standard")], customer=customer)
    assert wait_for(lambda: Invoice.objects.filter(order=order, origin=InvoiceOrigin.ORDER).exists())
    invoice = Invoice.objects.get(order=order)
    assert invoice.gross_total == Decimal("119.00")

    shipment = shipped_shipment(order)
    assert wait_for(lambda: OutboxEvent.objects.filter(type="shipment.shipped", dispatched_at__isnull=False).exists())
    line = order.lines.get()
    rma = return_authorize(order_id=order.pk, reason="defective", actor=None,
                           lines=[{"order_line": line.pk, "quantity": "1"}])
    return_receive(rma_id=rma.pk, actor=None)
    assert wait_for(lambda: CreditNote.objects.filter(invoice=invoice).exists())
    assert CreditNote.objects.get().gross_total == Decimal("29.75")
    assert Invoice.objects.count() == 1 and Invoice.objects.get().shipment is None
    assert shipment.pk  # shipping an order invoiced up front made no second invoice
