"""What receivables does when something happens upstream (outbox subscribers, run once per event)."""

from __future__ import annotations

from decimal import Decimal

from o2c.models import OutboxEvent

from .services.payments import credit_note_credit_record


def credit_on_credit_note(event: OutboxEvent) -> None:
    """`credit_note.issued`: what a credit note left beyond its invoice becomes the customer's credit."""
    if Decimal(str(event.payload.get("customer_credit") or 0)) > 0:
        credit_note_credit_record(credit_note_id=event.payload["credit_note"])
