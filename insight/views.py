"""The cockpit: each role's home page, the KPI page (definitions, filters, trends, CSV), the 13-week
cash forecast, the collection priorities by predicted pay date, and the prediction panels on billing's
invoice page and the orders customer page (`register_panels()`, called from `ready()`)."""

from __future__ import annotations

import csv
import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from billing.models import Invoice
from o2c import selectors as kernel
from o2c.money import default_currency
from o2c.panels import register_panel
from o2c.roles import ADMIN, FINANCE, SALES, WAREHOUSE
from orders.models import Customer
from receivables.enums import AgingBucket

from . import services
from .forms import KpiFilterForm
from .models import PaymentHabit, PaymentPrediction
from .selectors.forecast import CashForecast, cash_forecast
from .selectors.home import finance_home, kpi_trends, management_home, sales_home, warehouse_home
from .selectors.kpis import KPIS, kpi_values
from .selectors.predictions import collection_priorities, customer_outlook

VIEW_KPIS, VIEW_PREDICTIONS = "insight.view_kpisnapshot", "insight.view_paymentprediction"
VIEW_FORECAST = "insight.view_cashforecastweek"  # the forecast and the collection priorities: Finance's
RECOMPUTE = "insight.change_kpisnapshot"


def _series(trend: list[tuple[datetime.date, Decimal | None]]) -> dict[str, list]:
    return {"labels": [f"{day:%Y-%m}" for day, _ in trend], "values": [None if v is None else str(v) for _, v in trend]}


def forecast_chart(forecast: CashForecast) -> dict[str, Any]:
    """The stacked weekly chart: past weeks' actual and forecast-then, coming weeks by source (strings)."""
    past, weeks = forecast.past, forecast.weeks
    return {
        "labels": [f"{w.start:%d %b}" for w in [*past, *weeks]],
        "actual": [str(w.actual) for w in past] + [None] * len(weeks),
        "forecast_then": [None if w.forecast_then is None else str(w.forecast_then) for w in past]
        + [None] * len(weeks),
        "invoices": [None] * len(past) + [str(w.from_invoices) for w in weeks],
        "orders": [None] * len(past) + [str(w.from_orders) for w in weeks],
        "currency": forecast.currency,
    }


class HomeView(TemplateView):
    """The first page after login: the widgets of each of the user's roles (management for Admin)."""

    template_name = "insight/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        roles = set(user.groups.values_list("name", flat=True))
        today = timezone.localdate()
        context = super().get_context_data(**kwargs)
        context.update(roles=sorted(roles), today=today, currency=default_currency(),
                       my_activity=kernel.recent_activity(actor_id=user.pk)[:10])
        charts: dict[str, Any] = {}
        if SALES in roles:
            context["sales"] = sales_home(user, today)
        if WAREHOUSE in roles:
            context["warehouse"] = warehouse_home(today)
        if FINANCE in roles:
            finance = context["finance"] = finance_home(today)
            charts.update(aging=self._aging_chart(finance), dso=_series(finance.dso_trend),
                          forecast=forecast_chart(finance.forecast))
        if ADMIN in roles or user.is_superuser:
            tiles = context["management"] = management_home(today)
            charts["kpis"] = {tile.key: _series(tile.trend) for tile in tiles}
            context["health"] = kernel.outbox_health()
        context["charts"] = charts
        return context

    @staticmethod
    def _aging_chart(finance: Any) -> dict[str, Any]:
        cells = finance.aging.cells() if finance.aging else [Decimal(0)] * len(AgingBucket)
        return {"labels": [b.label for b in AgingBucket], "values": [str(v) for v in cells],
                "buckets": [b.value for b in AgingBucket]}


class KpiView(PermissionRequiredMixin, View):
    """Every KPI over the chosen period (computed live), its definition and its 12 month-end snapshots;
    `?format=csv` downloads the same figures. POST recomputes yesterday's snapshot."""

    permission_required = VIEW_KPIS
    raise_exception = True

    def get(self, request: HttpRequest) -> HttpResponse:
        form = KpiFilterForm(request.GET or None)
        if request.GET and not form.is_valid():
            return render(request, "insight/kpis.html", {"form": form, "rows": []}, status=400)
        if not request.GET:
            form = KpiFilterForm({"period": "month"})
            form.is_valid()
        f = form.kpi_filter()
        values = kpi_values(f)
        today = timezone.localdate()
        trends = kpi_trends(today)
        rows = [{"key": key, "kpi": kpi, "value": values[key], "trend": trends[key],
                 "applies": f.warehouse_id is None or kpi.by_warehouse} for key, kpi in KPIS.items()]
        if request.GET.get("format") == "csv":
            return self._csv(f, rows)
        return render(request, "insight/kpis.html", {
            "form": form, "filter": f, "rows": rows, "charts": {"kpis": {r["key"]: _series(r["trend"]) for r in rows}},
            "can_recompute": request.user.has_perm(RECOMPUTE), "today": today, "currency": default_currency(),
        })

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(RECOMPUTE):
            return HttpResponse("You may not recompute KPI snapshots.", status=403)
        day = timezone.localdate() - datetime.timedelta(days=1)
        services.kpi_snapshot_take(day=day, actor=request.user, recompute=True)
        messages.success(request, f"The KPI snapshot of {day:%Y-%m-%d} was recomputed.")
        return redirect("insight:kpis")

    @staticmethod
    def _csv(f: Any, rows: list[dict[str, Any]]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="kpis-{f.start}-{f.end}.csv"'
        writer = csv.writer(response)
        writer.writerow(["kpi", "name", "unit", "value", "sample", "start", "end", "customer", "warehouse"])
        for row in rows:
            value = row["value"] if row["applies"] else None
            writer.writerow([row["key"], row["kpi"].name, row["kpi"].unit,
                             "" if value is None or value.value is None else value.value,
                             value.sample if value else "", f.start, f.end, f.customer_id or "", f.warehouse_id or ""])
        return response


class ForecastView(PermissionRequiredMixin, View):
    permission_required = VIEW_FORECAST
    raise_exception = True

    def get(self, request: HttpRequest) -> HttpResponse:
        forecast = cash_forecast()
        if request.GET.get("format") == "csv":
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="cash-forecast-{forecast.as_of}.csv"'
            writer = csv.writer(response)
            writer.writerow(["week_start", "week_end", "from_invoices", "from_orders", "total", "forecast_then",
                             "actual", "currency"])
            for w in forecast.past:
                writer.writerow([w.start, w.end, "", "", "", w.forecast_then if w.forecast_then is not None else "",
                                 w.actual, forecast.currency])
            for w in forecast.weeks:
                writer.writerow([w.start, w.end, w.from_invoices, w.from_orders, w.total, "", "", forecast.currency])
            return response
        return render(request, "insight/forecast.html", {"forecast": forecast, "charts": {
            "forecast": forecast_chart(forecast)}})


class PrioritiesView(PermissionRequiredMixin, TemplateView):
    """The collector worklist by prediction: who will pay late, and how much, first."""

    permission_required = VIEW_FORECAST
    raise_exception = True
    template_name = "insight/priorities.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "rows": collection_priorities(limit=100)}


def invoice_panel(invoice: Invoice, request: HttpRequest) -> dict[str, Any] | None:
    prediction = PaymentPrediction.objects.filter(invoice=invoice).first()
    return {"prediction": prediction} if prediction else None


def customer_panel(customer: Customer, request: HttpRequest) -> dict[str, Any] | None:
    return {"outlook": customer_outlook(customer.pk), "habit": PaymentHabit.objects.filter(customer=customer).first()}


def register_panels() -> None:
    register_panel(Invoice, template="insight/partials/invoice_prediction.html", permission=VIEW_PREDICTIONS,
                   context=invoice_panel, position=60)
    register_panel(Customer, template="insight/partials/customer_outlook.html", permission=VIEW_PREDICTIONS,
                   context=customer_panel, position=60)
