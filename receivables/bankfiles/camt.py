"""CAMT.053 (ISO 20022 BankToCustomerStatement), version .001.02 and later.

Read with a safe lxml parser: no entity expansion, no network, no huge trees. From each `Stmt`: its `Id`,
the account (`Acct/Id/IBAN`, or `Othr/Id`), the opening (OPBD, else PRCD) and closing (CLBD) balances and
the period. Each booked `Ntry` becomes a line: `Amt@Ccy`, `CdtDbtInd`, `RvslInd`, `BookgDt`, `ValDt`; the
counterparty from `NtryDtls/TxDtls/RltdPties` (the debtor of a credit, the creditor of a debit); the
remittance from `RmtInf/Ustrd`, `RmtInf/Strd/CdtrRefInf/Ref` (the RF reference) and
`Strd/RfrdDocInf/Nb`, else `AddtlTxInf`/`AddtlNtryInf`. An entry with several `TxDtls` (a batch) becomes
one line per transaction, with the amount of each (`TxDtls/Amt` or `AmtDtls/TxAmt/Amt`), which must add
up to the entry's. The transaction id is the bank's reference (`AcctSvcrRef`, else `TxId`, else
`EndToEndId`); without one it is derived: sha256 of account, statement id, entry position, date, amount
and remittance. Entries that are not booked (`Sts` PDNG or INFO) are left out. Several `Stmt` of one
account in one file are read as one statement.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import replace
from decimal import Decimal

from lxml import etree

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

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:(?P<message>[a-z]{4}\.\d{3})\.\d{3}\.(?P<version>\d{2})$")
KNOWN_MESSAGES = {
    "camt.052": "a camt.052 intraday account report",
    "camt.054": "a camt.054 debit/credit notification",
    "pain.001": "a pain.001 payment order (transfers to make)",
    "pain.002": "a pain.002 payment status report",
    "pain.008": "a pain.008 direct debit order",
}
NOT_PROVIDED = {"", "NOTPROVIDED", "NONREF"}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           remove_comments=True, remove_pis=True)


def _ends_early(content: bytes, error: etree.XMLSyntaxError) -> bool:
    """Whether the XML broke off: the parser stopped at the very end of the data, still inside the
    document (not at a tag that does not match, which is a broken file of any length)."""
    lines = content.rstrip().split(b"\n")
    line, column = error.position
    at_end = line > len(lines) or (line == len(lines) and column >= len(lines[-1]) - 1)
    return at_end and "mismatch" not in str(error.msg)


def _root(content: bytes) -> tuple[etree._Element, str]:
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        if _ends_early(content, exc):
            raise refuse("The XML file ends too early: it is truncated or incomplete.", str(exc.msg)) from None
        raise refuse(f"The file is not valid XML: {exc.msg}.") from None
    except ValueError as exc:  # e.g. an encoding declaration lxml cannot honour
        raise refuse(f"The file is not valid XML: {exc}.") from None
    namespace = etree.QName(root).namespace or ""
    match = NAMESPACE.match(namespace)
    if not match:
        raise refuse(f"The XML file is not an ISO 20022 CAMT.053 statement (its namespace is {namespace or 'none'!r}).")
    message = match["message"]
    if message != "camt.053":
        what = KNOWN_MESSAGES.get(message, f"an ISO 20022 {message} message")
        raise refuse(f"The XML file is {what}, not a CAMT.053 bank statement.")
    if int(match["version"]) < 2:
        raise refuse(f"CAMT.053 version .001.{match['version']} is not supported: use .001.02 or later.")
    if etree.QName(root).localname != "Document":
        raise refuse("The CAMT.053 file has no Document root element.")
    return root, namespace


class _Reader:
    """XPath with the document's namespace as `c:`."""

    def __init__(self, namespace: str) -> None:
        self.ns = {"c": namespace}

    def all(self, node: etree._Element, path: str) -> list[etree._Element]:
        return node.xpath(path, namespaces=self.ns)

    def one(self, node: etree._Element, path: str) -> etree._Element | None:
        found = node.xpath(path, namespaces=self.ns)
        return found[0] if found else None

    def text(self, node: etree._Element | None, *paths: str) -> str:
        """The text of the first of `paths` that has some."""
        if node is None:
            return ""
        for path in paths:
            for hit in node.xpath(path, namespaces=self.ns):
                value = (hit.text if isinstance(hit, etree._Element) else str(hit)) or ""
                if value.strip():
                    return value.strip()
        return ""

    def date(self, node: etree._Element | None, path: str, where: str, *, required: bool) -> datetime.date | None:
        raw = self.text(node, f"{path}/c:Dt", f"{path}/c:DtTm")
        return parse_date(raw, where, required=required)


def _balances(r: _Reader, stmt: etree._Element, where: str) -> dict[str, tuple[Decimal, datetime.date | None]]:
    found: dict[str, tuple[Decimal, datetime.date | None]] = {}
    for bal in r.all(stmt, "c:Bal"):
        code = r.text(bal, "c:Tp/c:CdOrPrtry/c:Cd", "c:Tp/c:CdOrPrtry/c:Prtry")
        amount = parse_amount(r.text(bal, "c:Amt"), f"{where}, balance {code}")
        if r.text(bal, "c:CdtDbtInd") == "DBIT":
            amount = -amount
        found.setdefault(code, (amount, r.date(bal, "c:Dt", f"{where}, balance {code}", required=False)))
    return found


def _remittance(r: _Reader, node: etree._Element | None) -> str:
    if node is None:
        return ""
    parts = [t.strip() for t in r.all(node, "c:RmtInf/c:Ustrd/text()") if t.strip()]
    parts += [t.strip() for t in r.all(node, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref/text()") if t.strip()]
    parts += [t.strip() for t in r.all(node, "c:RmtInf/c:Strd/c:RfrdDocInf/c:Nb/text()") if t.strip()]
    if not parts:
        parts = [t.strip() for t in r.all(node, "c:AddtlTxInf/text()") if t.strip()]
    return clean_text(" ".join(dict.fromkeys(parts)))


def _party(r: _Reader, tx: etree._Element | None, direction: str, is_reversal: bool) -> tuple[str, str]:
    """(name, IBAN) of the other side: the debtor of money received, the creditor of money paid."""
    if tx is None:
        return "", ""
    received = (direction == Direction.CREDIT) != is_reversal  # a reversed credit still names the debtor
    sides = ("Dbtr", "Cdtr") if received else ("Cdtr", "Dbtr")
    for side in sides:
        name = r.text(tx, f"c:RltdPties/c:{side}/c:Nm", f"c:RltdPties/c:{side}/c:Pty/c:Nm",
                      f"c:RltdPties/c:Ultmt{side}/c:Nm", f"c:RltdPties/c:Ultmt{side}/c:Pty/c:Nm")
        iban = r.text(tx, f"c:RltdPties/c:{side}Acct/c:Id/c:IBAN")
        if name or iban:
            return clean_text(name, 200), clean_iban(iban)
    return "", ""


def _tx_amount(r: _Reader, tx: etree._Element, where: str, currency: str) -> Decimal | None:
    for path in ("c:Amt", "c:AmtDtls/c:TxAmt/c:Amt"):
        node = r.one(tx, path)
        if node is not None:
            if parse_currency(node.get("Ccy") or currency, where) != currency:
                return None
            return parse_amount(node.text, where)
    return None


def _tx_id(r: _Reader, node: etree._Element | None) -> tuple[str, str]:
    """(the bank's id of the transaction, its end-to-end id) from `node`'s Refs."""
    if node is None:
        return "", ""
    end_to_end = r.text(node, "c:Refs/c:EndToEndId")
    end_to_end = "" if end_to_end.upper() in NOT_PROVIDED else end_to_end
    for path in ("c:Refs/c:AcctSvcrRef", "c:Refs/c:TxId"):
        value = r.text(node, path)
        if value.upper() not in NOT_PROVIDED:
            return value, end_to_end
    return end_to_end, end_to_end


def _entry_lines(r: _Reader, entry: etree._Element, position: int, account: str, statement_id: str,
                 stmt_currency: str) -> list[ParsedLine]:
    where = f"Entry {position}"
    amount_node = r.one(entry, "c:Amt")
    if amount_node is None:
        raise refuse(f"{where} has no amount.")
    amount = parse_amount(amount_node.text, where)
    if amount <= 0:
        raise refuse(f"{where}: the amount must be more than zero.")
    currency = parse_currency(amount_node.get("Ccy") or stmt_currency, where)
    indicator = r.text(entry, "c:CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise refuse(f"{where}: CdtDbtInd must be CRDT or DBIT, not {indicator!r}.")
    direction = Direction.CREDIT if indicator == "CRDT" else Direction.DEBIT
    is_reversal = r.text(entry, "c:RvslInd").lower() in ("true", "1")
    booking = r.date(entry, "c:BookgDt", where, required=False) or r.date(entry, "c:ValDt", where, required=True)
    assert booking is not None
    value = r.date(entry, "c:ValDt", where, required=False)
    entry_ref = r.text(entry, "c:AcctSvcrRef")
    entry_ref = "" if entry_ref.upper() in NOT_PROVIDED else entry_ref
    entry_info = clean_text(r.text(entry, "c:AddtlNtryInf"))
    txs = r.all(entry, "c:NtryDtls/c:TxDtls")

    def line(tx: etree._Element | None, amount: Decimal, ref: str, n: int) -> ParsedLine:
        remittance = _remittance(r, tx) or entry_info
        name, iban = _party(r, tx, direction, is_reversal)
        tx_ref, end_to_end = _tx_id(r, tx)
        ref = ref or tx_ref
        key = fit_id(ref) if ref else derived_id(account, statement_id, position, n, booking, amount, remittance)
        return ParsedLine(bank_transaction_id=key, booking_date=booking, value_date=value, direction=direction,
                          is_reversal=is_reversal, amount=amount, currency=currency, counterparty_name=name,
                          counterparty_iban=iban, remittance=remittance, end_to_end_id=end_to_end[:120])

    if len(txs) > 1:
        amounts = [_tx_amount(r, tx, f"{where}, transaction {n}", currency) for n, tx in enumerate(txs, 1)]
        if all(a is not None and a > 0 for a in amounts):
            total = sum(amounts, Decimal(0))  # type: ignore[arg-type]
            if total != amount:
                raise refuse(f"{where}: its {len(txs)} transactions add up to {total} {currency}, "
                             f"the entry says {amount} {currency}.")
            lines = []
            for n, (tx, tx_amount) in enumerate(zip(txs, amounts, strict=True), 1):
                own, _ = _tx_id(r, tx)
                ref = own or (f"{entry_ref}/{n}" if entry_ref else "")
                assert tx_amount is not None
                lines.append(line(tx, tx_amount, ref, n))
            return lines
    tx = txs[0] if txs else None
    if len(txs) > 1:  # a batch without amounts per transaction: one line, all its texts
        joined = clean_text(" ".join(_remittance(r, t) for t in txs))
        single = line(tx, amount, entry_ref, 1)
        return [replace(single, remittance=joined or single.remittance)]
    return [line(tx, amount, entry_ref, 1)]


def parse(content: bytes) -> ParsedStatement:
    root, namespace = _root(content)
    r = _Reader(namespace)
    statements = r.all(root, "c:BkToCstmrStmt/c:Stmt")
    if not statements:
        raise refuse("The CAMT.053 file has no statement (BkToCstmrStmt/Stmt).")
    accounts = {r.text(s, "c:Acct/c:Id/c:IBAN", "c:Acct/c:Id/c:Othr/c:Id").replace(" ", "").upper()
                for s in statements}
    if len(accounts) > 1:
        raise refuse(f"The file holds statements of {len(accounts)} accounts: upload one file per account.")
    (account,) = accounts
    ids, lines = [], []
    opening = closing = None
    from_date = to_date = None
    currency = ""
    position = 0
    for s_index, stmt in enumerate(statements, 1):
        where = f"Statement {s_index}"
        statement_id = r.text(stmt, "c:Id")
        if not statement_id:
            raise refuse(f"{where} has no Id.")
        ids.append(statement_id)
        stmt_currency = r.text(stmt, "c:Acct/c:Ccy")
        balances = _balances(r, stmt, where)
        open_bal = balances.get("OPBD") or balances.get("PRCD")
        close_bal = balances.get("CLBD")
        if not stmt_currency:
            ccy = r.all(stmt, "c:Bal/c:Amt/@Ccy | c:Ntry/c:Amt/@Ccy")
            stmt_currency = str(ccy[0]) if ccy else ""
        stmt_currency = parse_currency(stmt_currency, f"{where}, account currency")
        if currency and stmt_currency != currency:
            raise refuse("The file holds statements in several currencies: upload one file per account.")
        currency = stmt_currency
        if s_index == 1 and open_bal:
            opening = open_bal[0]
        if close_bal:
            closing = close_bal[0]
        start = parse_date(r.text(stmt, "c:FrToDt/c:FrDtTm"), f"{where}, from", required=False) or (
            open_bal[1] if open_bal else None)
        end = parse_date(r.text(stmt, "c:FrToDt/c:ToDtTm"), f"{where}, to", required=False) or (
            close_bal[1] if close_bal else None)
        for entry in r.all(stmt, "c:Ntry"):
            position += 1
            status = r.text(entry, "c:Sts/c:Cd", "c:Sts")
            if status and status not in ("BOOK",):
                continue
            lines.extend(_entry_lines(r, entry, position, account, statement_id, currency))
        from_date = min(d for d in (from_date, start) if d) if (from_date or start) else None
        to_date = max(d for d in (to_date, end) if d) if (to_date or end) else None
    if lines and from_date is None:
        from_date = min(line.booking_date for line in lines)
    if lines and to_date is None:
        to_date = max(line.booking_date for line in lines)
    ref = ids[0] if len(ids) == 1 else f"{ids[0]}…{ids[-1]}"
    return ParsedStatement(format=StatementFormat.CAMT053, account_iban=clean_iban(account) or account[:34],
                           statement_ref=ref[:120], currency=currency, opening_balance=opening,
                           closing_balance=closing, from_date=from_date, to_date=to_date, lines=unique_ids(lines))
