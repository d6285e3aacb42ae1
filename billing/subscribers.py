"""What billing does when something happens upstream (outbox subscribers, run once per event).

Each queues its task after the dispatch commits; the task's unique keys make a repeat a no-op.
"""

from __future__ import annotations

from django.db import transaction

from o2c.models import OutboxEvent
from orders.enums import InvoicingPolicy

from .services import invoicing_queue_add, policy_of


def _after_commit(task: object, *args: object) -> None:
    transaction.on_commit(lambda: task.delay(*args))  # type: ignore[attr-defined]


def invoice_on_shipped(event: OutboxEvent) -> None:
    """`shipment.shipped`: customers invoiced per shipment when it ships get it queued for invoicing;
    for customers invoiced up front, the queue only completes the order once its last goods shipped."""
    if policy_of(event.payload["customer"]) in (InvoicingPolicy.ON_SHIPMENT, InvoicingPolicy.UPFRONT):
        _queue(event.payload["shipment"])


def invoice_on_delivered(event: OutboxEvent) -> None:
    """`shipment.delivered`: customers invoiced per shipment when it is delivered."""
    if policy_of(event.payload["customer"]) == InvoicingPolicy.ON_DELIVERY:
        _queue(event.payload["shipment"])


def _queue(shipment_id: int) -> None:
    from .tasks import kick_invoicing

    invoicing_queue_add(shipment_ids=[shipment_id])
    transaction.on_commit(kick_invoicing)


def invoice_on_confirmed(event: OutboxEvent) -> None:
    """`order.confirmed`: customers who pay up front are invoiced for the whole order."""
    from .tasks import invoice_order_upfront

    if policy_of(event.payload["customer"]) == InvoicingPolicy.UPFRONT:
        _after_commit(invoice_order_upfront, event.payload["order"])


def credit_on_return(event: OutboxEvent) -> None:
    """`return.received`: credit what was invoiced of the returned goods."""
    from .tasks import credit_return

    payload = event.payload
    _after_commit(credit_return, payload["return"], payload["order"],
                  sorted({line["order_line"] for line in payload["lines"]}), payload["number"])


def send_on_issued(event: OutboxEvent) -> None:
    """`invoice.issued` / `credit_note.issued`: render the PDF once and e-mail it to the customer."""
    from .tasks import document_send

    kind = "invoice" if event.type == "invoice.issued" else "credit_note"
    _after_commit(document_send, kind, event.payload[kind])
