"""Cash application: which open invoices an incoming bank line pays.

The rules, in order; the first that decides wins (a rule that finds its key but no clear answer sends the
line to the reconciliation queue rather than letting a weaker rule guess):

(a) INVOICE_NUMBER — invoice numbers in the remittance (`INV-2026-000123`, also `INV 2026 000123`,
    `inv2026000123`): those open invoices, of one customer, in the line's currency, when the amount settles
    them — exactly, or short by no more than their earned early-payment discounts. A single named invoice
    paid in part (amount below what it owes) is matched too; anything else named goes to the queue.
(b) PAYMENT_REFERENCE — an ISO 11649 creditor reference (`RF…`, spaces and case ignored, check digits
    verified) that is an open invoice's `payment_reference`: as (a).
(c) IBAN_AMOUNT — the payer's IBAN is a known `CustomerBankAccount`, and exactly one open invoice of that
    customer owes the amount (or the amount less its earned discount).
(d) NAME_AMOUNT — the payer's name equals one customer's legal name (case, punctuation and legal forms
    such as GmbH, AG, Ltd ignored), with exactly one open invoice of that amount.
(e) otherwise the line waits in the queue. Two invoices of the amount → the queue.

Facts are loaded with one query per rule for all the statement's lines (`load_facts`); the decisions
(`decide`, `match_lines`) are pure functions over them. Lines are decided in order, and what a line takes
from an invoice is taken off before the next line is looked at, so two lines never settle one invoice twice.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.db.models import CharField, Exists, F, Func, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Lower, Trim
from stdnum import iso11649

from billing.enums import INVOICE_SERIES, OPEN_STATUSES
from billing.models import Invoice

from .enums import MatchRule
from .models import Allocation, CustomerBankAccount
from .services.payments import discount_available

ZERO = Decimal(0)

INVOICE_NUMBER = re.compile(
    rf"(?<![A-Z0-9]){INVOICE_SERIES}[\s\-_/.:#]{{0,2}}(?P<year>(?:19|20)\d\d)[\s\-_/.]{{0,2}}(?P<seq>\d{{6,9}})(?!\d)",
    re.IGNORECASE)
RF_CANDIDATE = re.compile(r"(?<![A-Z0-9])RF\d{2}(?:\s?[A-Z0-9]){1,21}", re.IGNORECASE)
LEGAL_FORMS = ("gmbh", "mbh", "ag", "kg", "kgaa", "ohg", "gbr", "ug", "haftungsbeschrankt", "haftungsbeschränkt",
               "ev", "co", "se", "ltd", "limited", "llc", "llp", "lp", "inc", "incorporated", "corp",
               "corporation", "plc", "sa", "sas", "sarl", "srl", "spa", "sl", "bv", "nv", "vof", "oy", "oyj", "ab",
               "as", "asa", "aps", "sro", "kft", "sp", "zoo", "pty")
_LEGAL_FORMS = "|".join(LEGAL_FORMS)


# --- what is read from the remittance text and the names ---------------------------------------------

def invoice_numbers(text: str) -> list[str]:
    """Our invoice numbers named in `text`, normalized to `INV-2026-000123`, in order, once each."""
    found = [f"{INVOICE_SERIES}-{m['year']}-{m['seq']}" for m in INVOICE_NUMBER.finditer(text or "")]
    return list(dict.fromkeys(found))


def rf_references(text: str) -> list[str]:
    """Valid ISO 11649 references in `text`, compact and upper case. Where a reference runs on into
    other letters or digits, every valid prefix is a candidate (the database says which exists)."""
    found: list[str] = []
    for m in RF_CANDIDATE.finditer(text or ""):
        compact = re.sub(r"\s", "", m.group()).upper()
        found += [compact[:end] for end in range(len(compact), 4, -1) if iso11649.is_valid(compact[:end])]
    return list(dict.fromkeys(found))


def name_key(name: str) -> str:
    """'MUSTER-HANDEL GmbH & Co. KG' → 'muster handel': lower case, words only, legal forms dropped.
    `name_key_sql` computes the same in SQL."""
    text = re.sub(r"[\W_]+", " ", (name or "").lower())
    text = re.sub(rf"\b(?:{_LEGAL_FORMS})\b", "", text)
    return " ".join(text.split())


class RegexpReplace(Func):
    function = "REGEXP_REPLACE"
    output_field = CharField()


def name_key_sql(expression: str) -> Func:
    """`name_key()` in PostgreSQL, for a column of names."""
    words = RegexpReplace(Lower(expression), Value(r"[^[:alnum:]]+"), Value(" "), Value("g"))
    bare = RegexpReplace(words, Value(rf"\m(?:{_LEGAL_FORMS})\M"), Value(""), Value("g"))
    return Trim(RegexpReplace(bare, Value(r"\s+"), Value(" "), Value("g")))


# --- the facts ----------------------------------------------------------------------------------------

class LineLike(Protocol):
    amount: Decimal
    currency: str
    booking_date: datetime.date
    remittance: str
    counterparty_iban: str
    counterparty_name: str


@dataclass(eq=False)  # one object per invoice (`Facts.invoices`), compared and hashed by identity
class OpenInvoice:
    """An open invoice as matching sees it; `amount_due` drops as lines of the statement take it."""

    id: int
    number: str
    customer_id: int
    currency: str
    amount_due: Decimal
    issue_date: datetime.date
    due_date: datetime.date
    discount_amount: Decimal
    discount_date: datetime.date | None
    payment_reference: str
    discounted: bool = False  # a discount was granted already (once per invoice)

    @property
    def pk(self) -> int:
        return self.id

    def discount_on(self, received: datetime.date) -> Decimal:
        """The early-payment discount still to be had by paying on `received`, by `payment_record`'s rule."""
        return discount_available(self, max(received, self.issue_date), discounted={self.id} if self.discounted else ())


@dataclass
class Facts:
    invoices: dict[int, OpenInvoice] = field(default_factory=dict)
    by_number: dict[str, int] = field(default_factory=dict)
    by_reference: dict[str, int] = field(default_factory=dict)
    customer_by_iban: dict[str, int] = field(default_factory=dict)
    customers_by_name: dict[str, set[int]] = field(default_factory=dict)
    open_by_customer: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, row: Invoice) -> OpenInvoice:
        invoice = self.invoices.get(row.pk)
        if invoice is None:
            invoice = self.invoices[row.pk] = OpenInvoice(
                id=row.pk, number=row.number or "", customer_id=row.customer_id, currency=row.currency,
                amount_due=row.amount_due, issue_date=row.issue_date, due_date=row.due_date,  # type: ignore[arg-type]
                discount_amount=row.discount_amount, discount_date=row.discount_date,
                payment_reference=row.payment_reference, discounted=bool(getattr(row, "discounted", False)))
            self.open_by_customer[row.customer_id].append(row.pk)
        return invoice


INVOICE_FIELDS = ("id", "number", "customer", "currency", "amount_due", "issue_date", "due_date",
                  "discount_amount", "discount_date", "payment_reference")


def open_invoices() -> QuerySet[Invoice]:
    """Open invoices that owe something, with whether a discount was granted on them already."""
    return (Invoice.objects.filter(status__in=OPEN_STATUSES, amount_due__gt=0).only(*INVOICE_FIELDS)
            .annotate(discounted=Exists(Allocation.objects.filter(invoice=OuterRef("pk"), discount_amount__gt=0)))
            .order_by("due_date", "pk"))


def load_facts(lines: Sequence[LineLike]) -> Facts:
    """Everything the rules need for `lines`: at most one query per rule, none for a rule no line can use."""
    facts = Facts()
    currencies = {line.currency for line in lines}
    numbers = {n for line in lines for n in invoice_numbers(line.remittance)}
    if numbers:
        for row in open_invoices().filter(number__in=numbers, currency__in=currencies):
            facts.by_number[row.number] = facts.add(row).id
    references = {r for line in lines for r in rf_references(line.remittance)}
    if references:
        for row in open_invoices().filter(payment_reference__in=references, currency__in=currencies):
            facts.by_reference[row.payment_reference.upper()] = facts.add(row).id
    ibans = {line.counterparty_iban for line in lines if line.counterparty_iban}
    if ibans:
        accounts = CustomerBankAccount.objects.filter(iban__in=ibans)
        for row in (open_invoices().filter(currency__in=currencies)
                    .filter(Q(customer__bank_accounts__iban__in=ibans))
                    .annotate(iban=F("customer__bank_accounts__iban"))):
            facts.customer_by_iban[row.iban] = row.customer_id
            facts.add(row)
        # an IBAN known for a customer without open invoices still names that customer
        if len(facts.customer_by_iban) < len(ibans):
            for iban, customer_id in accounts.exclude(iban__in=facts.customer_by_iban).values_list("iban",
                                                                                                 "customer_id"):
                facts.customer_by_iban[iban] = customer_id
    keys = {name_key(line.counterparty_name) for line in lines} - {""}
    if keys:
        for row in (open_invoices().filter(currency__in=currencies)
                    .annotate(name_key=name_key_sql("customer__legal_name")).filter(name_key__in=keys)):
            facts.customers_by_name.setdefault(row.name_key, set()).add(row.customer_id)
            facts.add(row)
    return facts


# --- the decisions ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Match:
    rule: str
    customer_id: int
    allocations: tuple[tuple[int, Decimal], ...]  # (invoice id, amount taken from the payment)

    def as_allocations(self) -> list[dict[str, str | int]]:
        """In `payment_record`'s shape: [{"invoice": id, "amount": "12.30"}]."""
        return [{"invoice": pk, "amount": str(amount)} for pk, amount in self.allocations]


QUEUE = "queue"  # a rule found its key but no clear answer: the line waits for Finance
Decision = Match | str | None


def settle(invoices: Sequence[OpenInvoice], amount: Decimal, received: datetime.date
           ) -> list[tuple[OpenInvoice, Decimal]] | None:
    """How `amount` pays `invoices` in full: exactly, or short by no more than their earned discounts (the
    shortfall taken as discount, oldest due first). None when it does not."""
    due = sum((i.amount_due for i in invoices), ZERO)
    discount = sum((i.discount_on(received) for i in invoices), ZERO)
    if not (due - discount <= amount <= due):
        return None
    short = due - amount
    plan = []
    for invoice in sorted(invoices, key=lambda i: (i.due_date, i.id)):
        taken = min(short, invoice.discount_on(received))
        short -= taken
        plan.append((invoice, invoice.amount_due - taken))
    return plan


def _named(rule: str, line: LineLike, invoices: list[OpenInvoice]) -> Decision:
    """Rules (a) and (b): the invoices the remittance names."""
    invoices = [i for i in dict.fromkeys(invoices) if i.currency == line.currency and i.amount_due > 0]
    if not invoices:
        return None
    customers = {i.customer_id for i in invoices}
    if len(customers) != 1:
        return QUEUE
    (customer,) = customers
    plan = settle(invoices, line.amount, line.booking_date)
    if plan is None and len(invoices) == 1 and line.amount < invoices[0].amount_due:
        plan = [(invoices[0], line.amount)]  # a part payment of the one invoice named
    if plan is None:
        return QUEUE
    return Match(rule, customer, tuple((i.id, amount) for i, amount in plan if amount > 0))


def _one_of_amount(rule: str, line: LineLike, customer_id: int, facts: Facts) -> Decision:
    """Rules (c) and (d): the customer's one open invoice that the amount settles."""
    candidates = [facts.invoices[pk] for pk in facts.open_by_customer.get(customer_id, [])]
    fits = [i for i in candidates if i.currency == line.currency and i.amount_due > 0
            and (i.amount_due == line.amount
                 or (i.discount_on(line.booking_date) > 0 and i.amount_due - i.discount_on(line.booking_date)
                     == line.amount))]
    if len(fits) > 1:
        return QUEUE
    if not fits:
        return None
    plan = settle(fits, line.amount, line.booking_date)
    assert plan is not None
    return Match(rule, customer_id, tuple((i.id, amount) for i, amount in plan if amount > 0))


def decide(line: LineLike, facts: Facts) -> Match | None:
    """The match for one line, or None (the queue)."""
    steps: list[Decision] = []
    named = [facts.invoices[facts.by_number[n]] for n in invoice_numbers(line.remittance) if n in facts.by_number]
    steps.append(_named(MatchRule.INVOICE_NUMBER, line, named))
    if steps[-1] is None:
        refs = [facts.invoices[facts.by_reference[r]] for r in rf_references(line.remittance)
                if r in facts.by_reference]
        steps.append(_named(MatchRule.PAYMENT_REFERENCE, line, refs))
    if steps[-1] is None and (customer := facts.customer_by_iban.get(line.counterparty_iban or "")):
        steps.append(_one_of_amount(MatchRule.IBAN_AMOUNT, line, customer, facts))
    if steps[-1] is None and (key := name_key(line.counterparty_name)):
        customers = facts.customers_by_name.get(key, set())
        if len(customers) > 1:
            steps.append(QUEUE)
        elif customers:
            steps.append(_one_of_amount(MatchRule.NAME_AMOUNT, line, next(iter(customers)), facts))
    last = steps[-1]
    return last if isinstance(last, Match) else None


def take(match: Match, facts: Facts, received: datetime.date) -> None:
    """What a matched line settles is no longer open for the lines after it."""
    for pk, amount in match.allocations:
        invoice = facts.invoices[pk]
        granted = invoice.discount_on(received) if amount >= invoice.amount_due - invoice.discount_on(received) \
            else ZERO
        settled = min(invoice.amount_due, amount + granted)
        invoice.amount_due -= settled
        if granted:
            invoice.discounted = True


def match_lines(lines: Sequence[LineLike], facts: Facts | None = None) -> list[Match | None]:
    """A decision per line, in order (`facts` loaded for them unless given)."""
    facts = facts if facts is not None else load_facts(lines)
    decisions: list[Match | None] = []
    for line in lines:
        match = decide(line, facts)
        if match is not None:
            take(match, facts, line.booking_date)
        decisions.append(match)
    return decisions

