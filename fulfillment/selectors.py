"""Every non-trivial read of fulfillment: shipment lists, the work queue, the scheduling board, the
late list, what an order can still ship or return."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from inventory.calendar import ONE_DAY, warehouse_calendar
from inventory.models import Holiday, Warehouse
from orders.models import SalesOrder, SalesOrderLine

from .enums import OPEN_SHIPMENT_STATUSES, ReturnStatus, ShipmentStatus
from .models import ReturnAuthorization, ReturnLine, Shipment, ShipmentLine

ZERO = Decimal(0)
BOARD_DAYS = (14, 21, 28)


def scheduled_quantities(line_ids: list[int]) -> dict[int, Decimal]:
    """{order line id: quantity on shipments not gone yet} (scheduled, picking, packed)."""
    rows = (ShipmentLine.objects.filter(order_line_id__in=line_ids, shipment__status__in=OPEN_SHIPMENT_STATUSES)
            .order_by().values("order_line").annotate(q=Sum("quantity")).values_list("order_line", "q"))
    return dict(rows)


def authorised_quantities(line_ids: list[int]) -> dict[int, Decimal]:
    """{order line id: quantity on returns authorised and not yet received}."""
    rows = (ReturnLine.objects.filter(order_line_id__in=line_ids, rma__status=ReturnStatus.AUTHORISED)
            .values("order_line").annotate(q=Sum("quantity")).values_list("order_line", "q"))
    return dict(rows)


def _shipments() -> QuerySet[Shipment]:
    return Shipment.objects.select_related("order", "customer", "warehouse", "carrier")


def shipment_list(
    *, status: str = "", warehouse: Warehouse | None = None, carrier_id: int | None = None,
    date_from: datetime.date | None = None, date_to: datetime.date | None = None, search: str = "",
    order_id: int | None = None,
) -> QuerySet[Shipment]:
    """Shipments by status / warehouse / carrier / planned ship date, searched by number, order,
    customer or tracking number: one query per page."""
    qs = _shipments()
    if status:
        qs = qs.filter(status=status)
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    if carrier_id:
        qs = qs.filter(carrier_id=carrier_id)
    if date_from:
        qs = qs.filter(planned_ship_date__gte=date_from)
    if date_to:
        qs = qs.filter(planned_ship_date__lte=date_to)
    if order_id:
        qs = qs.filter(order_id=order_id)
    if search:
        term = search.strip()
        qs = qs.filter(Q(number__icontains=term) | Q(order__number__icontains=term)
                       | Q(customer__legal_name__icontains=term) | Q(tracking_number__iexact=term))
    return qs.order_by("-id")


@dataclass
class WorkQueue:
    to_pick: list[Shipment]
    to_pack: list[Shipment]
    to_ship: list[Shipment]
    to_deliver: list[Shipment]

    @property
    def total(self) -> int:
        return len(self.to_pick) + len(self.to_pack) + len(self.to_ship) + len(self.to_deliver)


def work_queue(*, warehouse: Warehouse | None = None, today: datetime.date | None = None) -> WorkQueue:
    """Today's work: scheduled for today or earlier (to pick), picking (to pack), packed (to ship),
    shipped and not yet confirmed delivered (to deliver). One query."""
    today = today or timezone.localdate()
    qs = _shipments().filter(
        Q(status=ShipmentStatus.SCHEDULED, planned_ship_date__lte=today)
        | Q(status__in=[ShipmentStatus.PICKING, ShipmentStatus.PACKED, ShipmentStatus.SHIPPED])
    ).order_by("planned_ship_date", "id")
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    by_status: dict[str, list[Shipment]] = {s: [] for s in ShipmentStatus.values}
    for shipment in qs:
        by_status[shipment.status].append(shipment)
    return WorkQueue(by_status[ShipmentStatus.SCHEDULED], by_status[ShipmentStatus.PICKING],
                     by_status[ShipmentStatus.PACKED], by_status[ShipmentStatus.SHIPPED])


@dataclass
class BoardDay:
    date: datetime.date
    working: bool
    holiday: str
    capacity: int
    shipments: list[Shipment] = field(default_factory=list)

    @property
    def planned(self) -> int:
        return len(self.shipments)

    @property
    def over_capacity(self) -> bool:
        return (self.working and self.planned > self.capacity) or (not self.working and self.planned > 0)

    @property
    def load_percent(self) -> int:
        return min(100, round(100 * self.planned / self.capacity)) if self.capacity else 100 if self.planned else 0


def schedule_board(*, warehouse: Warehouse, start: datetime.date, days: int = 14) -> list[BoardDay]:
    """`days` calendar days from `start`: each day's planned shipments (not cancelled) against the
    warehouse's capacity. Three queries whatever the number of shipments."""
    end = start + datetime.timedelta(days=days - 1)
    calendar = warehouse_calendar(warehouse, start)
    names = dict(Holiday.objects.filter(Q(warehouse=warehouse) | Q(warehouse__isnull=True),
                                        date__range=(start, end)).values_list("date", "name"))
    board = {}
    day = start
    while day <= end:
        working = calendar.is_working(day)
        board[day] = BoardDay(day, working, names.get(day, ""), warehouse.shipping_capacity_per_day if working else 0)
        day += ONE_DAY
    shipments = (_shipments().filter(warehouse=warehouse, planned_ship_date__range=(start, end))
                 .exclude(status=ShipmentStatus.CANCELLED).order_by("planned_ship_date", "id"))
    for shipment in shipments:
        board[shipment.planned_ship_date].shipments.append(shipment)
    return list(board.values())


def late_shipments(*, warehouse: Warehouse | None = None) -> QuerySet[Shipment]:
    """Shipments not yet delivered whose planned delivery is after the order's requested date."""
    qs = (_shipments().filter(status__in=[*OPEN_SHIPMENT_STATUSES, ShipmentStatus.SHIPPED],
                              order__requested_date__isnull=False,
                              planned_delivery_date__gt=F("order__requested_date"))
          .order_by("order__requested_date", "id"))
    return qs.filter(warehouse=warehouse) if warehouse is not None else qs


def shipments_for_order(order: SalesOrder) -> list[Shipment]:
    return list(Shipment.objects.filter(order=order).select_related("carrier")
                .annotate(line_count=Count("lines")).order_by("id"))


@dataclass(frozen=True)
class LineRoom:
    line: SalesOrderLine
    scheduled: Decimal
    ready: Decimal  # reserved and not yet on a shipment: what "create shipment" takes by default
    room: Decimal  # open and not yet on a shipment: the most a chosen quantity may be


def schedulable_lines(order: SalesOrder) -> list[LineRoom]:
    lines = list(SalesOrderLine.objects.filter(order=order).select_related("product").order_by("position"))
    scheduled = scheduled_quantities([line.pk for line in lines])
    rows = []
    for line in lines:
        on = scheduled.get(line.pk, ZERO)
        rows.append(LineRoom(line, on, max(line.reserved_quantity - on, ZERO), max(line.open_quantity - on, ZERO)))
    return rows


@dataclass(frozen=True)
class ReturnRoom:
    line: SalesOrderLine
    authorised: Decimal
    returnable: Decimal


def returnable_lines(order: SalesOrder) -> list[ReturnRoom]:
    lines = list(SalesOrderLine.objects.filter(order=order, shipped_quantity__gt=0).select_related("product")
                 .order_by("position"))
    pending = authorised_quantities([line.pk for line in lines])
    return [ReturnRoom(line, pending.get(line.pk, ZERO),
                       max(line.shipped_quantity - line.returned_quantity - pending.get(line.pk, ZERO), ZERO))
            for line in lines]


def return_list(*, status: str = "", search: str = "") -> QuerySet[ReturnAuthorization]:
    qs = ReturnAuthorization.objects.select_related("order", "customer", "warehouse")
    if status:
        qs = qs.filter(status=status)
    if search:
        term = search.strip()
        qs = qs.filter(Q(number__icontains=term) | Q(order__number__icontains=term)
                       | Q(customer__legal_name__icontains=term))
    return qs.order_by("-id")


def open_return_count() -> int:
    return ReturnAuthorization.objects.filter(status=ReturnStatus.AUTHORISED).count()
