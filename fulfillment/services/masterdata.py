"""Carriers and the holiday calendar: validated by the model, audited field by field."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction

from inventory.models import normalize_code
from o2c.audit import audit_record
from o2c.errors import Conflict
from o2c.masterdata import record_create, record_update

from ..models import Carrier, Holiday

CARRIER_FIELDS = ("code", "name", "service_level", "transit_days", "tracking_url_template", "is_default", "is_active")
HOLIDAY_FIELDS = ("date", "name", "warehouse")


def _one_default(fields: dict[str, Any], exclude: int | None = None) -> None:
    """Making a carrier the default takes the flag from the one that had it."""
    if fields.get("is_default"):
        Carrier.objects.select_for_update().filter(is_default=True).exclude(pk=exclude).update(is_default=False)


@transaction.atomic
def carrier_create(*, actor: AbstractBaseUser | None, **fields: Any) -> Carrier:
    if "code" in fields:
        fields["code"] = normalize_code(fields["code"])
    _one_default(fields)
    return record_create(Carrier, fields, allowed=CARRIER_FIELDS, actor=actor)


@transaction.atomic
def carrier_update(*, carrier_id: int, actor: AbstractBaseUser | None, **changes: Any) -> Carrier:
    if "code" in changes:
        changes["code"] = normalize_code(changes["code"])
    carrier = Carrier.objects.select_for_update().get(pk=carrier_id)
    _one_default(changes, exclude=carrier.pk)
    return record_update(carrier, changes, allowed=CARRIER_FIELDS, actor=actor)


@transaction.atomic
def holiday_create(*, actor: AbstractBaseUser | None, **fields: Any) -> Holiday:
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
