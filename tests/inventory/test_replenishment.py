import datetime
from decimal import Decimal

import pytest
from django.core import mail

from inventory.enums import ReplenishmentStatus
from inventory.models import ReplenishmentRequest
from inventory.services import (
    expected_receipt_receive,
    replenishment_mark_ordered,
    replenishment_run,
)
from inventory.tasks import replenishment_run_task
from o2c.errors import InvalidTransition
from tests.inventory.factories import ReorderRuleFactory, stocked


@pytest.fixture
def low_rule(warehouse_user):
    warehouse_user.email = "wanda@o2c.example"
    warehouse_user.save()
    rule = ReorderRuleFactory(reorder_point=Decimal(10), reorder_quantity=Decimal(50))
    stocked(rule.product, rule.warehouse, 4)
    ReorderRuleFactory(reorder_point=Decimal(3))  # another product, nothing on hand but point 3
    return rule


def test_one_open_request_per_product_warehouse_and_one_digest(low_rule, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = replenishment_run(actor=None)
    assert len(created) == 2
    request = ReplenishmentRequest.objects.get(product=low_rule.product)
    assert (request.quantity, request.projected_quantity, request.status) == (50, 4, "open")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["wanda@o2c.example"]
    assert low_rule.product.sku in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        assert replenishment_run(actor=None) == []  # the daily job ran twice: nothing new
    assert replenishment_run_task.apply().get() == 0  # the task body, run in this process
    assert ReplenishmentRequest.objects.count() == 2
    assert len(mail.outbox) == 1


def test_ordering_creates_the_receipt_and_receiving_closes_the_request(low_rule, warehouse_user) -> None:
    [request, _other] = sorted(replenishment_run(actor=None), key=lambda r: r.product_id != low_rule.product_id)
    receipt = replenishment_mark_ordered(request_id=request.pk, expected_date=datetime.date.today(),
                                         actor=warehouse_user, reference="PO-42")
    request.refresh_from_db()
    assert (request.status, request.expected_receipt, receipt.quantity, receipt.reference) == (
        ReplenishmentStatus.ORDERED, receipt, 50, "PO-42")
    # incoming now covers the point: the next run raises nothing for it
    assert all(r.product_id != low_rule.product_id for r in replenishment_run(actor=None))
    with pytest.raises(InvalidTransition):
        replenishment_mark_ordered(request_id=request.pk, expected_date=datetime.date.today(), actor=None)
    expected_receipt_receive(receipt_id=receipt.pk, actor=warehouse_user)
    request.refresh_from_db()
    assert request.status == ReplenishmentStatus.RECEIVED


def test_cancelling_an_ordered_request_cancels_its_open_receipt(low_rule, warehouse_user) -> None:
    from inventory.services import replenishment_cancel

    request = next(r for r in replenishment_run(actor=None) if r.product_id == low_rule.product_id)
    receipt = replenishment_mark_ordered(request_id=request.pk, expected_date=datetime.date.today(),
                                         actor=warehouse_user)
    replenishment_cancel(request_id=request.pk, actor=warehouse_user)
    receipt.refresh_from_db()
    assert receipt.status == "cancelled"
    # nothing is incoming any more: the next run raises a fresh request
    assert [r.product_id for r in replenishment_run(actor=None)] == [low_rule.product_id]
