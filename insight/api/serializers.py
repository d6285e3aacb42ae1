"""Insight's API shapes: KPIs over a period, the cash forecast, pay-date predictions."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..enums import Period
from ..models import PaymentPrediction
from ..periods import PeriodError, period_bounds


class KpiQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=Period.choices, default=Period.MONTH)
    on = serializers.DateField(required=False, help_text="A day of the month or quarter (default: today).")
    start = serializers.DateField(required=False, help_text="First day of a custom period.")
    end = serializers.DateField(required=False, help_text="Last day of a custom period.")
    customer = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    warehouse = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        try:
            data["start"], data["end"] = period_bounds(data["period"], on=data.get("on"), start=data.get("start"),
                                                       end=data.get("end"))
        except PeriodError as err:
            raise serializers.ValidationError({err.field: [err.message]}) from None
        return data


class KpiFigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    definition = serializers.CharField()
    higher_is_better = serializers.BooleanField()
    applies = serializers.BooleanField(help_text="False: the warehouse filter does not apply to this KPI.")
    value = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    sample = serializers.IntegerField()


class KpiReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    customer = serializers.IntegerField(allow_null=True)
    warehouse = serializers.IntegerField(allow_null=True)
    kpis = KpiFigureSerializer(many=True)


class ForecastWeekSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    from_invoices = serializers.DecimalField(max_digits=18, decimal_places=2)
    from_orders = serializers.DecimalField(max_digits=18, decimal_places=2)
    total = serializers.DecimalField(max_digits=18, decimal_places=2)


class PastWeekSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    forecast_then = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    actual = serializers.DecimalField(max_digits=18, decimal_places=2)


class CashForecastSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    currency = serializers.CharField()
    weeks = ForecastWeekSerializer(many=True)
    past = PastWeekSerializer(many=True)
    later = serializers.DecimalField(max_digits=18, decimal_places=2)
    total = serializers.DecimalField(max_digits=18, decimal_places=2)


class ForecastQuerySerializer(serializers.Serializer):
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False)
    past = serializers.IntegerField(required=False, min_value=0, max_value=52, default=8)


class PaymentPredictionSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    confidence_label = serializers.CharField(read_only=True)

    class Meta:
        model = PaymentPrediction
        fields = ["invoice", "invoice_number", "customer", "currency", "amount_due", "due_date", "predicted_date",
                  "expected_days_late", "spread_days", "confidence", "confidence_label", "basis", "sample_size",
                  "computed_at"]
