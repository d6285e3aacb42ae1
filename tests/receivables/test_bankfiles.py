"""Bank statement files → ParsedStatement: CAMT.053 (.001.02 and .001.08), MT940, the CSV layout, and
files refused with a clear message (empty, not XML, wrong namespace, truncated, malformed, too large)."""

from __future__ import annotations

import datetime
import time
from decimal import Decimal
from pathlib import Path

import pytest

from o2c.errors import ValidationFailed
from receivables.bankfiles import detect
from receivables.bankfiles.mt940 import parse_details
from tests.receivables.statement_files import IBANS, OUR_IBAN, camt_v02, camt_v08, mt940, statement_csv

DAY = datetime.date(2026, 3, 2)


def _refusal(content: bytes, filename: str = "statement") -> str:
    with pytest.raises(ValidationFailed) as caught:
        detect(content, filename)
    assert caught.value.details["file"][0] == caught.value.message
    return caught.value.message


def test_a_camt053_001_02_statement_is_read_entry_by_entry() -> None:
    content = camt_v02(day=DAY, prefix="BANK42", amount_1="1190.00", name_1="Muster Handel GmbH",
                       iban_1=IBANS[0], remittance_1="Rechnung INV-2026-000042 Kd 10001",
                       reference_2="RF18 INV2 0260 0004 2", amount_6="250.00", amount_7="40.00")

    statement = detect(content, "camt.xml")

    assert (statement.format, statement.account_iban, statement.statement_ref, statement.currency) == (
        "camt053", OUR_IBAN, "STMT-BANK42", "EUR")
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("10000.00"), Decimal("10940.00"))
    assert (statement.from_date, statement.to_date) == (DAY, DAY)
    lines = statement.lines
    assert [line.bank_transaction_id for line in lines] == [f"BANK42-000{n}" for n in range(1, 8)]
    first = lines[0]
    assert (first.amount, first.currency, first.direction, first.is_reversal) == (
        Decimal("1190.00"), "EUR", "credit", False)
    assert isinstance(first.amount, Decimal)
    assert (first.booking_date, first.value_date) == (DAY, DAY)
    assert (first.counterparty_name, first.counterparty_iban) == ("Muster Handel GmbH", IBANS[0])
    assert first.remittance == "Rechnung INV-2026-000042 Kd 10001"
    assert first.end_to_end_id == ""  # NOTPROVIDED is no id
    assert lines[1].remittance == "RF18 INV2 0260 0004 2" and lines[1].end_to_end_id == "BANK42-E2E-2"
    # a debit names the creditor; a reversal (RvslInd) of a credit goes out and names the original payer
    assert (lines[5].direction, lines[5].is_reversal, lines[5].counterparty_name) == (
        "debit", False, "Office Supplies AG")
    assert (lines[6].direction, lines[6].is_reversal, lines[6].counterparty_name, lines[6].amount) == (
        "debit", True, "Muster Handel GmbH", Decimal("40.00"))
    assert [line.is_credit for line in lines] == [True] * 5 + [False, False]


def test_a_camt053_001_08_batch_becomes_one_line_per_transfer_and_pending_entries_are_left_out() -> None:
    content = camt_v08(day=DAY, prefix="ING7", amount_1="100.00", amount_2="23.45", amount_3="500.00",
                       name_3="Beispiel AG", remittance_3="INV-2026-000001 INV-2026-000002")

    statement = detect(content, "camt.xml")

    assert statement.opening_balance == Decimal("-250.00")  # PRCD, overdrawn (DBIT)
    assert statement.closing_balance == Decimal("365.95")
    ids = [line.bank_transaction_id for line in statement.lines]
    assert ids[:2] == ["ING7-B1-1", "ING7-B1-2"]  # each transfer of the batch by its own reference
    assert ids[2].startswith("sha256:")  # no bank reference: derived
    assert ids[3] == "ING7-F1"
    assert [line.amount for line in statement.lines] == [Decimal("100.00"), Decimal("23.45"), Decimal("500.00"),
                                                         Decimal("7.50")]
    assert statement.lines[0].counterparty_name == "Payer 1"  # Dbtr/Pty/Nm (.001.08)
    assert statement.lines[0].booking_date == DAY  # from BookgDt/DtTm
    assert statement.lines[2].counterparty_name == "Beispiel AG"  # the debtor, not the ultimate debtor
    assert statement.lines[3].remittance == "Kontofuehrungsgebuehren"  # AddtlNtryInf when there is no RmtInf
    assert all(line.amount != Decimal("999.99") for line in statement.lines)  # PDNG: not booked


def test_a_derived_transaction_id_is_stable_for_the_same_statement_and_differs_for_another() -> None:
    again = [detect(camt_v08(day=DAY, prefix="SAME"), "a.xml").lines[2].bank_transaction_id for _ in range(2)]
    other = detect(camt_v08(day=DAY, prefix="OTHER"), "a.xml").lines[2].bank_transaction_id
    assert again[0] == again[1] != other
    assert len(again[0]) <= 120


def test_a_batch_whose_transfers_do_not_add_up_is_refused() -> None:
    content = camt_v08(day=DAY, amount_1="100.00", amount_2="20.00").replace(
        b'<Amt Ccy="EUR">120.00</Amt>', b'<Amt Ccy="EUR">130.00</Amt>', 1)
    assert "add up to 120.00 EUR, the entry says 130.00 EUR" in _refusal(content)


def test_an_mt940_statement_with_german_structured_details() -> None:
    content = mt940(day=DAY, prefix="MT1", amount_1="1190.00", name_1="Muster Handel GmbH", iban_1=IBANS[0],
                    remittance_1="Ihre Rechnung Nr. INV-2026-000042 vom 01.03.2026, danke",
                    amount_2="500.00", remittance_2="Teilzahlung inv2026000043", amount_3="4.90",
                    amount_4="75.00")

    statement = detect(content, "konto.sta")

    assert (statement.format, statement.account_iban, statement.currency) == ("mt940", OUR_IBAN, "EUR")
    assert statement.statement_ref == "STARTUMSE/00042/001/2026-03-02"
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("1000.00"), Decimal("2610.10"))
    assert (statement.from_date, statement.to_date) == (DAY, DAY)
    credit, free_text, fees, reversal = statement.lines
    # ?21–?23 put together again (cut mid-word where the bank's 27 characters were full)
    assert credit.remittance == "Ihre Rechnung Nr. INV-2026-000042 vom 01.03.2026, danke"
    assert (credit.counterparty_name, credit.counterparty_iban, credit.end_to_end_id) == (
        "Muster Handel GmbH", IBANS[0], "E2E-MT1-1")
    assert (credit.bank_transaction_id, credit.direction, credit.amount) == ("MT1-1", "credit", Decimal("1190.00"))
    assert free_text.remittance == "Teilzahlung inv2026000043" and free_text.counterparty_name == ""
    assert (fees.direction, fees.is_reversal, fees.remittance) == ("debit", False, "Kontofuehrung Entgelte lt. Anlage")
    assert (reversal.direction, reversal.is_reversal, reversal.amount) == ("debit", True, Decimal("75.00"))  # RC


def test_mt940_details_name_over_two_subfields_and_a_german_account_number() -> None:
    details = parse_details("166?00GUTSCHRIFT?20SVWZ+INV-2026-000007?30GENODEF1S04?31DE44 5001 0517 5407"
                            " 3249 31?32Sehr lange Firmenbezeichnung?33 GmbH & Co. KG")
    assert details == {"remittance": "INV-2026-000007", "name": "Sehr lange Firmenbezeichnung GmbH & Co. KG",
                       "iban": "DE44500105175407324931", "end_to_end": ""}
    content = mt940(day=DAY, account="37040044/0532013000")
    assert detect(content, "x.sta").account_iban == OUR_IBAN  # BLZ/account → IBAN


def test_the_csv_layout() -> None:
    content = statement_csv(day=DAY, prefix="CSV1", amount_1="119.00", name_1="Kunde Eins GmbH",
                            remittance_1="inv-2026-000009", amount_2="20.00", amount_3="60.00", amount_4="15.00")

    statement = detect(content, "bank/export march.csv")

    assert (statement.format, statement.account_iban, statement.currency) == ("csv", "", "EUR")
    assert statement.statement_ref.startswith("export march.csv ") and len(statement.statement_ref) == 29
    assert (statement.opening_balance, statement.closing_balance, statement.from_date) == (None, None, DAY)
    first, second, debit, reversal = statement.lines
    assert (first.bank_transaction_id, first.amount, first.direction, first.value_date) == (
        "CSV1-1", Decimal("119.00"), "credit", DAY)
    assert first.remittance == "Payment inv-2026-000009, thank you" and first.counterparty_name == "Kunde Eins GmbH"
    assert second.bank_transaction_id.startswith("sha256:") and second.value_date is None
    assert (debit.direction, debit.amount, debit.remittance) == ("debit", Decimal("60.00"), "Strom, Abschlag März")
    assert (reversal.direction, reversal.is_reversal) == ("credit", True)
    # the derived id does not depend on the file: an overlapping export finds the row again
    other = statement_csv(day=DAY, prefix="CSV2", amount_1="1.00", amount_2="20.00")
    assert detect(other, "april.csv").lines[1].bank_transaction_id == second.bank_transaction_id


def test_the_csv_layout_with_semicolons_an_account_column_and_a_byte_order_mark() -> None:
    content = ("\ufeffBooking_Date;Amount;Currency;Counterparty_Name;Counterparty_IBAN;Remittance;Account_IBAN\r\n"
               f"2026-03-02;-12.50;eur;Bank;;Gebühren März;{OUR_IBAN}\r\n"
               f"2026-03-03;+40;EUR;\"Müller; Söhne\";{IBANS[0]};INV-2026-000001;{OUR_IBAN}\r\n").encode()
    statement = detect(content, "x.csv")
    assert statement.account_iban == OUR_IBAN and (statement.from_date, statement.to_date) == (
        DAY, DAY + datetime.timedelta(days=1))
    assert [(line.direction, line.amount) for line in statement.lines] == [("debit", Decimal("12.50")),
                                                                          ("credit", Decimal("40.00"))]
    assert statement.lines[1].counterparty_name == "Müller; Söhne"


def test_the_csv_example_in_the_readme_is_read_as_documented() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("```csv\n", 1)[1].split("```", 1)[0].encode()
    statement = detect(example, "example.csv")
    assert [(line.bank_transaction_id, line.direction, line.amount) for line in statement.lines] == [
        ("TX-0001", "credit", Decimal("1190.00")), ("TX-0002", "debit", Decimal("12.50"))]
    assert statement.lines[0].counterparty_iban == "DE44500105175407324931"


PAIN_001 = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn><GrpHdr><MsgId>P1</MsgId>
</GrpHdr></CstmrCdtTrfInitn></Document>"""
CAMT_052 = b"""<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08">
<BkToCstmrAcctRpt/></Document>"""
CAMT_053_01 = b"""<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.01">
<BkToCstmrStmt/></Document>"""


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"", "statement.xml", "The file is empty."),
    (b" \r\n\t ", "statement.csv", "The file is empty."),
    (b"< this is not XML >", "statement.xml", "The file is not valid XML"),
    (b"PK\x03\x04\x14\x00\x06\x00binary spreadsheet", "statement.xlsx", "The file is not a bank statement"),
    (b"Hello, this is a letter.\nRegards", "letter.txt", "The file is not a bank statement"),
    (b"<?xml version='1.0'?><Document><BkToCstmrStmt/></Document>", "x.xml", "not an ISO 20022 CAMT.053"),
    (PAIN_001, "x.xml", "a pain.001 payment order (transfers to make), not a CAMT.053 bank statement"),
    (CAMT_052, "x.xml", "a camt.052 intraday account report, not a CAMT.053 bank statement"),
    (CAMT_053_01, "x.xml", "version .001.01 is not supported"),
    (b"date,amount,currency,payer\n2026-03-02,1.00,EUR,X\n", "x.csv", "unknown column(s): date, payer"),
    (b"booking_date,amount,currency,payer,counterparty_iban,remittance\n2026-03-02,1.00,EUR,X,,\n", "x.csv",
     "unknown column(s): payer; missing column(s): counterparty_name"),
    (b"booking_date,amount,currency,counterparty_name,counterparty_iban,remittance\n", "x.csv",
     "a header but no lines"),
    (b"booking_date,amount,currency,counterparty_name,counterparty_iban,remittance\n2026-03-02,\"1.190,00\",EUR,X,,\n",
     "x.csv", "Line 2, amount: the amount '1.190,00' is not a number like 1190.00."),
    (b"booking_date,amount,currency,counterparty_name,counterparty_iban,remittance\n02.03.2026,1.00,EUR,X,,\n",
     "x.csv", "Line 2, booking_date: '02.03.2026' is not a date like 2026-03-02."),
    (b"booking_date,amount,currency,counterparty_name,counterparty_iban,remittance\n2026-03-02,1.00,EUR,X,DE00123,\n",
     "x.csv", "Line 2, counterparty_iban: 'DE00123' is not a valid IBAN."),
    (b"booking_date,amount,currency,counterparty_name,counterparty_iban,remittance\n2026-03-02,1.00,EUR,X,,\n"
     b"2026-03-02,1.00,USD,X,,\n", "x.csv", "mixes currencies (EUR, USD)"),
])
def test_files_that_are_not_statements_are_refused_with_a_clear_message(content: bytes, filename: str,
                                                                        message: str) -> None:
    assert message in _refusal(content, filename)


def test_a_truncated_camt_file_is_refused() -> None:
    content = camt_v02(day=DAY)
    message = _refusal(content[: len(content) // 2], "cut.xml")
    assert message == "The XML file ends too early: it is truncated or incomplete."


def test_a_malformed_amount_or_date_in_a_camt_entry_is_refused() -> None:
    bad_amount = camt_v02(day=DAY, amount_3="12.50").replace(b">12.50<", b">12,50<")
    assert _refusal(bad_amount) == "Entry 3: the amount '12,50' is not a number like 1190.00."
    bad_date = camt_v02(day=DAY).replace(b"<BookgDt><Dt>2026-03-02", b"<BookgDt><Dt>2026-13-02", 1)
    assert _refusal(bad_date) == "Entry 1: '2026-13-02' is not a date like 2026-03-02."


def test_a_malformed_mt940_line_is_refused() -> None:
    content = mt940(day=DAY).replace(b"CR10,00NTRF", b"CRten,00NTRF", 1)
    assert _refusal(content, "x.sta").startswith("The MT940 file could not be read")
    content = mt940(day=DAY).replace(b":62F:", b":99X:")
    assert "lacks its opening (:60F:) or closing (:62F:) balance" in _refusal(content, "x.sta")


def test_a_50_mb_file_is_refused_before_it_is_read() -> None:
    content = b"<" + b"x" * (50 * 1024 * 1024)  # were it parsed, the message would be about XML
    started = time.monotonic()
    message = _refusal(content, "huge.xml")
    assert message == "The file is 50.0 MB: statements up to 10 MB are accepted."
    assert time.monotonic() - started < 1


def test_the_size_limit_is_a_setting(settings) -> None:
    content = camt_v02(day=DAY)
    settings.RECEIVABLES_STATEMENT_MAX_BYTES = len(content) - 1
    assert "statements up to" in _refusal(content)
    settings.RECEIVABLES_STATEMENT_MAX_BYTES = len(content)
    assert len(detect(content, "x.xml").lines) == 7


def test_entities_are_not_expanded_and_nothing_is_fetched() -> None:
    evil = camt_v02(day=DAY, remittance_1="&xxe; &lol3;").replace(
        b"<Document", b'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
                      b'<!ENTITY lol "lollollollollollollollollollol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
                      b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n<Document', 1)
    statement = detect(evil, "x.xml")
    assert "root:" not in statement.lines[0].remittance
    assert "lollol" not in statement.lines[0].remittance
