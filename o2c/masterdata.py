"""Create and update master data (products, customers, warehouses …): validated, audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models

from .audit import audit_record, field_changes, field_values
from .errors import ValidationFailed

M = TypeVar("M", bound=models.Model)


def _check_fields(data: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed(
            f"Unknown field(s): {', '.join(unknown)}.", details={f: ["Unknown field."] for f in unknown}
        )


def _full_clean(instance: models.Model) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(
            f"The {instance._meta.verbose_name} is not valid.", details=exc.message_dict
        ) from None


def _jsonable(value: Any) -> Any:
    """Audit data is JSON: a related record (e.g. a customer's payment term) is stored as its text."""
    return str(value) if isinstance(value, models.Model) else value


def record_create(model: type[M], data: dict[str, Any], *, allowed: Iterable[str],
                  actor: AbstractBaseUser | None) -> M:
    _check_fields(data, allowed)
    instance = model(**data)
    _full_clean(instance)
    instance.save()
    audit_record(obj=instance, action="created", actor=actor,
                 data={"fields": {k: _jsonable(data[k]) for k in sorted(data)}})
    return instance


def record_update(instance: M, changes: dict[str, Any], *, allowed: Iterable[str],
                  actor: AbstractBaseUser | None) -> M:
    """Apply `changes` to a row the caller has locked; audit only what really changed."""
    _check_fields(changes, allowed)
    before = field_values(instance, changes)
    for name, value in changes.items():
        setattr(instance, name, value)
    _full_clean(instance)
    diff = {name: [_jsonable(v) for v in pair] for name, pair in field_changes(before, instance).items()}
    if diff:
        instance.save()
        audit_record(obj=instance, action="updated", actor=actor, data={"changes": diff})
    return instance
