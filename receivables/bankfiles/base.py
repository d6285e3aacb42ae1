"""The neutral shape every bank file is parsed into, and what the parsers share.

A parser takes the file's bytes and returns a `ParsedStatement`, or raises `o2c.errors.ValidationFailed`
with a message a person can act on and `details={"file": [...]}`. Amounts are positive `Decimal`s (the
direction says which way the money went); nothing is a float.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from django.conf import settings
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from o2c.errors import ValidationFailed

from ..enums import Direction

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
TRANSACTION_ID_LENGTH = 120  # BankStatementLine.bank_transaction_id
_AMOUNT = re.compile(r"^[0-9]{1,16}(\.[0-9]{1,5})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class ParsedLine:
    bank_transaction_id: str
    booking_date: datetime.date
    value_date: datetime.date | None
    direction: str  # Direction: the way the money went on the account (a reversal of a credit is a debit)
    is_reversal: bool
    amount: Decimal  # > 0
    currency: str
    counterparty_name: str = ""
    counterparty_iban: str = ""
    remittance: str = ""
    end_to_end_id: str = ""

    @property
    def is_credit(self) -> bool:
        """Money received that may be a customer's payment (not a reversal)."""
        return self.direction == Direction.CREDIT and not self.is_reversal


@dataclass(frozen=True)
class ParsedStatement:
    format: str  # StatementFormat
    account_iban: str
    statement_ref: str
    currency: str
    opening_balance: Decimal | None
    closing_balance: Decimal | None
    from_date: datetime.date | None
    to_date: datetime.date | None
    lines: list[ParsedLine] = field(default_factory=list)


def max_statement_bytes() -> int:
    """The largest statement file accepted (`RECEIVABLES_STATEMENT_MAX_BYTES`, default 10 MB)."""
    return int(getattr(settings, "RECEIVABLES_STATEMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def refuse(message: str, *more: str) -> ValidationFailed:
    """The one error of a file that cannot be imported: the message, and the details under "file"."""
    return ValidationFailed(message, code="invalid_statement", details={"file": [message, *more]})


def parse_amount(raw: str | None, where: str) -> Decimal:
    """'1190.00' → Decimal('1190.00'): digits, an optional '.' and at most two significant decimals."""
    text = (raw or "").strip()
    if not _AMOUNT.match(text):
        raise refuse(f"{where}: the amount {text!r} is not a number like 1190.00.")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern lets only numbers through
        raise refuse(f"{where}: the amount {text!r} is not a number.") from None
    if value != value.quantize(Decimal("0.01")):
        raise refuse(f"{where}: the amount {text} has more than two decimals.")
    return value.quantize(Decimal("0.01"))


def parse_date(raw: str | None, where: str, *, required: bool = True) -> datetime.date | None:
    """'2026-03-02' or '2026-03-02T10:15:00+01:00' → date(2026, 3, 2)."""
    text = (raw or "").strip()
    if not text:
        if required:
            raise refuse(f"{where}: the date is missing.")
        return None
    try:
        return datetime.date.fromisoformat(text[:10]) if len(text) >= 10 else datetime.date.fromisoformat(text)
    except ValueError:
        raise refuse(f"{where}: {text!r} is not a date like 2026-03-02.") from None


def parse_currency(raw: str | None, where: str) -> str:
    text = (raw or "").strip().upper()
    if not _CURRENCY.match(text):
        raise refuse(f"{where}: {raw!r} is not a three-letter currency code such as EUR.")
    return text


def clean_iban(raw: str | None) -> str:
    """The IBAN in its compact form when `raw` is a valid one, else ''."""
    text = re.sub(r"\s+", "", raw or "").upper()
    if not text:
        return ""
    try:
        return str(IBAN(text).compact)
    except (SchwiftyException, ValueError):
        return ""


def clean_text(raw: str | None, limit: int | None = None) -> str:
    text = " ".join((raw or "").split())
    return text[:limit] if limit else text


def derived_id(*parts: object) -> str:
    """A stable transaction id for a line that has none in the file: sha256 of what identifies it."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return f"sha256:{digest}"


def fit_id(raw: str) -> str:
    """A bank's transaction id as stored: trimmed, and hashed when longer than the column."""
    text = raw.strip()
    if len(text) > TRANSACTION_ID_LENGTH:
        return derived_id("long-id", text)
    return text


def unique_ids(lines: list[ParsedLine]) -> list[ParsedLine]:
    """Lines of one file that share an id (a batch reference) get '#2', '#3'… in file order, so they are
    all kept; the same file or an overlapping one yields the same ids again, so duplicates are still found."""
    counts = Counter(line.bank_transaction_id for line in lines)
    seen: Counter[str] = Counter()
    result = []
    for line in lines:
        key = line.bank_transaction_id
        if counts[key] > 1:
            seen[key] += 1
            if seen[key] > 1:
                line = replace(line, bank_transaction_id=fit_id(f"{key}#{seen[key]}"))
        result.append(line)
    return result
