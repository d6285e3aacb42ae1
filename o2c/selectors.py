"""Kernel reads: recent activity, outbox and webhook health."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import AuditEvent, DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookEndpoint


def recent_activity(*, app_labels: list[str] | None = None, actor_id: int | None = None) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("actor", "content_type")
    if app_labels is not None:
        qs = qs.filter(content_type__app_label__in=app_labels)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    return qs


def outbox_health() -> dict[str, int]:
    stale = timezone.now() - timedelta(minutes=5)
    events = OutboxEvent.objects.aggregate(
        pending=Count("pk", filter=Q(dispatched_at__isnull=True)),
        stuck=Count("pk", filter=Q(dispatched_at__isnull=True, created_at__lt=stale)),
    )
    deliveries = WebhookDelivery.objects.aggregate(
        webhooks_pending=Count("pk", filter=Q(status=DeliveryStatus.PENDING)),
        webhooks_failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
    )
    return {**events, **deliveries}


def webhook_endpoints_with_stats() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.annotate(
        delivered=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.SUCCEEDED)),
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        pending=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
    )
