"""Working-day calendars: a warehouse's (its weekdays minus its own and public holidays) for promise
and ship dates, and the carriers' (Monday to Friday minus public holidays) for transit days."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from .models import MONDAY_TO_FRIDAY, Holiday, Warehouse

ONE_DAY = datetime.timedelta(days=1)
MAX_SEARCH_DAYS = 3 * 366


@dataclass(frozen=True)
class WorkCalendar:
    working_days: frozenset[int]
    holidays: frozenset[datetime.date]

    def is_working(self, day: datetime.date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def next_working(self, day: datetime.date) -> datetime.date:
        """`day` itself when it is a working day, else the first one after it."""
        for _ in range(MAX_SEARCH_DAYS):
            if self.is_working(day):
                return day
            day += ONE_DAY
        raise ValueError("No working day within three years: check the working days and holidays.")

    def add(self, day: datetime.date, count: int) -> datetime.date:
        """`count` working days after `day` (0: `day` itself)."""
        for _ in range(count):
            day = self.next_working(day + ONE_DAY)
        return day

    def working_days_between(self, start: datetime.date, end: datetime.date) -> list[datetime.date]:
        days, day = [], start
        while day <= end:
            if self.is_working(day):
                days.append(day)
            day += ONE_DAY
        return days


def _holidays(condition: Q, since: datetime.date) -> frozenset[datetime.date]:
    return frozenset(Holiday.objects.filter(condition, date__gte=since).values_list("date", flat=True))


def warehouse_calendar(warehouse: Warehouse, since: datetime.date) -> WorkCalendar:
    """The days `warehouse` ships on, from `since` (one query)."""
    return WorkCalendar(frozenset(warehouse.working_days),
                        _holidays(Q(warehouse=warehouse) | Q(warehouse__isnull=True), since))


def warehouse_calendars(warehouses: Iterable[Warehouse], since: datetime.date) -> dict[int, WorkCalendar]:
    """{warehouse id: its calendar} for many warehouses (one query)."""
    warehouses = {w.pk: w for w in warehouses}
    rows = Holiday.objects.filter(Q(warehouse__in=list(warehouses)) | Q(warehouse__isnull=True), date__gte=since)
    public: set[datetime.date] = set()
    own: dict[int, set[datetime.date]] = {pk: set() for pk in warehouses}
    for warehouse_id, day in rows.values_list("warehouse_id", "date"):
        (public if warehouse_id is None else own[warehouse_id]).add(day)
    return {pk: WorkCalendar(frozenset(w.working_days), frozenset(public | own[pk])) for pk, w in warehouses.items()}


def carrier_calendar(since: datetime.date) -> WorkCalendar:
    """The days carriers move goods, from `since` (one query)."""
    return WorkCalendar(frozenset(MONDAY_TO_FRIDAY), _holidays(Q(warehouse__isnull=True), since))
