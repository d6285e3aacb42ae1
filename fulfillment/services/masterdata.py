"""Carriers: validated by the model, audited field by field."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from inventory.models import normalize_code
from o2c.masterdata import record_create, record_update

from ..models import Carrier

CARRIER_FIELDS = ("code", "name", "service_level", "transit_days", "tracking_url_template", "is_default", "is_active")


def _one_default(fields: dict[str, Any], exclude: int | None = None) -> None:
    """Making a carrier the default takes the flag from the one that had it, and activates it (the
    default is what new shipments get)."""
    if fields.get("is_default"):
        fields["is_active"] = True
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
