"""Prices, tax and totals of sales documents — one place, used by quotes, orders and (later) billing.

Rules:
- Unit price: the customer's price-list price, else the product's list price (which must be in the
  customer's currency); a price typed on the line wins over both.
- Discount: the line's discount %, defaulting to the customer's discount % when the price is not
  the customer's own price-list price.
- Rounding (the project rule, o2c.money): net = round(qty × price × (1 − discount)), tax =
  round(net × rate) per line; the totals and the per-rate summary are sums of rounded lines.
- Tax treatment: a customer in the seller's country is domestic; elsewhere in the EU with a VAT id
  it is a reverse charge (0 %, noted on the document); outside the EU an export (0 %); in the EU
  without a VAT id it is taxed as domestic.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db.models import Q
from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.util import clean

from inventory.enums import TaxCategory
from inventory.models import Product, normalize_code
from inventory.services.stock import clean_quantity
from o2c.errors import ValidationFailed
from o2c.money import quantize_money

from .enums import TaxTreatment
from .models import Customer, PriceListItem, TaxRate

ZERO = Decimal(0)
HUNDRED = Decimal(100)
EU_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})
# VAT ids of Greece start with EL, not GR.
VAT_PREFIX = {"GR": "EL"}
MAX_LINES = 500
MAX_AMOUNT = Decimal(10) ** 16  # a MoneyField (18 digits, 2 places) holds less: every stored amount stays below


def company_country() -> str:
    return settings.O2C_COMPANY["country"]


def clean_vat_id(vat_id: str, country: str) -> str:
    """The compact VAT id, validated for `country` with python-stdnum; '' stays ''."""
    if not vat_id or not vat_id.strip():
        return ""
    try:
        if country in EU_COUNTRIES:
            compact = clean(vat_id, " -./,").upper().strip()
            prefix = VAT_PREFIX.get(country, country)
            if not compact.startswith(prefix):
                compact = prefix + compact
            return eu_vat.validate(compact)
        module = get_cc_module(country.lower(), "vat")
        if module is None:
            return vat_id.strip().upper()[:20]  # no checker for this country: kept as given
        return module.validate(vat_id)
    except StdnumError as exc:
        raise ValidationFailed(
            f"{vat_id} is not a valid VAT id for {country}: {exc.message}",
            code="invalid_vat_id", details={"vat_id": [f"Not a valid VAT id for {country}."]},
        ) from None


def tax_treatment(customer: Customer) -> TaxTreatment:
    if customer.country == company_country():
        return TaxTreatment.DOMESTIC
    if customer.country in EU_COUNTRIES:
        return TaxTreatment.REVERSE_CHARGE if customer.vat_id else TaxTreatment.DOMESTIC
    return TaxTreatment.EXPORT


def tax_rates(treatment: str, on: datetime.date) -> dict[str, Decimal]:
    """{tax category: rate %} for a treatment on a date (one query)."""
    if treatment != TaxTreatment.DOMESTIC:
        return dict.fromkeys(TaxCategory.values, ZERO)
    rates = dict.fromkeys((TaxCategory.ZERO, TaxCategory.EXEMPT), ZERO)
    rows = (TaxRate.objects.filter(country=company_country(), valid_from__lte=on)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on)).order_by("category", "valid_from"))
    for row in rows:
        rates[row.category] = row.rate  # the latest start wins
    return rates


def line_amounts(quantity: Decimal, unit_price: Decimal, discount: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(net, tax) of one line, each rounded (the project's rounding rule)."""
    net = quantize_money(quantity * unit_price * (HUNDRED - discount) / HUNDRED)
    return net, quantize_money(net * rate / HUNDRED)


@dataclass
class PricedLine:
    position: int
    product: Product
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_category: str
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal

    def as_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal
    summary: list[dict[str, str]]  # [{"rate", "net", "tax"}] as strings (stored as JSON)

    def as_fields(self) -> dict[str, Any]:
        return {"net_total": self.net, "tax_total": self.tax, "gross_total": self.gross, "tax_summary": self.summary}


def parse_decimal(value: Any, *, low: Decimal, high: Decimal | None, places: int) -> Decimal:
    if isinstance(value, float):
        raise ValueError("Enter a decimal number.")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError("Enter a number.") from None
    if not number.is_finite() or number < low or (high is not None and number > high):
        raise ValueError(f"Must be between {low} and {high}." if high is not None else f"Must be at least {low}.")
    if number.as_tuple().exponent < -places:  # type: ignore[operator]
        raise ValueError(f"At most {places} decimal places.")
    if high is None and number >= Decimal("1e13"):
        raise ValueError("Too large.")
    return number


def _product_key(line: Mapping[str, Any]) -> tuple[str, Any]:
    """A line names its product by `sku`, or by `product`: a Product, an id, or (not digits) a SKU."""
    if str(line.get("sku") or "").strip():
        return "sku", normalize_code(line["sku"])
    value = line.get("product")
    if isinstance(value, Product):
        return "pk", value.pk
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return "pk", int(value)
    if isinstance(value, str) and value.strip():
        return "sku", normalize_code(value)
    return "none", None


def price_lines(
    *, customer: Customer, lines: Sequence[Mapping[str, Any]], on: datetime.date, treatment: str | None = None,
) -> list[PricedLine]:
    """Validate and price the lines a user typed ({product: id | sku: SKU, quantity, unit_price?,
    discount_percent?, description?}). A fixed number of queries whatever the line count. Raises ValidationFailed with
    `details["lines"]` holding one dict of field errors per line."""
    if not lines:
        raise ValidationFailed("Add at least one line.", details={"lines": ["At least one line is required."]})
    if len(lines) > MAX_LINES:
        raise ValidationFailed(f"At most {MAX_LINES} lines.", details={"lines": [f"At most {MAX_LINES} lines."]})
    keys = [_product_key(line) for line in lines]
    named_twice = [_product_key({"product": line.get("product")}) if key[0] == "sku" else ("none", None)
                   for line, key in zip(lines, keys, strict=True)]  # a SKU and an id: they must agree
    ids = {v for k, v in [*keys, *named_twice] if k == "pk"}
    skus = {v for k, v in keys if k == "sku"}
    products = list(Product.objects.filter(Q(pk__in=ids) | Q(sku__in=skus))) if ids or skus else []
    by_key = {("pk", p.pk): p for p in products} | {("sku", p.sku): p for p in products}
    overrides = dict(
        PriceListItem.objects.filter(customer=customer, product__in=products).values_list("product_id", "unit_price")
    ) if products and customer.pk else {}
    rates = tax_rates(treatment or tax_treatment(customer), on)
    errors: list[dict[str, list[str]]] = []
    priced: list[PricedLine] = []
    for position, (line, key, also) in enumerate(zip(lines, keys, named_twice, strict=True), start=1):
        line_errors: dict[str, list[str]] = {}
        product = by_key.get(key)
        if product is None:
            line_errors["product"] = ["Choose a product." if key[0] == "none" else f"Unknown product {key[1]}."]
        elif also[0] == "pk" and also[1] != product.pk:
            line_errors["sku"] = [f"SKU {key[1]} is not product {also[1]}."]
        elif not product.is_active:
            line_errors["product"] = [f"{product.sku} is no longer sold."]
        try:
            quantity = clean_quantity(line.get("quantity"))
        except ValidationFailed as exc:
            line_errors["quantity"] = list(exc.details.get("quantity", [exc.message]))
        price_given = line.get("unit_price") not in (None, "")
        own_price = product is not None and product.pk in overrides
        try:
            if price_given:
                unit_price = parse_decimal(line["unit_price"], low=ZERO, high=None, places=2)
            elif own_price:
                unit_price = overrides[product.pk]  # type: ignore[union-attr]
            elif product is not None and product.currency != customer.currency:
                raise ValueError(f"{product.sku} has no price in {customer.currency}; enter one.")
            else:
                unit_price = product.list_price if product else ZERO
        except ValueError as exc:
            line_errors["unit_price"] = [str(exc)]
        try:
            given = line.get("discount_percent")
            default = ZERO if own_price else customer.discount_percent
            discount = default if given in (None, "") else parse_decimal(given, low=ZERO, high=HUNDRED, places=2)
        except ValueError as exc:
            line_errors["discount_percent"] = [str(exc)]
        if product is not None and product.tax_category not in rates:
            line_errors["product"] = [f"No {product.tax_category} tax rate is set up for {company_country()}."]
        errors.append(line_errors)
        if line_errors:
            continue
        assert product is not None
        rate = rates[product.tax_category]
        description = str(line.get("description") or "").strip()[:200] or product.name
        priced.append(PricedLine(position, product, description, quantity, unit_price, discount,
                                 product.tax_category, rate, *line_amounts(quantity, unit_price, discount, rate)))
    if any(errors):
        count = sum(1 for e in errors if e)
        raise ValidationFailed(f"{count} line(s) need attention.", details={"lines": errors})
    gross = sum((p.net_amount + p.tax_amount for p in priced), ZERO)
    if gross >= MAX_AMOUNT:  # the lines and totals are stored: refuse what no amount column can hold
        raise ValidationFailed(f"The total {gross} is too large.",
                               details={"lines": [f"The total must stay below {MAX_AMOUNT:,}."]})
    return priced


def document_totals(lines: Sequence[PricedLine] | Sequence[Any]) -> Totals:
    """Sum rounded line amounts; group net and tax by rate (the tax summary every document prints)."""
    by_rate: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        bucket = by_rate.setdefault(line.tax_rate, [ZERO, ZERO])
        bucket[0] += line.net_amount
        bucket[1] += line.tax_amount
    net = sum((b[0] for b in by_rate.values()), ZERO)
    tax = sum((b[1] for b in by_rate.values()), ZERO)
    summary = [{"rate": str(rate), "net": str(b[0]), "tax": str(b[1])} for rate, b in sorted(by_rate.items())]
    return Totals(net, tax, net + tax, summary)
