"""The widgets of each role's home page, composed from every stage's selectors (insight is the last app
of the flow, so it may read them all). Each widget is a fixed number of queries, whatever the data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from billing.enums import OPEN_STATUSES
from fulfillment.enums import OPEN_SHIPMENT_STATUSES, ShipmentStatus
from fulfillment.models import Shipment
from inventory.calendar import warehouse_calendars
from inventory.models import Warehouse
from inventory.selectors import LowStockRow, low_stock_rows
from o2c.money import default_currency
from orders.enums import OrderStatus, QuoteStatus
from orders.models import Customer, Quote, SalesOrder, SalesOrderLine
from receivables.selectors.aging import AgingRow, aging_totals
from receivables.selectors.kpis import month_ends
from receivables.selectors.statements import reconciliation_queue

from ..models import KpiSnapshot
from .forecast import CashForecast, cash_forecast, monday
from .kpis import KPIS, KpiValue, kpi_round, kpi_values, trailing
from .predictions import PriorityRow, collection_priorities

ZERO = Decimal(0)
Trend = list[tuple[datetime.date, Decimal | None]]
OPEN_ORDER_STATUSES = (OrderStatus.DRAFT, OrderStatus.ON_HOLD, OrderStatus.CONFIRMED)


# --- Sales ---------------------------------------------------------------------------------------

@dataclass
class SalesHome:
    orders_by_status: dict[str, int]  # open statuses only, in flow order
    on_hold: list[SalesOrder]
    backorders: list[SalesOrderLine]
    backorder_count: int
    expiring_quotes: list[Quote]
    my_customers: list[Customer]  # with .overdue, largest first


def sales_home(user: object, today: datetime.date | None = None, *, limit: int = 8) -> SalesHome:
    today = today or timezone.localdate()
    counts = dict(SalesOrder.objects.filter(status__in=OPEN_ORDER_STATUSES).values("status")
                  .annotate(n=Count("pk")).values_list("status", "n"))
    on_hold = list(SalesOrder.objects.filter(status=OrderStatus.ON_HOLD).select_related("customer")
                   .order_by("created_at")[:limit])
    backordered = (SalesOrderLine.objects.filter(backordered_quantity__gt=0, order__status=OrderStatus.CONFIRMED)
                   .select_related("order__customer", "product").order_by("promise_date", "order_id", "position"))
    quotes = list(Quote.objects.filter(status__in=[QuoteStatus.DRAFT, QuoteStatus.SENT],
                                       valid_until__range=(today, today + datetime.timedelta(days=7)))
                  .select_related("customer").order_by("valid_until", "id")[:limit])
    return SalesHome({s: counts.get(s, 0) for s in OPEN_ORDER_STATUSES}, on_hold, list(backordered[:limit]),
                     backordered.count(), quotes, my_customers_overdue(user, today, limit=limit))


def my_customers_overdue(user: object, today: datetime.date, *, limit: int = 8) -> list[Customer]:
    """The customers the user sells to (has made an order for), with what they owe past due (one query)."""
    overdue = Sum("invoices__amount_due", filter=Q(invoices__status__in=OPEN_STATUSES, invoices__due_date__lt=today,
                                                   invoices__currency=default_currency()))
    mine = SalesOrder.objects.filter(created_by=user).values("customer_id")
    return list(Customer.objects.filter(pk__in=mine).annotate(overdue=overdue).filter(overdue__gt=0)
                .order_by("-overdue", "number")[:limit])


# --- Warehouse -----------------------------------------------------------------------------------

@dataclass
class CapacityRow:
    warehouse: Warehouse
    today_planned: int
    today_capacity: int
    week_planned: int
    week_capacity: int

    @property
    def today_percent(self) -> int:
        return round(100 * self.today_planned / self.today_capacity) if self.today_capacity else 0

    @property
    def week_percent(self) -> int:
        return round(100 * self.week_planned / self.week_capacity) if self.week_capacity else 0


@dataclass
class WarehouseHome:
    capacity: list[CapacityRow]
    late: list[Shipment]
    late_count: int
    late_until: datetime.date  # the last day a shipment still to leave is late for: yesterday
    low_stock: list[LowStockRow] = field(default_factory=list)

    @property
    def open_requests(self) -> int:
        return sum(1 for row in self.low_stock if row.request is not None)


def late_to_ship(today: datetime.date) -> QuerySet[Shipment]:
    """Shipments that should have left before today and have not, or left and are past their promise."""
    return (Shipment.objects.filter(Q(status__in=OPEN_SHIPMENT_STATUSES, planned_ship_date__lt=today)
                                    | Q(status=ShipmentStatus.SHIPPED, promised_date__lt=today))
            .select_related("order", "customer", "warehouse").order_by("planned_ship_date", "id"))


def shipment_capacity(today: datetime.date) -> list[CapacityRow]:
    """Each active warehouse's planned shipments today and this week against what it can send (three queries)."""
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("code"))
    start = monday(today)
    calendars = warehouse_calendars(warehouses, start)
    planned = {(row["warehouse_id"], row["planned_ship_date"]): row["n"] for row in
               Shipment.objects.filter(planned_ship_date__range=(start, start + datetime.timedelta(days=6)))
               .exclude(status=ShipmentStatus.CANCELLED).values("warehouse_id", "planned_ship_date")
               .annotate(n=Count("pk"))}
    rows = []
    for w in warehouses:
        days = [start + datetime.timedelta(days=k) for k in range(7)]
        working = [d for d in days if calendars[w.pk].is_working(d)]
        rows.append(CapacityRow(
            w, planned.get((w.pk, today), 0), w.shipping_capacity_per_day if today in working else 0,
            sum(planned.get((w.pk, d), 0) for d in days), w.shipping_capacity_per_day * len(working)))
    return rows


def warehouse_home(today: datetime.date | None = None, *, limit: int = 8) -> WarehouseHome:
    today = today or timezone.localdate()
    late = late_to_ship(today)
    return WarehouseHome(shipment_capacity(today), list(late[:limit]), late.count(), today - datetime.timedelta(days=1),
                         low_stock_rows())


# --- Finance -------------------------------------------------------------------------------------

@dataclass
class FinanceHome:
    currency: str
    aging: AgingRow | None
    dso: KpiValue
    dso_trend: Trend
    forecast: CashForecast
    priorities: list[PriorityRow]
    unmatched_lines: int
    unmatched_amount: Decimal

    @property
    def open_ar(self) -> Decimal:
        return self.aging.total if self.aging else ZERO

    @property
    def overdue_ar(self) -> Decimal:
        return self.aging.overdue if self.aging else ZERO


def _snapshots(days: list[datetime.date], keys: tuple[str, ...]) -> dict[tuple[str, datetime.date], KpiValue]:
    """The stored snapshots of `keys` on `days` (one query), as `kpi_values` gives them."""
    return {(kpi, day): KpiValue(value if value is None or KPIS[kpi].unit == "money" else kpi_round(value), sample)
            for kpi, day, value, sample in KpiSnapshot.objects.filter(day__in=days, kpi__in=keys)
            .values_list("kpi", "day", "value", "sample")}


def _trend(stored: dict[tuple[str, datetime.date], KpiValue], key: str, days: list[datetime.date]) -> Trend:
    return [(day, stored[key, day].value if (key, day) in stored else None) for day in days]


def kpi_trends(today: datetime.date, *, keys: tuple[str, ...] | None = None, months: int = 12) -> dict[str, Trend]:
    """The KPIs' stored snapshots at the last day of each of the last `months` months (one query)."""
    keys = keys or tuple(KPIS)
    days = month_ends(today - datetime.timedelta(days=1), months)
    stored = _snapshots(days, keys)
    return {key: _trend(stored, key, days) for key in keys}


def finance_home(today: datetime.date | None = None, *, limit: int = 10) -> FinanceHome:
    today, currency = today or timezone.localdate(), default_currency()
    queue = reconciliation_queue().aggregate(n=Count("pk"), amount=Sum("amount"))
    aging = aging_totals(today).get(currency)
    ar_now = (aging.total, aging.overdue) if aging else (ZERO, ZERO)  # DSO's AR: the aging's, not read again
    return FinanceHome(
        currency, aging, kpi_values(trailing(today), ("dso",), ar_at_end=ar_now)["dso"],
        kpi_trends(today, keys=("dso",))["dso"], cash_forecast(today, currency=currency),
        collection_priorities(limit=limit, today=today),
        queue["n"], queue["amount"] or ZERO,
    )


# --- Management ----------------------------------------------------------------------------------

@dataclass
class KpiTile:
    key: str
    name: str
    unit: str
    higher_is_better: bool
    value: KpiValue
    trend: Trend


def management_home(today: datetime.date | None = None, *, months: int = 12) -> list[KpiTile]:
    """Every KPI over the 30 days up to yesterday as last night's snapshot stored it, with its 12 month-end
    snapshots: one query, whatever the volume (all 16 live take seconds at a million orders and invoices:
    bench/dashboard.py). A KPI the nightly job has not stored yet is computed live."""
    today = today or timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    days = month_ends(yesterday, months)
    stored = _snapshots(days, tuple(KPIS))
    missing = tuple(key for key in KPIS if (key, yesterday) not in stored)
    live = kpi_values(trailing(yesterday), missing) if missing else {}
    return [KpiTile(key, kpi.name, kpi.unit, kpi.higher_is_better, live.get(key) or stored[key, yesterday],
                    _trend(stored, key, days))
            for key, kpi in KPIS.items()]
