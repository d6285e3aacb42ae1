"""Working-day calendars: a warehouse's (its weekdays minus its and public holidays) for ship dates,
and the carriers' (Monday to Friday minus public holidays) for transit days."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q

from inventory.models import MONDAY_TO_FRIDAY, Warehouse

from .models import Holiday

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


def carrier_calendar(since: datetime.date) -> WorkCalendar:
    """The days carriers move goods, from `since` (one query)."""
    return WorkCalendar(frozenset(MONDAY_TO_FRIDAY), _holidays(Q(warehouse__isnull=True), since))
