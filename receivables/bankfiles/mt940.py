"""MT940 (SWIFT customer statement), read with the `mt-940` library.

`:25:` the account (an IBAN, or a German "BLZ/account number", turned into its IBAN), `:20:` and `:28C:` the
statement reference, `:60F:`/`:62F:` the opening and closing balances, each `:61:` a line: C credit,
D debit, RC a reversed credit (money out), RD a reversed debit (money in) — the reversals are shown, not
applied. The transaction id is the bank reference after `//` in `:61:`; without one it is derived (sha256
of account, statement, position, date, amount and remittance). `:86:` is the remittance: the German
structured form (`166?00…?20…?29…?32…?33`) gives the purpose from `?20`–`?29` and `?60`–`?63` (of which the
`SVWZ+` part is the remittance and `EREF+` the end-to-end id), the name from `?32`/`?33`, the IBAN from `?31`;
any other `:86:` is taken as free text.

The file is decoded as UTF-8, else ISO 8859-1, and handed to the library as text (never as a path).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import mt940
from mt940.models import Transactions
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from ..enums import Direction, StatementFormat
from .base import (
    ParsedLine,
    ParsedStatement,
    clean_iban,
    clean_text,
    derived_id,
    fit_id,
    parse_currency,
    refuse,
    unique_ids,
)

LINE_WIDTH = 65  # an :86: line this long was wrapped mid-word
FIELD_WIDTH = 27  # a ?2x / ?3x sub-field this long may continue in the next one
_SUBFIELD = re.compile(r"\?(\d{2})")
_SEPA_KEYS = ("EREF", "KREF", "MREF", "CRED", "DEBT", "SVWZ", "ABWA", "ABWE", "IBAN", "BIC", "PURP", "COAM",
              "OAMT", "SQTP", "ORCR", "ORMR", "DDAT")
_SEPA = re.compile(r"(" + "|".join(_SEPA_KEYS) + r")\+")
_NOT_PROVIDED = {"", "NONREF", "NOTPROVIDED"}
_BLZ_ACCOUNT = re.compile(r"^(\d{8})/(\d{1,10})$")


def looks_like(text: str) -> bool:
    """MT940 has `:20:` and `:61:` (or at least `:25:` and `:60F:`) tags at the start of lines."""
    def has(tag: str) -> bool:
        return re.search(rf"(?m)^:{tag}:", text) is not None

    return has("20") and (has("61") or (has("25") and has("60[FM]")))


def decode(content: bytes) -> str:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("iso-8859-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _unwrap(raw: str) -> str:
    out = ""
    previous = ""
    for line in raw.split("\n"):
        if out and len(previous) < LINE_WIDTH:
            out += " "
        out += line
        previous = line
    return out


def _fields(parts: list[str]) -> str:
    out = ""
    previous = ""
    for part in parts:
        if out and len(previous) < FIELD_WIDTH and not previous.endswith(" ") and not part.startswith(" "):
            # a sub-field shorter than its width ended a word; a full one was cut where it was full
            out += " "
        out += part
        previous = part
    return out


def parse_details(raw: str) -> dict[str, str]:
    """`:86:` → remittance, counterparty name and IBAN, end-to-end id."""
    raw = raw or ""
    if not re.match(r"^\d{3}\?", raw.replace("\n", "")):
        return {"remittance": clean_text(_unwrap(raw)), "name": "", "iban": "", "end_to_end": ""}
    text = raw.replace("\n", "")
    codes = _SUBFIELD.split(text)[1:]  # [code, value, code, value, …]
    sub: dict[str, list[str]] = {}
    for code, value in zip(codes[0::2], codes[1::2], strict=False):
        sub.setdefault(code, []).append(value)
    purpose_parts = [v for code in [*(f"2{i}" for i in range(10)), "60", "61", "62", "63"] for v in sub.get(code, [])]
    purpose = _fields(purpose_parts)
    remittance, end_to_end = purpose, ""
    pieces = _SEPA.split(purpose)
    if len(pieces) > 1:
        lead, keyed = pieces[0], dict(zip(pieces[1::2], pieces[2::2], strict=False))
        end_to_end = keyed.get("EREF", "").strip()
        remittance = keyed.get("SVWZ", "") or lead or " ".join(
            v for k, v in keyed.items() if k in ("KREF", "EREF"))
        if keyed.get("SVWZ") and lead.strip():
            remittance = f"{lead.strip()} {keyed['SVWZ']}"
    name = _fields([*sub.get("32", []), *sub.get("33", [])])
    iban = clean_iban("".join(sub.get("31", [])))
    if not iban and "IBAN" in purpose:
        found = re.search(r"IBAN\+\s*([A-Z]{2}\d{2}[A-Z0-9 ]{8,32})", purpose)
        iban = clean_iban(found[1]) if found else ""
    if end_to_end.upper() in _NOT_PROVIDED:
        end_to_end = ""
    return {"remittance": clean_text(remittance), "name": clean_text(name, 200), "iban": iban,
            "end_to_end": end_to_end[:120]}


def _account(raw: str) -> str:
    text = re.sub(r"\s+", "", raw or "").upper()
    iban = clean_iban(text)
    if iban:
        return iban
    found = _BLZ_ACCOUNT.match(text)
    if found:
        try:
            return str(IBAN.generate("DE", bank_code=found[1], account_code=found[2]).compact)
        except (SchwiftyException, ValueError):
            pass
    return text[:34]


def _block(text: str) -> Transactions:
    transactions = Transactions(processors={"post_transaction_details": []},
                                options=mt940.Options(reversal_sign=True, case_insensitive_marks=True,
                                                      unbounded_details=True, strip_bom=True,
                                                      applicant_iban=True))
    try:
        transactions.parse(text)
    except (RuntimeError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise refuse(f"The MT940 file could not be read: {exc}".rstrip(".") + ".") from None
    return transactions


def _balance(data: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None


def parse(content: bytes) -> ParsedStatement:
    text = decode(content)
    blocks = [b for b in re.split(r"(?m)^(?=:20:)", text) if b.lstrip().startswith(":20:")]
    if not blocks:
        raise refuse("The MT940 file has no statement (no :20: tag).")
    account = ""
    refs: list[str] = []
    opening = closing = None
    from_date = to_date = None
    currency = ""
    lines: list[ParsedLine] = []
    position = 0
    for b_index, block in enumerate(blocks, 1):
        where = f"Statement {b_index}"
        statement = _block(block)
        data = statement.data
        block_account = _account(str(data.get("account_identification") or ""))
        if not block_account:
            raise refuse(f"{where} has no account (:25:).")
        if account and block_account != account:
            raise refuse("The file holds statements of several accounts: upload one file per account.")
        account = block_account
        open_bal = _balance(data, "final_opening_balance", "opening_balance", "intermediate_opening_balance")
        close_bal = _balance(data, "final_closing_balance", "closing_balance", "intermediate_closing_balance")
        if open_bal is None or close_bal is None:
            raise refuse(f"{where} lacks its opening (:60F:) or closing (:62F:) balance: the file is incomplete.")
        block_currency = parse_currency(statement.currency or open_bal.amount.currency, f"{where}, currency")
        if currency and block_currency != currency:
            raise refuse("The file holds statements in several currencies: upload one file per account.")
        currency = block_currency
        reference = str(data.get("transaction_reference") or "").strip()
        number = "/".join(str(data[k]) for k in ("statement_number", "sequence_number") if data.get(k))
        ref = "/".join(p for p in (reference, number, str(close_bal.date)) if p)
        refs.append(ref)
        if opening is None:
            opening = open_bal.amount.amount
            from_date = open_bal.date
        closing = close_bal.amount.amount
        to_date = close_bal.date
        for tx in statement:
            position += 1
            lines.append(_line(tx.data, position, account, ref, currency))
    statement_ref = refs[0] if len(refs) == 1 else f"{refs[0]}…{refs[-1]}"
    return ParsedStatement(format=StatementFormat.MT940, account_iban=account, statement_ref=statement_ref[:120],
                           currency=currency, opening_balance=opening, closing_balance=closing,
                           from_date=from_date, to_date=to_date, lines=unique_ids(lines))


def _line(data: dict[str, Any], position: int, account: str, statement_ref: str, currency: str) -> ParsedLine:
    where = f"Transaction {position} (:61:)"
    mark = str(data.get("status") or "").upper()
    if mark not in ("C", "D", "RC", "RD"):
        raise refuse(f"{where}: the debit/credit mark {mark!r} is not C, D, RC or RD.")
    direction = Direction.CREDIT if mark in ("C", "RD") else Direction.DEBIT
    amount = abs(data["amount"].amount)
    if amount != amount.quantize(Decimal("0.01")):
        raise refuse(f"{where}: the amount {amount} has more than two decimals.")
    amount = amount.quantize(Decimal("0.01"))
    if amount <= 0:
        raise refuse(f"{where}: the amount must be more than zero.")
    line_currency = parse_currency(data["amount"].currency or currency, where)
    value_date = data["date"]
    booking = data.get("entry_date") or value_date
    details = parse_details(str(data.get("transaction_details") or ""))
    bank_ref = str(data.get("bank_reference") or "").strip()
    if bank_ref.upper() in _NOT_PROVIDED:
        bank_ref = ""
    key = fit_id(bank_ref) if bank_ref else derived_id(account, statement_ref, position, booking, amount,
                                                       details["remittance"])
    return ParsedLine(bank_transaction_id=key, booking_date=booking, value_date=value_date, direction=direction,
                      is_reversal=mark.startswith("R"), amount=amount, currency=line_currency,
                      counterparty_name=details["name"], counterparty_iban=details["iban"],
                      remittance=details["remittance"], end_to_end_id=details["end_to_end"])
