"""Insight's API: KPIs over a period, the 13-week cash forecast, the stored pay-date predictions."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from o2c.api.base import O2CGenericViewSet, O2CReadOnlyViewSet, validated
from orders.api.views import READ, errors

from ..models import CashForecastWeek, KpiSnapshot, PaymentPrediction
from ..selectors.forecast import cash_forecast
from ..selectors.kpis import KPIS, KpiFilter, kpi_values
from . import serializers as s


@extend_schema_view(list=extend_schema(
    parameters=[s.KpiQuerySerializer], responses={200: s.KpiReportSerializer, **errors(400, 403)},
    description="Every order-to-cash KPI over a month, a quarter or custom days (`kpi_values`), for the company, "
                "one customer and/or one warehouse, with its definition. The KPI page shows the same figures."))
class KpiViewSet(O2CGenericViewSet):
    queryset = KpiSnapshot.objects.none()
    pagination_class = None
    filter_backends: list = []

    def list(self, request: Request) -> Response:
        query = validated(s.KpiQuerySerializer, request.query_params.dict())
        f = KpiFilter(query["start"], query["end"], query.get("customer"), query.get("warehouse"))
        values = kpi_values(f)
        rows = [{"key": key, "name": kpi.name, "unit": kpi.unit, "definition": kpi.definition,
                 "higher_is_better": kpi.higher_is_better, "applies": f.warehouse_id is None or kpi.by_warehouse,
                 "value": values[key].value, "sample": values[key].sample} for key, kpi in KPIS.items()]
        return Response(s.KpiReportSerializer({"start": f.start, "end": f.end, "customer": f.customer_id,
                                          "warehouse": f.warehouse_id, "kpis": rows}).data)


@extend_schema_view(list=extend_schema(
    parameters=[s.ForecastQuerySerializer], responses={200: s.CashForecastSerializer, **errors(400, 403)},
    description="Expected receipts per week for the next 13 weeks: open invoices at their predicted pay dates, "
                "confirmed orders not yet invoiced at their expected ship date + payment terms + the customer's "
                "usual delay; and the past weeks' forecast (as made before each began) against cash received."))
class CashForecastViewSet(O2CGenericViewSet):
    queryset = CashForecastWeek.objects.none()
    pagination_class = None
    filter_backends: list = []

    def list(self, request: Request) -> Response:
        query = validated(s.ForecastQuerySerializer, request.query_params.dict())
        currency = query["currency"].upper() if query.get("currency") else None
        forecast = cash_forecast(timezone.localdate(), currency=currency, past=query["past"])
        return Response(s.CashForecastSerializer(forecast).data)


@extend_schema_view(list=extend_schema(responses={200: s.PaymentPredictionSerializer(many=True), **errors(403)}),
                    retrieve=extend_schema(responses={200: s.PaymentPredictionSerializer, **READ}))
class PaymentPredictionViewSet(O2CReadOnlyViewSet):
    """The predicted pay date of each open invoice (by invoice id), filterable by customer."""

    queryset = PaymentPrediction.objects.select_related("invoice").order_by("predicted_date", "invoice_id")
    serializer_class = s.PaymentPredictionSerializer
    filterset_fields = ["customer", "currency", "basis"]
