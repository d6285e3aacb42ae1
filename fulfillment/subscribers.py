"""What fulfillment does when something happens (outbox subscribers, run once per event)."""

from __future__ import annotations

from django.db import transaction

from o2c.models import OutboxEvent

from .services import shipments_cancel_for_order


def notify_customer_on_shipped(event: OutboxEvent) -> None:
    """`shipment.shipped`: e-mail the shipping notification once this dispatch has committed."""
    from .tasks import shipment_notification_send

    shipment_id = event.payload["shipment"]
    transaction.on_commit(lambda: shipment_notification_send.delay(shipment_id))


def cancel_shipments_on_order_cancelled(event: OutboxEvent) -> None:
    """`order.cancelled`: shipments of the order that have not left are called off (what has shipped stays)."""
    shipments_cancel_for_order(order_id=event.payload["order"], reason=f"Order {event.payload['number']} cancelled")
