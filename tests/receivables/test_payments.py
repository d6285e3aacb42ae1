"""Payments and allocation: partial, several invoices, overpayment → credit, early-payment discount,
refunds, write-offs, credit-note credit, and bad input that changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from billing.enums import InvoiceStatus
from billing.models import Invoice
from billing.services import credit_note_create
from o2c.errors import Conflict, NotFound, ValidationFailed
from o2c.models import AuditEvent, OutboxEvent
from orders.models import Customer
from receivables.enums import PaymentMethod
from receivables.models import Allocation, Payment, Refund, WriteOff
from receivables.services.payments import (
    credit_note_credit_record,
    invoice_write_off,
    payment_allocate,
    payment_allocate_oldest,
    payment_record,
    payment_refund,
    promise_to_pay_record,
)
from tests.billing.factories import billing_customer, issued_invoice, issued_on
from tests.orders.factories import PaymentTermFactory
from tests.receivables.factories import payment_of

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _balance(customer: Customer) -> Decimal:
    return Customer.objects.get(pk=customer.pk).open_balance


def _reload(*objs):
    for obj in objs:
        obj.refresh_from_db()


def test_a_partial_payment_leaves_the_invoice_partially_paid() -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])  # 119.00
    customer = invoice.customer
    assert _balance(customer) == Decimal("119.00")
    payment = payment_of(customer, "50.00", invoices=[(invoice, "50.00")])
    _reload(invoice, payment)
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    assert (invoice.amount_due, invoice.paid_amount) == (Decimal("69.00"), Decimal("50.00"))
    assert (payment.allocated_amount, payment.unapplied_amount) == (Decimal("50.00"), 0)
    assert _balance(customer) == Decimal("69.00")
    assert OutboxEvent.objects.filter(type="payment.allocated", payload__payment=payment.pk).exists()
    assert not OutboxEvent.objects.filter(type="invoice.paid").exists()


def test_one_payment_pays_several_invoices_and_the_rest_becomes_credit() -> None:
    customer = billing_customer()
    first = issued_invoice([(1, "100.00", "standard")], customer=customer)  # 119.00
    second = issued_invoice([(2, "50.00", "reduced")], customer=customer)  # 107.00
    payment = payment_of(customer, "250.00", invoices=[first, second])
    _reload(first, second, payment)
    assert first.status == second.status == InvoiceStatus.PAID
    assert first.amount_due == second.amount_due == 0
    assert (payment.allocated_amount, payment.unapplied_amount) == (Decimal("226.00"), Decimal("24.00"))
    assert _balance(customer) == 0
    assert set(OutboxEvent.objects.filter(type="invoice.paid").values_list("payload__number", flat=True)) == {
        first.number, second.number}
    # the credit is applied later to a new invoice
    third = issued_invoice([(1, "10.00", "standard")], customer=customer)  # 11.90
    payment_allocate(payment_id=payment.pk, allocations=[{"invoice": third.pk}], actor=None)
    _reload(third, payment)
    assert third.status == InvoiceStatus.PAID and payment.unapplied_amount == Decimal("12.10")


def test_an_unallocated_payment_waits_as_credit_and_goes_to_the_oldest_invoices_first() -> None:
    customer = billing_customer()
    old = issued_on(TODAY() - datetime.timedelta(days=20), [(1, "100.00", "standard")], customer=customer)
    new = issued_invoice([(1, "100.00", "standard")], customer=customer)
    payment = payment_of(customer, "150.00")
    assert payment.unapplied_amount == Decimal("150.00") and _balance(customer) == Decimal("238.00")
    allocations = payment_allocate_oldest(payment_id=payment.pk, actor=None)
    assert [a.invoice_id for a in allocations] == [old.pk, new.pk]
    _reload(old, new, payment)
    assert old.status == InvoiceStatus.PAID and new.amount_due == Decimal("88.00")
    assert payment.unapplied_amount == 0 and _balance(customer) == Decimal("88.00")


def _discount_customer() -> Customer:
    term = PaymentTermFactory(code="2-10-30", name="2 % 10 days, 30 net", net_days=30, discount_percent=2,
                              discount_days=10)
    return billing_customer(payment_term=term)


def test_the_early_payment_discount_is_granted_when_paid_within_its_days() -> None:
    customer = _discount_customer()
    invoice = issued_on(TODAY() - datetime.timedelta(days=5), [(1, "100.00", "standard")], customer=customer)
    assert invoice.discount_amount == Decimal("2.38")  # 2 % of 119.00
    payment = payment_of(customer, "116.62", invoices=[invoice])  # no amount: owed less the discount
    _reload(invoice, payment)
    allocation = Allocation.objects.get(payment=payment)
    assert (allocation.amount, allocation.discount_amount) == (Decimal("116.62"), Decimal("2.38"))
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_due == 0
    assert invoice.paid_amount == Decimal("119.00") and payment.unapplied_amount == 0
    assert _balance(customer) == 0


def test_no_discount_after_its_last_day_or_for_a_short_payment() -> None:
    customer = _discount_customer()
    late = issued_on(TODAY() - datetime.timedelta(days=11), [(1, "100.00", "standard")], customer=customer)
    payment_of(customer, "116.62", invoices=[(late, "116.62")])
    late.refresh_from_db()
    assert late.status == InvoiceStatus.PARTIALLY_PAID and late.amount_due == Decimal("2.38")
    in_time = issued_on(TODAY() - datetime.timedelta(days=10), [(1, "100.00", "standard")], customer=customer)
    payment_of(customer, "100.00", invoices=[(in_time, "100.00")])
    in_time.refresh_from_db()
    assert in_time.amount_due == Decimal("19.00")  # short of owed − discount: no discount
    assert not Allocation.objects.filter(discount_amount__gt=0).exists()
    # the discount day itself counts: the rest is paid in time and the discount granted
    payment_of(customer, "16.62", invoices=[in_time])
    in_time.refresh_from_db()
    assert in_time.status == InvoiceStatus.PAID
    assert Allocation.objects.get(discount_amount__gt=0).discount_amount == Decimal("2.38")


def test_a_credit_note_on_a_paid_invoice_gives_the_customer_credit_it_can_apply_or_have_refunded() -> None:
    customer = billing_customer()
    invoice = issued_invoice([(1, "100.00", "standard")], customer=customer)
    payment_of(customer, "119.00", invoices=[invoice])
    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="price", amount="23.80")
    assert note.customer_credit == Decimal("23.80") and _balance(customer) == 0
    credit = credit_note_credit_record(credit_note_id=note.pk)
    assert credit_note_credit_record(credit_note_id=note.pk) == credit  # once
    assert (credit.method, credit.unapplied_amount, credit.reference) == (PaymentMethod.CREDIT_NOTE,
                                                                          Decimal("23.80"), note.number)
    refund = payment_refund(payment_id=credit.pk, amount="3.80", reference="SEPA 4711", actor=None)
    credit.refresh_from_db()
    assert (credit.refunded_amount, credit.unapplied_amount) == (Decimal("3.80"), Decimal("20.00"))
    assert Refund.objects.get().pk == refund.pk
    with pytest.raises(Conflict):
        payment_refund(payment_id=credit.pk, amount="20.01", actor=None)
    other = issued_invoice([(1, "50.00", "standard")], customer=customer)  # 59.50
    payment_allocate(payment_id=credit.pk, allocations=[{"invoice": other.pk}], actor=None)
    other.refresh_from_db()
    assert other.amount_due == Decimal("39.50") and _balance(customer) == Decimal("39.50")


def test_the_credit_note_event_records_the_credit_through_the_subscriber() -> None:
    from o2c.events import event_dispatch

    invoice = issued_invoice([(1, "100.00", "standard")])
    payment_of(invoice.customer, "119.00", invoices=[invoice])
    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="goodwill", amount="11.90")
    event = OutboxEvent.objects.get(type="credit_note.issued", payload__credit_note=note.pk)
    event_dispatch(event_id=str(event.pk))
    event_dispatch(event_id=str(event.pk))
    assert Payment.objects.get(credit_note=note).unapplied_amount == Decimal("11.90")


def test_a_small_residual_is_written_off_and_a_large_one_refused() -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    payment_of(invoice.customer, "110.00", invoices=[(invoice, "110.00")])
    with pytest.raises(Conflict, match=r"only balances up to 5\.00"):
        invoice_write_off(invoice_id=invoice.pk, reason="small_balance", actor=None)
    payment_of(invoice.customer, "5.50", invoices=[(invoice, "5.50")])
    write_off = invoice_write_off(invoice_id=invoice.pk, reason="bank_charges", note="fee kept by bank", actor=None)
    invoice.refresh_from_db()
    assert write_off.amount == Decimal("3.50")
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_due == 0
    assert _balance(invoice.customer) == 0
    assert AuditEvent.objects.filter(action="written_off", object_id=str(invoice.pk)).exists()
    with pytest.raises(Conflict):
        invoice_write_off(invoice_id=invoice.pk, reason="small_balance", actor=None)


def test_the_same_bank_transaction_is_one_payment() -> None:
    invoice = issued_invoice()
    payment_of(invoice.customer, "10.00", bank_transaction_id="TX-1")
    with pytest.raises(Conflict, match="recorded already"):
        payment_of(invoice.customer, "10.00", bank_transaction_id="TX-1")
    assert Payment.objects.count() == 1


def _counts() -> tuple[int, ...]:
    return (Payment.objects.count(), Allocation.objects.count(), OutboxEvent.objects.count(),
            AuditEvent.objects.count())


@pytest.mark.parametrize(("fields", "field"), [
    ({"amount": "0"}, "amount"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "abc"}, "amount"),
    ({"amount": 1.5}, "amount"),
    ({"amount": "1.001"}, "amount"),
    ({"method": "bitcoin"}, "method"),
    ({"method": "credit_note"}, "method"),
    ({"received_date": "2026-13-01"}, "received_date"),
    ({"received_date": "tomorrow"}, "received_date"),
    ({"currency": "USD"}, "currency"),
    ({"allocations": "all"}, "allocations"),
    ({"allocations": [{"amount": "1"}]}, "allocations"),
    ({"allocations": [{"invoice": 0}]}, "allocations"),
    ({"allocations": [{"invoice": "OWN", "amount": "200.00"}]}, "allocations"),
    ({"allocations": [{"invoice": "OWN", "amount": "400.00"}], "amount": "400.00"}, "allocations"),
    ({"allocations": [{"invoice": "OWN"}, {"invoice": "OWN"}]}, "allocations"),
    ({"allocations": [{"invoice": "OTHER"}]}, "allocations"),
])
def test_bad_payments_are_refused_and_write_nothing(fields, field) -> None:
    invoice = issued_invoice()  # 357.00
    other = issued_invoice()
    for item in fields.get("allocations", []) if isinstance(fields.get("allocations"), list) else []:
        item["invoice"] = {"OWN": invoice.pk, "OTHER": other.pk}.get(item.get("invoice"), item.get("invoice"))
    kwargs = {"customer_id": invoice.customer_id, "amount": "100.00", "method": "bank_transfer",
              "received_date": TODAY(), "actor": None, **fields}
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        payment_record(**kwargs)
    assert field in caught.value.details, caught.value.details
    assert _counts() == before
    invoice.refresh_from_db()
    assert invoice.amount_due == invoice.gross_total


def test_a_payment_in_the_future_or_to_a_paid_invoice_is_refused() -> None:
    invoice = issued_invoice([(1, "10.00", "standard")])
    with pytest.raises(ValidationFailed, match="future"):
        payment_of(invoice.customer, "5.00", received=TODAY() + datetime.timedelta(days=1))
    payment_of(invoice.customer, "11.90", invoices=[invoice])
    with pytest.raises(Conflict, match="owes nothing"):
        payment_of(invoice.customer, "5.00", invoices=[invoice])
    with pytest.raises(NotFound):
        payment_allocate(payment_id=999999, allocations=[{"invoice": invoice.pk}], actor=None)


def test_allocating_more_than_the_payment_has_is_refused() -> None:
    customer = billing_customer()
    first = issued_invoice([(1, "100.00", "standard")], customer=customer)
    second = issued_invoice([(1, "100.00", "standard")], customer=customer)
    payment = payment_of(customer, "150.00")
    with pytest.raises(ValidationFailed, match=r"150\.00 EUR left"):
        payment_allocate(payment_id=payment.pk, allocations=[{"invoice": first.pk, "amount": "100.00"},
                                                             {"invoice": second.pk, "amount": "60.00"}], actor=None)
    assert not Allocation.objects.exists()


def test_the_database_refuses_inconsistent_amounts() -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    payment = payment_of(invoice.customer, "50.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(allocated_amount=Decimal("60.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(unapplied_amount=Decimal("-1"), allocated_amount=51)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(amount_due=Decimal("-0.01"))
    payment_allocate(payment_id=payment.pk, allocations=[{"invoice": invoice.pk}], actor=None)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE receivables_allocation SET amount = 1")  # append-only


def test_a_promise_to_pay_is_recorded_on_the_invoice() -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    promise = promise_to_pay_record(invoice_id=invoice.pk, promised_date=TODAY() + datetime.timedelta(days=7),
                                    amount="119.00", note="CFO promised by phone", actor=None)
    assert promise.invoice_id == invoice.pk
    assert AuditEvent.objects.filter(action="promise_to_pay", object_id=str(invoice.pk)).exists()
    with pytest.raises(ValidationFailed):
        promise_to_pay_record(invoice_id=invoice.pk, promised_date=TODAY() - datetime.timedelta(days=1), actor=None)


def test_write_offs_and_allocations_never_exceed_what_is_owed_in_the_ledger_tables() -> None:
    invoice = issued_invoice([(1, "4.00", "standard")])  # 4.76
    invoice_write_off(invoice_id=invoice.pk, reason="small_balance", actor=None)
    assert WriteOff.objects.get().amount == Decimal("4.76")
    invoice.refresh_from_db()
    assert invoice.paid_amount + invoice.credited_amount + invoice.amount_due == invoice.gross_total
