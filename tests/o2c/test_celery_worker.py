"""A real Celery worker (in-process, solo pool) on the test Redis, against the test database."""

import threading

from django.db import transaction

from o2c.events import publish, subscribe, unsubscribe
from o2c.models import DeliveryStatus, OutboxEvent, WebhookDelivery
from o2c.webhooks import verify, webhook_endpoint_create
from tests.conftest import Receiver, wait_for


def test_worker_dispatches_a_committed_event_to_subscribers_and_webhooks(
    celery_worker: None, webhook_receiver: Receiver, admin_user
) -> None:
    handled = threading.Event()
    seen: list[dict] = []

    def on_confirmed(event: OutboxEvent) -> None:
        seen.append(event.payload)
        handled.set()

    subscribe("tests.pinged", on_confirmed, name="tests.worker")
    try:
        endpoint = webhook_endpoint_create(
            name="ERP", url=webhook_receiver.url, event_types=["tests.pinged"], actor=admin_user
        )
        with transaction.atomic():
            event = publish("tests.pinged", {"order": "SO-2026-000001"})

        assert handled.wait(30), "the worker never ran the subscriber"
        assert webhook_receiver.received.wait(30), "the worker never delivered the webhook"
        request = webhook_receiver.requests[0]
        assert verify(endpoint.secret, request["body"], request["headers"]["X-O2C-Signature"])
        assert seen == [{"order": "SO-2026-000001"}]
        assert wait_for(lambda: OutboxEvent.objects.get(pk=event.pk).dispatched_at is not None)
        assert wait_for(
            lambda: WebhookDelivery.objects.get(event=event).status == DeliveryStatus.SUCCEEDED
        )
    finally:
        unsubscribe("tests.pinged", "tests.worker")
