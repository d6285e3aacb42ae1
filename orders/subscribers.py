"""What the sales desk does when something upstream happens (outbox subscribers, run once per event)."""

from __future__ import annotations

from django.db import transaction

from inventory.models import Warehouse
from o2c.models import OutboxEvent

from .services import backorders_fill


def fill_backorders_on_receipt(event: OutboxEvent) -> None:
    """`stock.received`: backordered order lines of that product and warehouse get the stock, first
    come first served. Safe to repeat: it only hands out stock that is still available."""
    warehouse_id = Warehouse.objects.filter(code=event.payload["warehouse"]).values_list("pk", flat=True).first()
    if warehouse_id is not None:
        backorders_fill(product_id=event.payload["product"], warehouse_id=warehouse_id)


def send_confirmation_on_confirmed(event: OutboxEvent) -> None:
    """`order.confirmed`: e-mail the confirmation (PDF attached) once this dispatch has committed."""
    from .tasks import order_confirmation_send

    order_id = event.payload["order"]
    transaction.on_commit(lambda: order_confirmation_send.delay(order_id))
