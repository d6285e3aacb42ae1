"""Invoices: made from what was shipped (or ordered, up front), issued with a gap-free number.

Lock order (the project's, extended): sales orders by id → their lines by id → the invoice → the
customer (an atomic increment of its open balance). Numbers are drawn last, just before commit, so the
series row is held for as short a time as possible; a rollback returns the number (no gap).

What may still be invoiced of an order line (never twice, never forgotten):
    billable   = shipped (or, up front, ordered − cancelled) − returned
    invoiceable = billable − invoiced  (invoiced counts drafts too; credit notes do not lower it)
A shipment line is on at most one invoice line (UNIQUE), and every automated invoice has a unique
`source_key`, so a repeated event or two racing workers add nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from fulfillment.models import ShipmentLine
from o2c.audit import audit_record
from o2c.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from o2c.events import publish
from o2c.numbering import next_number
from o2c.states import transition
from orders.enums import ORDER_TRANSITIONS, OrderStatus
from orders.models import Customer, SalesOrder, SalesOrderLine
from orders.pricing import document_totals, line_amounts, tax_rates, tax_treatment
from orders.services import order_refresh_progress

from ..enums import INVOICE_SERIES, INVOICE_TRANSITIONS, InvoiceStatus
from ..models import Invoice, InvoiceLine
from ..terms import invoice_terms, payment_reference

ZERO = Decimal(0)
CENT = Decimal("0.01")


def actor_or_none(actor: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return actor if actor is not None and actor.is_authenticated else None


@dataclass(frozen=True)
class Billable:
    """A quantity of an order line to invoice, from a shipment line or (up front) from the order."""

    order_line: SalesOrderLine
    quantity: Decimal
    shipment_line_id: int | None = None


def invoiceable(line: SalesOrderLine, *, upfront: bool = False) -> Decimal:
    billable = (line.quantity - line.cancelled_quantity if upfront else line.shipped_quantity) - line.returned_quantity
    return max(billable - line.invoiced_quantity, ZERO)


def lock_orders(order_ids: Iterable[int]) -> dict[int, SalesOrder]:
    return {order.pk: order for order in SalesOrder.objects.select_for_update(of=("self",))
            .select_related("customer__payment_term").filter(pk__in=set(order_ids)).order_by("pk")}


def lock_order_lines(order_ids: Iterable[int]) -> dict[int, SalesOrderLine]:
    return {line.pk: line for line in SalesOrderLine.objects.select_for_update(of=("self",))
            .select_related("product").filter(order_id__in=set(order_ids)).order_by("pk")}


def uninvoiced_shipment_lines(**filters: object) -> list[tuple[int, int, Decimal]]:
    """(shipment line id, order line id, quantity) of shipped goods not on any invoice line."""
    return list(ShipmentLine.objects.filter(invoice_lines__isnull=True, shipment__shipped_at__isnull=False,
                                            **filters)
                .order_by("shipment_id", "order_line_id").values_list("pk", "order_line_id", "quantity"))


def billables_from_shipments(rows: Sequence[tuple[int, int, Decimal]],
                             lines: dict[int, SalesOrderLine]) -> list[Billable]:
    """Each uninvoiced shipment line, capped by what its order line may still be invoiced (goods returned
    before they were invoiced are not invoiced)."""
    room = {pk: invoiceable(line) for pk, line in lines.items()}
    billables = []
    for shipment_line_id, order_line_id, quantity in rows:
        take = min(quantity, room.get(order_line_id, ZERO))
        if take > 0:
            room[order_line_id] -= take
            billables.append(Billable(lines[order_line_id], take, shipment_line_id))
    return billables


def _snapshot(customer: Customer, currency: str) -> dict[str, object]:
    return {"customer": customer, "currency": currency, "language": customer.language,
            "tax_treatment": tax_treatment(customer), "customer_name": customer.legal_name,
            "customer_address": customer.billing_address, "customer_country": customer.country,
            "customer_vat_id": customer.vat_id, "payment_term_code": customer.payment_term.code,
            "payment_term_text": customer.payment_term.name}


def _price(lines: Sequence[InvoiceLine], treatment: str, on: datetime.date) -> None:
    """Tax rates as on the tax point (the issue day) for the invoice's treatment; amounts per line."""
    rates = tax_rates(treatment, on)
    for line in lines:
        if line.tax_category not in rates:
            raise ValidationFailed(f"No {line.tax_category} tax rate applies on {on}.", code="no_tax_rate",
                                   details={"tax_category": [line.tax_category]})
        line.tax_rate = rates[line.tax_category].quantize(CENT)
        line.net_amount, line.tax_amount = line_amounts(line.quantity, line.unit_price, line.discount_percent,
                                                        line.tax_rate)


def _set_totals(invoice: Invoice, lines: Sequence[InvoiceLine]) -> None:
    totals = document_totals(lines)
    invoice.net_total, invoice.tax_total, invoice.gross_total = totals.net, totals.tax, totals.gross
    invoice.tax_summary = totals.summary


def invoice_build(
    *, customer: Customer, currency: str, billables: Sequence[Billable], origin: str, actor: AbstractBaseUser | None,
    orders: dict[int, SalesOrder], order_lines: dict[int, SalesOrderLine], source_key: str | None = None,
    shipment_id: int | None = None, period: tuple[datetime.date, datetime.date] | None = None, issue: bool = True,
) -> Invoice | None:
    """Write the invoice for `billables` (the caller holds the locks of `orders` and all their `order_lines`,
    the instances the billables point at), then issue it.
    Returns None when the source is invoiced already (a repeat) or nothing is left to invoice."""
    if source_key and Invoice.objects.filter(source_key=source_key).exists():
        return None
    if not billables:
        return None
    today = timezone.localdate()
    order_ids = sorted({b.order_line.order_id for b in billables})
    references = sorted({orders[pk].customer_reference for pk in order_ids if orders[pk].customer_reference})
    invoice = Invoice(**_snapshot(customer, currency), origin=origin, source_key=source_key,
                      order=orders[order_ids[0]] if len(order_ids) == 1 else None, shipment_id=shipment_id,
                      period_start=period[0] if period else None, period_end=period[1] if period else None,
                      customer_reference=", ".join(references)[:200], created_by=actor_or_none(actor))
    lines = [InvoiceLine(position=n, order_line=b.order_line, shipment_line_id=b.shipment_line_id,
                         product=b.order_line.product, description=b.order_line.description, quantity=b.quantity,
                         unit=b.order_line.product.unit, unit_price=b.order_line.unit_price,
                         discount_percent=b.order_line.discount_percent, tax_category=b.order_line.tax_category,
                         tax_rate=ZERO, net_amount=ZERO, tax_amount=ZERO)
             for n, b in enumerate(billables, start=1)]
    _price(lines, invoice.tax_treatment, today)
    _set_totals(invoice, lines)
    try:
        with transaction.atomic():  # a racing worker that got here first: its unique keys win, we add nothing
            invoice.save()
            for line in lines:
                line.invoice = invoice
            InvoiceLine.objects.bulk_create(lines)
    except IntegrityError:
        if source_key and Invoice.objects.filter(source_key=source_key).exists():
            return None
        raise
    changed = {}
    for b in billables:
        b.order_line.invoiced_quantity += b.quantity
        changed[b.order_line.pk] = b.order_line
    SalesOrderLine.objects.bulk_update(changed.values(), ["invoiced_quantity"])
    audit_record(obj=invoice, action="created", actor=actor, to_state=invoice.status,
                 data={"origin": origin, "orders": [orders[pk].number for pk in order_ids]})
    if issue:
        _issue(invoice, lines, orders, order_lines, actor, today, priced_on=today)
    else:
        refresh_orders(orders, order_lines, order_ids, actor, close=False)
    return invoice


def refresh_orders(orders: dict[int, SalesOrder], order_lines: dict[int, SalesOrderLine], order_ids: Iterable[int],
                   actor: AbstractBaseUser | None, *, close: bool = True, issuing: int | None = None,
                   also_update: tuple[str, ...] = ()) -> None:
    """The orders' derived statuses; with `close`, an order whose goods have all shipped and been invoiced
    (issued, not a draft) is done."""
    for pk in order_ids:
        lines = [line for line in order_lines.values() if line.order_id == pk]
        order_refresh_progress(order=orders[pk], lines=lines, also_update=also_update)
        if close:
            close_if_complete(orders[pk], lines, actor, issuing=issuing)


def _issue(invoice: Invoice, lines: Sequence[InvoiceLine], orders: dict[int, SalesOrder],
           order_lines: dict[int, SalesOrderLine], actor: AbstractBaseUser | None, today: datetime.date,
           priced_on: datetime.date | None = None) -> None:
    """Number, dates and amounts are fixed; the orders count the invoice; the customer owes it. The tax
    point is the issue day: a draft priced on another day is priced again."""
    if priced_on != today:
        before = [(line.tax_rate, line.tax_amount) for line in lines]
        _price(lines, invoice.tax_treatment, today)
        if before != [(line.tax_rate, line.tax_amount) for line in lines]:
            InvoiceLine.objects.bulk_update(lines, ["tax_rate", "net_amount", "tax_amount"])
            _set_totals(invoice, lines)
    if invoice.gross_total <= 0:
        raise ValidationFailed("An invoice must amount to more than zero.", code="empty_invoice")
    term = invoice.customer.payment_term
    invoice.payment_term_code, invoice.payment_term_text = term.code, term.name
    for name, value in invoice_terms(today, term, invoice.gross_total).as_fields().items():
        setattr(invoice, name, value)
    invoice.amount_due = invoice.gross_total
    invoice.issued_at, invoice.issued_by = timezone.now(), actor_or_none(actor)
    invoice.issue_date = today
    by_order: dict[int, Decimal] = {}
    for line in lines:
        order_id = order_lines[line.order_line_id].order_id
        by_order[order_id] = by_order.get(order_id, ZERO) + line.gross_amount
    for order_id, amount in by_order.items():
        orders[order_id].invoiced_amount += amount
    refresh_orders(orders, order_lines, sorted(by_order), actor, issuing=invoice.pk, also_update=("invoiced_amount",))
    Customer.objects.filter(pk=invoice.customer_id).update(open_balance=F("open_balance") + invoice.gross_total)
    # the number last: the series row stays locked from here to the commit
    invoice.number = str(next_number(INVOICE_SERIES, today.year))
    invoice.payment_reference = payment_reference(invoice.number)
    transition(invoice, to=InvoiceStatus.ISSUED, actor=actor, allowed=INVOICE_TRANSITIONS, action="issued",
               data={"number": invoice.number, "gross_total": invoice.gross_total, "due_date": invoice.due_date},
               also_update=("number", "payment_reference", "issue_date", "issued_at", "issued_by", "due_date",
                            "discount_percent", "discount_date", "discount_amount", "amount_due",
                            "payment_term_code", "payment_term_text", "net_total", "tax_total", "gross_total",
                            "tax_summary"))
    publish("invoice.issued", {
        "invoice": invoice.pk, "number": invoice.number, "customer": invoice.customer_id,
        "currency": invoice.currency, "gross_total": invoice.gross_total, "issue_date": invoice.issue_date,
        "due_date": invoice.due_date, "origin": invoice.origin, "orders": sorted(by_order),
        "touchless": actor_or_none(actor) is None,
    })


def _lock_invoice(invoice_id: int) -> Invoice:
    try:
        return Invoice.objects.select_for_update(of=("self",)).select_related("customer__payment_term").get(
            pk=invoice_id)
    except Invoice.DoesNotExist:
        raise NotFound(f"Invoice {invoice_id} does not exist.") from None


def _order_ids_of(invoice_id: int) -> list[int]:
    if not Invoice.objects.filter(pk=invoice_id).exists():
        raise NotFound(f"Invoice {invoice_id} does not exist.")
    return sorted(set(InvoiceLine.objects.filter(invoice_id=invoice_id, order_line__isnull=False)
                      .values_list("order_line__order_id", flat=True)))


def refuse_if_issued(invoice: Invoice, verb: str) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise InvalidTransition(f"Invoice {invoice} is issued and cannot be {verb}; correct it with a credit note.",
                                code="invoice_issued", details={"status": invoice.status})


@transaction.atomic
def invoice_issue(*, invoice_id: int, actor: AbstractBaseUser | None) -> Invoice:
    """Issue a draft: the tax point is today, the number is drawn, the customer owes it."""
    orders = lock_orders(_order_ids_of(invoice_id))
    order_lines = lock_order_lines(orders)
    invoice = _lock_invoice(invoice_id)
    refuse_if_issued(invoice, "issued again")
    lines = list(invoice.lines.order_by("position"))
    if not lines:
        raise ValidationFailed("An invoice needs at least one line.", code="empty_invoice")
    _issue(invoice, lines, orders, order_lines, actor, timezone.localdate())
    return invoice


@transaction.atomic
def invoice_discard(*, invoice_id: int, actor: AbstractBaseUser | None) -> None:
    """Throw a draft away: its goods become invoiceable again (an issued invoice is never deleted)."""
    orders = lock_orders(_order_ids_of(invoice_id))
    order_lines = lock_order_lines(orders)
    invoice = _lock_invoice(invoice_id)
    refuse_if_issued(invoice, "discarded")
    for line in invoice.lines.all():
        if line.order_line_id:
            order_lines[line.order_line_id].invoiced_quantity -= line.quantity
    SalesOrderLine.objects.bulk_update(order_lines.values(), ["invoiced_quantity"])
    for order in orders.values():
        order_refresh_progress(order=order, lines=[ln for ln in order_lines.values() if ln.order_id == order.pk])
        audit_record(obj=order, action="invoice_draft_discarded", actor=actor, data={"draft": invoice.pk})
    invoice.delete()


@transaction.atomic
def invoice_update_notes(*, invoice_id: int, notes: str, actor: AbstractBaseUser | None) -> Invoice:
    """A draft's note printed on the invoice; an issued invoice refuses."""
    invoice = _lock_invoice(invoice_id)
    refuse_if_issued(invoice, "changed")
    if len(notes) > 2000:
        raise ValidationFailed("A note has at most 2000 characters.", details={"notes": ["Too long."]})
    before = invoice.notes
    invoice.notes = notes.strip()
    invoice.save(update_fields=["notes", "updated_at"])
    audit_record(obj=invoice, action="updated", actor=actor, data={"notes": [before, invoice.notes]})
    return invoice


def close_if_complete(order: SalesOrder, lines: Sequence[SalesOrderLine], actor: AbstractBaseUser | None,
                      issuing: int | None = None) -> None:
    """A confirmed order whose goods have all shipped and been invoiced on issued invoices (or the one
    `issuing`) is done."""
    if order.status == OrderStatus.CONFIRMED and lines and not InvoiceLine.objects.filter(
        order_line__order=order, invoice__status=InvoiceStatus.DRAFT).exclude(invoice_id=issuing).exists() and all(
        line.shipped_quantity == line.quantity - line.cancelled_quantity and invoiceable(line) == 0 for line in lines
    ):
        transition(order, to=OrderStatus.DONE, actor=actor, allowed=ORDER_TRANSITIONS, action="completed")


def conflict_nothing_to_invoice(what: str) -> Conflict:
    return Conflict(f"Nothing of {what} is left to invoice.", code="nothing_to_invoice")
