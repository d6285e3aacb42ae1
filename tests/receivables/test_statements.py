"""Bank statement import: CAMT.053 (.001.02, .001.08), MT940 and CSV files applied to invoices, exactly
once; bad files write nothing; the reconciliation queue, manual matching, suggestions; racing imports."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.enums import InvoiceStatus
from billing.models import Invoice
from o2c.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from o2c.models import AuditEvent, OutboxEvent
from orders.models import Customer
from receivables.enums import LineStatus, MatchRule
from receivables.models import BankStatement, BankStatementLine, CustomerBankAccount, Payment
from receivables.selectors.statements import (
    auto_match_rate,
    match_suggestions,
    reconciliation_queue,
    statement_summary,
)
from receivables.services.statements import (
    StatementImport,
    bank_statement_import,
    statement_line_ignore,
    statement_line_match,
    statement_line_unignore,
)
from tests.billing.factories import billing_customer, issued_invoice
from tests.conftest import race
from tests.orders.factories import PaymentTermFactory
from tests.receivables.factories import payment_of
from tests.receivables.statement_files import camt_v02, camt_v08, csv_rows, mt940, new_iban, statement_csv, unique

pytestmark = pytest.mark.django_db


def _grouped(reference: str) -> str:
    return " ".join(reference[i:i + 4] for i in range(0, len(reference), 4))


def _fresh(invoice: Invoice) -> Invoice:
    return Invoice.objects.get(pk=invoice.pk)


def _rows() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (BankStatement, BankStatementLine, Payment, CustomerBankAccount, AuditEvent, OutboxEvent)}


@dataclass
class Case:
    """A statement file made for invoices created for it, and what each line should end as."""

    content: bytes
    filename: str
    invoices: dict[str, Invoice] = field(default_factory=dict)
    expected: list[tuple[str, str]] = field(default_factory=list)  # (status, rule) per line


def camt_v02_case() -> Case:
    """Entries: 1 invoice number, 2 RF reference, 3 known IBAN + amount, 4 name + amount, 5 a known IBAN
    with two invoices of the amount (queue), 6 a debit, 7 a reversal."""
    by_number = issued_invoice([(10, "100.00", "standard")],
                               customer=billing_customer(legal_name="Muster Handel GmbH"))  # 1190.00
    by_reference = issued_invoice([(2, "100.00", "standard")])  # 238.00
    known = billing_customer()
    by_iban = issued_invoice([(1, "50.00", "standard")], customer=known)  # 59.50
    iban_known = new_iban()
    CustomerBankAccount.objects.create(customer=known, iban=iban_known, name="Known Payer")
    named = billing_customer(legal_name="Beispiel Werkzeuge GmbH")
    by_name = issued_invoice([(3, "100.00", "standard")], customer=named)  # 357.00
    twice = billing_customer()
    twins = [issued_invoice([(1, "100.00", "standard")], customer=twice) for _ in range(2)]  # 119.00 each
    iban_twice = new_iban()
    CustomerBankAccount.objects.create(customer=twice, iban=iban_twice)
    content = camt_v02(
        amount_1="1190.00", name_1="Muster Handel GmbH", iban_1=new_iban(),
        remittance_1=f"Rechnung {by_number.number} Kundennr. {by_number.customer.number}",
        amount_2="238.00", name_2="Other Payer Ltd", iban_2=new_iban(),
        reference_2=_grouped(by_reference.payment_reference),
        amount_3="59.50", name_3="Known Payer", iban_3=iban_known, remittance_3="Zahlung Maerz",
        amount_4="357.00", name_4="BEISPIEL WERKZEUGE GMBH", iban_4=new_iban(), remittance_4="Payment",
        amount_5="119.00", name_5="Twice Ltd", iban_5=iban_twice, remittance_5="Sammelzahlung",
        amount_6="250.00", amount_7="40.00")
    return Case(content, "camt053.xml", {"number": by_number, "reference": by_reference, "iban": by_iban,
                                         "name": by_name, "twin_1": twins[0], "twin_2": twins[1]},
                [("matched", MatchRule.INVOICE_NUMBER), ("matched", MatchRule.PAYMENT_REFERENCE),
                 ("matched", MatchRule.IBAN_AMOUNT), ("matched", MatchRule.NAME_AMOUNT), ("unmatched", ""),
                 ("shown", ""), ("shown", "")])


def camt_v08_case() -> Case:
    """A batch of two transfers naming one invoice each, a transfer paying two invoices less their
    early-payment discounts, bank charges."""
    first, second = (issued_invoice([(1, "100.00", "standard")]) for _ in range(2))  # 119.00 each
    term = PaymentTermFactory(code="2-10-30", name="2 % 10 days", net_days=30, discount_percent=2, discount_days=10)
    customer = billing_customer(payment_term=term, legal_name="Skonto Kunde KG")
    discounted = [issued_invoice([(n, "100.00", "standard")], customer=customer) for n in (1, 2)]  # 119 + 238
    content = camt_v08(amount_1="119.00", remittance_1=f"Invoice {first.number}", iban_1=new_iban(),
                       amount_2="119.00", remittance_2=f"{second.number.lower()}", iban_2=new_iban(),
                       amount_3="349.86", name_3="Skonto Kunde KG", iban_3=new_iban(),
                       remittance_3=f"{discounted[0].number} {discounted[1].number} abzgl. Skonto 7,14")
    return Case(content, "camt053_v08.xml", {"first": first, "second": second, "discounted_1": discounted[0],
                                             "discounted_2": discounted[1]},
                [("matched", MatchRule.INVOICE_NUMBER)] * 3 + [("shown", "")])


def mt940_case() -> Case:
    """A structured :86: naming an invoice over two sub-fields, a part payment in free text, fees, a
    reversed credit (RC)."""
    full = issued_invoice([(10, "100.00", "standard")])  # 1190.00
    part = issued_invoice([(5, "100.00", "standard")])  # 595.00
    content = mt940(amount_1="1190.00", name_1="Muster Handel GmbH", iban_1=new_iban(),
                    remittance_1=f"Ihre Rechnung Nr. {full.number} vom 01.03., danke",
                    amount_2="200.00", remittance_2=f"Teilzahlung {part.number.replace('-', '').lower()}",
                    amount_3="4.90", amount_4="75.00")
    return Case(content, "konto.sta", {"full": full, "part": part},
                [("matched", MatchRule.INVOICE_NUMBER)] * 2 + [("shown", "")] * 2)


def csv_case() -> Case:
    """A credit naming its invoice, a credit from the customer's name without a transaction id, a debit,
    a reversal."""
    by_number = issued_invoice([(1, "100.00", "standard")])
    by_name = issued_invoice([(1, "50.00", "standard")], customer=billing_customer(legal_name="CSV Kunde GmbH"))
    content = statement_csv(amount_1="119.00", remittance_1=by_number.number, iban_1=new_iban(),
                            amount_2="59.50", name_2="Csv Kunde", iban_2=new_iban(), remittance_2="Danke",
                            amount_3="60.00", amount_4="12.00")
    return Case(content, "export.csv", {"number": by_number, "name": by_name},
                [("matched", MatchRule.INVOICE_NUMBER), ("matched", MatchRule.NAME_AMOUNT),
                 ("shown", ""), ("shown", "")])


def _import(case: Case, actor=None) -> StatementImport:
    done = bank_statement_import(content=case.content, filename=case.filename, actor=actor)
    assert [(line.status, line.match_rule) for line in done.lines] == case.expected
    return done


# --- importing ---------------------------------------------------------------------------------------------

def test_a_camt053_statement_is_imported_and_its_credits_applied(finance_user) -> None:
    case = camt_v02_case()

    done = _import(case, actor=finance_user)

    statement = done.statement
    assert done.created and (done.auto_matched, done.duplicates) == (4, 0)
    assert (statement.format, statement.filename, statement.currency) == ("camt053", "camt053.xml", "EUR")
    assert (statement.line_count, statement.credit_count, statement.duplicate_count,
            statement.auto_matched_count) == (7, 5, 0, 4)
    assert statement.imported_by == finance_user and len(statement.sha256) == 64
    for key in ("number", "reference", "iban", "name"):
        assert _fresh(case.invoices[key]).status == InvoiceStatus.PAID, key
    assert _fresh(case.invoices["twin_1"]).status == _fresh(case.invoices["twin_2"]).status == InvoiceStatus.ISSUED
    matched = [line for line in done.lines if line.status == LineStatus.MATCHED]
    assert [line.payment.bank_transaction_id for line in matched] == [line.bank_transaction_id for line in matched]
    assert Payment.objects.count() == 4 and all(line.matched_by == finance_user for line in matched)
    debit, reversal = done.lines[5:]
    assert (debit.direction, debit.payment, reversal.is_reversal, reversal.payment) == ("debit", None, True, None)
    assert AuditEvent.objects.filter(action="imported", object_id=str(statement.pk),
                                     data__auto_matched=4, data__credits=5).exists()
    assert AuditEvent.objects.filter(action="auto_matched").count() == 4
    event = OutboxEvent.objects.get(type="bank_statement.imported")
    assert (event.payload["statement"], event.payload["lines"], event.payload["credits"],
            event.payload["auto_matched"], event.payload["duplicates"]) == (statement.pk, 7, 5, 4, 0)
    assert OutboxEvent.objects.filter(type="payment.received").count() == 4


def test_the_same_file_twice_imports_nothing_twice() -> None:
    case = camt_v02_case()
    first = _import(case)
    before = _rows()

    again = bank_statement_import(content=case.content, filename="renamed.xml", actor=None)

    assert not again.created and again.statement.pk == first.statement.pk
    assert (again.auto_matched, len(again.lines)) == (4, 7)
    assert _rows() == before


def test_the_same_statement_in_another_file_is_not_imported_again() -> None:
    content = camt_v02(prefix="SAMEREF")
    first = bank_statement_import(content=content, filename="a.xml", actor=None)
    before = _rows()
    other = content.replace(b"<MsgId>MSG-SAMEREF</MsgId>", b"<MsgId>MSG-RESENT</MsgId>")  # same account, same Id

    again = bank_statement_import(content=other, filename="b.xml", actor=None)

    assert not again.created and again.statement.pk == first.statement.pk and _rows() == before


def test_a_transaction_repeated_in_a_second_file_is_a_duplicate_and_the_rest_is_imported() -> None:
    invoices = [issued_invoice([(n, "100.00", "standard")]) for n in (1, 2, 3)]
    repeated = unique("DUP")
    first = bank_statement_import(content=csv_rows(
        {"amount": "119.00", "remittance": invoices[0].number},
        {"amount": "238.00", "remittance": invoices[1].number, "id": repeated}), filename="1.csv", actor=None)
    assert (first.statement.line_count, first.auto_matched) == (2, 2)

    second = bank_statement_import(content=csv_rows(
        {"amount": "238.00", "remittance": invoices[1].number, "id": repeated},
        {"amount": "357.00", "remittance": invoices[2].number}), filename="2.csv", actor=None)

    assert second.created and second.duplicates == 1
    statement = second.statement
    assert (statement.line_count, statement.credit_count, statement.duplicate_count,
            statement.auto_matched_count) == (1, 1, 1, 1)
    assert [line.amount for line in second.lines] == [Decimal("357.00")]
    assert BankStatementLine.objects.filter(bank_transaction_id=repeated).count() == 1
    assert Payment.objects.filter(bank_transaction_id=repeated).count() == 1
    assert Payment.objects.count() == 3 and _fresh(invoices[2]).status == InvoiceStatus.PAID


def test_a_camt053_001_08_statement_with_a_batch_and_a_discount() -> None:
    case = camt_v08_case()

    done = _import(case)

    assert (done.statement.line_count, done.statement.credit_count, done.auto_matched) == (4, 3, 3)
    assert all(_fresh(invoice).status == InvoiceStatus.PAID for invoice in case.invoices.values())
    discounted = done.lines[2].payment
    assert (discounted.amount, discounted.allocated_amount, discounted.unapplied_amount) == (
        Decimal("349.86"), Decimal("349.86"), 0)
    assert done.statement.opening_balance == Decimal("-250.00")


def test_an_mt940_statement_pays_in_full_and_in_part_and_shows_fees_and_the_reversal() -> None:
    case = mt940_case()

    done = _import(case)

    assert done.statement.format == "mt940" and done.auto_matched == 2
    assert _fresh(case.invoices["full"]).status == InvoiceStatus.PAID
    part = _fresh(case.invoices["part"])
    assert (part.status, part.amount_due) == (InvoiceStatus.PARTIALLY_PAID, Decimal("395.00"))
    fees, reversal = done.lines[2:]
    assert (fees.direction, fees.amount, reversal.is_reversal, reversal.amount) == (
        "debit", Decimal("4.90"), True, Decimal("75.00"))


def test_a_csv_statement() -> None:
    case = csv_case()
    done = _import(case)
    assert done.statement.format == "csv" and done.statement.statement_ref.startswith("export.csv ")
    assert all(_fresh(invoice).status == InvoiceStatus.PAID for invoice in case.invoices.values())


def test_a_transaction_recorded_by_hand_already_is_linked_not_paid_twice() -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    recorded = payment_of(invoice.customer, "119.00", invoices=[invoice], bank_transaction_id="BY-HAND-1")

    (line,) = bank_statement_import(content=csv_rows({"amount": "119.00", "remittance": invoice.number,
                                                      "id": "BY-HAND-1"}), filename="x.csv", actor=None).lines

    assert (line.status, line.match_rule, line.payment_id) == (LineStatus.MATCHED, MatchRule.MANUAL, recorded.pk)
    assert Payment.objects.count() == 1


def test_a_match_whose_payment_cannot_be_recorded_waits_in_the_queue_instead_of_failing_the_import() -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    # the customer now pays in another currency: the payment is refused, so the line waits for Finance
    Customer.objects.filter(pk=invoice.customer_id).update(currency="CHF")

    done = bank_statement_import(content=csv_rows({"amount": "119.00", "remittance": invoice.number},
                                                  {"amount": "5.00", "remittance": "other"}),
                                 filename="x.csv", actor=None)

    assert done.created and [line.status for line in done.lines] == [LineStatus.UNMATCHED] * 2
    assert done.auto_matched == 0 and not Payment.objects.exists()


BAD_FILES = {
    "not XML": (b"<<< this is not XML", "statement.xml"),
    "wrong namespace": (b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">'
                        b"<CstmrCdtTrfInitn/></Document>", "pain.xml"),
    "camt.052": (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"/>', "report.xml"),
    "empty": (b"", "statement.xml"),
    "bad csv column": (b"booking_date,amount,currency,counterparty_name,counterparty_iban,remittance,colour\n"
                       b"2026-03-02,1.00,EUR,X,,,red\n", "x.csv"),
}
MESSAGES = {
    "not XML": "The file is not valid XML: StartTag: invalid element name, line 1, column 2.",
    "wrong namespace": "The XML file is a pain.001 payment order (transfers to make), not a CAMT.053 bank statement.",
    "camt.052": "The XML file is a camt.052 intraday account report, not a CAMT.053 bank statement.",
    "empty": "The file is empty.",
    "bad csv column": "The CSV file does not follow the statement layout: unknown column(s): colour.",
    "truncated": "The XML file ends too early: it is truncated or incomplete.",
    "50 MB": "The file is 50.0 MB: statements up to 10 MB are accepted.",
}


@pytest.mark.parametrize("kind", MESSAGES)
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_is_written(kind: str) -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    if kind == "truncated":
        whole = camt_v02(amount_1="119.00", remittance_1=invoice.number)
        content, filename = whole[: int(len(whole) * 0.8)], "cut.xml"
    elif kind == "50 MB":
        head = camt_v02(amount_1="119.00", remittance_1=invoice.number)
        content, filename = head + b" " * (50 * 1024 * 1024 - len(head)), "huge.xml"
    else:
        content, filename = BAD_FILES[kind]
    before = _rows()

    with pytest.raises(ValidationFailed) as refused:
        bank_statement_import(content=content, filename=filename, actor=None)

    assert refused.value.message == MESSAGES[kind] and refused.value.details["file"][0] == MESSAGES[kind]
    assert _rows() == before
    assert _fresh(invoice).status == InvoiceStatus.ISSUED


# --- the queue and Finance's hand ----------------------------------------------------------------------

def _queued(**row) -> BankStatementLine:
    (line,) = bank_statement_import(content=csv_rows(row), filename="q.csv", actor=None).lines
    assert line.status == LineStatus.UNMATCHED
    return line


def test_finance_matches_a_queued_line_by_hand_and_the_iban_is_remembered(finance_user) -> None:
    customer = billing_customer()
    first = issued_invoice([(1, "100.00", "standard")], customer=customer)  # 119.00
    second = issued_invoice([(1, "50.00", "standard")], customer=customer)  # 59.50
    payer = new_iban()
    line = _queued(amount="178.50", name="Sammelzahler", iban=payer, remittance="Sammelzahlung")

    payment = statement_line_match(line_id=line.pk, customer_id=customer.pk, actor=finance_user,
                                   allocations=[{"invoice": first.pk}, {"invoice": second.pk}])

    line.refresh_from_db()
    assert (line.status, line.match_rule, line.payment, line.matched_by) == (
        LineStatus.MATCHED, MatchRule.MANUAL, payment, finance_user)
    assert line.matched_at is not None
    assert (payment.amount, payment.bank_transaction_id, payment.received_date) == (
        Decimal("178.50"), line.bank_transaction_id, line.booking_date)
    assert _fresh(first).status == _fresh(second).status == InvoiceStatus.PAID
    assert CustomerBankAccount.objects.get(iban=payer).customer == customer
    assert AuditEvent.objects.filter(action="matched", object_id=str(line.pk), actor=finance_user,
                                     data__iban_learnt=True).exists()
    assert line not in reconciliation_queue()
    # the next transfer from that IBAN is matched by itself
    third = issued_invoice([(2, "100.00", "standard")], customer=customer)
    (next_line,) = bank_statement_import(content=csv_rows({"amount": "238.00", "iban": payer}), filename="n.csv",
                                         actor=None).lines
    assert next_line.match_rule == MatchRule.IBAN_AMOUNT and _fresh(third).status == InvoiceStatus.PAID


def test_a_line_matched_without_allocations_is_the_customers_credit(finance_user) -> None:
    customer = billing_customer()
    line = _queued(amount="80.00", name="Vorauskasse")
    payment = statement_line_match(line_id=line.pk, customer_id=customer.pk, actor=finance_user)
    assert (payment.amount, payment.allocated_amount, payment.unapplied_amount) == (
        Decimal("80.00"), 0, Decimal("80.00"))
    assert not CustomerBankAccount.objects.exists()  # no IBAN on the line


def test_what_cannot_be_matched_by_hand_is_refused_and_changes_nothing(finance_user) -> None:
    customer = billing_customer()
    line = _queued(amount="10.00")
    statement_line_match(line_id=line.pk, customer_id=customer.pk, actor=finance_user)
    shown = bank_statement_import(content=csv_rows({"amount": "-5.00"}), filename="d.csv", actor=None).lines[0]
    swiss = billing_customer(currency="CHF")
    other = _queued(amount="20.00")
    invoice = issued_invoice([(1, "100.00", "standard")], customer=customer)
    before = _rows()

    with pytest.raises(Conflict, match="matched"):
        statement_line_match(line_id=line.pk, customer_id=customer.pk, actor=finance_user)
    with pytest.raises(Conflict, match="debit or reversal"):
        statement_line_match(line_id=shown.pk, customer_id=customer.pk, actor=finance_user)
    with pytest.raises(ValidationFailed, match="pays in CHF; the line is in EUR"):
        statement_line_match(line_id=other.pk, customer_id=swiss.pk, actor=finance_user)
    with pytest.raises(ValidationFailed, match="Choose a customer"):
        statement_line_match(line_id=other.pk, customer_id=999999, actor=finance_user)
    with pytest.raises(NotFound):
        statement_line_match(line_id=999999, customer_id=customer.pk, actor=finance_user)
    with pytest.raises(ValidationFailed, match=r"has 20\.00 EUR left to allocate"):
        statement_line_match(line_id=other.pk, customer_id=customer.pk, actor=finance_user,
                             allocations=[{"invoice": invoice.pk, "amount": "50.00"}])
    assert BankStatementLine.objects.get(pk=other.pk).status == LineStatus.UNMATCHED
    assert _fresh(invoice).status == InvoiceStatus.ISSUED
    assert _rows() == before


def test_finance_ignores_a_line_and_puts_it_back(finance_user) -> None:
    line = _queued(amount="33.00", name="Supplier refund")
    with pytest.raises(ValidationFailed, match="Say why"):
        statement_line_ignore(line_id=line.pk, note=" ", actor=finance_user)

    statement_line_ignore(line_id=line.pk, note="Refund from a supplier", actor=finance_user)
    assert BankStatementLine.objects.get(pk=line.pk).status == LineStatus.IGNORED
    assert line not in reconciliation_queue()
    assert AuditEvent.objects.filter(action="ignored", object_id=str(line.pk), data__note="Refund from a supplier")

    with pytest.raises(InvalidTransition):
        statement_line_ignore(line_id=line.pk, note="again", actor=finance_user)
    statement_line_unignore(line_id=line.pk, actor=finance_user)
    assert line in reconciliation_queue()
    with pytest.raises(InvalidTransition):
        statement_line_unignore(line_id=line.pk, actor=finance_user)


def test_the_queue_lists_waiting_credits_oldest_first_with_their_statement() -> None:
    today = timezone.localdate()
    bank_statement_import(content=csv_rows({"amount": "1.00", "day": today}, {"amount": "-2.00", "day": today},
                                           {"amount": "3.00", "day": today - datetime.timedelta(days=3)}),
                          filename="q.csv", actor=None)
    with CaptureQueriesContext(connection) as queries:
        queue = [(line.amount, line.statement.filename) for line in reconciliation_queue()]
    assert queue == [(Decimal("3.00"), "q.csv"), (Decimal("1.00"), "q.csv")] and len(queries) == 1


def test_suggestions_are_ranked_with_their_reasons() -> None:
    named = issued_invoice([(1, "100.00", "standard")])  # 119.00, named in the text
    sunshine = billing_customer(legal_name="Sonnenschein Handels GmbH")
    fits = issued_invoice([(2, "100.00", "standard")], customer=sunshine)  # 238.00 from the known IBAN
    smaller = issued_invoice([(1, "50.00", "standard")], customer=sunshine)  # 59.50
    stranger = issued_invoice([(2, "100.00", "standard")])  # 238.00, nothing else
    issued_invoice([(7, "10.00", "standard")])  # 83.30: nothing in common
    payer = new_iban()
    CustomerBankAccount.objects.create(customer=sunshine, iban=payer)
    # the text names an invoice of 119.00 but 238.00 came: the queue
    line = _queued(amount="238.00", name="SONNENSCHEIN HANDEL", iban=payer,
                   remittance=f"Sammelzahlung {named.number}")

    with CaptureQueriesContext(connection) as queries:
        suggestions = match_suggestions(line, limit=10)

    assert len(queries) <= 2
    assert [s.invoice for s in suggestions] == [fits, named, smaller, stranger]
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)
    best = suggestions[0]
    assert best.customer == sunshine and best.score >= 70
    assert any("IBAN" in reason for reason in best.reasons)
    assert any("what the invoice owes" in reason for reason in best.reasons)
    assert any("like Sonnenschein Handels GmbH" in reason for reason in best.reasons)
    assert suggestions[1].reasons == [f"Invoice number {named.number} is in the remittance text."]
    assert all(0 < s.score <= 100 for s in suggestions)
    assert match_suggestions(line, limit=2) == suggestions[:2]


def test_a_suggestion_for_the_amount_less_the_early_payment_discount() -> None:
    term = PaymentTermFactory(code="3-14-30", name="3 % 14 days", net_days=30, discount_percent=3, discount_days=14)
    invoice = issued_invoice([(1, "100.00", "standard")], customer=billing_customer(payment_term=term))
    other = issued_invoice([(1, "100.00", "standard")])
    line = _queued(amount=str(invoice.amount_due - invoice.discount_amount), name="Unknown")
    (suggestion,) = match_suggestions(line)
    assert suggestion.invoice == invoice and suggestion.invoice != other
    assert "less its early-payment discount of 3.57" in suggestion.reasons[0]


def test_the_statement_summary() -> None:
    done = _import(camt_v02_case())
    summary = statement_summary(done.statement)
    assert (summary.lines, summary.credits, summary.matched, summary.auto_matched, summary.unmatched,
            summary.shown, summary.ignored) == (7, 5, 4, 4, 1, 2, 0)
    assert (summary.received, summary.applied, summary.waiting, summary.paid_out) == (
        Decimal("1963.50"), Decimal("1844.50"), Decimal("119.00"), Decimal("290.00"))
    assert summary.by_rule == {MatchRule.INVOICE_NUMBER: 1, MatchRule.PAYMENT_REFERENCE: 1,
                               MatchRule.IBAN_AMOUNT: 1, MatchRule.NAME_AMOUNT: 1}
    assert summary.auto_match_rate == 0.8


def test_the_auto_match_rate_on_the_tests_statements() -> None:
    """The figure quoted in the closing note: the four statement files of these tests, imported together."""
    statements = [_import(case()).statement for case in (camt_v02_case, camt_v08_case, mt940_case, csv_case)]

    matched, credits = auto_match_rate(statements)

    print(f"\nauto-match rate on the tests' statements: {matched}/{credits} credit lines = {matched / credits:.1%} "
          f"({', '.join(f'{s.get_format_display()} {s.auto_matched_count}/{s.credit_count}' for s in statements)})")
    assert (matched, credits) == (11, 12)
    assert auto_match_rate() == (11, 12)  # all statements: these are the only ones


# --- racing --------------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_file_at_once_write_one_statement_and_one_payment_per_line() -> None:
    case = camt_v02_case()

    done, refused = race([lambda: bank_statement_import(content=case.content, filename="a.xml", actor=None)
                          for _ in range(2)])

    assert refused == [] and sorted(d.created for d in done) == [False, True]
    assert BankStatement.objects.count() == 1 and BankStatementLine.objects.count() == 7
    assert Payment.objects.count() == 4
    assert Payment.objects.values("bank_transaction_id").distinct().count() == 4
    for key in ("number", "reference", "iban", "name"):
        invoice = _fresh(case.invoices[key])
        assert (invoice.status, invoice.amount_due) == (InvoiceStatus.PAID, 0), key
    assert OutboxEvent.objects.filter(type="bank_statement.imported").count() == 1
