"""Insight's stored figures in the admin: read-only (the services derive them), with actions that
refresh predictions and recompute a day's KPI snapshot through the same services as the beat."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from o2c.admin import ReadOnlyAdmin

from . import services
from .models import CashForecastWeek, KpiSnapshot, PaymentHabit, PaymentPrediction


@admin.register(PaymentPrediction)
class PaymentPredictionAdmin(ReadOnlyAdmin):
    list_display = ("invoice", "customer", "amount_due", "currency", "due_date", "predicted_date",
                    "expected_days_late", "confidence", "basis", "sample_size", "computed_at")
    list_filter = ("basis", "currency", "predicted_date")
    search_fields = ("invoice__number", "customer__number", "customer__legal_name")
    list_select_related = ("invoice", "customer")
    date_hierarchy = "predicted_date"
    actions = ["refresh"]

    @admin.action(description="Refresh the predictions of these invoices' customers", permissions=["view"])
    def refresh(self, request: HttpRequest, queryset: QuerySet[PaymentPrediction]) -> None:
        customers = set(queryset.values_list("customer_id", flat=True))
        n = services.payment_predictions_refresh(customer_ids=customers)
        self.message_user(request, f"{n} predictions refreshed for {len(customers)} customers.", messages.SUCCESS)


@admin.register(PaymentHabit)
class PaymentHabitAdmin(ReadOnlyAdmin):
    list_display = ("customer", "expected_days_late", "spread_days", "basis", "sample_size", "computed_at")
    list_filter = ("basis",)
    search_fields = ("customer__number", "customer__legal_name")
    list_select_related = ("customer",)


@admin.register(KpiSnapshot)
class KpiSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("day", "kpi", "value", "sample", "computed_at")
    list_filter = ("kpi",)
    date_hierarchy = "day"
    actions = ["recompute"]

    def has_recompute_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("insight.change_kpisnapshot")

    @admin.action(description="Recompute these days' snapshots", permissions=["recompute"])
    def recompute(self, request: HttpRequest, queryset: QuerySet[KpiSnapshot]) -> None:
        days = sorted(set(queryset.values_list("day", flat=True)))
        for day in days:
            services.kpi_snapshot_take(day=day, actor=request.user, recompute=True)
        self.message_user(request, f"The snapshots of {len(days)} day(s) were recomputed.", messages.SUCCESS)


@admin.register(CashForecastWeek)
class CashForecastWeekAdmin(ReadOnlyAdmin):
    list_display = ("made_on", "week_start", "currency", "from_invoices", "from_orders")
    list_filter = ("currency", "made_on")
    date_hierarchy = "made_on"
