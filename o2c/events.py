"""Transactional outbox: `publish()` writes the event with the change; delivery comes after commit.

Subscribers register in their app's `AppConfig.ready()` with `subscribe()`. `event_dispatch()`
hands a committed event to each subscriber exactly once: the subscriber runs in a savepoint
together with the insert of its `EventReceipt` (unique per event and subscriber), so a second
dispatch of the same event finds the receipt and skips it, and a failing subscriber leaves no
receipt and is retried. Webhook deliveries for the event are created in the same pass.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import EventReceipt, OutboxEvent, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

Subscriber = Callable[[OutboxEvent], None]
_subscribers: dict[str, dict[str, Subscriber]] = defaultdict(dict)


def subscribe(event_type: str, handler: Subscriber, *, name: str | None = None) -> None:
    """Register `handler` for `event_type` (idempotent: the name identifies the subscriber)."""
    _subscribers[event_type][name or f"{handler.__module__}.{handler.__qualname__}"] = handler


def unsubscribe(event_type: str, name: str) -> None:
    _subscribers[event_type].pop(name, None)


def subscribers_for(event_type: str) -> dict[str, Subscriber]:
    return dict(_subscribers.get(event_type, {}))


def publish(event_type: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record an event in the caller's transaction; dispatch is queued for after commit."""
    event = OutboxEvent.objects.create(type=event_type, payload=payload)
    transaction.on_commit(lambda: _enqueue_dispatch(event.pk))
    return event


def _enqueue_dispatch(event_id: Any) -> None:
    from .tasks import events_dispatch

    events_dispatch.delay(str(event_id))


@transaction.atomic
def event_dispatch(*, event_id: str) -> bool:
    """Deliver one event to its subscribers and webhooks. True when the event is fully done."""
    event = (
        OutboxEvent.objects.select_for_update(skip_locked=True)
        .filter(pk=event_id, dispatched_at__isnull=True)
        .order_by("pk")  # not the model's created_at ordering: the planner would walk that index
        .first()
    )
    if event is None:  # done already, or another worker holds it
        return True
    done = set(EventReceipt.objects.filter(event=event).values_list("subscriber", flat=True))
    errors = []
    for name, handler in subscribers_for(event.type).items():
        if name in done:
            continue
        try:
            with transaction.atomic():
                EventReceipt.objects.create(event=event, subscriber=name)
                handler(event)
        except Exception as exc:
            log.exception("subscriber %s failed on event %s", name, event.pk)
            errors.append(f"{name}: {exc!r}")
    _create_webhook_deliveries(event)
    if errors:
        event.attempts += 1
        event.last_error = "\n".join(errors)[:5000]
        event.save(update_fields=["attempts", "last_error"])
        return False
    event.dispatched_at = timezone.now()
    event.attempts += 1
    event.last_error = ""
    event.save(update_fields=["dispatched_at", "attempts", "last_error"])
    return True


def _create_webhook_deliveries(event: OutboxEvent) -> None:
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True).filter(
        Q(event_types=[]) | Q(event_types__contains=[event.type])
    ))
    if not endpoints:
        return
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=e, event=event, next_attempt_at=now) for e in endpoints],
        ignore_conflicts=True,
    )
    ids = list(
        WebhookDelivery.objects.filter(event=event, status="pending", attempts=0).values_list("pk", flat=True)
    )
    if ids:
        from .tasks import webhook_deliver

        transaction.on_commit(lambda: [webhook_deliver.delay(pk) for pk in ids])


MAX_DISPATCH_ATTEMPTS = 20


def pending_event_ids(*, older_than: timedelta, limit: int = 500) -> list[str]:
    """Events still undelivered after `older_than` (their after-commit task was lost or failed).

    An event whose subscriber failed MAX_DISPATCH_ATTEMPTS times waits for a person (admin action).
    """
    cutoff = timezone.now() - older_than
    return [
        str(pk)
        for pk in OutboxEvent.objects.filter(
            dispatched_at__isnull=True, created_at__lte=cutoff, attempts__lt=MAX_DISPATCH_ATTEMPTS
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    ]
