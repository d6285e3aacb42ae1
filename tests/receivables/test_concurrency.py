"""Allocations under real concurrency (threads, each with its own PostgreSQL connection)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.enums import InvoiceStatus
from billing.models import Invoice
from orders.models import Customer
from receivables.models import Allocation, Payment
from receivables.services.payments import payment_allocate
from tests.billing.factories import billing_customer, issued_invoice
from tests.conftest import race
from tests.receivables.factories import payment_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_allocations_of_one_payment_never_exceed_it() -> None:
    customer = billing_customer()
    invoices = [issued_invoice([(1, "100.00", "standard")], customer=customer) for _ in range(8)]  # 119.00 each
    payment = payment_of(customer, "100.00")

    done, refused = race([lambda pk=i.pk: payment_allocate(payment_id=payment.pk, actor=None,
                                                          allocations=[{"invoice": pk, "amount": "30.00"}])
                          for i in invoices])

    assert len(done) == 3 and len(refused) == 5  # 3 × 30.00 fit in 100.00, a fourth would not
    assert all(r.code == "over_allocated" for r in refused)
    payment.refresh_from_db()
    assert (payment.allocated_amount, payment.unapplied_amount) == (Decimal("90.00"), Decimal("10.00"))
    assert sum(a.amount for a in Allocation.objects.filter(payment=payment)) == Decimal("90.00")
    assert Customer.objects.get(pk=customer.pk).open_balance == Decimal("952.00") - Decimal("90.00")


def test_two_payments_racing_for_one_invoice_pay_it_once() -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    first = payment_of(invoice.customer, "119.00")
    second = payment_of(invoice.customer, "119.00")

    done, refused = race([lambda pk=p.pk: payment_allocate(payment_id=pk, allocations=[{"invoice": invoice.pk}],
                                                           actor=None) for p in (first, second)])

    assert len(done) == 1 and [r.code for r in refused] == ["invoice_not_open"]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_amount == Decimal("119.00")
    assert sorted(Payment.objects.values_list("unapplied_amount", flat=True)) == [0, Decimal("119.00")]
    assert Customer.objects.get(pk=invoice.customer_id).open_balance == 0
    assert Invoice.objects.get(pk=invoice.pk).amount_due == 0
