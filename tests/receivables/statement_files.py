"""Bank statement files for the tests, made from the templates in files/ with the test's own invoice
numbers, references, names, IBANs and amounts filled in (`string.Template`: $name)."""

from __future__ import annotations

import csv
import datetime
import io
import itertools
from decimal import Decimal
from pathlib import Path
from string import Template
from typing import Any

from django.utils import timezone
from schwifty import IBAN

FILES = Path(__file__).parent / "files"
OUR_IBAN = "DE89370400440532013000"
# valid IBANs of payers (check digits right), one per test role
IBANS = ["DE44500105175407324931", "DE75512108001245126199", "DE12500105170648489890", "GB33BUKB20201555555555",
         "FR7630006000011234567890189", "NL91ABNA0417164300", "AT611904300234573201", "BE68539007547034"]
_counter = itertools.count(1)
_accounts = itertools.count(1)


def new_iban() -> str:
    """A valid German IBAN not used before in this test run."""
    return str(IBAN.generate("DE", bank_code="37040044", account_code=f"{7000000 + next(_accounts)}").compact)


def unique(prefix: str = "T") -> str:
    """A fresh reference for a test's file (bank transaction ids are unique across all files)."""
    return f"{prefix}{timezone.now():%H%M%S%f}{next(_counter)}"


def render(name: str, **values: Any) -> bytes:
    with (FILES / name).open(encoding="utf-8", newline="") as file:  # keep the file's line ends (CRLF)
        template = Template(file.read())
    return template.substitute(
        {k: str(v) for k, v in values.items()}).encode("utf-8")


def camt(amount: Decimal | str) -> str:
    return f"{Decimal(str(amount)):.2f}"


def mt(amount: Decimal | str) -> str:
    return camt(amount).replace(".", ",")


def camt_v02(*, day: datetime.date | None = None, prefix: str | None = None, **entries: Any) -> bytes:
    """The 7-entry CAMT.053.001.02 statement: entries 1–5 credits (amount_N, name_N, iban_N, remittance_N;
    reference_2 is the RF reference of entry 2), 6 a debit, 7 a reversal."""
    day = day or timezone.localdate()
    prefix = prefix or unique("C2")
    values: dict[str, Any] = {"day": day.isoformat(), "prefix": prefix, "msg_id": f"MSG-{prefix}",
                              "stmt_id": f"STMT-{prefix}", "account": OUR_IBAN, "reference_2": ""}
    for n in range(1, 8):
        values.update({f"amount_{n}": "10.00", f"name_{n}": f"Payer {n}", f"iban_{n}": IBANS[n % len(IBANS)],
                       f"remittance_{n}": f"Transfer {n}"})
    values.update(entries)
    for n in range(1, 8):
        values[f"amount_{n}"] = camt(values[f"amount_{n}"])
    credits = sum(Decimal(values[f"amount_{n}"]) for n in range(1, 6))
    debits = Decimal(values["amount_6"]) + Decimal(values["amount_7"])
    values.setdefault("opening", "10000.00")
    values["closing"] = camt(Decimal(values["opening"]) + credits - debits)
    return render("camt053_v02.xml", **values)


def camt_v08(*, day: datetime.date | None = None, prefix: str | None = None, **entries: Any) -> bytes:
    """The CAMT.053.001.08 statement: a batch of two credits (amount_1, amount_2), a credit (amount_3), a
    charge (amount_4) and an entry not yet booked."""
    day = day or timezone.localdate()
    prefix = prefix or unique("C8")
    values: dict[str, Any] = {"day": day.isoformat(), "prefix": prefix, "msg_id": f"MSG-{prefix}",
                              "stmt_id": f"STMT-{prefix}", "account": OUR_IBAN, "amount_4": "7.50"}
    for n in range(1, 4):
        values.update({f"amount_{n}": "10.00", f"name_{n}": f"Payer {n}", f"iban_{n}": IBANS[n],
                       f"remittance_{n}": f"Transfer {n}"})
    values.update(entries)
    for n in range(1, 5):
        values[f"amount_{n}"] = camt(values[f"amount_{n}"])
    values["batch_total"] = camt(Decimal(values["amount_1"]) + Decimal(values["amount_2"]))
    values.setdefault("opening", "250.00")
    closing = (-Decimal(values["opening"]) + Decimal(values["batch_total"]) + Decimal(values["amount_3"])
               - Decimal(values["amount_4"]))  # the opening balance is overdrawn (DBIT)
    values["closing"], values["closing_side"] = camt(abs(closing)), "CRDT" if closing >= 0 else "DBIT"
    return render("camt053_v08.xml", **values)


def mt940(*, day: datetime.date | None = None, prefix: str | None = None, **entries: Any) -> bytes:
    """The MT940 statement: a structured credit (amount_1; "SVWZ+" + remittance_1 is cut into ?21, ?22 and
    ?23 of 27 characters), a free-text credit (amount_2, remittance_2), fees (amount_3, debit) and a
    reversed credit (amount_4, RC)."""
    day = day or timezone.localdate()
    prefix = prefix or unique("M")
    values: dict[str, Any] = {"yymmdd": f"{day:%y%m%d}", "mmdd": f"{day:%m%d}", "prefix": prefix,
                              "account": OUR_IBAN, "number": "00042", "opening": "1000.00",
                              "amount_1": "10.00", "amount_2": "10.00", "amount_3": "4.90", "amount_4": "10.00",
                              "name_1": "Payer 1", "iban_1": IBANS[1], "remittance_1": "Transfer 1",
                              "remittance_2": "Transfer 2"}
    values.update(entries)
    amounts = {n: Decimal(str(values[f"amount_{n}"])) for n in range(1, 5)}
    closing = Decimal(str(values["opening"])) + amounts[1] + amounts[2] - amounts[3] - amounts[4]
    values.update({f"amount_{n}": mt(a) for n, a in amounts.items()})
    values["opening"], values["closing"] = mt(values["opening"]), mt(closing)
    text = "SVWZ+" + values.pop("remittance_1")  # ?21 and ?22 hold 27 characters each, as banks fill them
    values.update(remittance_1a=text[:27], remittance_1b=text[27:54], remittance_1c=text[54:81])
    return render("mt940.sta", **values)


def statement_csv(*, day: datetime.date | None = None, prefix: str | None = None, **entries: Any) -> bytes:
    """The CSV statement: a credit with a transaction id (amount_1), a credit without (amount_2), a debit
    (amount_3) and a reversal (amount_4)."""
    day = day or timezone.localdate()
    values: dict[str, Any] = {"day": day.isoformat(), "prefix": prefix or unique("V"), "amount_1": "10.00",
                              "amount_2": "10.00", "amount_3": "60.00", "amount_4": "10.00", "name_1": "Payer 1",
                              "iban_1": IBANS[1], "remittance_1": "Transfer 1", "name_2": "Payer 2",
                              "iban_2": IBANS[2], "remittance_2": "Transfer 2"}
    values.update(entries)
    for n in range(1, 5):
        values[f"amount_{n}"] = camt(values[f"amount_{n}"])
    return render("statement.csv", **values)


def csv_rows(*rows: dict[str, Any], day: datetime.date | None = None) -> bytes:
    """A statement CSV of the given lines: {amount, name, iban, remittance, id (default: fresh), reversal}."""
    day = day or timezone.localdate()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["booking_date", "amount", "currency", "counterparty_name", "counterparty_iban", "remittance",
                     "transaction_id", "reversal"])
    for row in rows:
        writer.writerow([row.get("day", day).isoformat(), row["amount"], row.get("currency", "EUR"),
                         row.get("name", ""), row.get("iban", ""), row.get("remittance", ""),
                         row.get("id", unique("R")), "true" if row.get("reversal") else "false"])
    return out.getvalue().encode()
