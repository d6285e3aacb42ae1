"""Prices, discounts, tax treatment and totals: one service, rounded per line (o2c.money)."""

import datetime
from decimal import Decimal

import pytest

from o2c.errors import ValidationFailed
from orders.enums import TaxTreatment
from orders.models import PriceListItem
from orders.pricing import clean_vat_id, document_totals, price_lines, tax_treatment
from tests.inventory.factories import ProductFactory
from tests.orders.factories import CustomerFactory, german_rates

TODAY = datetime.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def rates(db) -> None:
    german_rates()


def test_list_price_customer_discount_and_rounding_per_line() -> None:
    customer = CustomerFactory(discount_percent=Decimal("2.50"))
    book = ProductFactory(list_price=Decimal("3.33"), tax_category="reduced")
    tool = ProductFactory(list_price=Decimal("19.99"))
    lines = price_lines(customer=customer, on=TODAY, lines=[
        {"product": book.pk, "quantity": "3"},
        {"product": tool.sku.lower(), "quantity": "7", "discount_percent": "10"},
    ])
    # 3 × 3.33 × 0.975 = 9.74025 → 9.74; tax 7 % = 0.6818 → 0.68
    assert (lines[0].net_amount, lines[0].tax_amount, lines[0].discount_percent) == (
        Decimal("9.74"), Decimal("0.68"), Decimal("2.50"))
    # 7 × 19.99 × 0.9 = 125.937 → 125.94; tax 19 % = 23.9286 → 23.93
    assert (lines[1].net_amount, lines[1].tax_amount) == (Decimal("125.94"), Decimal("23.93"))
    totals = document_totals(lines)
    assert (totals.net, totals.tax, totals.gross) == (Decimal("135.68"), Decimal("24.61"), Decimal("160.29"))
    assert totals.summary == [{"rate": "7.00", "net": "9.74", "tax": "0.68"},
                              {"rate": "19.00", "net": "125.94", "tax": "23.93"}]


def test_an_all_digit_sku_is_named_by_sku_and_an_id_by_product() -> None:
    customer = CustomerFactory()
    numeric = ProductFactory(sku="4711", list_price=Decimal("1.00"))
    by_sku, by_id = price_lines(customer=customer, on=TODAY, lines=[
        {"sku": "4711", "quantity": "1"}, {"product": str(numeric.pk), "quantity": "2"}])
    assert (by_sku.product, by_id.product) == (numeric, numeric)


def test_a_line_naming_a_product_by_sku_and_another_by_id_is_refused() -> None:
    customer = CustomerFactory()
    bolt, nut = ProductFactory(), ProductFactory()
    with pytest.raises(ValidationFailed) as err:
        price_lines(customer=customer, on=TODAY, lines=[{"sku": bolt.sku, "product": nut.pk, "quantity": "1"}])
    assert err.value.details["lines"] == [{"sku": [f"SKU {bolt.sku} is not product {nut.pk}."]}]


def test_customer_price_list_overrides_list_price_without_customer_discount() -> None:
    customer = CustomerFactory(discount_percent=Decimal("5"))
    product = ProductFactory(list_price=Decimal("10.00"))
    PriceListItem.objects.create(customer=customer, product=product, unit_price=Decimal("8.50"))
    [line] = price_lines(customer=customer, on=TODAY, lines=[{"product": product.pk, "quantity": "2"}])
    assert (line.unit_price, line.discount_percent, line.net_amount) == (Decimal("8.50"), 0, Decimal("17.00"))


def test_tax_treatment_domestic_reverse_charge_export() -> None:
    product = ProductFactory(list_price=Decimal("100.00"))
    french = CustomerFactory(country="FR", vat_id="FR40303265045")
    swiss = CustomerFactory(country="CH")
    french_consumer = CustomerFactory(country="FR")
    assert tax_treatment(CustomerFactory()) == TaxTreatment.DOMESTIC
    assert tax_treatment(french) == TaxTreatment.REVERSE_CHARGE
    assert tax_treatment(swiss) == TaxTreatment.EXPORT
    assert tax_treatment(french_consumer) == TaxTreatment.DOMESTIC
    for customer, tax in ((french, Decimal("0.00")), (swiss, Decimal("0.00")), (french_consumer, Decimal("19.00"))):
        [line] = price_lines(customer=customer, on=TODAY, lines=[{"product": product.pk, "quantity": "1"}])
        assert line.tax_amount == tax


def test_bad_lines_report_every_problem_by_line() -> None:
    customer = CustomerFactory()
    product = ProductFactory()
    usd = ProductFactory(currency="USD")
    with pytest.raises(ValidationFailed) as err:
        price_lines(customer=customer, on=TODAY, lines=[
            {"product": "NOPE-1", "quantity": "1"},
            {"product": product.pk, "quantity": "0"},
            {"product": product.pk, "quantity": "1", "unit_price": "-1"},
            {"product": product.pk, "quantity": "1", "discount_percent": "100.5"},
            {"product": usd.pk, "quantity": "1"},
            {"product": product.pk, "quantity": "2"},
        ])
    lines = err.value.details["lines"]
    assert "Unknown product NOPE-1." in lines[0]["product"]
    assert "quantity" in lines[1]
    assert "unit_price" in lines[2]
    assert "discount_percent" in lines[3]
    assert "USD" in lines[4]["unit_price"][0] or "EUR" in lines[4]["unit_price"][0]
    assert lines[5] == {}
    assert err.value.message == "5 line(s) need attention."


@pytest.mark.parametrize(("vat_id", "country", "expected"), [
    ("de 123 456 788", "DE", "DE123456788"),
    ("123456788", "DE", "DE123456788"),
    ("FR40303265045", "FR", "FR40303265045"),
    ("", "DE", ""),
])
def test_vat_ids_are_validated_and_compacted(vat_id: str, country: str, expected: str) -> None:
    assert clean_vat_id(vat_id, country) == expected


@pytest.mark.parametrize(("vat_id", "country"), [("DE123456789", "DE"), ("FR40303265045", "DE"), ("XX", "GB")])
def test_invalid_vat_ids_are_refused(vat_id: str, country: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        clean_vat_id(vat_id, country)
    assert err.value.details == {"vat_id": [f"Not a valid VAT id for {country}."]}
