"""Money: Decimal only, ROUND_HALF_UP to the cent.

The rounding rule, stated once for the whole project: every line amount and every line's tax
is rounded with `quantize_money()`; document totals are the sums of the rounded lines.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

CENT = Decimal("0.01")
QTY_STEP = Decimal("0.001")
MONEY_DIGITS = {"max_digits": 18, "decimal_places": 2}
QUANTITY_DIGITS = {"max_digits": 14, "decimal_places": 3}


def to_decimal(value: object) -> Decimal:
    """Turn a str/int/Decimal into a Decimal; floats are refused (they are not exact)."""
    if isinstance(value, float):
        raise TypeError("money is never a float; pass a str or Decimal")
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def quantize_money(value: object) -> Decimal:
    """Round to the cent, half up (2.345 → 2.35, -2.345 → -2.35)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def quantize_quantity(value: object) -> Decimal:
    return to_decimal(value).quantize(QTY_STEP, rounding=ROUND_HALF_UP)


def MoneyField(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(**MONEY_DIGITS, **kwargs)


def QuantityField(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(**QUANTITY_DIGITS, **kwargs)


currency_validator = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, e.g. EUR.")


def CurrencyField(**kwargs: object) -> models.CharField:
    kwargs.setdefault("default", default_currency)
    return models.CharField(max_length=3, validators=[currency_validator], **kwargs)


def default_currency() -> str:
    return settings.O2C_DEFAULT_CURRENCY
