"""AR aging: bucket boundaries, as-of dates in the past, drill-down, and the totals that must agree."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from billing.enums import OPEN_STATUSES
from billing.models import Invoice
from billing.services import credit_note_create
from orders.models import Customer
from receivables.enums import AgingBucket
from receivables.selectors.aging import aging_invoices, aging_report, bucket_of
from receivables.services.payments import invoice_write_off
from tests.billing.factories import billing_customer, issued_on, overdue_invoice
from tests.receivables.factories import payment_of

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.mark.parametrize(("days", "bucket"), [
    (-5, "current"), (0, "current"), (1, "1_30"), (30, "1_30"), (31, "31_60"), (60, "31_60"), (61, "61_90"),
    (90, "61_90"), (91, "90_plus"), (400, "90_plus"),
])
def test_bucket_boundaries(days, bucket) -> None:
    assert bucket_of(days) == bucket


def test_each_invoice_lands_in_its_bucket_by_days_past_due() -> None:
    customer = billing_customer()
    expected = {0: "current", 1: "1_30", 30: "1_30", 31: "31_60", 60: "31_60", 61: "61_90", 90: "61_90",
                91: "90_plus"}
    by_days = {days: overdue_invoice(days, [(1, "100.00", "standard")], customer=customer) for days in expected}
    items = {item.invoice_id: item for item in aging_invoices(customer_id=customer.pk)}
    for days, invoice in by_days.items():
        assert (items[invoice.pk].days_overdue, items[invoice.pk].bucket) == (days, expected[days])
    (row,) = aging_report(customer_id=customer.pk).rows
    assert row.buckets == {"current": Decimal("119.00"), "1_30": Decimal("238.00"), "31_60": Decimal("238.00"),
                           "61_90": Decimal("238.00"), "90_plus": Decimal("119.00")}
    assert row.total == Decimal("952.00") and row.invoices == 8
    assert [i.invoice_id for i in aging_invoices(bucket="31_60", customer_id=customer.pk)] == [
        by_days[60].pk, by_days[31].pk]


def test_the_aging_total_is_the_open_amounts_and_the_customers_balances() -> None:
    one, two = billing_customer(), billing_customer()
    a = overdue_invoice(45, [(2, "100.00", "standard")], customer=one)
    overdue_invoice(5, [(1, "80.00", "reduced")], customer=one)
    c = overdue_invoice(100, [(1, "100.00", "standard")], customer=two)
    overdue_invoice(-3, [(1, "10.00", "standard")], customer=two)
    payment_of(one, "100.00", invoices=[(a, "100.00")])
    credit_note_create(invoice_id=c.pk, actor=None, reason="price", amount="19.00")
    report = aging_report()
    total = report.totals["EUR"]
    open_due = Invoice.objects.filter(status__in=OPEN_STATUSES).aggregate(s=Sum("amount_due"))["s"]
    balances = Customer.objects.aggregate(s=Sum("open_balance"))["s"]
    assert total.total == open_due == balances == Decimal("138.00") + Decimal("85.60") + Decimal("100.00") + \
        Decimal("11.90")
    assert sum((r.total for r in report.rows), Decimal(0)) == total.total
    assert {r.customer_id for r in report.rows} == {one.pk, two.pk}


def test_aging_as_of_a_past_day_counts_what_was_owed_then() -> None:
    today = timezone.localdate()
    customer = billing_customer()
    old = issued_on(today - 60 * DAY, [(1, "100.00", "standard")], customer=customer)  # due today − 30
    issued_on(today - 3 * DAY, [(1, "50.00", "standard")], customer=customer)  # not issued 10 days ago
    payment_of(customer, "119.00", invoices=[old], received=today - 5 * DAY)
    small = issued_on(today - 40 * DAY, [(1, "4.00", "standard")], customer=customer)  # due today − 10
    invoice_write_off(invoice_id=small.pk, reason="small_balance", actor=None)

    then = aging_report(today - 10 * DAY, customer_id=customer.pk)
    (row,) = then.rows
    assert row.buckets[AgingBucket.DAYS_1_30] == Decimal("119.00")  # 20 days past due then, paid since
    assert row.buckets[AgingBucket.CURRENT] == Decimal("4.76")  # due that very day, written off since
    assert row.total == Decimal("123.76") and row.invoices == 2

    before = aging_report(today - 61 * DAY, customer_id=customer.pk)
    assert before.rows == []  # nothing issued yet
    (now,) = aging_report(customer_id=customer.pk).rows
    assert now.total == Decimal("59.50") and now.buckets[AgingBucket.CURRENT] == Decimal("59.50")
    items = aging_invoices(today - 10 * DAY, customer_id=customer.pk)
    assert [(i.number, i.outstanding, i.days_overdue) for i in items] == [
        (old.number, Decimal("119.00"), 20), (small.number, Decimal("4.76"), 0)]
