"""Invoicing a shipment, issuing a draft and crediting lines run a fixed number of queries whatever
the line count (the throughput of automated invoicing depends on it)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.services import credit_note_create, invoice_create_for_order, invoice_create_for_shipment, invoice_issue
from tests.billing.factories import shipped_order

pytestmark = pytest.mark.django_db


def _counts(lines: int, actor) -> tuple[int, int, int]:
    _, shipment = shipped_order([(2, "10.00", "standard")] * lines)
    with CaptureQueriesContext(connection) as automated:
        invoice = invoice_create_for_shipment(shipment_id=shipment.pk)
    order, _ = shipped_order([(2, "10.00", "reduced")] * lines)
    draft = invoice_create_for_order(order_id=order.pk, actor=actor, issue=False)
    with CaptureQueriesContext(connection) as issue:
        invoice_issue(invoice_id=draft.pk, actor=actor)
    with CaptureQueriesContext(connection) as credit:
        credit_note_create(invoice_id=invoice.pk, actor=actor, reason="price",
                           lines=[{"invoice_line": line.pk, "quantity": "1"} for line in invoice.lines.all()])
    return len(automated.captured_queries), len(issue.captured_queries), len(credit.captured_queries)


def test_invoicing_issuing_and_crediting_cost_the_same_for_2_and_20_lines(finance_user):
    _counts(1, finance_user)  # the first audit of each kind of record looks up its content type once
    small, large = _counts(2, finance_user), _counts(20, finance_user)
    print(f"\nqueries (invoice a shipment, issue a draft, credit lines): 2 lines {small}, 20 lines {large}")
    assert small == large
