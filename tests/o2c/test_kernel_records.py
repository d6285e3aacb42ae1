import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, transaction

from o2c.audit import audit_record, timeline
from o2c.errors import InvalidTransition
from o2c.models import AuditEvent, DeliveryStatus, WebhookDelivery
from o2c.states import transition
from o2c.webhooks import webhook_delivery_redeliver, webhook_endpoint_create, webhook_endpoint_ping


@pytest.mark.django_db
def test_audit_trail_is_append_only_in_the_database(admin_user: User) -> None:
    event = audit_record(obj=admin_user, action="created", actor=admin_user, data={"role": "Admin"})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert timeline(admin_user).get().action == "created"


@pytest.mark.django_db
def test_transition_follows_the_table_and_is_audited(admin_user: User) -> None:
    endpoint = webhook_endpoint_create(name="E", url="https://e.example", event_types=[], actor=admin_user)
    delivery = webhook_endpoint_ping(endpoint_id=endpoint.pk, actor=admin_user)
    with pytest.raises(InvalidTransition) as err:
        transition(delivery, to=DeliveryStatus.PENDING, actor=admin_user, allowed=WebhookDelivery.TRANSITIONS)
    assert err.value.status == 409 and err.value.details["from"] == "pending"

    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    webhook_delivery_redeliver(delivery_id=delivery.pk, actor=admin_user)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    entry = timeline(delivery).get()
    assert (entry.from_state, entry.to_state, entry.actor) == ("failed", "pending", admin_user)
