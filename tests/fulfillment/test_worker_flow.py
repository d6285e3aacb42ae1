"""Fulfillment with a real Celery worker and Redis: the shipping notification leaves after commit,
once, with the tracking link and the delivery note; cancelling an order calls off its open shipments."""

from __future__ import annotations

from django.core import mail

from fulfillment.enums import ShipmentStatus
from fulfillment.models import Shipment
from fulfillment.services import shipment_create, shipment_notification_send
from o2c.events import event_dispatch
from o2c.models import OutboxEvent
from orders.services import order_cancel
from tests.conftest import wait_for
from tests.fulfillment.factories import shipped_shipment, stocked_order


def test_the_shipping_notification_is_sent_once_with_the_tracking_link(celery_worker, warehouse_user) -> None:
    order = stocked_order([(2, 2)])
    mail.outbox.clear()  # the order confirmation went out on confirm
    shipment = shipped_shipment(order, actor=warehouse_user, tracking="ZX42")  # commits: the worker sends it

    assert wait_for(lambda: Shipment.objects.get(pk=shipment.pk).notification_sent_at is not None)
    notices = [m for m in mail.outbox if shipment.number in m.subject]
    assert len(notices) == 1
    assert "https://track.example.com/?id=ZX42" in notices[0].body
    assert notices[0].attachments[0][0] == f"{shipment.number}.pdf"
    assert notices[0].attachments[0][1][:4] == b"%PDF"

    # the event delivered again, and the task run again: nothing more is sent
    event = OutboxEvent.objects.get(type="shipment.shipped", payload__shipment=shipment.pk)
    event_dispatch(event_id=str(event.pk))
    assert shipment_notification_send(shipment_id=shipment.pk) is False
    assert len([m for m in mail.outbox if shipment.number in m.subject]) == 1


def test_cancelling_the_order_calls_off_its_open_shipments(celery_worker, warehouse_user, sales_user) -> None:
    order = stocked_order([(4, 4), (2, 2)])
    first_line = order.lines.order_by("position").first()
    shipped = shipped_shipment(order, actor=warehouse_user, lines=[{"order_line": first_line.pk, "quantity": 1}])
    waiting = shipment_create(order_id=order.pk, actor=warehouse_user)

    order_cancel(order_id=order.pk, actor=sales_user, reason="Customer withdrew")

    assert wait_for(lambda: Shipment.objects.get(pk=waiting.pk).status == ShipmentStatus.CANCELLED)
    assert Shipment.objects.get(pk=waiting.pk).cancel_reason == f"Order {order.number} cancelled"
    assert Shipment.objects.get(pk=shipped.pk).status == ShipmentStatus.SHIPPED
