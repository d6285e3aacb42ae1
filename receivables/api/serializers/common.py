"""What the receivables serializers share: ids, amounts given, allocations, read-only keys."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from fulfillment.api.serializers import ExactDecimalField
from o2c.api.base import Money
from o2c.money import MONEY_DIGITS
from orders.api.serializers import MAX_ID, LineListSerializer

MAX_NOTE = 2000
MONEY = Money()
MAX_ALLOCATIONS = 500


def Id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def InputMoney(**kwargs: Any) -> ExactDecimalField:
    """An amount given: greater than zero, at most 2 decimal places, as a string (or an integer)."""
    kwargs.setdefault("help_text", "Greater than zero, at most 2 decimal places, as a string.")
    return ExactDecimalField(**MONEY_DIGITS, min_value=Decimal("0.01"), **kwargs)


class OnlyFields(serializers.Serializer):
    """Refuses keys it does not know: a PATCH of a read-only field must not look as if it worked."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, Mapping):
            other = sorted(str(key) for key in data if key not in self.fields)
            if other:
                allowed = ", ".join(f"`{name}`" for name in self.fields)
                raise serializers.ValidationError({key: [f"Read-only: only {allowed} can change."]
                                                   for key in other[:20]})
        return super().to_internal_value(data)


class AllocationInputSerializer(serializers.Serializer):
    invoice = Id(help_text="An open invoice of the payment's customer, in its currency.")
    amount = InputMoney(required=False, allow_null=True,
                        help_text="At most what the invoice owes; left out: what it owes (less an earned early-"
                                  "payment discount), as far as the payment goes.")

    class Meta:
        list_serializer_class = LineListSerializer


def Allocations(**kwargs: Any) -> AllocationInputSerializer:
    return AllocationInputSerializer(many=True, max_length=MAX_ALLOCATIONS, **kwargs)
