"""Recording a payment for many invoices runs a fixed number of queries whatever their count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from receivables.services.payments import payment_allocate, payment_record
from tests.billing.factories import billing_customer, issued_invoice

pytestmark = pytest.mark.django_db


def _counts(invoices: int, actor) -> tuple[int, int]:
    customer = billing_customer()
    half = [issued_invoice([(1, "10.00", "standard")], customer=customer) for _ in range(invoices)]
    rest = [issued_invoice([(1, "10.00", "standard")], customer=customer) for _ in range(invoices)]
    amount = str(sum(i.gross_total for i in half + rest))
    with CaptureQueriesContext(connection) as record:
        payment = payment_record(customer_id=customer.pk, amount=amount, method="bank_transfer",
                                 received_date="2026-01-02", actor=actor,
                                 allocations=[{"invoice": i.pk} for i in half])
    with CaptureQueriesContext(connection) as allocate:
        payment_allocate(payment_id=payment.pk, allocations=[{"invoice": i.pk, "amount": "11.90"} for i in rest],
                         actor=actor)
    return len(record.captured_queries), len(allocate.captured_queries)


def test_paying_2_or_20_invoices_costs_the_same(finance_user) -> None:
    _counts(1, finance_user)  # the first audit of each kind of record looks up its content type once
    small, large = _counts(2, finance_user), _counts(20, finance_user)
    print(f"\nqueries (record + allocate, then allocate the rest): 2 invoices {small}, 20 invoices {large}")
    assert small == large
