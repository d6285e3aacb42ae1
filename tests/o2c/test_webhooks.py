import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from o2c.errors import ValidationFailed
from o2c.events import event_dispatch, publish
from o2c.models import DeliveryStatus, WebhookDelivery
from o2c.webhooks import (
    backoff,
    verify,
    webhook_delivery_attempt,
    webhook_endpoint_create,
    webhook_endpoint_update,
)
from tests.conftest import Receiver


def _make_due(delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db(transaction=True)
def test_delivery_is_signed_and_recorded(webhook_receiver: Receiver, admin_user) -> None:
    endpoint = webhook_endpoint_create(
        name="ERP", url=webhook_receiver.url, event_types=["invoice.issued"], actor=admin_user
    )
    with transaction.atomic():
        event = publish("invoice.issued", {"invoice": "INV-2026-000001", "total": "119.00"})
        publish("order.confirmed", {"order": 1})  # not subscribed: no delivery
    event_dispatch(event_id=str(event.pk))
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)

    webhook_delivery_attempt(delivery_id=delivery.pk)

    assert len(webhook_receiver.requests) == 1
    request = webhook_receiver.requests[0]
    assert verify(endpoint.secret, request["body"], request["headers"]["X-O2C-Signature"])
    assert not verify("another-secret", request["body"], request["headers"]["X-O2C-Signature"])
    assert request["headers"]["X-O2C-Event-Id"] == str(event.pk)
    assert request["json"]["type"] == "invoice.issued"
    assert request["json"]["data"] == {"invoice": "INV-2026-000001", "total": "119.00"}
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert [(a.number, a.response_code, a.succeeded) for a in delivery.attempt_log.all()] == [(1, 200, True)]
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@override_settings(O2C_WEBHOOK_MAX_ATTEMPTS=3)
def test_failing_receiver_is_retried_with_backoff_and_every_attempt_recorded(
    webhook_receiver: Receiver, admin_user
) -> None:
    webhook_receiver.status = 503
    webhook_endpoint_create(name="Flaky", url=webhook_receiver.url, event_types=[], actor=admin_user)
    with transaction.atomic():
        event = publish("payment.received", {"payment": 5})
    event_dispatch(event_id=str(event.pk))
    delivery = WebhookDelivery.objects.get(event=event)

    before = timezone.now()
    webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at >= before + backoff(1)
    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None  # not due yet: nothing sent
    assert len(webhook_receiver.requests) == 1

    _make_due(delivery)
    webhook_delivery_attempt(delivery_id=delivery.pk)
    _make_due(delivery)
    webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert [(a.number, a.response_code, a.succeeded) for a in delivery.attempt_log.all()] == [
        (1, 503, False), (2, 503, False), (3, 503, False),
    ]
    assert len(webhook_receiver.requests) == 3
    # all three carried the same event id, so the receiver can dedupe
    assert {r["headers"]["X-O2C-Event-Id"] for r in webhook_receiver.requests} == {str(event.pk)}


@pytest.mark.django_db(transaction=True)
def test_unreachable_receiver_is_recorded_as_an_error(admin_user) -> None:
    webhook_endpoint_create(name="Gone", url="http://127.0.0.1:9/nothing", event_types=[], actor=admin_user)
    with transaction.atomic():
        event = publish("order.cancelled", {"order": 2})
    event_dispatch(event_id=str(event.pk))
    delivery = webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get(event=event).pk)
    attempt = delivery.attempt_log.get()
    assert attempt.response_code is None and attempt.error and not attempt.succeeded


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(30) == timedelta(hours=6)


@pytest.mark.django_db
def test_bad_endpoint_is_refused_with_field_errors(admin_user) -> None:
    with pytest.raises(ValidationFailed) as err:
        webhook_endpoint_create(name=" ", url="ftp://x", event_types=["nodot"], actor=admin_user)
    assert set(err.value.details) == {"name", "url", "event_types"}


@pytest.mark.django_db
def test_update_is_audited_with_the_changes(admin_user, webhook_receiver: Receiver) -> None:
    endpoint = webhook_endpoint_create(name="ERP", url=webhook_receiver.url, event_types=[], actor=admin_user)
    webhook_endpoint_update(endpoint_id=endpoint.pk, actor=admin_user, is_active=False)
    from o2c.audit import timeline

    latest = timeline(endpoint).first()
    assert latest.action == "updated" and latest.actor == admin_user
    assert json.loads(json.dumps(latest.data))["changes"] == {"is_active": [True, False]}
