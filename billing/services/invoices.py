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
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fulfillment.models import ShipmentLine
from o2c.audit import audit_record, audit_record_many
from o2c.bulk import bulk_set
from o2c.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from o2c.events import publish_many
from o2c.numbering import next_numbers
from o2c.states import transition_many
from orders.enums import ORDER_TRANSITIONS, OrderStatus
from orders.models import Customer, SalesOrder, SalesOrderLine
from orders.pricing import document_totals, line_amounts, tax_rates, tax_treatment
from orders.services import orders_refresh_progress

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


def uninvoiced_shipment_lines(*, with_shipment: bool = False, **filters: object) -> list[tuple]:
    """(shipment line id, order line id, quantity) of shipped goods not on any invoice line; with
    `with_shipment` the shipment id first."""
    fields = ("shipment_id", "pk", "order_line_id", "quantity") if with_shipment else ("pk", "order_line_id",
                                                                                        "quantity")
    return list(ShipmentLine.objects.filter(invoice_lines__isnull=True, shipment__shipped_at__isnull=False,
                                            **filters)
                .order_by("shipment_id", "order_line_id").values_list(*fields))


def billables_from_shipments(rows: Sequence[tuple[int, int, Decimal]], lines: dict[int, SalesOrderLine],
                             room: dict[int, Decimal] | None = None) -> list[Billable]:
    """Each uninvoiced shipment line, capped by what its order line may still be invoiced (goods returned
    before they were invoiced are not invoiced). `room` (order line → invoiceable), shared by the calls
    for one batch, is used up as lines are taken."""
    if room is None:
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


def _price(lines: Sequence[InvoiceLine], rates: dict[str, Decimal], on: datetime.date) -> None:
    """Tax rates as on the tax point (the issue day) for the invoice's treatment; amounts per line."""
    for line in lines:
        if line.tax_category not in rates:
            raise ValidationFailed(f"No {line.tax_category} tax rate applies on {on}.", code="no_tax_rate",
                                   details={"tax_category": [line.tax_category]})
        line.tax_rate = rates[line.tax_category].quantize(CENT)
        line.net_amount, line.tax_amount = line_amounts(line.quantity, line.unit_price, line.discount_percent,
                                                        line.tax_rate)


def _rates(treatments: Iterable[str], on: datetime.date) -> dict[str, dict[str, Decimal]]:
    return {treatment: tax_rates(treatment, on) for treatment in set(treatments)}


def _set_totals(invoice: Invoice, lines: Sequence[InvoiceLine]) -> None:
    totals = document_totals(lines)
    invoice.net_total, invoice.tax_total, invoice.gross_total = totals.net, totals.tax, totals.gross
    invoice.tax_summary = totals.summary


@dataclass
class InvoicePlan:
    """One invoice to write: for whom, from what (`billables`), and what made it."""

    customer: Customer
    currency: str
    billables: Sequence[Billable]
    origin: str
    source_key: str | None = None
    shipment_id: int | None = None
    period: tuple[datetime.date, datetime.date] | None = None


def _new_invoice(plan: InvoicePlan, orders: dict[int, SalesOrder], actor: AbstractBaseUser | None,
                 rates: dict[str, dict[str, Decimal]], today: datetime.date) -> tuple[Invoice, list[InvoiceLine]]:
    order_ids = sorted({b.order_line.order_id for b in plan.billables})
    references = sorted({orders[pk].customer_reference for pk in order_ids if orders[pk].customer_reference})
    invoice = Invoice(**_snapshot(plan.customer, plan.currency), origin=plan.origin, source_key=plan.source_key,
                      order=orders[order_ids[0]] if len(order_ids) == 1 else None, shipment_id=plan.shipment_id,
                      period_start=plan.period[0] if plan.period else None,
                      period_end=plan.period[1] if plan.period else None,
                      customer_reference=", ".join(references)[:200], created_by=actor_or_none(actor))
    lines = [InvoiceLine(invoice=invoice, position=n, order_line=b.order_line, shipment_line_id=b.shipment_line_id,
                         product=b.order_line.product, description=b.order_line.description, quantity=b.quantity,
                         unit=b.order_line.product.unit, unit_price=b.order_line.unit_price,
                         discount_percent=b.order_line.discount_percent, tax_category=b.order_line.tax_category,
                         tax_rate=ZERO, net_amount=ZERO, tax_amount=ZERO)
             for n, b in enumerate(plan.billables, start=1)]
    _price(lines, rates[invoice.tax_treatment], today)
    _set_totals(invoice, lines)
    return invoice, lines


def invoices_build(
    *, plans: Sequence[InvoicePlan], orders: dict[int, SalesOrder], order_lines: dict[int, SalesOrderLine],
    actor: AbstractBaseUser | None, issue: bool = True,
) -> list[Invoice]:
    """Write the planned invoices (the caller holds the locks of `orders` and all their `order_lines`, the
    instances the billables point at), then issue them — a fixed number of statements however many.
    A plan whose source is invoiced already (a repeat) or that has nothing to invoice is skipped."""
    keys = [plan.source_key for plan in plans if plan.source_key]
    taken = set(Invoice.objects.filter(source_key__in=keys).values_list("source_key", flat=True)) if keys else set()
    plans = [plan for plan in plans if plan.billables and plan.source_key not in taken]
    if not plans:
        return []
    today = timezone.localdate()
    rates = _rates((tax_treatment(plan.customer) for plan in plans), today)
    built = [_new_invoice(plan, orders, actor, rates, today) for plan in plans]
    invoices = [invoice for invoice, _ in built]
    lines = [line for _, invoice_lines in built for line in invoice_lines]
    if issue:  # written with their terms and dates: issuing then only numbers them
        _set_issue_fields(invoices, today, actor)
    try:
        with transaction.atomic():  # the last line against a racing worker: its unique keys win
            Invoice.objects.bulk_create(invoices)
            InvoiceLine.objects.bulk_create(lines)  # each takes its invoice's new id
    except IntegrityError:
        if keys and Invoice.objects.filter(source_key__in=keys).exclude(source_key__in=taken).exists():
            return []  # another worker made them meanwhile: nothing to add
        raise
    changed = {}
    for plan in plans:
        for b in plan.billables:
            b.order_line.invoiced_quantity += b.quantity
            changed[b.order_line.pk] = b.order_line
    bulk_set(list(changed.values()), ["invoiced_quantity"])
    order_numbers = {invoice.pk: sorted({orders[ln.order_line.order_id].number for ln in invoice_lines})
                     for invoice, invoice_lines in built}
    audit_record_many(objs=invoices, action="created", actor=actor, to_state=InvoiceStatus.DRAFT,
                      data=lambda inv: {"origin": inv.origin, "orders": order_numbers[inv.pk]})
    if issue:
        issue_invoices(built, orders, order_lines, actor, today, fresh=True)
    else:
        refresh_orders(orders, order_lines, {line.order_line.order_id for line in lines}, actor, close=False)
    return invoices


def invoice_build(*, plan: InvoicePlan, orders: dict[int, SalesOrder], order_lines: dict[int, SalesOrderLine],
                  actor: AbstractBaseUser | None, issue: bool = True) -> Invoice | None:
    """One planned invoice (None: a repeat, or nothing left to invoice)."""
    made = invoices_build(plans=[plan], orders=orders, order_lines=order_lines, actor=actor, issue=issue)
    return made[0] if made else None


def refresh_orders(orders: dict[int, SalesOrder], order_lines: dict[int, SalesOrderLine], order_ids: Iterable[int],
                   actor: AbstractBaseUser | None, *, close: bool = True, issuing: Sequence[int] = (),
                   also_update: tuple[str, ...] = ()) -> None:
    """The orders' derived statuses (one UPDATE); with `close`, orders whose goods have all shipped and
    been invoiced (issued, or among the invoices `issuing`) are done."""
    wanted = set(order_ids)
    chosen = [orders[pk] for pk in sorted(wanted)]
    lines = [line for line in order_lines.values() if line.order_id in wanted]
    orders_refresh_progress(orders=chosen, lines=lines, also_update=also_update)
    if close:
        close_if_complete(chosen, lines, actor, issuing=issuing)


ISSUE_FIELDS = ("issue_date", "issued_at", "issued_by", "due_date", "discount_percent", "discount_date",
                "discount_amount", "amount_due", "payment_term_code", "payment_term_text", "net_total", "tax_total",
                "gross_total", "tax_summary")


def _set_issue_fields(invoices: Sequence[Invoice], today: datetime.date, actor: AbstractBaseUser | None) -> None:
    now, issuer = timezone.now(), actor_or_none(actor)
    for invoice in invoices:
        if invoice.gross_total <= 0:
            raise ValidationFailed("An invoice must amount to more than zero.", code="empty_invoice")
        term = invoice.customer.payment_term
        invoice.payment_term_code, invoice.payment_term_text = term.code, term.name
        for name, value in invoice_terms(today, term, invoice.gross_total).as_fields().items():
            setattr(invoice, name, value)
        invoice.amount_due, invoice.issued_at, invoice.issued_by, invoice.issue_date = (
            invoice.gross_total, now, issuer, today)


def issue_invoices(built: Sequence[tuple[Invoice, Sequence[InvoiceLine]]], orders: dict[int, SalesOrder],
                   order_lines: dict[int, SalesOrderLine], actor: AbstractBaseUser | None, today: datetime.date,
                   fresh: bool = False) -> None:
    """Number, dates and amounts are fixed; the orders count the invoices; the customers owe them. The
    tax point is the issue day: drafts are priced again (`fresh` ones were written today, issue fields
    and all). A fixed number of statements however many invoices."""
    if not fresh:
        rates = _rates((invoice.tax_treatment for invoice, _ in built), today)
        repriced = []
        for invoice, lines in built:
            before = [(line.tax_rate, line.tax_amount) for line in lines]
            _price(lines, rates[invoice.tax_treatment], today)
            if before != [(line.tax_rate, line.tax_amount) for line in lines]:
                repriced += lines
                _set_totals(invoice, lines)
        if repriced:
            InvoiceLine.objects.bulk_update(repriced, ["tax_rate", "net_amount", "tax_amount"])
    invoices = [invoice for invoice, _ in built]
    if not fresh:
        _set_issue_fields(invoices, today, actor)
    by_order: dict[int, Decimal] = {}
    by_customer: dict[int, Decimal] = {}
    for invoice, lines in built:
        by_customer[invoice.customer_id] = by_customer.get(invoice.customer_id, ZERO) + invoice.gross_total
        for line in lines:
            order_id = order_lines[line.order_line_id].order_id
            by_order[order_id] = by_order.get(order_id, ZERO) + line.gross_amount
    for order_id, amount in by_order.items():
        orders[order_id].invoiced_amount += amount
    refresh_orders(orders, order_lines, by_order, actor, issuing=[invoice.pk for invoice in invoices],
                   also_update=("invoiced_amount",))
    customers_owe(by_customer)
    # the numbers last: the series row stays locked from here to the commit
    for invoice, number in zip(invoices, next_numbers(INVOICE_SERIES, today.year, len(invoices)), strict=True):
        invoice.number = str(number)
        invoice.payment_reference = payment_reference(invoice.number)
    transition_many(invoices, to=InvoiceStatus.ISSUED, actor=actor, allowed=INVOICE_TRANSITIONS, action="issued",
                    data=lambda inv: {"number": inv.number, "gross_total": inv.gross_total, "due_date": inv.due_date},
                    also_update=("number", "payment_reference", *(() if fresh else ISSUE_FIELDS)))
    publish_many("invoice.issued", [{
        "invoice": invoice.pk, "number": invoice.number, "customer": invoice.customer_id,
        "currency": invoice.currency, "gross_total": invoice.gross_total, "issue_date": invoice.issue_date,
        "due_date": invoice.due_date, "origin": invoice.origin,
        "orders": sorted({order_lines[line.order_line_id].order_id for line in lines}),
        "touchless": actor_or_none(actor) is None,
    } for invoice, lines in built])


_OWE_SQL = f"""
UPDATE {Customer._meta.db_table} c SET open_balance = c.open_balance + v.amount
  FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, amount) WHERE c.id = v.id"""


def customers_owe(amounts: dict[int, Decimal]) -> None:
    """Add to the customers' open balances (negative: they owe less), in customer id order, one statement."""
    if amounts:
        ids = sorted(amounts)
        with connection.cursor() as cursor:
            cursor.execute(_OWE_SQL, [ids, [amounts[pk] for pk in ids]])


def lock_invoice(invoice_id: int) -> Invoice:
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
    invoice = lock_invoice(invoice_id)
    refuse_if_issued(invoice, "issued again")
    lines = list(invoice.lines.order_by("position"))
    if not lines:
        raise ValidationFailed("An invoice needs at least one line.", code="empty_invoice")
    issue_invoices([(invoice, lines)], orders, order_lines, actor, timezone.localdate())
    return invoice


@transaction.atomic
def invoice_discard(*, invoice_id: int, actor: AbstractBaseUser | None) -> None:
    """Throw a draft away: its goods become invoiceable again (an issued invoice is never deleted)."""
    orders = lock_orders(_order_ids_of(invoice_id))
    order_lines = lock_order_lines(orders)
    invoice = lock_invoice(invoice_id)
    refuse_if_issued(invoice, "discarded")
    for line in invoice.lines.all():
        if line.order_line_id:
            order_lines[line.order_line_id].invoiced_quantity -= line.quantity
    SalesOrderLine.objects.bulk_update(order_lines.values(), ["invoiced_quantity"])
    refresh_orders(orders, order_lines, orders, actor, close=False)
    for order in orders.values():
        audit_record(obj=order, action="invoice_draft_discarded", actor=actor, data={"draft": invoice.pk})
    invoice.delete()


@transaction.atomic
def invoice_update_notes(*, invoice_id: int, notes: str, actor: AbstractBaseUser | None) -> Invoice:
    """A draft's note printed on the invoice; an issued invoice refuses."""
    invoice = lock_invoice(invoice_id)
    refuse_if_issued(invoice, "changed")
    if len(notes) > 2000:
        raise ValidationFailed("A note has at most 2000 characters.", details={"notes": ["Too long."]})
    before = invoice.notes
    invoice.notes = notes.strip()
    invoice.save(update_fields=["notes", "updated_at"])
    audit_record(obj=invoice, action="updated", actor=actor, data={"notes": [before, invoice.notes]})
    return invoice


def close_if_complete(orders: Sequence[SalesOrder], lines: Sequence[SalesOrderLine], actor: AbstractBaseUser | None,
                      issuing: Sequence[int] = ()) -> None:
    """Confirmed orders whose goods have all shipped and been invoiced on issued invoices (or on those
    `issuing`) are done."""
    by_order: dict[int, list[SalesOrderLine]] = {}
    for line in lines:
        by_order.setdefault(line.order_id, []).append(line)
    complete = [order for order in orders if order.status == OrderStatus.CONFIRMED and by_order.get(order.pk) and all(
        line.shipped_quantity == line.quantity - line.cancelled_quantity and invoiceable(line) == 0
        for line in by_order[order.pk])]
    if complete:
        waiting = set(InvoiceLine.objects.filter(order_line__order__in=complete, invoice__status=InvoiceStatus.DRAFT)
                      .exclude(invoice_id__in=issuing).values_list("order_line__order_id", flat=True))
        transition_many([order for order in complete if order.pk not in waiting], to=OrderStatus.DONE, actor=actor,
                        allowed=ORDER_TRANSITIONS, action="completed")


def conflict_nothing_to_invoice(what: str) -> Conflict:
    return Conflict(f"Nothing of {what} is left to invoice.", code="nothing_to_invoice")
