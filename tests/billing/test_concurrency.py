"""Gap-free numbers and exactly-once invoicing under real concurrency (threads, PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from billing.models import Invoice, InvoiceLine, InvoicingQueueItem
from billing.services import (
    invoice_create_for_order,
    invoice_create_for_shipment,
    invoice_issue,
    invoicing_queue_add,
    invoicing_queue_take,
)
from o2c.numbering import peek_last_number
from tests.billing.factories import shipped_order
from tests.conftest import race

pytestmark = pytest.mark.django_db(transaction=True)


def _number(invoice: Invoice) -> int:
    return int(invoice.number.rsplit("-", 1)[1])


def test_twenty_concurrent_issuers_get_consecutive_numbers_without_gap_or_duplicate() -> None:
    drafts = []
    for _ in range(20):
        order, _ = shipped_order([(1, "10.00", "standard")])
        drafts.append(invoice_create_for_order(order_id=order.pk, issue=False))
    year = timezone.localdate().year
    before = peek_last_number("INV", year)

    issued, refused = race([lambda pk=draft.pk: invoice_issue(invoice_id=pk, actor=None) for draft in drafts])

    assert refused == [] and len(issued) == 20
    numbers = sorted(_number(invoice) for invoice in Invoice.objects.filter(number__isnull=False))
    assert numbers == list(range(before + 1, before + 21))
    assert peek_last_number("INV", year) == before + 20


def test_a_failed_issue_leaves_no_gap() -> None:
    order, _ = shipped_order([(1, "10.00", "standard")])
    draft = invoice_create_for_order(order_id=order.pk, issue=False)
    year = timezone.localdate().year
    before = peek_last_number("INV", year)
    with pytest.raises(RuntimeError), transaction.atomic():
        invoice_issue(invoice_id=draft.pk, actor=None)
        raise RuntimeError("the caller's transaction fails after the number was drawn")
    assert Invoice.objects.get(pk=draft.pk).number is None and peek_last_number("INV", year) == before
    assert _number(invoice_issue(invoice_id=draft.pk, actor=None)) == before + 1


def test_workers_racing_on_one_shipment_make_one_invoice() -> None:
    _, shipment = shipped_order([(2, "10.00", "standard"), (1, "5.00", "reduced")])

    made, refused = race([lambda: invoice_create_for_shipment(shipment_id=shipment.pk) for _ in range(6)])

    assert refused == []
    assert len([m for m in made if m is not None]) == 1
    assert Invoice.objects.count() == 1 and InvoiceLine.objects.count() == 2


def test_workers_taking_the_invoicing_queue_together_invoice_each_shipment_once() -> None:
    shipments = [shipped_order([(1, "10.00", "standard")])[1] for _ in range(12)]
    invoicing_queue_add(shipment_ids=[s.pk for s in shipments])
    invoicing_queue_add(shipment_ids=[shipments[0].pk])  # queued twice: once

    taken, refused = race([lambda: invoicing_queue_take(limit=5) for _ in range(4)])

    assert refused == [] and sorted(taken, reverse=True)[:2] == [5, 5]  # disjoint batches, side by side
    assert sum(taken) == 12 and not InvoicingQueueItem.objects.exists()
    assert Invoice.objects.filter(shipment__in=shipments).count() == 12
