"""The scheduling board: a warehouse's next 2–4 weeks, each day's planned shipments against its
capacity, a reschedule control on each shipment, and the late list below."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.utils import timezone
from django.views.generic import TemplateView

from o2c.views import paginate, query_without_page

from ..enums import OPEN_SHIPMENT_STATUSES
from ..forms import WarehouseFilterForm
from ..selectors import BOARD_DAYS, BoardDay, late_shipments, schedule_board
from .common import LATE_PER_PAGE, active_warehouses

WEEK = datetime.timedelta(days=7)
CHIPS_PER_DAY = 8  # more go behind a "+ n more" link to the day's shipment list


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


class BoardView(PermissionRequiredMixin, TemplateView):
    permission_required = "fulfillment.view_shipment"
    raise_exception = True
    template_name = "fulfillment/board.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        request = self.request
        form = WarehouseFilterForm(request.GET or None, spans=BOARD_DAYS)
        warehouses = active_warehouses()
        warehouse = (form.value("warehouse") if form.is_bound else None) or (warehouses[0] if warehouses else None)
        days = (form.value("days") if form.is_bound else None) or BOARD_DAYS[0]
        today = timezone.localdate()
        current = monday_of(today)
        if warehouse is not None and not _works_later_this_week(warehouse.working_days, today):
            current += WEEK  # the weekend: this week's work is done, the board starts with the next
        chosen = form.value("start") if form.is_bound else None
        start = monday_of(chosen) if chosen else current
        context = {**super().get_context_data(**kwargs), "warehouses": warehouses, "warehouse": warehouse,
                   "days": days, "spans": [(n, n // 7) for n in BOARD_DAYS], "today": today, "start": start,
                   "previous_start": start - WEEK, "next_start": start + WEEK, "current_start": current,
                   "open_statuses": list(OPEN_SHIPMENT_STATUSES),
                   "can_change": request.user.has_perm("fulfillment.change_shipment"),
                   "here": request.get_full_path()}
        if warehouse is None:
            return context
        board = schedule_board(warehouse=warehouse, start=start, days=days)
        for day in board:
            day.chips = day.shipments[:CHIPS_PER_DAY]  # type: ignore[attr-defined]
            day.more = max(0, day.planned - CHIPS_PER_DAY)  # type: ignore[attr-defined]
        context.update(
            # closed weekdays (the weekend) take narrower columns: the working days get the room
            columns=" ".join("minmax(0, 1fr)" if day in warehouse.working_days else "minmax(0, .55fr)"
                             for day in range(7)),
            weeks=[board[i:i + 7] for i in range(0, len(board), 7)],
            end=board[-1].date,
            totals=_totals(board, today),
            late=paginate(request, late_shipments(warehouse=warehouse), LATE_PER_PAGE),
            page_base=query_without_page(request),
        )
        return context


def _works_later_this_week(working_days: list[int], today: datetime.date) -> bool:
    return any(day in working_days for day in range(today.weekday(), 7))


def _totals(board: list[BoardDay], today: datetime.date) -> dict[str, int]:
    ahead = [day for day in board if day.date >= today]
    return {"planned": sum(day.planned for day in ahead), "capacity": sum(day.capacity for day in ahead),
            "over": sum(1 for day in board if day.over_capacity)}
