"""Tax on invoices (domestic, reverse charge, export, mixed rates, rounding) and payment terms (net,
end of month, early-payment discount, the structured payment reference)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from stdnum import iso11649

from billing.terms import due_date, invoice_terms, payment_reference
from orders.models import PaymentTerm
from tests.billing.factories import billing_customer, issued_invoice
from tests.orders.factories import PaymentTermFactory, TaxRateFactory

pytestmark = pytest.mark.django_db


def _summary_matches_lines(invoice) -> None:
    lines = list(invoice.lines.all())
    assert invoice.net_total == sum(line.net_amount for line in lines)
    assert invoice.tax_total == sum(line.tax_amount for line in lines)
    assert invoice.gross_total == invoice.net_total + invoice.tax_total
    for row in invoice.tax_summary:
        at_rate = [line for line in lines if line.tax_rate == Decimal(row["rate"])]
        assert Decimal(row["net"]) == sum(line.net_amount for line in at_rate)
        assert Decimal(row["tax"]) == sum(line.tax_amount for line in at_rate)
    assert sum(Decimal(row["tax"]) for row in invoice.tax_summary) == invoice.tax_total


def test_domestic_mixed_rates_are_summed_per_rate() -> None:
    invoice = issued_invoice([(3, "100.00", "standard"), (4, "12.50", "reduced"), (1, "40.00", "zero"),
                              (2, "5.00", "standard")])
    assert invoice.tax_treatment == "domestic"
    assert invoice.tax_summary == [
        {"rate": "0.00", "net": "40.00", "tax": "0.00"},
        {"rate": "7.00", "net": "50.00", "tax": "3.50"},
        {"rate": "19.00", "net": "310.00", "tax": "58.90"},  # 57.00 + 1.90: rounded per line, then summed
    ]
    assert invoice.gross_total == Decimal("462.40")
    _summary_matches_lines(invoice)


def test_rounding_is_per_line_half_up() -> None:
    invoice = issued_invoice([(3, "0.35", "standard"), (1, "0.05", "standard")])
    first, second = invoice.lines.order_by("position")
    assert (first.net_amount, first.tax_amount) == (Decimal("1.05"), Decimal("0.20"))  # 0.1995 → 0.20
    assert (second.net_amount, second.tax_amount) == (Decimal("0.05"), Decimal("0.01"))  # 0.0095 → 0.01
    assert invoice.tax_total == Decimal("0.21")  # per line; 19 % of the 1.10 total would be 0.209 → 0.21 too
    _summary_matches_lines(invoice)


def test_a_discounted_line_of_three_at_0_335_rounds_half_up() -> None:
    # unit price 0.67 less 50 % = 0.335 a piece; 3 pieces = 1.005 → 1.01 (half up, not banker's 1.00)
    customer = billing_customer(discount_percent=Decimal("50"))
    invoice = issued_invoice([(3, "0.67", "standard")], customer=customer)
    line = invoice.lines.get()
    assert line.discount_percent == Decimal("50.00")
    assert (line.net_amount, line.tax_amount) == (Decimal("1.01"), Decimal("0.19"))
    _summary_matches_lines(invoice)


def test_intra_eu_reverse_charge_is_zero_rated_with_the_buyers_vat_id() -> None:
    customer = billing_customer(country="FR", vat_id="FR40303265045")
    invoice = issued_invoice([(2, "100.00", "standard"), (1, "50.00", "reduced")], customer=customer)
    assert invoice.tax_treatment == "reverse_charge" and invoice.customer_vat_id == "FR40303265045"
    assert invoice.tax_total == 0 and invoice.gross_total == Decimal("250.00")
    assert {line.tax_rate for line in invoice.lines.all()} == {Decimal("0.00")}
    _summary_matches_lines(invoice)


def test_export_outside_the_eu_is_zero_rated() -> None:
    customer = billing_customer(country="CH", vat_id="", currency="EUR")
    invoice = issued_invoice([(2, "100.00", "standard")], customer=customer)
    assert invoice.tax_treatment == "export" and invoice.tax_total == 0


def test_an_eu_customer_without_vat_id_pays_domestic_vat() -> None:
    invoice = issued_invoice([(1, "100.00", "standard")], customer=billing_customer(country="AT", vat_id=""))
    assert invoice.tax_treatment == "domestic" and invoice.tax_total == Decimal("19.00")


def test_the_rate_on_the_issue_day_applies() -> None:
    TaxRateFactory(category="standard", rate=Decimal("16.00"), valid_from=datetime.date(2020, 7, 1),
                   valid_to=datetime.date(2020, 12, 31))
    TaxRateFactory(category="standard", rate=Decimal("21.00"), valid_from=datetime.date.today()
                   + datetime.timedelta(days=30))  # announced, not yet valid
    invoice = issued_invoice([(1, "100.00", "standard")])
    assert invoice.lines.get().tax_rate == Decimal("19.00")


@pytest.mark.parametrize(("issued", "net_days", "end_of_month", "due"), [
    (datetime.date(2026, 1, 15), 30, False, datetime.date(2026, 2, 14)),
    (datetime.date(2026, 1, 31), 30, False, datetime.date(2026, 3, 2)),
    (datetime.date(2026, 1, 15), 30, True, datetime.date(2026, 2, 28)),  # 14 Feb → end of February
    (datetime.date(2028, 1, 15), 30, True, datetime.date(2028, 2, 29)),  # leap year
    (datetime.date(2026, 12, 10), 30, True, datetime.date(2027, 1, 31)),
    (datetime.date(2026, 3, 1), 0, True, datetime.date(2026, 3, 31)),
    (datetime.date(2026, 3, 1), 0, False, datetime.date(2026, 3, 1)),
])
def test_due_dates(issued, net_days, end_of_month, due) -> None:
    assert due_date(issued, PaymentTerm(net_days=net_days, end_of_month=end_of_month)) == due


def test_early_payment_discount_terms() -> None:
    term = PaymentTerm(code="2/10NET30", net_days=30, discount_percent=Decimal("2.00"), discount_days=10)
    terms = invoice_terms(datetime.date(2026, 11, 22), term, Decimal("1190.00"))
    assert terms.due_date == datetime.date(2026, 12, 22)
    assert terms.discount_date == datetime.date(2026, 12, 2)
    assert terms.discount_amount == Decimal("23.80")
    plain = invoice_terms(datetime.date(2026, 11, 22), PaymentTerm(net_days=14), Decimal("100.00"))
    assert (plain.discount_percent, plain.discount_date, plain.discount_amount) == (0, None, 0)


def test_an_invoice_carries_its_customers_terms() -> None:
    term = PaymentTermFactory(code="2/10NET30", name="2 % 10 days, 30 net", net_days=30,
                              discount_percent=Decimal("2.00"), discount_days=10)
    invoice = issued_invoice([(10, "100.00", "standard")], customer=billing_customer(payment_term=term))
    assert invoice.payment_term_code == "2/10NET30"
    assert invoice.due_date == invoice.issue_date + datetime.timedelta(days=30)
    assert invoice.discount_date == invoice.issue_date + datetime.timedelta(days=10)
    assert invoice.discount_amount == Decimal("23.80")


def test_the_payment_reference_is_a_valid_creditor_reference() -> None:
    reference = payment_reference("INV-2026-000042")
    assert reference.startswith("RF") and reference.endswith("INV2026000042")
    assert iso11649.is_valid(reference)
    assert payment_reference("INV-2026-000043") != reference
