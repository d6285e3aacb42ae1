"""Bank statement CSV: one documented layout for banks that export neither CAMT.053 nor MT940.

Layout
------
- UTF-8 (a byte-order mark is allowed; Windows-1252 is read too), comma- or semicolon-separated (the
  header row says which), fields quoted with `"` where they hold the separator.
- A header row is required. Column names are case-insensitive and may come in any order:

  =================  ========  ==========================================================================
  column             required  value
  =================  ========  ==========================================================================
  booking_date       yes       YYYY-MM-DD
  value_date         no        YYYY-MM-DD (empty: none)
  amount             yes       signed, `.` as decimal point, no thousands separator: `1190.00` is money
                               received (a credit), `-50.00` money paid out (a debit)
  currency           yes       ISO 4217, e.g. EUR
  counterparty_name  yes       the payer's (or payee's) name; may be empty
  counterparty_iban  yes       the payer's (or payee's) IBAN; may be empty
  remittance         yes       the remittance text (invoice numbers, RF reference); may be empty
  transaction_id     no        the bank's id of the transaction (empty: derived, see below)
  reversal           no        true/false (also 1/0, yes/no): a reversal is shown, never applied
  account_iban       no        our account's IBAN, the same on every row
  =================  ========  ==========================================================================

- Any other column, or a missing required one, refuses the file. Every row must have the same currency.
- No statement line is needed: the statement id is the file name with the first 12 hex digits of the
  file's SHA-256; the period runs from the first to the last booking date; there are no balances.
- A row without `transaction_id` gets one derived from its content (sha256 of account, booking date,
  amount, currency, counterparty IBAN, remittance and the how-manieth such row of the file it is), so an
  export that overlaps an earlier one finds those rows already imported.

Example::

    booking_date,value_date,amount,currency,counterparty_name,counterparty_iban,remittance,transaction_id
    2026-03-02,2026-03-02,1190.00,EUR,Muster Handel GmbH,DE44500105175407324931,INV-2026-000042,TX-0001
    2026-03-03,,-12.50,EUR,Bank,,Account fees,TX-0002
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from decimal import Decimal

from ..enums import Direction, StatementFormat
from .base import (
    ParsedLine,
    ParsedStatement,
    clean_iban,
    clean_text,
    derived_id,
    fit_id,
    parse_amount,
    parse_currency,
    parse_date,
    refuse,
    unique_ids,
)

REQUIRED = ("booking_date", "amount", "currency", "counterparty_name", "counterparty_iban", "remittance")
OPTIONAL = ("value_date", "transaction_id", "reversal", "account_iban")
COLUMNS = REQUIRED + OPTIONAL
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}


def decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("iso-8859-1")


def header_of(text: str) -> list[str]:
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip("\r")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [name.strip().lower() for name in next(csv.reader([first], delimiter=delimiter), [])]


def looks_like(text: str) -> bool:
    """A header row naming at least `booking_date` and `amount`."""
    names = set(header_of(text))
    return {"booking_date", "amount"} <= names


def _signed(raw: str, where: str) -> tuple[str, Decimal]:
    text = (raw or "").strip()
    sign = ""
    if text[:1] in "+-" and text:
        sign, text = text[0], text[1:].strip()
    return sign, parse_amount(text, where)


def parse(content: bytes, filename: str) -> ParsedStatement:
    text = decode(content).replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    header = header_of(text)
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing:
        problems = []
        if unknown:
            problems.append(f"unknown column(s): {', '.join(unknown)}")
        if missing:
            problems.append(f"missing column(s): {', '.join(missing)}")
        raise refuse(f"The CSV file does not follow the statement layout: {'; '.join(problems)}.",
                     f"The columns are: {', '.join(COLUMNS)} (the last {len(OPTIONAL)} optional).")
    if len(set(header)) != len(header):
        raise refuse("The CSV header names a column twice.")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader)
    rows = []
    accounts, currencies = set(), set()
    seen: Counter[tuple] = Counter()
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        where = f"Line {number}"
        if len(values) != len(header):
            raise refuse(f"{where} has {len(values)} fields, the header {len(header)}.")
        row = dict(zip(header, values, strict=True))
        booking = parse_date(row["booking_date"], f"{where}, booking_date")
        value = parse_date(row.get("value_date"), f"{where}, value_date", required=False)
        sign, amount = _signed(row["amount"], f"{where}, amount")
        if amount <= 0:
            raise refuse(f"{where}, amount: must not be zero.")
        currency = parse_currency(row["currency"], f"{where}, currency")
        reversal_raw = (row.get("reversal") or "").strip().lower()
        if reversal_raw not in _TRUE | _FALSE:
            raise refuse(f"{where}, reversal: {row['reversal']!r} is not true or false.")
        raw_iban = (row.get("counterparty_iban") or "").strip()
        iban = clean_iban(raw_iban)
        if raw_iban and not iban:
            raise refuse(f"{where}, counterparty_iban: {raw_iban!r} is not a valid IBAN.")
        account_raw = re.sub(r"\s+", "", row.get("account_iban") or "").upper()
        if account_raw:
            if not clean_iban(account_raw):
                raise refuse(f"{where}, account_iban: {account_raw!r} is not a valid IBAN.")
            accounts.add(account_raw)
        currencies.add(currency)
        rows.append((number, booking, value, sign, amount, currency, reversal_raw in _TRUE,
                     clean_text(row["counterparty_name"], 200), iban, clean_text(row["remittance"]),
                     (row.get("transaction_id") or "").strip()))
    if not rows:
        raise refuse("The CSV file has a header but no lines.")
    if len(accounts) > 1:
        raise refuse("The CSV file names several accounts (account_iban): upload one file per account.")
    if len(currencies) > 1:
        raise refuse(f"The CSV file mixes currencies ({', '.join(sorted(currencies))}): one account, one currency.")
    account = next(iter(accounts), "")
    lines = []
    for _number, booking, value, sign, amount, currency, reversal, name, iban, remittance, tx_id in rows:
        content_key = (account, booking, sign, amount, currency, iban, remittance)
        seen[content_key] += 1
        key = fit_id(tx_id) if tx_id else derived_id("csv", *content_key, seen[content_key])
        lines.append(ParsedLine(bank_transaction_id=key, booking_date=booking, value_date=value,
                                direction=Direction.DEBIT if sign == "-" else Direction.CREDIT,
                                is_reversal=reversal, amount=amount, currency=currency,
                                counterparty_name=name, counterparty_iban=iban, remittance=remittance))
    name = (filename or "statement.csv").replace("\\", "/").rsplit("/", 1)[-1][:100]
    statement_ref = f"{name} {hashlib.sha256(content).hexdigest()[:12]}"
    return ParsedStatement(format=StatementFormat.CSV, account_iban=account, statement_ref=statement_ref,
                           currency=currencies.pop(), opening_balance=None, closing_balance=None,
                           from_date=min(r[1] for r in rows), to_date=max(r[1] for r in rows),
                           lines=unique_ids(lines))
