"""Shipment documents: the pick list (for the warehouse, in English) and the delivery note (for the
customer, in their language), rendered by WeasyPrint; and the shipping notification e-mail.

The e-mail goes out after commit from a Celery task; it locks the shipment and records when it
was sent, so a task delivered twice or two racing workers send one e-mail.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from o2c.audit import audit_record
from o2c.documents import Attachment, render_pdf, send_document_email
from orders.selectors import sales_recipients

from ..enums import ShipmentStatus
from ..models import Shipment


def _context(shipment: Shipment) -> dict[str, Any]:
    items = list(shipment.lines.select_related("order_line__product").order_by("order_line__position"))
    return {"document": shipment, "shipment": shipment, "order": shipment.order, "customer": shipment.customer,
            "items": items, "packages": list(shipment.packages.all()), "carrier": shipment.carrier}


def _shipment(shipment_id: int) -> Shipment:
    return Shipment.objects.select_related("order", "customer", "carrier", "warehouse").get(pk=shipment_id)


def pick_list_pdf(shipment: Shipment) -> bytes:
    return render_pdf("fulfillment/pdf/pick_list.html", _context(shipment), language="en")


def delivery_note_pdf(shipment: Shipment) -> bytes:
    return render_pdf("fulfillment/pdf/delivery_note.html", _context(shipment), language=shipment.customer.language)


@transaction.atomic
def shipment_notification_send(*, shipment_id: int) -> bool:
    """E-mail the customer that the shipment left, with the tracking link and the delivery note, once."""
    shipment = (Shipment.objects.select_for_update(of=("self",))
                .select_related("order", "customer", "carrier", "warehouse").get(pk=shipment_id))
    if shipment.notification_sent_at is not None or shipment.status not in (ShipmentStatus.SHIPPED,
                                                                              ShipmentStatus.DELIVERED):
        return False
    recipients = sales_recipients(shipment.customer)
    if not recipients:
        return False
    company = settings.O2C_COMPANY["name"]
    number = f", tracking number {shipment.tracking_number}" if shipment.tracking_number else ""
    tracking = (f"Track it with {shipment.carrier.name}: {shipment.tracking_url}\n\n" if shipment.tracking_url
                else f"Carrier: {shipment.carrier.name}{number}.\n\n")
    reference = f" (your PO {shipment.order.customer_reference})" if shipment.order.customer_reference else ""
    send_document_email(
        to=recipients, subject=f"Shipment {shipment.number} of order {shipment.order.number} is on its way",
        body=f"Dear {shipment.customer.legal_name},\n\nyour order {shipment.order.number}{reference} has shipped "
             f"as {shipment.number}; it is planned to arrive on {shipment.planned_delivery_date:%d %b %Y}.\n\n"
             f"{tracking}The delivery note is attached.\n\nKind regards\n{company}",
        attachments=[Attachment(f"{shipment.number}.pdf", delivery_note_pdf(shipment))],
    )
    shipment.notification_sent_at = timezone.now()
    shipment.save(update_fields=["notification_sent_at", "updated_at"])
    audit_record(obj=shipment, action="notification_emailed", actor=None, data={"to": recipients})
    return True
