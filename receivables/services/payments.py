"""Payments and their allocation to invoices; refunds, write-offs, promises to pay.

Lock order (the project's): invoices by id → the payment → the customer. Every allocation moves, in one
transaction, the invoice's `amount_due` / `paid_amount` / status, the payment's `allocated` / `unapplied`
amounts and the customer's `open_balance` (= Σ amount_due of its open invoices). CHECK constraints are
the last line: a payment never allocates more than it is, an invoice never owes less than nothing.

The early-payment discount: a payment received by the invoice's discount date that leaves no more open
than the discount settles the invoice, the rest as discount (`Allocation.discount_amount`), once per
invoice. `paid_amount` counts what receivables settled: cash, discount and write-offs.
"""

from __future__ import annotations

import datetime
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.enums import INVOICE_TRANSITIONS, OPEN_STATUSES, InvoiceStatus
from billing.models import CreditNote, Invoice
from billing.services.invoices import actor_or_none, customers_owe
from o2c.audit import audit_record, audit_record_many
from o2c.bulk import bulk_set
from o2c.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from o2c.events import publish, publish_many
from o2c.money import CENT
from o2c.numbering import next_number
from orders.models import Customer
from orders.pricing import parse_decimal

from ..enums import CASH_METHODS, PAYMENT_SERIES, PaymentMethod, WriteOffReason
from ..models import Allocation, Payment, PromiseToPay, Refund, WriteOff
from ..selectors.dunning import dunning_policy
from .credit_control import credit_hold_release_if_settled

if TYPE_CHECKING:
    from ..matching import OpenInvoice

ZERO = Decimal(0)


def money(raw: object, field: str = "amount", *, low: Decimal = CENT) -> Decimal:
    """A positive amount of money from a form, the API or a file: a clear message otherwise."""
    try:
        return parse_decimal(raw, low=low, high=None, places=2)
    except ValueError as exc:
        raise ValidationFailed(f"{field.replace('_', ' ').capitalize()}: {exc}", details={field: [str(exc)]}) from None


def a_date(raw: object, field: str) -> datetime.date:
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    try:
        return datetime.date.fromisoformat(str(raw).strip())
    except ValueError:
        message = "Enter a date as YYYY-MM-DD."
        raise ValidationFailed(message, details={field: [message]}) from None


def lock_payment(payment_id: int) -> Payment:
    try:
        return Payment.objects.select_for_update(of=("self",)).get(pk=payment_id)
    except (Payment.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"Payment {payment_id} does not exist.") from None


def lock_open_invoices(ids: Sequence[int], *, customer_id: int, currency: str) -> dict[int, Invoice]:
    """The invoices, locked in id order, each checked to be open, the customer's and in the currency."""
    invoices = {i.pk: i for i in Invoice.objects.select_for_update(of=("self",)).filter(pk__in=set(ids)).order_by("pk")}
    for pk in ids:
        invoice = invoices.get(pk)
        if invoice is None:
            raise ValidationFailed(f"Invoice {pk} does not exist.", details={"allocations": [f"No invoice {pk}."]})
        if invoice.customer_id != customer_id:
            raise ValidationFailed(f"Invoice {invoice} is another customer's.",
                                   details={"allocations": [f"{invoice} is another customer's."]})
        if invoice.currency != currency:
            raise ValidationFailed(f"Invoice {invoice} is in {invoice.currency}, the payment in {currency}.",
                                   details={"allocations": [f"{invoice} is in {invoice.currency}."]})
        if invoice.status not in OPEN_STATUSES or invoice.amount_due <= 0:
            raise Conflict(f"Invoice {invoice} is {invoice.get_status_display().lower()} and owes nothing.",
                           code="invoice_not_open", details={"invoice": invoice.pk, "status": invoice.status})
    return invoices


def discount_available(invoice: Invoice | OpenInvoice, on: datetime.date, *, discounted: Container[int]) -> Decimal:
    """The early-payment discount a payment made `on` that day may still take for the invoice (once per
    invoice: none when its id is among `discounted`). The one statement of the rule; matching uses it too."""
    if (invoice.discount_amount <= 0 or invoice.discount_date is None or on > invoice.discount_date
            or invoice.pk in discounted):
        return ZERO
    return min(invoice.discount_amount, invoice.amount_due)


@dataclass
class Plan:
    invoice: Invoice
    amount: Decimal
    discount: Decimal


def _plan(payment: Payment, invoices: dict[int, Invoice], wanted: Sequence[Mapping[str, Any]]) -> list[Plan]:
    discounted = set(Allocation.objects.filter(invoice_id__in=invoices, discount_amount__gt=0)
                     .values_list("invoice_id", flat=True))
    left, plans, seen = payment.unapplied_amount, [], set()
    for item in wanted:
        invoice = invoices[int(item["invoice"])]
        if invoice.pk in seen:
            raise ValidationFailed(f"Invoice {invoice} is listed twice.", details={"allocations": ["Listed twice."]})
        seen.add(invoice.pk)
        on = max(payment.received_date, invoice.issue_date)
        discount = discount_available(invoice, on, discounted=discounted)
        raw = item.get("amount")
        amount = min(invoice.amount_due - discount, left) if raw in (None, "") else money(raw)
        if amount > invoice.amount_due:
            raise ValidationFailed(f"{invoice} owes {invoice.amount_due} {invoice.currency}; {amount} is more. "
                                   "Leave the rest unapplied as the customer's credit.",
                                   details={"allocations": [f"At most {invoice.amount_due} for {invoice}."]})
        if amount > left:
            have = payment.unapplied_amount
            raise ValidationFailed(f"The payment has {have} {payment.currency} left to allocate; the allocations "
                                   f"ask for {have - left + amount}.", code="over_allocated",
                                   details={"allocations": [f"At most {have} in all."]})
        granted = invoice.amount_due - amount if amount >= invoice.amount_due - discount else ZERO
        if amount <= 0 and granted <= 0:
            continue
        left -= amount
        plans.append(Plan(invoice, amount, granted))
    if not plans:
        raise ValidationFailed("Nothing to allocate: the payment has no amount left or the invoices owe nothing.",
                               code="nothing_to_allocate", details={"allocations": ["Nothing to allocate."]})
    return plans


def _apply(payment: Payment, plans: list[Plan], actor: AbstractBaseUser | None) -> list[Allocation]:
    """Write the allocations and move the invoices, the payment and the customer's balance."""
    who = actor_or_none(actor)
    allocations = Allocation.objects.bulk_create([
        Allocation(payment=payment, invoice=p.invoice, amount=p.amount, discount_amount=p.discount,
                   date=max(payment.received_date, p.invoice.issue_date), created_by=who) for p in plans])
    now = timezone.now()
    moves: dict[tuple[str, str], list[Plan]] = {}
    for p in plans:
        invoice, settled, before = p.invoice, p.amount + p.discount, p.invoice.status
        invoice.amount_due -= settled
        invoice.paid_amount += settled
        invoice.status = InvoiceStatus.PAID if invoice.amount_due == 0 else InvoiceStatus.PARTIALLY_PAID
        if invoice.status == InvoiceStatus.PAID:
            invoice.settled_on = max(payment.received_date, invoice.issue_date)
        invoice.updated_at = now
        if invoice.status != before and invoice.status not in INVOICE_TRANSITIONS[before]:
            raise InvalidTransition(f"An invoice that is {before} cannot become {invoice.status}.")
        moves.setdefault((before, invoice.status), []).append(p)
    by_invoice = {p.invoice.pk: p for p in plans}
    for (before, after), group in moves.items():  # one audit INSERT per kind of move
        audit_record_many(objs=[p.invoice for p in group], action="payment_allocated", actor=actor,
                          from_state=before, to_state=after,
                          data=lambda inv: {"payment": payment.number, "amount": by_invoice[inv.pk].amount,
                                            "discount": by_invoice[inv.pk].discount, "amount_due": inv.amount_due})
    paid = [p.invoice for p in plans if p.invoice.status == InvoiceStatus.PAID]
    bulk_set([p.invoice for p in plans], ["amount_due", "paid_amount", "status", "settled_on", "updated_at"])
    total = sum((p.amount for p in plans), ZERO)
    payment.allocated_amount += total
    payment.unapplied_amount -= total
    payment.save(update_fields=["allocated_amount", "unapplied_amount", "updated_at"])
    customers_owe({payment.customer_id: -sum((p.amount + p.discount for p in plans), ZERO)})
    audit_record(obj=payment, action="allocated", actor=actor,
                 data={"invoices": [p.invoice.number for p in plans], "amount": total,
                       "unapplied": payment.unapplied_amount})
    publish("payment.allocated", {
        "payment": payment.pk, "number": payment.number, "customer": payment.customer_id,
        "currency": payment.currency, "unapplied": payment.unapplied_amount,
        "allocations": [{"invoice": p.invoice.pk, "number": p.invoice.number, "amount": p.amount,
                         "discount": p.discount, "amount_due": p.invoice.amount_due} for p in plans],
    })
    if paid:
        publish_many("invoice.paid", [{"invoice": i.pk, "number": i.number, "customer": i.customer_id,
                                       "paid_on": max(payment.received_date, i.issue_date)} for i in paid])
    credit_hold_release_if_settled(customer_id=payment.customer_id)
    return allocations


def _allocations(raw: object) -> list[Mapping[str, Any]]:
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise ValidationFailed("Allocations are a list of {invoice, amount}.",
                               details={"allocations": ["A list of {invoice, amount}."]})
    items = []
    for item in raw:
        if not isinstance(item, Mapping) or not str(item.get("invoice", "")).strip().isdigit():
            raise ValidationFailed("Each allocation names an invoice by id.",
                                   details={"allocations": ["Each allocation names an invoice by id."]})
        items.append(item)
    return items


@transaction.atomic
def payment_allocate(*, payment_id: int, allocations: Sequence[Mapping[str, Any]],
                     actor: AbstractBaseUser | None) -> list[Allocation]:
    """Apply what is left of a payment to invoices of its customer: [{invoice: id, amount}] (no amount:
    what the invoice still owes, less an earned early-payment discount, as far as the payment goes)."""
    wanted = _allocations(allocations)
    header = Payment.objects.filter(pk=payment_id).values("customer_id", "currency").first()
    if header is None:
        raise NotFound(f"Payment {payment_id} does not exist.")
    invoices = lock_open_invoices([int(i["invoice"]) for i in wanted], customer_id=header["customer_id"],
                                  currency=header["currency"])
    payment = lock_payment(payment_id)
    return _apply(payment, _plan(payment, invoices, wanted), actor)


def open_invoice_ids(customer_id: int, currency: str, *, among: Sequence[int] | None = None) -> list[int]:
    """The customer's open invoices in the currency, oldest due first."""
    rows = Invoice.objects.filter(customer_id=customer_id, currency=currency, status__in=OPEN_STATUSES,
                                  amount_due__gt=0)
    if among is not None:
        rows = rows.filter(pk__in=among)
    return list(rows.order_by("due_date", "pk").values_list("pk", flat=True))


@transaction.atomic
def payment_allocate_oldest(*, payment_id: int, actor: AbstractBaseUser | None,
                            invoice_ids: Sequence[int] | None = None) -> list[Allocation]:
    """Apply a payment to its customer's open invoices (or those given), oldest due first, until it is used."""
    header = Payment.objects.filter(pk=payment_id).values("customer_id", "currency", "unapplied_amount").first()
    if header is None:
        raise NotFound(f"Payment {payment_id} does not exist.")
    ids = open_invoice_ids(header["customer_id"], header["currency"], among=invoice_ids)
    if not ids or header["unapplied_amount"] <= 0:
        return []
    invoices = lock_open_invoices(ids, customer_id=header["customer_id"], currency=header["currency"])
    payment = lock_payment(payment_id)
    wanted, left = [], payment.unapplied_amount
    for pk in ids:
        if left <= 0:
            break
        wanted.append({"invoice": pk})
        left -= invoices[pk].amount_due
    return _apply(payment, _plan(payment, invoices, wanted), actor)


@transaction.atomic
def payment_record(
    *, customer_id: int, amount: object, method: str, received_date: object, actor: AbstractBaseUser | None,
    currency: str | None = None, reference: str = "", bank_transaction_id: str | None = None, note: str = "",
    allocations: Sequence[Mapping[str, Any]] | None = None,
) -> Payment:
    """Record money received from a customer and apply it to the `allocations` given; the rest waits
    unapplied as the customer's credit. One payment per bank transaction id."""
    customer = Customer.objects.filter(pk=customer_id).first() if str(customer_id).isdigit() else None
    if customer is None:
        raise ValidationFailed("Choose a customer.", details={"customer": ["No such customer."]})
    value = money(amount)
    if method not in CASH_METHODS:
        raise ValidationFailed("Choose how the customer paid.",
                               details={"method": [f"One of {', '.join(CASH_METHODS)}."]})
    received = a_date(received_date, "received_date")
    if received > timezone.localdate():
        raise ValidationFailed("A payment cannot be received in the future.",
                               details={"received_date": ["In the future."]})
    currency = (currency or customer.currency).upper()
    if currency != customer.currency:
        raise ValidationFailed(f"{customer} pays in {customer.currency}.", details={"currency": [
            f"The customer's currency is {customer.currency}."]})
    if len(reference or "") > 300 or len(note or "") > 2000:
        raise ValidationFailed("The reference has at most 300 characters, the note 2000.",
                               details={"reference": ["Too long."]})
    wanted = _allocations(allocations) if allocations else []
    transaction_id = (bank_transaction_id or "").strip() or None
    if transaction_id and (existing := Payment.objects.filter(bank_transaction_id=transaction_id).first()):
        raise Conflict(f"Bank transaction {transaction_id} is recorded already, as {existing}.",
                       code="duplicate_transaction", details={"payment": existing.pk})
    invoices = lock_open_invoices([int(i["invoice"]) for i in wanted], customer_id=customer.pk,
                                  currency=currency) if wanted else {}
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                number=str(next_number(PAYMENT_SERIES, received.year)), customer=customer, currency=currency,
                amount=value, unapplied_amount=value, method=method, received_date=received,
                reference=(reference or "").strip(), bank_transaction_id=transaction_id, note=(note or "").strip(),
                created_by=actor_or_none(actor))
    except IntegrityError:
        raise Conflict(f"Bank transaction {transaction_id} is recorded already.", code="duplicate_transaction",
                       details={"bank_transaction_id": [transaction_id]}) from None
    audit_record(obj=payment, action="received", actor=actor, to_state="received",
                 data={"amount": value, "currency": currency, "method": method, "reference": payment.reference})
    publish("payment.received", {"payment": payment.pk, "number": payment.number, "customer": customer.pk,
                                 "amount": value, "currency": currency, "method": method,
                                 "received_date": received, "bank_transaction_id": transaction_id})
    if wanted:
        payment = lock_payment(payment.pk)
        _apply(payment, _plan(payment, invoices, wanted), actor)
    return payment


@transaction.atomic
def credit_note_credit_record(*, credit_note_id: int) -> Payment | None:
    """What a credit note left beyond its invoice becomes the customer's credit, to apply or refund (once)."""
    note = CreditNote.objects.filter(pk=credit_note_id).first()
    if note is None or note.customer_credit <= 0:
        return None
    if existing := Payment.objects.filter(credit_note=note).first():
        return existing
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                number=str(next_number(PAYMENT_SERIES, note.issue_date.year)), customer_id=note.customer_id,
                currency=note.currency, amount=note.customer_credit, unapplied_amount=note.customer_credit,
                method=PaymentMethod.CREDIT_NOTE, received_date=note.issue_date, reference=note.number,
                credit_note=note)
    except IntegrityError:
        return Payment.objects.get(credit_note=note)
    audit_record(obj=payment, action="credit_from_credit_note", actor=None, data={"credit_note": note.number,
                                                                                   "amount": note.customer_credit})
    return payment


@transaction.atomic
def payment_refund(*, payment_id: int, amount: object, actor: AbstractBaseUser | None, date: object = None,
                   reference: str = "") -> Refund:
    """Pay back (part of) a customer's unapplied credit; the transfer itself is made in the bank."""
    value = money(amount)
    on = a_date(date, "date") if date not in (None, "") else timezone.localdate()
    payment = lock_payment(payment_id)
    if value > payment.unapplied_amount:
        raise Conflict(f"{payment} has {payment.unapplied_amount} {payment.currency} unapplied; "
                       f"{value} cannot be refunded.", code="over_refund",
                       details={"amount": [f"At most {payment.unapplied_amount}."]})
    refund = Refund.objects.create(payment=payment, amount=value, date=on, reference=(reference or "")[:200],
                                   created_by=actor_or_none(actor))
    payment.refunded_amount += value
    payment.unapplied_amount -= value
    payment.save(update_fields=["refunded_amount", "unapplied_amount", "updated_at"])
    audit_record(obj=payment, action="refunded", actor=actor, data={"amount": value, "reference": refund.reference})
    publish("payment.refunded", {"payment": payment.pk, "refund": refund.pk, "amount": value,
                                 "customer": payment.customer_id})
    return refund


@transaction.atomic
def invoice_write_off(*, invoice_id: int, reason: str, actor: AbstractBaseUser | None, note: str = "") -> WriteOff:
    """Write off an invoice's small residual balance (up to the policy's limit), with a reason."""
    if reason not in WriteOffReason.values:
        raise ValidationFailed("Choose a reason.", details={"reason": [f"One of {', '.join(WriteOffReason.values)}."]})
    limit = dunning_policy().write_off_limit
    invoices = Invoice.objects.filter(pk=invoice_id).values("customer_id", "currency").first()
    if invoices is None:
        raise NotFound(f"Invoice {invoice_id} does not exist.")
    invoice = lock_open_invoices([invoice_id], **invoices)[invoice_id]
    if invoice.amount_due > limit:
        raise Conflict(f"{invoice} owes {invoice.amount_due} {invoice.currency}: only balances up to {limit} may be "
                       "written off. Credit it instead.", code="over_write_off_limit",
                       details={"amount_due": invoice.amount_due, "limit": limit})
    amount, before = invoice.amount_due, invoice.status
    write_off = WriteOff.objects.create(invoice=invoice, amount=amount, reason=reason, note=(note or "")[:500],
                                        date=timezone.localdate(), created_by=actor_or_none(actor))
    invoice.amount_due, invoice.paid_amount = ZERO, invoice.paid_amount + amount
    invoice.status, invoice.settled_on = InvoiceStatus.PAID, write_off.date
    invoice.save(update_fields=["amount_due", "paid_amount", "status", "settled_on", "updated_at"])
    customers_owe({invoice.customer_id: -amount})
    audit_record(obj=invoice, action="written_off", actor=actor, from_state=before, to_state=invoice.status,
                 data={"amount": amount, "reason": reason, "note": write_off.note})
    publish("invoice.written_off", {"invoice": invoice.pk, "number": invoice.number, "amount": amount,
                                    "reason": reason, "customer": invoice.customer_id})
    publish("invoice.paid", {"invoice": invoice.pk, "number": invoice.number, "customer": invoice.customer_id,
                             "paid_on": write_off.date})
    credit_hold_release_if_settled(customer_id=invoice.customer_id)
    return write_off


@transaction.atomic
def promise_to_pay_record(*, invoice_id: int, promised_date: object, actor: AbstractBaseUser | None,
                          amount: object = None, note: str = "") -> PromiseToPay:
    """The customer promised to pay by a day: reminders for the invoice wait until then."""
    on = a_date(promised_date, "promised_date")
    if on < timezone.localdate():
        raise ValidationFailed("A promise to pay is for today or later.", details={"promised_date": ["In the past."]})
    header = Invoice.objects.filter(pk=invoice_id).values("customer_id", "currency").first()
    if header is None:
        raise NotFound(f"Invoice {invoice_id} does not exist.")
    invoice = lock_open_invoices([invoice_id], **header)[invoice_id]
    value = money(amount) if amount not in (None, "") else None
    if value is not None and value > invoice.amount_due:
        raise ValidationFailed(f"{invoice} owes {invoice.amount_due}.", details={"amount": ["More than owed."]})
    promise = PromiseToPay.objects.create(invoice=invoice, promised_date=on, amount=value, note=(note or "")[:500],
                                          created_by=actor_or_none(actor))
    audit_record(obj=invoice, action="promise_to_pay", actor=actor,
                 data={"promised_date": on, "amount": value, "note": promise.note})
    return promise
