from decimal import Decimal

import pytest

from o2c.money import quantize_money, quantize_quantity, to_decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2.345", "2.35"), ("2.344", "2.34"), ("-2.345", "-2.35"), ("0.005", "0.01"), (3, "3.00"),
     (Decimal("1.999"), "2.00")],
)
def test_quantize_money_rounds_half_up(value: object, expected: str) -> None:
    assert quantize_money(value) == Decimal(expected)
    assert str(quantize_money(value)) == expected


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        quantize_money(0.1)


def test_garbage_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a number"):
        to_decimal("ten")


def test_quantities_have_three_places() -> None:
    assert quantize_quantity("1.0005") == Decimal("1.001")
