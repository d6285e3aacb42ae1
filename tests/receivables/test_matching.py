"""Auto-matching of incoming bank lines: invoice numbers, RF references, IBAN + amount, name + amount,
what goes to the reconciliation queue instead, and the fixed number of queries it costs."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.enums import InvoiceStatus
from billing.models import Invoice
from orders.models import Customer
from receivables.enums import LineStatus, MatchRule
from receivables.matching import (
    OpenInvoice,
    invoice_numbers,
    load_facts,
    match_lines,
    name_key,
    name_key_sql,
    rf_references,
    settle,
)
from receivables.models import Allocation, BankStatementLine, CustomerBankAccount, Payment
from receivables.services.statements import bank_statement_import
from tests.billing.factories import billing_customer, issued_invoice
from tests.orders.factories import PaymentTermFactory
from tests.receivables.statement_files import IBANS, csv_rows

pytestmark = pytest.mark.django_db


# --- reading the remittance text and the names (pure) ------------------------------------------------

@pytest.mark.parametrize(("text", "numbers"), [
    ("Rechnung INV-2026-000123", ["INV-2026-000123"]),
    ("inv 2026 000123 und INV2026000124", ["INV-2026-000123", "INV-2026-000124"]),
    ("Re.-Nr.:INV/2026/000125, INV-2026-000125 again", ["INV-2026-000125"]),
    ("INV-2026-0001234567", []),  # too many digits: not one of ours
    ("RF18INV2026000042", []),  # inside a creditor reference: rule (b) reads it
    ("XINV-2026-000001 INV-26-000001 Invoice 2026-000001", []),
])
def test_invoice_numbers_are_found_in_their_usual_spellings(text: str, numbers: list[str]) -> None:
    assert invoice_numbers(text) == numbers


def test_rf_references_are_found_with_spaces_and_in_lower_case_and_checked() -> None:
    valid = "RF18539007547034"  # the standard's example
    assert rf_references(f"Zahlung {valid}") == [valid]
    assert rf_references("zahlung rf18 5390 0754 7034") == [valid]
    assert rf_references("RF19539007547034") == []  # wrong check digits
    # a reference running on into more text: each valid prefix is a candidate, the database decides
    assert valid in rf_references(f"{valid}DANKE")


@pytest.mark.parametrize(("name", "key"), [
    ("Muster Handel GmbH", "muster handel"),
    ("MUSTER-HANDEL GMBH & CO. KG", "muster handel"),
    ("Müller & Söhne AG", "müller söhne"),
    ("Acme Ltd.", "acme"),
    ("GmbH", ""),
])
def test_names_compare_without_case_punctuation_and_legal_form(name: str, key: str) -> None:
    assert name_key(name) == key


def test_the_database_normalizes_names_as_python_does() -> None:
    names = ["Muster Handel GmbH", "MUSTER-HANDEL GMBH & CO. KG", "Müller & Söhne AG", "Acme Ltd.",
             "  Spaces   Inc  "]
    for name in names:
        billing_customer(legal_name=name)
    keys = dict(Customer.objects.filter(legal_name__in=names).annotate(key=name_key_sql("legal_name"))
                .values_list("legal_name", "key"))
    assert keys == {name: name_key(name) for name in names}


def _open(pk: int, due: str, discount: str = "0", *, days: int = 0) -> OpenInvoice:
    today = datetime.date(2026, 3, 2)
    return OpenInvoice(id=pk, number=f"INV-2026-{pk:06d}", customer_id=1, currency="EUR", amount_due=Decimal(due),
                       issue_date=today, due_date=today + datetime.timedelta(days=30 + pk),
                       discount_amount=Decimal(discount), discount_date=today + datetime.timedelta(days=days),
                       payment_reference="")


def test_settle_takes_the_shortfall_as_earned_discount_oldest_first() -> None:
    a, b = _open(1, "119.00", "2.38", days=10), _open(2, "238.00", "4.76", days=10)
    day = datetime.date(2026, 3, 5)
    assert settle([a, b], Decimal("357.00"), day) == [(a, Decimal("119.00")), (b, Decimal("238.00"))]
    assert settle([a, b], Decimal("349.86"), day) == [(a, Decimal("116.62")), (b, Decimal("233.24"))]
    assert settle([a, b], Decimal("354.62"), day) == [(a, Decimal("116.62")), (b, Decimal("238.00"))]
    assert settle([a, b], Decimal("349.85"), day) is None  # more short than the discounts
    assert settle([a, b], Decimal("357.01"), day) is None  # more than owed
    assert settle([a, b], Decimal("349.86"), datetime.date(2026, 3, 13)) is None  # the discount days are over


# --- the rules, through a real import ------------------------------------------------------------------

def _import(*rows: dict) -> list[BankStatementLine]:
    return bank_statement_import(content=csv_rows(*rows), filename="bank.csv", actor=None).lines


def _only(*rows: dict) -> BankStatementLine:
    (line,) = _import(*rows)
    return line


def _paid(invoice: Invoice) -> Invoice:
    invoice.refresh_from_db()
    return invoice


def test_an_invoice_number_in_the_remittance_pays_that_invoice() -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])  # 119.00
    spelled = invoice.number.replace("-", " ").lower()  # "inv 2026 000123"

    line = _only({"amount": "119.00", "remittance": f"Zahlung {spelled} danke", "name": "Someone Else"})

    assert (line.status, line.match_rule) == (LineStatus.MATCHED, MatchRule.INVOICE_NUMBER)
    assert _paid(invoice).status == InvoiceStatus.PAID
    payment = line.payment
    assert (payment.customer_id, payment.amount, payment.method, payment.bank_transaction_id) == (
        invoice.customer_id, Decimal("119.00"), "bank_transfer", line.bank_transaction_id)
    assert payment.received_date == line.booking_date and spelled in payment.reference


def test_several_invoice_numbers_of_one_customer_paid_together_less_their_discounts() -> None:
    term = PaymentTermFactory(code="2-10-30", name="2 % 10 days", net_days=30, discount_percent=2, discount_days=10)
    customer = billing_customer(payment_term=term)
    first = issued_invoice([(1, "100.00", "standard")], customer=customer)  # 119.00, discount 2.38
    second = issued_invoice([(2, "100.00", "standard")], customer=customer)  # 238.00, discount 4.76

    line = _only({"amount": "349.86", "remittance": f"{first.number}, {second.number} abzgl. 2% Skonto"})

    assert line.match_rule == MatchRule.INVOICE_NUMBER
    assert _paid(first).status == _paid(second).status == InvoiceStatus.PAID
    assert sorted(Allocation.objects.filter(payment=line.payment).values_list("amount", "discount_amount")) == [
        (Decimal("116.62"), Decimal("2.38")), (Decimal("233.24"), Decimal("4.76"))]
    assert Customer.objects.get(pk=customer.pk).open_balance == 0


def test_a_named_invoice_paid_in_part_is_matched_as_a_part_payment() -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])

    line = _only({"amount": "50.00", "remittance": f"Teilzahlung {invoice.number}"})

    assert line.match_rule == MatchRule.INVOICE_NUMBER
    invoice = _paid(invoice)
    assert (invoice.status, invoice.amount_due) == (InvoiceStatus.PARTIALLY_PAID, Decimal("69.00"))


@pytest.mark.parametrize("amount", ["119.01", "200.00"])
def test_more_than_a_named_invoice_owes_waits_in_the_queue(amount: str) -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    line = _only({"amount": amount, "remittance": invoice.number})
    assert (line.status, line.payment) == (LineStatus.UNMATCHED, None)
    assert _paid(invoice).status == InvoiceStatus.ISSUED


def test_two_named_invoices_that_the_amount_does_not_settle_wait_in_the_queue() -> None:
    customer = billing_customer()
    first = issued_invoice([(1, "100.00", "standard")], customer=customer)
    second = issued_invoice([(1, "100.00", "standard")], customer=customer)
    line = _only({"amount": "150.00", "remittance": f"{first.number} {second.number}"})
    assert line.status == LineStatus.UNMATCHED


def test_invoice_numbers_of_two_customers_wait_in_the_queue() -> None:
    first = issued_invoice([(1, "100.00", "standard")])
    second = issued_invoice([(1, "100.00", "standard")])
    line = _only({"amount": "238.00", "remittance": f"{first.number} {second.number}"})
    assert line.status == LineStatus.UNMATCHED and not Payment.objects.exists()


def _grouped(reference: str) -> str:
    """'RF18539007547034' → 'rf18 5390 0754 7034', as printed on paper."""
    return " ".join(reference[i:i + 4] for i in range(0, len(reference), 4)).lower()


@pytest.mark.parametrize("spelling", [str.upper, _grouped])
def test_the_rf_creditor_reference_pays_its_invoice(spelling) -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    assert invoice.payment_reference.startswith("RF")

    line = _only({"amount": "119.00", "remittance": f"Ref {spelling(invoice.payment_reference)}"})

    assert line.match_rule == MatchRule.PAYMENT_REFERENCE
    assert _paid(invoice).status == InvoiceStatus.PAID


def test_a_known_iban_with_one_open_invoice_of_the_amount() -> None:
    customer = billing_customer()
    issued_invoice([(1, "100.00", "standard")], customer=customer)  # 119.00
    invoice = issued_invoice([(2, "100.00", "standard")], customer=customer)  # 238.00
    CustomerBankAccount.objects.create(customer=customer, iban=IBANS[0])

    line = _only({"amount": "238.00", "iban": IBANS[0], "name": "Whoever", "remittance": "Zahlung"})

    assert (line.match_rule, line.payment.customer_id) == (MatchRule.IBAN_AMOUNT, customer.pk)
    assert _paid(invoice).status == InvoiceStatus.PAID


def test_the_customers_name_with_one_open_invoice_of_the_amount() -> None:
    customer = billing_customer(legal_name="Beispiel Werkzeuge GmbH")
    invoice = issued_invoice([(1, "50.00", "standard")], customer=customer)  # 59.50
    issued_invoice([(1, "100.00", "standard")], customer=customer)

    line = _only({"amount": "59.50", "iban": IBANS[1], "name": "BEISPIEL WERKZEUGE", "remittance": "Payment"})

    assert (line.match_rule, line.payment.customer_id) == (MatchRule.NAME_AMOUNT, customer.pk)
    assert _paid(invoice).status == InvoiceStatus.PAID


def test_two_open_invoices_of_the_amount_wait_in_the_queue() -> None:
    customer = billing_customer(legal_name="Zweifel AG")
    first = issued_invoice([(1, "100.00", "standard")], customer=customer)
    second = issued_invoice([(1, "100.00", "standard")], customer=customer)
    CustomerBankAccount.objects.create(customer=customer, iban=IBANS[2])

    by_iban, by_name = _import({"amount": "119.00", "iban": IBANS[2]}, {"amount": "119.00", "name": "Zweifel AG"})

    assert by_iban.status == by_name.status == LineStatus.UNMATCHED
    assert _paid(first).status == _paid(second).status == InvoiceStatus.ISSUED


def test_two_customers_of_one_name_wait_in_the_queue() -> None:
    for legal_name in ("Doppel GmbH", "Doppel AG"):
        issued_invoice([(1, "100.00", "standard")], customer=billing_customer(legal_name=legal_name))
    line = _only({"amount": "119.00", "name": "Doppel"})
    assert line.status == LineStatus.UNMATCHED


def test_one_invoice_named_on_two_lines_is_paid_once_and_the_second_line_waits() -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])

    first, second = _import({"amount": "119.00", "remittance": invoice.number},
                            {"amount": "119.00", "remittance": invoice.number})

    assert (first.status, second.status) == (LineStatus.MATCHED, LineStatus.UNMATCHED)
    assert _paid(invoice).amount_due == 0 and Payment.objects.count() == 1


def test_a_named_invoice_paid_already_lets_the_iban_rule_decide() -> None:
    customer = billing_customer()
    paid = issued_invoice([(1, "100.00", "standard")], customer=customer)
    _only({"amount": "119.00", "remittance": paid.number})
    other = issued_invoice([(1, "100.00", "standard")], customer=customer)
    CustomerBankAccount.objects.create(customer=customer, iban=IBANS[3])

    line = _only({"amount": "119.00", "remittance": f"{paid.number} (again)", "iban": IBANS[3]})

    assert line.match_rule == MatchRule.IBAN_AMOUNT and _paid(other).status == InvoiceStatus.PAID


def test_matching_costs_a_fixed_number_of_queries_whatever_the_number_of_lines() -> None:
    customers = [billing_customer(legal_name=f"Fixed Cost {n} GmbH") for n in range(3)]
    invoices = [issued_invoice([(1, "100.00", "standard")], customer=c) for c in customers]
    CustomerBankAccount.objects.create(customer=customers[0], iban=IBANS[0])

    def lines(n: int) -> list[BankStatementLine]:
        return [BankStatementLine(amount=Decimal("119.00"), currency="EUR", booking_date=timezone.localdate(),
                                  remittance=f"{invoices[i % 3].number} {invoices[i % 3].payment_reference}",
                                  counterparty_iban=IBANS[i % 2], counterparty_name=f"Fixed Cost {i % 3}")
                for i in range(n)]

    counts = []
    for n in (3, 60):
        with CaptureQueriesContext(connection) as queries:
            decisions = match_lines(lines(n), load_facts(lines(n)))
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 5
    assert decisions[0] is not None and decisions[0].rule == MatchRule.INVOICE_NUMBER
    assert sum(1 for d in decisions if d is not None) == 3  # each invoice once; the rest would pay them twice
