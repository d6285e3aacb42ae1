"""The periods KPIs are measured over: a month or a quarter (of a given day), or custom days."""

from __future__ import annotations

import datetime

from django.utils import timezone

from .enums import Period

MAX_DAYS = 366
EARLIEST, LATEST = datetime.date(1970, 1, 1), datetime.date(2999, 12, 31)


class PeriodError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def month_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = day.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


def quarter_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    return first, month_of(first.replace(month=first.month + 2))[1]


def period_bounds(period: str, *, on: datetime.date | None = None, start: datetime.date | None = None,
                  end: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """(first day, last day) of the period; `PeriodError` names the field at fault."""
    for field, day in (("on", on), ("start", start), ("end", end)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise PeriodError(field, f"Choose a day between {EARLIEST} and {LATEST}.")
    if period != Period.CUSTOM:
        return (quarter_of if period == Period.QUARTER else month_of)(on or timezone.localdate())
    if not start or not end:
        raise PeriodError("start" if not start else "end", "A custom period needs a first and a last day.")
    if start > end:
        raise PeriodError("end", "The last day must not be before the first.")
    if (end - start).days >= MAX_DAYS:
        raise PeriodError("end", f"A custom period is at most {MAX_DAYS} days.")
    return start, end
