"""Inventory reads: availability, available-to-promise, promise dates, reorder candidates, lists."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from .calendar import WorkCalendar, warehouse_calendar
from .enums import ReceiptStatus, ReplenishmentStatus
from .models import (
    ExpectedReceipt,
    Product,
    ReorderRule,
    ReplenishmentRequest,
    StockLevel,
    StockMove,
    StockReservation,
    Warehouse,
)

ZERO = Decimal("0")
QTY = DecimalField(max_digits=14, decimal_places=3)


@dataclass(frozen=True)
class Availability:
    warehouse: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    incoming: Decimal
    backordered: Decimal


def _sum(qs: QuerySet, expression: F | ExpressionWrapper | str) -> Decimal:
    return qs.aggregate(total=Coalesce(Sum(expression), Value(ZERO), output_field=QTY))["total"]


def _open_receipts(product: Product, warehouse: Warehouse | None) -> QuerySet[ExpectedReceipt]:
    qs = ExpectedReceipt.objects.filter(product=product, status=ReceiptStatus.OPEN)
    return qs.filter(warehouse=warehouse) if warehouse else qs


def _backorders(product: Product, warehouse: Warehouse | None) -> Decimal:
    qs = StockReservation.objects.filter(product=product)
    if warehouse:
        qs = qs.filter(warehouse=warehouse)
    return _sum(qs, F("quantity_requested") - F("quantity_reserved"))


def availability(product: Product) -> list[Availability]:
    """Per warehouse (active ones, and closed ones still holding it) and a final "total" row: on hand,
    reserved, available, incoming, backordered."""
    levels = {lv.warehouse_id: lv for lv in StockLevel.objects.filter(product=product)}
    holding = [wh_id for wh_id, lv in levels.items() if lv.on_hand or lv.reserved]
    warehouses = list(Warehouse.objects.filter(Q(is_active=True) | Q(pk__in=holding)))
    incoming = dict(
        _open_receipts(product, None).values("warehouse").annotate(q=Sum(F("quantity") - F("received_quantity")))
        .values_list("warehouse", "q")
    )
    backorders = dict(
        StockReservation.objects.filter(product=product).values("warehouse")
        .annotate(q=Sum(F("quantity_requested") - F("quantity_reserved"))).values_list("warehouse", "q")
    )
    rows = []
    for wh in warehouses:
        level = levels.get(wh.pk)
        on_hand, reserved = (level.on_hand, level.reserved) if level else (ZERO, ZERO)
        rows.append(Availability(wh.code, on_hand, reserved, on_hand - reserved, incoming.get(wh.pk) or ZERO,
                                 backorders.get(wh.pk) or ZERO))
    rows.append(Availability("total", *(sum((getattr(r, f) for r in rows), ZERO) for f in
                                        ("on_hand", "reserved", "available", "incoming", "backordered"))))
    return rows


def default_warehouse() -> Warehouse | None:
    """Where documents ship from unless they say otherwise: the first active warehouse by code."""
    return Warehouse.objects.filter(is_active=True).order_by("code").first()


def available_now(product: Product, warehouse: Warehouse) -> Decimal:
    level = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return level.available if level else ZERO


def atp(*, product: Product, warehouse: Warehouse, on: datetime.date) -> Decimal:
    """Available to promise on a date: available now + receipts expected by then − backorders ahead."""
    incoming = _sum(_open_receipts(product, warehouse).filter(expected_date__lte=on),
                    F("quantity") - F("received_quantity"))
    return available_now(product, warehouse) + incoming - _backorders(product, warehouse)


def promise_date(
    *, product: Product, qty: Decimal, warehouse: Warehouse, today: datetime.date | None = None,
) -> datetime.date:
    """When `qty` can leave `warehouse`: today if available (after earlier backorders), else the date
    of the expected receipt that covers it, else today + the product's lead time — all on the
    warehouse's working days."""
    return cover_dates(products=[product], warehouse=warehouse, extra={product.pk: qty}, today=today)[product.pk]


def cover_dates(
    *, products: Iterable[Product], warehouse: Warehouse, extra: Mapping[int, Decimal] | None = None,
    today: datetime.date | None = None, calendar: WorkCalendar | None = None,
) -> dict[int, datetime.date]:
    """Per product: the working day by which `warehouse` can serve all of its current backorders
    plus `extra` more (by product id) — from available stock, then expected receipts in date order,
    else the product's lead time, on the warehouse's calendar (working days, holidays). Four queries
    whatever the number of products (three when the caller has the `calendar`): the promise date of
    a backordered order line (extra 0) or of a new one (extra = its quantity)."""
    today = today or timezone.localdate()
    calendar = calendar or warehouse_calendar(warehouse, today)
    products = {p.pk: p for p in products}
    available = dict(StockLevel.objects.filter(product__in=products, warehouse=warehouse)
                     .values_list("product_id").annotate(a=F("on_hand") - F("reserved")))
    backorders = dict(StockReservation.objects.filter(product__in=products, warehouse=warehouse).values("product")
                      .annotate(q=Sum(F("quantity_requested") - F("quantity_reserved"))).values_list("product", "q"))
    extra = extra or {}
    shortfall = {pid: (backorders.get(pid) or ZERO) + extra.get(pid, ZERO) - available.get(pid, ZERO)
                 for pid in products}
    ready = calendar.next_working(today)
    dates = {pid: ready for pid in products if shortfall.get(pid, ZERO) <= 0}
    receipts = (ExpectedReceipt.objects.filter(product__in=[p for p in products if p not in dates],
                                               warehouse=warehouse, status=ReceiptStatus.OPEN)
                .order_by("expected_date", "id"))
    for receipt in receipts:
        if receipt.product_id in dates:
            continue
        shortfall[receipt.product_id] -= receipt.open_quantity
        if shortfall[receipt.product_id] <= 0:
            dates[receipt.product_id] = calendar.next_working(max(receipt.expected_date, today))
    for pid, product in products.items():
        dates.setdefault(pid, calendar.add(ready, product.lead_time_days))
    return dates


@dataclass(frozen=True)
class ReorderCandidate:
    product_id: int
    warehouse_id: int
    reorder_point: Decimal
    reorder_quantity: Decimal
    projected: Decimal


def reorder_candidates() -> list[ReorderCandidate]:
    """Active rules whose available + incoming is below the reorder point and that have no open request."""
    level = StockLevel.objects.filter(product=OuterRef("product"), warehouse=OuterRef("warehouse"))
    incoming = (
        ExpectedReceipt.objects.filter(product=OuterRef("product"), warehouse=OuterRef("warehouse"),
                                       status=ReceiptStatus.OPEN)
        .values("product").annotate(q=Sum(F("quantity") - F("received_quantity"))).values("q")
    )
    open_request = ReplenishmentRequest.objects.filter(
        product=OuterRef("product"), warehouse=OuterRef("warehouse"), status=ReplenishmentStatus.OPEN
    )
    rules = (
        ReorderRule.objects.filter(is_active=True, product__is_active=True, warehouse__is_active=True)
        .annotate(
            available=Coalesce(Subquery(level.values("on_hand")[:1]) - Subquery(level.values("reserved")[:1]),
                               Value(ZERO), output_field=QTY),
            incoming=Coalesce(Subquery(incoming), Value(ZERO), output_field=QTY),
        )
        .annotate(projected=ExpressionWrapper(F("available") + F("incoming"), output_field=QTY))
        .filter(projected__lt=F("reorder_point"))
        .exclude(Exists(open_request))
        .order_by("product_id", "warehouse_id")
    )
    return [ReorderCandidate(r.product_id, r.warehouse_id, r.reorder_point, r.reorder_quantity, r.projected)
            for r in rules]


@dataclass(frozen=True)
class LowStockRow:
    product: Product
    warehouse: Warehouse
    available: Decimal
    incoming: Decimal
    reorder_point: Decimal | None
    reorder_quantity: Decimal | None
    request: ReplenishmentRequest | None

    @property
    def projected(self) -> Decimal:
        return self.available + self.incoming


def low_stock_rows() -> list[LowStockRow]:
    """Rules below their reorder point without a request yet (`reorder_candidates()`) and every open
    request, with today's available and incoming stock: a fixed number of queries."""
    candidates = reorder_candidates()
    open_requests = {
        (r.product_id, r.warehouse_id): r
        for r in ReplenishmentRequest.objects.filter(status=ReplenishmentStatus.OPEN)
    }
    pairs = {(c.product_id, c.warehouse_id) for c in candidates} | set(open_requests)
    if not pairs:
        return []
    product_ids, warehouse_ids = {p for p, _ in pairs}, {w for _, w in pairs}
    near = Q(product_id__in=product_ids, warehouse_id__in=warehouse_ids)  # a superset of the pairs
    rules = {(r.product_id, r.warehouse_id): r for r in ReorderRule.objects.filter(near)}
    levels = {(lv.product_id, lv.warehouse_id): lv for lv in StockLevel.objects.filter(near)}
    incoming = {
        (row["product_id"], row["warehouse_id"]): row["q"]
        for row in ExpectedReceipt.objects.filter(near, status=ReceiptStatus.OPEN)
        .values("product_id", "warehouse_id").annotate(q=Sum(F("quantity") - F("received_quantity")))
    }
    products = Product.objects.in_bulk(product_ids)
    warehouses = Warehouse.objects.in_bulk(warehouse_ids)
    rows = []
    for key in pairs:
        level, rule, request = levels.get(key), rules.get(key), open_requests.get(key)
        rows.append(LowStockRow(
            products[key[0]], warehouses[key[1]], level.available if level else ZERO, incoming.get(key) or ZERO,
            rule.reorder_point if rule else None, rule.reorder_quantity if rule else None, request,
        ))
    rows.sort(key=lambda row: (row.product.sku, row.warehouse.code))
    return rows


def product_list(*, search: str = "", active: bool | None = None) -> QuerySet[Product]:
    """Products with their stock levels (one extra query for all of them, whatever the page size)."""
    qs = Product.objects.prefetch_related(
        Prefetch("stock_levels", queryset=StockLevel.objects.select_related("warehouse").order_by("warehouse_id"))
    )
    if search:
        qs = qs.filter(Q(sku__icontains=search) | Q(name__icontains=search))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def moves_for(product: Product) -> QuerySet[StockMove]:
    return StockMove.objects.filter(product=product).select_related("warehouse", "actor")


def ledger_mismatches() -> list[dict]:
    """Stock levels whose on_hand differs from the sum of their moves, or whose reserved differs from
    the sum of their reservations (including rows with moves but no level)."""
    from django.db import connection

    sql = """
    WITH moves AS (
        SELECT product_id, warehouse_id, SUM(quantity) AS total FROM inventory_stockmove
        GROUP BY product_id, warehouse_id
    ), holds AS (
        SELECT product_id, warehouse_id, SUM(quantity_reserved) AS total FROM inventory_stockreservation
        GROUP BY product_id, warehouse_id
    )
    SELECT COALESCE(l.product_id, m.product_id), COALESCE(l.warehouse_id, m.warehouse_id),
           COALESCE(l.on_hand, 0), COALESCE(m.total, 0), COALESCE(l.reserved, 0), COALESCE(h.total, 0)
    FROM inventory_stocklevel l
    FULL OUTER JOIN moves m ON m.product_id = l.product_id AND m.warehouse_id = l.warehouse_id
    LEFT JOIN holds h ON h.product_id = COALESCE(l.product_id, m.product_id)
                     AND h.warehouse_id = COALESCE(l.warehouse_id, m.warehouse_id)
    WHERE COALESCE(l.on_hand, 0) <> COALESCE(m.total, 0) OR COALESCE(l.reserved, 0) <> COALESCE(h.total, 0)
    ORDER BY 1, 2
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [
            {"product": p, "warehouse": w, "on_hand": oh, "sum_of_moves": sm, "reserved": r, "sum_of_reservations": sr}
            for p, w, oh, sm, r, sr in cursor.fetchall()
        ]
