"""Kernel tasks: take ids, call one service, safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import events, webhooks
from .models import IdempotencyRecord


@shared_task(name="o2c.events_dispatch", bind=True, max_retries=8, acks_late=True)
def events_dispatch(self, event_id: str) -> bool:
    done = events.event_dispatch(event_id=event_id)
    if not done:
        raise self.retry(countdown=min(30 * 2**self.request.retries, 3600))
    return done


@shared_task(name="o2c.webhook_deliver", acks_late=True)
def webhook_deliver(delivery_id: int) -> str | None:
    delivery = webhooks.webhook_delivery_attempt(delivery_id=delivery_id)
    return delivery.status if delivery else None


@shared_task(name="o2c.outbox_sweep")
def outbox_sweep() -> dict[str, int]:
    """Beat: re-send events whose after-commit dispatch was lost, and webhooks that are due."""
    event_ids = events.pending_event_ids(older_than=timedelta(seconds=60))
    for event_id in event_ids:
        events_dispatch.delay(event_id)
    delivery_ids = webhooks.due_delivery_ids()
    for delivery_id in delivery_ids:
        webhook_deliver.delay(delivery_id)
    return {"events": len(event_ids), "webhooks": len(delivery_ids)}


@shared_task(name="o2c.idempotency_purge")
def idempotency_purge() -> int:
    """Beat: forget Idempotency-Key records past their time to live."""
    cutoff = timezone.now() - timedelta(hours=settings.O2C_IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
