from datetime import timedelta

import pytest
from django.db import transaction

from o2c.events import event_dispatch, pending_event_ids, publish, subscribe, unsubscribe
from o2c.models import EventReceipt, OutboxEvent


@pytest.fixture
def recorder():
    calls: list[str] = []

    def on_shipped(event: OutboxEvent) -> None:
        calls.append(str(event.pk))

    subscribe("test.shipped", on_shipped, name="tests.recorder")
    yield calls
    unsubscribe("test.shipped", "tests.recorder")


@pytest.mark.django_db(transaction=True)
def test_event_of_a_rolled_back_transaction_is_never_delivered(recorder: list[str]) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        publish("test.shipped", {"shipment": 1})
        raise RuntimeError("the shipment failed to save")

    assert OutboxEvent.objects.count() == 0
    for event_id in pending_event_ids(older_than=timedelta(0)):
        event_dispatch(event_id=event_id)
    assert recorder == []


@pytest.mark.django_db(transaction=True)
def test_committed_event_reaches_each_subscriber_once_even_when_dispatched_twice(recorder: list[str]) -> None:
    other: list[str] = []
    subscribe("test.shipped", lambda e: other.append(e.type), name="tests.other")
    try:
        with transaction.atomic():
            event = publish("test.shipped", {"shipment": 7})

        assert event_dispatch(event_id=str(event.pk)) is True
        assert event_dispatch(event_id=str(event.pk)) is True  # the at-least-once second delivery

        assert recorder == [str(event.pk)]
        assert other == ["test.shipped"]
        assert EventReceipt.objects.filter(event=event).count() == 2
        event.refresh_from_db()
        assert event.dispatched_at is not None
    finally:
        unsubscribe("test.shipped", "tests.other")


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_is_retried_without_repeating_the_others(recorder: list[str]) -> None:
    failures = {"left": 1}

    def flaky(event: OutboxEvent) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise ValueError("billing is down")

    subscribe("test.shipped", flaky, name="tests.flaky")
    try:
        with transaction.atomic():
            event = publish("test.shipped", {"shipment": 9})
        assert event_dispatch(event_id=str(event.pk)) is False
        event.refresh_from_db()
        assert event.dispatched_at is None and event.attempts == 1
        assert "billing is down" in event.last_error
        assert not EventReceipt.objects.filter(event=event, subscriber="tests.flaky").exists()

        assert event_dispatch(event_id=str(event.pk)) is True
        assert recorder == [str(event.pk)]  # the healthy subscriber ran once, not twice
        assert EventReceipt.objects.filter(event=event, subscriber="tests.flaky").exists()
    finally:
        unsubscribe("test.shipped", "tests.flaky")


@pytest.mark.django_db
def test_publish_queues_dispatch_only_after_commit(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event = publish("test.shipped", {"shipment": 3})
    assert len(callbacks) == 1
    assert OutboxEvent.objects.get(pk=event.pk).payload == {"shipment": 3}
