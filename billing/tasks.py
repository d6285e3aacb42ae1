"""Billing tasks: take ids, call one service, safe to run twice (unique keys and row locks)."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.core.cache import cache

from . import services

RETRY = {"acks_late": True, "autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 6}


KICK_KEY = "billing:invoice-queued"
QUEUE_BATCH = 100


def kick_invoicing() -> None:
    """Start `invoice_queued` unless one is already waiting to start (a burst of shipping starts one,
    not thousands). A kick whose message was lost expires; the beat's backstop runs every minute."""
    if cache.add(KICK_KEY, 1, timeout=30):
        invoice_queued.delay()


@shared_task(name="billing.invoice_queued", **RETRY)
def invoice_queued() -> int:
    """Invoice the queued shipments a batch at a time until the queue is empty. A full batch calls in
    one more worker (the queue hands each its own rows), so a burst is shared."""
    cache.delete(KICK_KEY)  # from here on, a newly queued shipment starts another run
    return _drain()


def _drain() -> int:
    total, helped = 0, False
    while taken := services.invoicing_queue_take(limit=QUEUE_BATCH):
        total += taken
        if taken == QUEUE_BATCH and not helped:
            invoice_queued.delay()
            helped = True
    return total


@shared_task(name="billing.invoice_order_upfront", **RETRY)
def invoice_order_upfront(order_id: int) -> str | None:
    invoice = services.invoice_create_for_order(order_id=order_id, upfront=True)
    return invoice.number if invoice else None


@shared_task(name="billing.invoice_period", **RETRY)
def invoice_period(customer_id: int, currency: str, start: str, end: str) -> str | None:
    invoice = services.invoice_create_for_period(customer_id=customer_id, currency=currency,
                                                 start=datetime.date.fromisoformat(start),
                                                 end=datetime.date.fromisoformat(end))
    return invoice.number if invoice else None


@shared_task(name="billing.credit_return", **RETRY)
def credit_return(return_id: int, order_id: int, order_line_ids: list[int], number: str) -> list[str]:
    notes = services.credit_notes_for_return(return_id=return_id, order_id=order_id, order_line_ids=order_line_ids,
                                             return_number=number)
    return [note.number for note in notes if note.number]


@shared_task(name="billing.document_send", **RETRY)
def document_send(kind: str, document_id: int) -> bool:
    """Render the issued document's PDF once and e-mail it to the customer's billing contacts once."""
    return services.document_send(kind=kind, document_id=document_id)


@shared_task(name="billing.invoicing_sweep")
def invoicing_sweep() -> dict[str, int]:
    """Beat (nightly, and daily for the consolidated periods): hand everything that should have been
    invoiced by now to its task."""
    work = services.invoicing_backlog()
    services.invoicing_queue_add(shipment_ids=work.shipments)
    if work.shipments:
        invoice_queued.delay()
    for order_id in work.upfront_orders:
        invoice_order_upfront.delay(order_id)
    for customer_id, currency, start, end in work.periods:
        invoice_period.delay(customer_id, currency, start.isoformat(), end.isoformat())
    return {"shipments": len(work.shipments), "orders": len(work.upfront_orders), "periods": len(work.periods)}
