"""Bank statement reads: the reconciliation queue, ranked match suggestions, a statement's summary and the
auto-match rate."""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from billing.enums import OPEN_STATUSES
from billing.models import Invoice
from o2c.money import MoneyField
from orders.models import Customer

from ..enums import AUTO_RULES, Direction, LineStatus
from ..matching import Facts, invoice_numbers, name_key, rf_references
from ..models import Allocation, BankStatement, BankStatementLine, CustomerBankAccount

ZERO = Decimal(0)
CANDIDATES = 200  # invoices looked at for one line's suggestions
SIMILAR_NAME = 0.6  # difflib ratio from which a name counts as similar


def reconciliation_queue() -> QuerySet[BankStatementLine]:
    """Money received that no rule could match, oldest first, with its statement."""
    return (BankStatementLine.objects.filter(status=LineStatus.UNMATCHED, direction=Direction.CREDIT,
                                             is_reversal=False)
            .select_related("statement").order_by("booking_date", "pk"))


@dataclass
class Suggestion:
    invoice: Invoice
    customer: Customer
    score: int  # 0–100
    reasons: list[str] = field(default_factory=list)


def _discount_on(invoice: Invoice, received: datetime.date) -> Decimal:
    facts = Facts()
    return facts.add(invoice).discount_on(received)


def match_suggestions(line: BankStatementLine, limit: int = 5) -> list[Suggestion]:
    """Open invoices the line may pay, best first, each with why: the invoice number or RF reference in the
    remittance, the payer's IBAN known for the customer, the payer's name like the customer's, the amount
    what the invoice owes (or owes less its early-payment discount). One query."""
    numbers, references = invoice_numbers(line.remittance), rf_references(line.remittance)
    key = name_key(line.counterparty_name)
    words = [w for w in key.split() if len(w) >= 3]
    wanted = Q(amount_due=line.amount) | Q(amount_due=line.amount + F("discount_amount"), discount_amount__gt=0,
                                           discount_date__gte=line.booking_date)
    if numbers:
        wanted |= Q(number__in=numbers)
    if references:
        wanted |= Q(payment_reference__in=references)
    if line.counterparty_iban:
        wanted |= Q(customer__bank_accounts__iban=line.counterparty_iban)
    for word in words:
        wanted |= Q(customer__legal_name__icontains=word)
    iban_known = (Exists(CustomerBankAccount.objects.filter(customer=OuterRef("customer"),
                                                            iban=line.counterparty_iban))
                  if line.counterparty_iban else Value(False))
    rows = (Invoice.objects.filter(status__in=OPEN_STATUSES, amount_due__gt=0, currency=line.currency)
            .filter(wanted).select_related("customer")
            .annotate(iban_known=iban_known,
                      discounted=Exists(Allocation.objects.filter(invoice=OuterRef("pk"), discount_amount__gt=0)))
            .distinct().order_by("due_date", "pk")[:CANDIDATES])
    suggestions = []
    for invoice in rows:
        score, reasons = 0, []
        if invoice.number in numbers:
            score += 60
            reasons.append(f"Invoice number {invoice.number} is in the remittance text.")
        if invoice.payment_reference and invoice.payment_reference.upper() in references:
            score += 60
            reasons.append(f"Creditor reference {invoice.payment_reference} is in the remittance text.")
        if invoice.iban_known:
            score += 25
            reasons.append(f"The payer's IBAN {line.counterparty_iban} is {invoice.customer.legal_name}'s.")
        if key:
            ratio = difflib.SequenceMatcher(None, key, name_key(invoice.customer.legal_name)).ratio()
            if ratio >= SIMILAR_NAME:
                score += round(20 * ratio)
                reasons.append(f"The payer's name is like {invoice.customer.legal_name} ({ratio:.0%}).")
        discount = _discount_on(invoice, line.booking_date)
        if invoice.amount_due == line.amount:
            score += 30
            reasons.append(f"The amount is what the invoice owes ({invoice.amount_due} {invoice.currency}).")
        elif discount and invoice.amount_due - discount == line.amount:
            score += 25
            reasons.append(f"The amount is what the invoice owes less its early-payment discount of {discount}.")
        if score:
            suggestions.append(Suggestion(invoice=invoice, customer=invoice.customer, score=min(score, 100),
                                          reasons=reasons))
    suggestions.sort(key=lambda s: (-s.score, s.invoice.due_date or datetime.date.max, s.invoice.pk))
    return suggestions[:limit]


@dataclass(frozen=True)
class StatementSummary:
    lines: int
    credits: int
    matched: int
    auto_matched: int
    unmatched: int
    ignored: int
    shown: int
    duplicates: int
    received: Decimal  # Σ credit lines
    applied: Decimal  # Σ matched lines
    waiting: Decimal  # Σ lines in the queue
    paid_out: Decimal  # Σ debit lines (reversals included)
    by_rule: dict[str, int]

    @property
    def auto_match_rate(self) -> float | None:
        return self.auto_matched / self.credits if self.credits else None


def statement_summary(statement: BankStatement) -> StatementSummary:
    """Counts and amounts of a statement's lines by status and by match rule: one query."""
    rows = list(statement.lines.values("status", "match_rule", "direction", "is_reversal")
                .annotate(n=Count("pk"), amount=Coalesce(Sum("amount"), Value(ZERO), output_field=MoneyField()))
                .order_by())
    by_status: dict[str, int] = {}
    by_rule: dict[str, int] = {}
    amounts = {"received": ZERO, "applied": ZERO, "waiting": ZERO, "paid_out": ZERO}
    credits = 0
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
        if row["match_rule"]:
            by_rule[row["match_rule"]] = by_rule.get(row["match_rule"], 0) + row["n"]
        is_credit = row["direction"] == Direction.CREDIT and not row["is_reversal"]
        if is_credit:
            credits += row["n"]
            amounts["received"] += row["amount"]
        if row["direction"] == Direction.DEBIT:
            amounts["paid_out"] += row["amount"]
        if row["status"] == LineStatus.MATCHED:
            amounts["applied"] += row["amount"]
        if row["status"] == LineStatus.UNMATCHED:
            amounts["waiting"] += row["amount"]
    return StatementSummary(
        lines=sum(by_status.values()), credits=credits, matched=by_status.get(LineStatus.MATCHED, 0),
        auto_matched=sum(n for rule, n in by_rule.items() if rule in AUTO_RULES),
        unmatched=by_status.get(LineStatus.UNMATCHED, 0), ignored=by_status.get(LineStatus.IGNORED, 0),
        shown=by_status.get(LineStatus.SHOWN, 0), duplicates=statement.duplicate_count, by_rule=by_rule, **amounts)


def auto_match_rate(statements: Iterable[BankStatement] | QuerySet[BankStatement] | None = None) -> tuple[int, int]:
    """(credit lines matched automatically at import, credit lines) over the statements (default: all)."""
    rows = BankStatement.objects.all()
    if statements is not None:
        rows = (statements if isinstance(statements, QuerySet)
                else rows.filter(pk__in=[s.pk for s in statements]))
    totals = rows.aggregate(matched=Coalesce(Sum("auto_matched_count"), 0), credits=Coalesce(Sum("credit_count"), 0))
    return int(totals["matched"]), int(totals["credits"])
