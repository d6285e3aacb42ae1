"""What insight does when money moves: the customer's pay-date predictions are refreshed (a new
invoice is predicted, a paid one leaves, and the customer's habit has one more payment to learn from)."""

from __future__ import annotations

from o2c.models import OutboxEvent

from .services import payment_predictions_refresh


def predictions_refresh(event: OutboxEvent) -> None:
    """`invoice.issued`, `payment.allocated`, `credit_note.issued`, `invoice.written_off`: all name the customer."""
    payment_predictions_refresh(customer_ids=[event.payload["customer"]])
