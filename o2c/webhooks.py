"""Webhooks for integrations: endpoints, HMAC-signed deliveries, retries with backoff.

A receiver checks ``X-O2C-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw request body
with the endpoint's secret, and dedupes on ``X-O2C-Event-Id`` (the event's UUID).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from .audit import audit_record, field_changes, field_values
from .errors import ValidationFailed
from .models import DeliveryStatus, OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .states import transition

EDITABLE = ("name", "url", "event_types", "is_active")
SIGNATURE_HEADER = "X-O2C-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at 6 h."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


def webhook_endpoint_clean(*, name: str, url: str, event_types: list[str]) -> list[str]:
    """Validate an endpoint's fields; the normalised event types, or ValidationFailed with field errors."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["Give the endpoint a name."]
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        errors["url"] = ["Enter a full http:// or https:// URL."]
    types = sorted({t.strip() for t in event_types if t.strip()})
    bad = [t for t in types if len(t) > 64 or "." not in t]
    if bad:
        errors["event_types"] = [f"Not an event type: {', '.join(bad)} (e.g. invoice.issued)."]
    if errors:
        raise ValidationFailed("The webhook endpoint is not valid.", details=errors)
    return types


@transaction.atomic
def webhook_endpoint_create(
    *, name: str, url: str, event_types: list[str], is_active: bool = True, actor: AbstractBaseUser | None,
) -> WebhookEndpoint:
    types = webhook_endpoint_clean(name=name, url=url, event_types=event_types)
    endpoint = WebhookEndpoint.objects.create(name=name.strip(), url=url, event_types=types, is_active=is_active)
    audit_record(obj=endpoint, action="created", actor=actor, data={"url": url, "event_types": types})
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, endpoint_id: int, actor: AbstractBaseUser | None, **changes: Any) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(f"Cannot change {', '.join(sorted(unknown))}.", details={"fields": sorted(unknown)})
    before = field_values(endpoint, EDITABLE)
    merged = {**before, **changes}
    merged["event_types"] = webhook_endpoint_clean(
        name=merged["name"], url=merged["url"], event_types=merged["event_types"]
    )
    merged["name"] = merged["name"].strip()
    for field, value in merged.items():
        setattr(endpoint, field, value)
    diff = field_changes(before, endpoint)
    if diff:
        endpoint.save()
        audit_record(obj=endpoint, action="updated", actor=actor, data={"changes": diff})
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint_id: int, actor: AbstractBaseUser | None) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    endpoint.secret = WebhookEndpoint._meta.get_field("secret").get_default()
    endpoint.save(update_fields=["secret", "updated_at"])
    audit_record(obj=endpoint, action="secret rotated", actor=actor)
    return endpoint


@transaction.atomic
def webhook_endpoint_ping(*, endpoint_id: int, actor: AbstractBaseUser | None) -> WebhookDelivery:
    """Send a `webhook.ping` event to this one endpoint, to check the receiver."""
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    event = OutboxEvent.objects.create(
        type="webhook.ping", payload={"endpoint": endpoint.pk}, dispatched_at=timezone.now()
    )
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=event, next_attempt_at=timezone.now())
    audit_record(obj=endpoint, action="pinged", actor=actor, data={"event": str(event.pk)})
    _enqueue(delivery.pk)
    return delivery


@transaction.atomic
def webhook_delivery_redeliver(*, delivery_id: int, actor: AbstractBaseUser | None) -> WebhookDelivery:
    """Send a failed (or already delivered) delivery again, by hand."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    delivery.next_attempt_at = timezone.now()
    transition(
        delivery, to=DeliveryStatus.PENDING, actor=actor, allowed=WebhookDelivery.TRANSITIONS,
        action="redeliver", also_update=("next_attempt_at",),
    )
    _enqueue(delivery.pk)
    return delivery


def _enqueue(delivery_id: int, countdown: float | None = None) -> None:
    from .tasks import webhook_deliver

    transaction.on_commit(lambda: webhook_deliver.apply_async(args=[delivery_id], countdown=countdown))


def body_for(event: OutboxEvent) -> bytes:
    envelope = {"id": str(event.pk), "type": event.type, "created_at": event.created_at, "data": event.payload}
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery, body: bytes) -> tuple[int | None, str]:
    request = urllib.request.Request(endpoint.url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": "o2c-webhooks/1",
        "X-O2C-Event": delivery.event.type,
        "X-O2C-Event-Id": str(delivery.event_id),
        "X-O2C-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: sign(endpoint.secret, body),
    })
    try:
        with urllib.request.urlopen(request, timeout=settings.O2C_WEBHOOK_TIMEOUT) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))[:1000]


def _lease() -> timedelta:
    """How long a claimed delivery is left alone while its POST is in flight."""
    return timedelta(seconds=2 * settings.O2C_WEBHOOK_TIMEOUT + 30)


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Try one delivery if it is pending and due; record the attempt; schedule the retry.

    Three steps, so no database transaction stays open during the HTTP call: claim the delivery
    (a short lease moves `next_attempt_at` ahead, so the sweeper and other workers leave it
    alone), POST outside any transaction, then record the attempt under the row lock.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
            .order_by("pk")
            .first()
        )
        if delivery is None:
            return None
        number = delivery.attempts + 1
        delivery.next_attempt_at = timezone.now() + _lease()
        delivery.save(update_fields=["next_attempt_at"])

    started = timezone.now()
    clock = time.monotonic()
    code, error = _post(delivery.endpoint, delivery, body_for(delivery.event))
    duration_ms = int((time.monotonic() - clock) * 1000)
    ok = code is not None and 200 <= code < 300

    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status != DeliveryStatus.PENDING or delivery.attempts >= number:
            return delivery  # the lease ran out and another worker recorded this attempt
        delivery.attempts = number
        WebhookAttempt.objects.create(
            delivery=delivery, number=number, started_at=started, duration_ms=duration_ms,
            response_code=code, error=error, succeeded=ok,
        )
        delivery.last_response_code = code
        if ok:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.delivered_at = timezone.now()
        elif number >= settings.O2C_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            wait = backoff(number)
            delivery.next_attempt_at = timezone.now() + wait
            _enqueue(delivery.pk, countdown=wait.total_seconds())
        delivery.save()
    return delivery


def due_delivery_ids(*, limit: int = 500) -> list[int]:
    """Pending deliveries whose time has come (their scheduled task was lost)."""
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
