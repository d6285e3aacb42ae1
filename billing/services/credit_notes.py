"""Credit notes: the only way to correct an issued invoice.

A credit note is issued when it is made (its own gap-free series). It credits chosen invoice lines and
quantities at the invoice's prices and rates, or an amount (gross, at one of the invoice's rates). It
lowers the invoice's amount due; what the invoice no longer owed (it was paid) is left to the customer
as a credit. Crediting the whole invoice cancels it. The customer's open balance drops by the whole
credit note (a credit is money the customer is owed).

From a return (`return.received`): the quantity invoiced beyond what the customer now keeps (shipped −
returned) is credited, on the invoice lines of each returned order line, newest invoice first — one
credit note per invoice, unique per (return, invoice).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from o2c.audit import audit_record
from o2c.errors import Conflict, ValidationFailed
from o2c.events import publish
from o2c.money import quantize_money
from o2c.numbering import next_number
from o2c.states import transition
from orders.models import Customer, SalesOrderLine
from orders.pricing import document_totals, line_amounts, parse_decimal

from ..enums import (
    CREDIT_NOTE_SERIES,
    INVOICE_TRANSITIONS,
    ISSUED_STATUSES,
    CreditNoteOrigin,
    CreditReason,
    InvoiceStatus,
)
from ..models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from .invoices import actor_or_none, lock_invoice, lock_order_lines, lock_orders

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def _quantity(raw: object) -> Decimal:
    try:
        return parse_decimal(raw, low=Decimal("0.001"), high=None, places=3)
    except ValueError as exc:
        raise ValidationFailed(str(exc), details={"quantity": [str(exc)]}) from None


def _lines_credit(invoice: Invoice, wanted: Sequence[Mapping[str, Any]]) -> list[tuple[InvoiceLine, Decimal]]:
    if not wanted:
        raise ValidationFailed("Choose at least one line, or give an amount.", details={"lines": ["Required."]})
    lines = {line.pk: line for line in InvoiceLine.objects.select_for_update().filter(invoice=invoice)}
    by_position = {line.position: line for line in lines.values()}
    chosen: dict[int, Decimal] = {}
    errors: list[dict[str, list[str]]] = []
    for item in wanted:
        line_errors: dict[str, list[str]] = {}
        key = item.get("invoice_line")
        line = lines.get(key) if isinstance(key, int) else None
        if line is None and item.get("position") is not None:
            line = by_position.get(item.get("position"))  # type: ignore[arg-type]
        if line is None:
            line_errors["invoice_line"] = [f"Not a line of invoice {invoice}."]
        try:
            quantity = _quantity(item.get("quantity"))
        except ValidationFailed as exc:
            line_errors["quantity"] = exc.details["quantity"]
        if not line_errors:
            assert line is not None
            chosen[line.pk] = chosen.get(line.pk, ZERO) + quantity
            left = line.quantity - line.credited_quantity
            if chosen[line.pk] > left:
                line_errors["quantity"] = [f"Line {line.position}: at most {left.normalize():f} can still be "
                                           "credited."]
        errors.append(line_errors)
    if any(errors):
        raise ValidationFailed("Some lines cannot be credited as asked.", code="invalid_credit",
                               details={"lines": errors})
    return [(lines[pk], qty) for pk, qty in chosen.items()]


def _amount_credit(invoice: Invoice, raw: object, tax_rate: object) -> CreditNoteLine:
    try:
        gross = parse_decimal(raw, low=Decimal("0.01"), high=None, places=2)
    except ValueError as exc:
        raise ValidationFailed(str(exc), details={"amount": [str(exc)]}) from None
    left = invoice.gross_total - invoice.credited_amount
    if gross > left:
        raise ValidationFailed(f"At most {left} {invoice.currency} of {invoice} can still be credited.",
                               code="over_credit", details={"amount": [f"At most {left}."]})
    rates = sorted(invoice.tax_summary, key=lambda row: Decimal(row["net"]), reverse=True)
    rate = Decimal(rates[0]["rate"]) if rates else ZERO
    if tax_rate not in (None, ""):
        try:
            rate = parse_decimal(tax_rate, low=ZERO, high=HUNDRED, places=2)
        except ValueError as exc:
            raise ValidationFailed(str(exc), details={"tax_rate": [str(exc)]}) from None
        if str(rate.quantize(Decimal("0.01"))) not in {row["rate"] for row in invoice.tax_summary}:
            raise ValidationFailed(f"{invoice} has no {rate} % tax rate.",
                                   details={"tax_rate": ["Not on the invoice."]})
    net = quantize_money(gross * HUNDRED / (HUNDRED + rate))
    category = (invoice.lines.filter(tax_rate=rate).values_list("tax_category", flat=True).first()
                or "standard")
    return CreditNoteLine(position=1, description="Credit", quantity=Decimal(1), unit="pc", unit_price=net,
                          discount_percent=ZERO, tax_category=category, tax_rate=rate, net_amount=net,
                          tax_amount=gross - net)


def _credit_lines(chosen: Sequence[tuple[InvoiceLine, Decimal]]) -> list[CreditNoteLine]:
    """Credit lines at the invoice's prices. Crediting the rest of a line credits exactly what is left of
    its amounts, so the credits of a line add up to the line even where rounding each would not."""
    prior = {row["invoice_line"]: (row["n"], row["t"]) for row in
             CreditNoteLine.objects.filter(invoice_line__in=[line for line, _ in chosen]).values("invoice_line")
             .annotate(n=Sum("net_amount"), t=Sum("tax_amount"))}
    lines = []
    for position, (line, quantity) in enumerate(chosen, start=1):
        if quantity == line.quantity - line.credited_quantity:
            net, tax = prior.get(line.pk, (ZERO, ZERO))
            net, tax = line.net_amount - net, line.tax_amount - tax
        else:
            net, tax = line_amounts(quantity, line.unit_price, line.discount_percent, line.tax_rate)
        lines.append(CreditNoteLine(position=position, invoice_line=line, product_id=line.product_id,
                                    description=line.description, quantity=quantity, unit=line.unit,
                                    unit_price=line.unit_price, discount_percent=line.discount_percent,
                                    tax_category=line.tax_category, tax_rate=line.tax_rate, net_amount=net,
                                    tax_amount=tax))
    return lines


def _write(invoice: Invoice, lines: list[CreditNoteLine], *, reason: str, origin: str, note: str,
           source_key: str | None, actor: AbstractBaseUser | None) -> CreditNote:
    totals = document_totals(lines)
    if totals.gross <= 0:
        raise ValidationFailed("A credit note must amount to more than zero.", code="empty_credit")
    applied = min(totals.gross, invoice.amount_due)
    today = timezone.localdate()
    credit_note = CreditNote.objects.create(
        number=str(next_number(CREDIT_NOTE_SERIES, today.year)), invoice=invoice, customer_id=invoice.customer_id,
        currency=invoice.currency, language=invoice.language, tax_treatment=invoice.tax_treatment,
        customer_name=invoice.customer_name, customer_address=invoice.customer_address,
        customer_country=invoice.customer_country, customer_vat_id=invoice.customer_vat_id, issue_date=today,
        net_total=totals.net, tax_total=totals.tax, gross_total=totals.gross, tax_summary=totals.summary,
        notes=note, issued_at=timezone.now(), issued_by=actor_or_none(actor), created_by=actor_or_none(actor),
        origin=origin, reason=reason, source_key=source_key, applied_amount=applied,
        customer_credit=totals.gross - applied,
    )
    for line in lines:
        line.credit_note = credit_note
    CreditNoteLine.objects.bulk_create(lines)
    credited = [line.invoice_line for line in lines if line.invoice_line is not None]
    for line in lines:
        if line.invoice_line is not None:
            line.invoice_line.credited_quantity += line.quantity
    InvoiceLine.objects.bulk_update(credited, ["credited_quantity"])
    invoice.amount_due -= applied
    invoice.credited_amount += totals.gross
    update = ["amount_due", "credited_amount"]
    Customer.objects.filter(pk=invoice.customer_id).update(open_balance=F("open_balance") - applied)
    audit_record(obj=credit_note, action="issued", actor=actor, to_state="issued",
                 data={"invoice": invoice.number, "gross_total": totals.gross, "reason": reason})
    data = {"credit_note": credit_note.number, "amount": totals.gross, "applied": applied,
            "customer_credit": credit_note.customer_credit}
    if invoice.credited_amount >= invoice.gross_total:
        transition(invoice, to=InvoiceStatus.CANCELLED, actor=actor, allowed=INVOICE_TRANSITIONS,
                   action="credited_in_full", data=data, also_update=tuple(update))
    elif invoice.amount_due == 0 and invoice.status != InvoiceStatus.PAID:
        transition(invoice, to=InvoiceStatus.PAID, actor=actor, allowed=INVOICE_TRANSITIONS, action="credited",
                   data=data, also_update=tuple(update))
    else:
        invoice.save(update_fields=[*update, "updated_at"])
        audit_record(obj=invoice, action="credited", actor=actor, data=data)
    publish("credit_note.issued", {
        "credit_note": credit_note.pk, "number": credit_note.number, "invoice": invoice.pk,
        "invoice_number": invoice.number, "customer": invoice.customer_id, "currency": invoice.currency,
        "gross_total": totals.gross, "applied": applied, "customer_credit": credit_note.customer_credit,
        "reason": reason, "origin": origin,
    })
    return credit_note


@transaction.atomic
def credit_note_create(
    *, invoice_id: int, actor: AbstractBaseUser | None, reason: str,
    lines: Sequence[Mapping[str, Any]] | None = None, amount: object = None, tax_rate: object = None,
    note: str = "",
) -> CreditNote:
    """Finance credits an issued invoice: chosen `lines` [{invoice_line: id, quantity}] or an `amount`
    (gross, at the invoice's main rate or `tax_rate`)."""
    invoice = lock_invoice(invoice_id)
    if invoice.status not in ISSUED_STATUSES:
        raise Conflict(f"{invoice} is a draft: change or discard it instead of crediting it.",
                       code="invoice_not_issued", details={"status": invoice.status})
    if invoice.status == InvoiceStatus.CANCELLED:
        raise Conflict(f"Invoice {invoice} is credited in full already.", code="invoice_cancelled")
    if reason not in CreditReason.values:
        raise ValidationFailed("Choose a reason.", details={"reason": [f"One of {', '.join(CreditReason.values)}."]})
    if len(note or "") > 2000:
        raise ValidationFailed("A note has at most 2000 characters.", details={"note": ["Too long."]})
    if (lines is None) == (amount in (None, "")):
        raise ValidationFailed("Credit either lines or an amount.", code="invalid_credit",
                               details={"lines": ["Give lines or an amount, not both."]})
    if lines is not None:
        credit_lines = _credit_lines(_lines_credit(invoice, lines))
    else:
        credit_lines = [_amount_credit(invoice, amount, tax_rate)]
    return _write(invoice, credit_lines, reason=reason, origin=CreditNoteOrigin.MANUAL, note=(note or "").strip(),
                  source_key=None, actor=actor)


@transaction.atomic
def credit_notes_for_return(*, return_id: int, order_id: int, order_line_ids: Sequence[int],
                            return_number: str = "") -> list[CreditNote]:
    """Credit what the customer was invoiced beyond what it now keeps, for the returned order lines."""
    orders = lock_orders([order_id])
    order_lines = lock_order_lines(orders)
    invoiced = (InvoiceLine.objects.filter(order_line_id__in=order_line_ids, invoice__status__in=ISSUED_STATUSES)
                .exclude(invoice__status=InvoiceStatus.CANCELLED)
                .values("order_line").annotate(q=Sum(F("quantity") - F("credited_quantity"))))
    over: dict[int, Decimal] = {}
    for row in invoiced:
        line: SalesOrderLine = order_lines[row["order_line"]]
        keeps = line.shipped_quantity - line.returned_quantity
        if row["q"] > keeps:
            over[line.pk] = row["q"] - keeps
    if not over:
        return []
    candidates = (InvoiceLine.objects.filter(order_line_id__in=over, invoice__status__in=ISSUED_STATUSES)
                  .exclude(invoice__status=InvoiceStatus.CANCELLED).filter(credited_quantity__lt=F("quantity"))
                  .order_by("-invoice_id", "position").values_list("invoice_id", "pk", "order_line_id", "quantity",
                                                                   "credited_quantity"))
    plan: dict[int, list[dict[str, Any]]] = {}
    for invoice_id, pk, order_line_id, quantity, credited in candidates:
        take = min(quantity - credited, over[order_line_id])
        if take > 0:
            over[order_line_id] -= take
            plan.setdefault(invoice_id, []).append({"invoice_line": pk, "quantity": take})
    notes = []
    for invoice_id in sorted(plan):
        key = f"return:{return_id}:{invoice_id}"
        if CreditNote.objects.filter(source_key=key).exists():
            continue
        invoice = lock_invoice(invoice_id)
        lines = _credit_lines(_lines_credit(invoice, plan[invoice_id]))
        notes.append(_write(invoice, lines, reason=CreditReason.RETURN, origin=CreditNoteOrigin.RETURN,
                            note=f"Return {return_number}".strip(), source_key=key, actor=None))
    return notes
