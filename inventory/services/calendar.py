"""The holiday calendar of the warehouses (public holidays have no warehouse): validated by the
model, audited; a day can be a holiday once per warehouse and once as a public holiday."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction

from o2c.audit import audit_record
from o2c.errors import Conflict, ValidationFailed
from o2c.masterdata import record_create, record_update

from ..models import Holiday

HOLIDAY_FIELDS = ("date", "name", "warehouse")


@transaction.atomic
def _refuse_twice(day: Any, warehouse: Any) -> None:
    """A day is a holiday once per warehouse (and once as a public holiday): name the one it already is."""
    clash = Holiday.objects.select_related("warehouse").filter(date=day, warehouse=warehouse).first() \
        if isinstance(day, datetime.date) else None
    if clash is not None:
        where = f"warehouse {clash.warehouse.code}" if clash.warehouse else "every warehouse"
        raise ValidationFailed(f"{clash.date:%a %Y-%m-%d} is already a holiday for {where}: {clash.name}.",
                               code="duplicate_holiday", details={"date": ["Already a holiday there."]})


@transaction.atomic
def holiday_create(*, actor: AbstractBaseUser | None, **fields: Any) -> Holiday:
    _refuse_twice(fields.get("date"), fields.get("warehouse"))
    try:
        with transaction.atomic():  # the model check passed, and a concurrent twin won the unique index
            return record_create(Holiday, fields, allowed=HOLIDAY_FIELDS, actor=actor)
    except IntegrityError:
        raise Conflict(f"{fields.get('date')} is already a holiday there.", code="duplicate_holiday",
                       details={"date": ["Already a holiday."]}) from None


@transaction.atomic
def holiday_update(*, holiday_id: int, actor: AbstractBaseUser | None, **changes: Any) -> Holiday:
    holiday = Holiday.objects.select_for_update().get(pk=holiday_id)
    return record_update(holiday, changes, allowed=HOLIDAY_FIELDS, actor=actor)


@transaction.atomic
def holiday_delete(*, holiday_id: int, actor: AbstractBaseUser | None) -> None:
    holiday = Holiday.objects.select_for_update().get(pk=holiday_id)
    audit_record(obj=holiday, action="deleted", actor=actor, data={"date": holiday.date, "name": holiday.name})
    holiday.delete()
