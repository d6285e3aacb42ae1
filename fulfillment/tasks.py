"""Fulfillment tasks: take ids, call one service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="fulfillment.shipment_notification_send", acks_late=True, autoretry_for=(OSError,),
             retry_backoff=True, max_retries=6)
def shipment_notification_send(shipment_id: int) -> bool:
    return services.shipment_notification_send(shipment_id=shipment_id)
