"""Bank statements: import a file, apply the incoming money to invoices, and the reconciliation queue.

Import (`bank_statement_import`): the file is parsed in full first (`receivables.bankfiles.detect`), so a
bad file writes nothing. Exactly once: the same file (its SHA-256) or the same statement (account +
statement id) is imported once — the second import returns the first, and two racing imports of one
file meet at the UNIQUE index (the second waits, then returns the first). A line whose bank transaction
id is already stored (from another file) is skipped (INSERT … ON CONFLICT DO NOTHING) and counted as a
duplicate. Debits and reversals are stored SHOWN: shown, never applied. Each credit is matched by
`receivables.matching`; a match becomes a payment (`payment_record`, one per bank transaction id) allocated
to its invoices, each in a savepoint so one that cannot be applied (e.g. an invoice paid meanwhile) stays in
the queue instead of failing the import. A line whose transaction already has a payment (recorded by hand
with that id) is linked to it.

Finance then matches what waits in the queue by hand (`statement_line_match`), or ignores it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from billing.services.invoices import actor_or_none
from o2c.audit import audit_record
from o2c.errors import Conflict, DomainError, NotFound, ValidationFailed
from o2c.events import publish
from o2c.states import transition, transition_many
from orders.models import Customer

from ..bankfiles import ParsedLine, ParsedStatement, detect
from ..bankfiles.base import clean_iban
from ..enums import AUTO_RULES, LINE_TRANSITIONS, Direction, LineStatus, MatchRule, PaymentMethod
from ..matching import match_lines
from ..models import BankStatement, BankStatementLine, CustomerBankAccount, Payment
from .payments import payment_record

log = logging.getLogger(__name__)


@dataclass
class StatementImport:
    """What an import did. For a file imported before (`created` False): that statement, its lines and
    its counts, and nothing written."""

    statement: BankStatement
    created: bool
    lines: list[BankStatementLine]
    auto_matched: int
    duplicates: int


def _earlier(statement: BankStatement) -> StatementImport:
    return StatementImport(statement=statement, created=False, lines=list(statement.lines.order_by("position")),
                           auto_matched=statement.auto_matched_count, duplicates=statement.duplicate_count)


def _find(digest: str, parsed: ParsedStatement) -> BankStatement | None:
    return (BankStatement.objects
            .filter(Q(sha256=digest) | Q(account_iban=parsed.account_iban, statement_ref=parsed.statement_ref))
            .order_by("pk").first())


def _line(statement: BankStatement, position: int, parsed: ParsedLine) -> BankStatementLine:
    return BankStatementLine(
        statement=statement, position=position, bank_transaction_id=parsed.bank_transaction_id,
        booking_date=parsed.booking_date, value_date=parsed.value_date, direction=parsed.direction,
        is_reversal=parsed.is_reversal, amount=parsed.amount, currency=parsed.currency,
        counterparty_name=parsed.counterparty_name[:200], counterparty_iban=parsed.counterparty_iban[:34],
        remittance=parsed.remittance, status=LineStatus.UNMATCHED if parsed.is_credit else LineStatus.SHOWN)


def is_credit(line: BankStatementLine) -> bool:
    """Money received that may be a customer's payment (not a reversal): what is matched and queued."""
    return line.direction == Direction.CREDIT and not line.is_reversal


def _apply_credits(credits: list[BankStatementLine], actor: AbstractBaseUser | None) -> list[BankStatementLine]:
    """Match the credit lines; record and allocate a payment for each match. The lines matched (not saved)."""
    if not credits:
        return []
    now, who = timezone.now(), actor_or_none(actor)
    done: list[BankStatementLine] = []
    known = {p.bank_transaction_id: p for p in
             Payment.objects.filter(bank_transaction_id__in=[line.bank_transaction_id for line in credits])
             .filter(statement_line__isnull=True)}
    open_lines = []
    for line in credits:
        if (payment := known.get(line.bank_transaction_id)) is not None:
            line.payment, line.match_rule = payment, MatchRule.MANUAL
            line.matched_by_id, line.matched_at = payment.created_by_id, now
            done.append(line)
        else:
            open_lines.append(line)
    for line, match in zip(open_lines, match_lines(open_lines), strict=True):
        if match is None:
            continue
        try:
            with transaction.atomic():
                payment = payment_record(
                    customer_id=match.customer_id, amount=line.amount, method=PaymentMethod.BANK_TRANSFER,
                    received_date=line.booking_date, currency=line.currency, reference=line.remittance[:300],
                    bank_transaction_id=line.bank_transaction_id, allocations=match.as_allocations(), actor=actor)
        except DomainError as exc:  # applied meanwhile, a customer in another currency…: Finance decides
            log.info("statement line %s stays in the queue: %s", line.bank_transaction_id, exc.message)
            continue
        line.payment, line.match_rule, line.matched_by, line.matched_at = payment, match.rule, who, now
        done.append(line)
    return done


@transaction.atomic
def bank_statement_import(*, content: bytes, filename: str, actor: AbstractBaseUser | None) -> StatementImport:
    """Import a CAMT.053, MT940 or CSV statement file and apply the money received."""
    parsed = detect(content, filename)  # raises before anything is written
    digest = hashlib.sha256(bytes(content)).hexdigest()
    if (existing := _find(digest, parsed)) is not None:
        return _earlier(existing)
    try:
        with transaction.atomic():
            statement = BankStatement.objects.create(
                format=parsed.format, account_iban=parsed.account_iban, statement_ref=parsed.statement_ref,
                sha256=digest, filename=(filename or "")[:200] or "statement", currency=parsed.currency,
                opening_balance=parsed.opening_balance, closing_balance=parsed.closing_balance,
                from_date=parsed.from_date, to_date=parsed.to_date, imported_by=actor_or_none(actor))
    except IntegrityError:  # imported by a racing request that committed first
        if (existing := _find(digest, parsed)) is not None:
            return _earlier(existing)
        raise Conflict("The statement is being imported by someone else: try again.",
                       code="statement_import_conflict") from None
    BankStatementLine.objects.bulk_create([_line(statement, n, line) for n, line in enumerate(parsed.lines, 1)],
                                          ignore_conflicts=True)
    lines = list(statement.lines.order_by("position"))
    duplicates = len(parsed.lines) - len(lines)
    credits = [line for line in lines if is_credit(line)]
    matched = _apply_credits(credits, actor)
    transition_many(matched, to=LineStatus.MATCHED, actor=actor, allowed=LINE_TRANSITIONS, action="auto_matched",
                    data=lambda line: {"rule": line.match_rule, "payment": line.payment.number},
                    also_update=("match_rule", "payment", "matched_by", "matched_at"))
    auto = sum(1 for line in matched if line.match_rule in AUTO_RULES)
    statement.line_count, statement.credit_count = len(lines), len(credits)
    statement.duplicate_count, statement.auto_matched_count = duplicates, auto
    statement.save(update_fields=["line_count", "credit_count", "duplicate_count", "auto_matched_count"])
    counts = {"lines": len(lines), "credits": len(credits), "duplicates": duplicates, "auto_matched": auto,
              "matched": len(matched), "unmatched": len(credits) - len(matched)}
    audit_record(obj=statement, action="imported", actor=actor, to_state="imported",
                 data={"format": statement.format, "filename": statement.filename, "sha256": digest, **counts})
    publish("bank_statement.imported", {"statement": statement.pk, "format": statement.format,
                                        "account_iban": statement.account_iban,
                                        "statement_ref": statement.statement_ref, **counts})
    return StatementImport(statement=statement, created=True, lines=lines, auto_matched=auto, duplicates=duplicates)


def _lock_line(line_id: int) -> BankStatementLine:
    try:
        return BankStatementLine.objects.select_for_update(of=("self",)).get(pk=line_id)
    except (BankStatementLine.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"Statement line {line_id} does not exist.") from None


def remember_iban(*, customer: Customer, iban: str, name: str = "", actor: AbstractBaseUser | None) -> bool:
    """Keep the IBAN as the customer's bank account; False when it is not an IBAN or known already (for
    this customer or another: an IBAN is never moved from one customer to another here)."""
    iban = clean_iban(iban)
    if not iban or CustomerBankAccount.objects.filter(iban=iban).exists():
        return False
    CustomerBankAccount.objects.bulk_create(
        [CustomerBankAccount(customer=customer, iban=iban, name=(name or "")[:200], created_by=actor_or_none(actor))],
        ignore_conflicts=True)
    return True


@transaction.atomic
def statement_line_match(*, line_id: int, customer_id: int, actor: AbstractBaseUser | None,
                         allocations: Sequence[Mapping[str, Any]] | None = None) -> Payment:
    """Finance matches a queued line to a customer: a payment of the line's amount, allocated as given
    (nothing given: all of it waits as the customer's credit). The line's IBAN is remembered for the customer."""
    line = _lock_line(line_id)
    if line.status != LineStatus.UNMATCHED:
        raise Conflict(f"The line is {line.get_status_display().lower()}: only lines waiting in the queue can "
                       "be matched.", code="line_not_unmatched", details={"status": line.status})
    customer = Customer.objects.filter(pk=customer_id).first() if str(customer_id).isdigit() else None
    if customer is None:
        raise ValidationFailed("Choose a customer.", details={"customer": ["No such customer."]})
    if customer.currency != line.currency:
        raise ValidationFailed(f"{customer} pays in {customer.currency}; the line is in {line.currency}.",
                               details={"customer": [f"The line is in {line.currency}."]})
    payment = payment_record(customer_id=customer.pk, amount=line.amount, method=PaymentMethod.BANK_TRANSFER,
                             received_date=line.booking_date, currency=line.currency,
                             reference=line.remittance[:300], bank_transaction_id=line.bank_transaction_id,
                             allocations=list(allocations) if allocations else None, actor=actor)
    learnt = remember_iban(customer=customer, iban=line.counterparty_iban, name=line.counterparty_name, actor=actor)
    line.payment, line.match_rule = payment, MatchRule.MANUAL
    line.matched_by, line.matched_at = actor_or_none(actor), timezone.now()
    transition(line, to=LineStatus.MATCHED, actor=actor, allowed=LINE_TRANSITIONS, action="matched",
               data={"rule": MatchRule.MANUAL, "payment": payment.number, "customer": customer.number,
                     "iban_learnt": learnt},
               also_update=("match_rule", "payment", "matched_by", "matched_at"))
    return payment


@transaction.atomic
def statement_line_ignore(*, line_id: int, note: str, actor: AbstractBaseUser | None) -> BankStatementLine:
    """Take a queued line out of the queue (e.g. a refund from a supplier), saying why."""
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("Say why the line is ignored.", details={"note": ["Required."]})
    line = _lock_line(line_id)
    transition(line, to=LineStatus.IGNORED, actor=actor, allowed=LINE_TRANSITIONS, action="ignored",
               data={"note": note[:500]})
    return line


@transaction.atomic
def statement_line_unignore(*, line_id: int, actor: AbstractBaseUser | None) -> BankStatementLine:
    """Put an ignored line back in the queue."""
    line = _lock_line(line_id)
    transition(line, to=LineStatus.UNMATCHED, actor=actor, allowed=LINE_TRANSITIONS, action="unignored")
    return line
