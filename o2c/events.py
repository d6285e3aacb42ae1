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


def publish_many(event_type: str, payloads: list[dict[str, Any]]) -> list[OutboxEvent]:
    """`publish()` for many events of one type: one INSERT, their dispatches queued after commit."""
    events = OutboxEvent.objects.bulk_create([OutboxEvent(type=event_type, payload=p) for p in payloads])
    ids = [event.pk for event in events]
    transaction.on_commit(lambda: [_enqueue_dispatch(pk) for pk in ids])
    return events


def _enqueue_dispatch(event_id: Any) -> None:
    from .tasks import events_dispatch

    events_dispatch.delay(str(event_id))


_EVENTS = OutboxEvent._meta.db_table
_DISPATCH_SQL = f"""
SELECT e.*,
       ARRAY(SELECT r.subscriber FROM {EventReceipt._meta.db_table} r WHERE r.event_id = e.id) AS done,
       ARRAY(SELECT w.id FROM {WebhookEndpoint._meta.db_table} w
              WHERE w.is_active AND (w.event_types = '{{}}' OR e.type = ANY(w.event_types))) AS endpoint_ids
  FROM {_EVENTS} e
 WHERE e.id = %s AND e.dispatched_at IS NULL
   FOR UPDATE OF e SKIP LOCKED"""


@transaction.atomic
def event_dispatch(*, event_id: str) -> bool:
    """Deliver one event to its subscribers and webhooks. True when the event is fully done.

    One statement locks the event and reads which subscribers already have a receipt and which
    webhook endpoints want it; each pending subscriber then runs in a savepoint with its receipt.
    """
    event = next(iter(OutboxEvent.objects.raw(_DISPATCH_SQL, [event_id])), None)
    if event is None:  # done already, or another worker holds it
        return True
    errors = []
    for name, handler in subscribers_for(event.type).items():
        if name in event.done:
            continue
        try:
            with transaction.atomic():
                EventReceipt.objects.create(event=event, subscriber=name)
                handler(event)
        except Exception as exc:
            log.exception("subscriber %s failed on event %s", name, event.pk)
            errors.append(f"{name}: {exc!r}")
    _create_webhook_deliveries(event, event.endpoint_ids)
    event.attempts += 1
    event.last_error = "\n".join(errors)[:5000]
    if not errors:
        event.dispatched_at = timezone.now()
    OutboxEvent.objects.filter(pk=event.pk).update(
        attempts=event.attempts, last_error=event.last_error, dispatched_at=event.dispatched_at
    )
    return not errors


def _create_webhook_deliveries(event: OutboxEvent, endpoint_ids: list[int]) -> None:
    if not endpoint_ids:
        return
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint_id=pk, event=event, next_attempt_at=now) for pk in endpoint_ids],
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
