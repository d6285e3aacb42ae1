"""A real Celery worker (in-process, solo pool) on the test Redis, against the test database."""

import threading
import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from o2c.celery import app
from o2c.events import publish, subscribe, unsubscribe
from o2c.models import DeliveryStatus, OutboxEvent, WebhookDelivery
from o2c.webhooks import verify, webhook_endpoint_create
from tests.conftest import Receiver


@pytest.fixture
def celery_worker(transactional_db) -> Iterator[None]:
    app.control.purge()  # messages left by earlier tests name rows that no longer exist
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
        yield


def _wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_worker_dispatches_a_committed_event_to_subscribers_and_webhooks(
    celery_worker: None, webhook_receiver: Receiver, admin_user
) -> None:
    handled = threading.Event()
    seen: list[dict] = []

    def on_confirmed(event: OutboxEvent) -> None:
        seen.append(event.payload)
        handled.set()

    subscribe("order.confirmed", on_confirmed, name="tests.worker")
    try:
        endpoint = webhook_endpoint_create(
            name="ERP", url=webhook_receiver.url, event_types=["order.confirmed"], actor=admin_user
        )
        with transaction.atomic():
            event = publish("order.confirmed", {"order": "SO-2026-000001"})

        assert handled.wait(30), "the worker never ran the subscriber"
        assert webhook_receiver.received.wait(30), "the worker never delivered the webhook"
        request = webhook_receiver.requests[0]
        assert verify(endpoint.secret, request["body"], request["headers"]["X-O2C-Signature"])
        assert seen == [{"order": "SO-2026-000001"}]
        assert _wait_for(lambda: OutboxEvent.objects.get(pk=event.pk).dispatched_at is not None)
        assert _wait_for(
            lambda: WebhookDelivery.objects.get(event=event).status == DeliveryStatus.SUCCEEDED
        )
    finally:
        unsubscribe("order.confirmed", "tests.worker")
