"""The one helper that changes a document's status: allowed transitions, audit, clear error."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.utils import timezone

from .audit import audit_record, audit_record_many
from .bulk import bulk_set
from .errors import InvalidTransition


def transition(
    obj: models.Model, *, to: str, actor: AbstractBaseUser | None,
    allowed: Mapping[str, Set[str]], field: str = "status", action: str | None = None,
    data: dict[str, Any] | None = None, also_update: tuple[str, ...] = (),
) -> None:
    """Move `obj.<field>` to `to` if `allowed` says so. The caller holds the row lock."""
    current = getattr(obj, field)
    if to not in allowed.get(current, ()):
        label = type(obj)._meta.verbose_name
        raise InvalidTransition(
            f"A {label} that is {current} cannot become {to}.",
            details={"from": current, "to": to, "allowed": sorted(allowed.get(current, ()))},
        )
    setattr(obj, field, to)
    update = [field, *also_update]
    if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
        update.append("updated_at")
    obj.save(update_fields=update)
    audit_record(obj=obj, action=action or to, actor=actor, from_state=current, to_state=to, data=data)


def transition_many(
    objs: Sequence[models.Model], *, to: str, actor: AbstractBaseUser | None, allowed: Mapping[str, Set[str]],
    field: str = "status", action: str | None = None, data: Callable[[Any], dict[str, Any]] | None = None,
    also_update: tuple[str, ...] = (),
) -> None:
    """`transition()` for many rows of one model going from one status to `to`: checked, then one UPDATE
    and one audit INSERT. The caller holds the row locks."""
    if not objs:
        return
    model = type(objs[0])
    current = {getattr(obj, field) for obj in objs}
    if len(current) != 1 or to not in allowed.get(next(iter(current)), ()):
        raise InvalidTransition(
            f"{model._meta.verbose_name_plural.capitalize()} that are {', '.join(sorted(current))} cannot become {to}.",
            details={"from": sorted(current), "to": to},
        )
    (before,) = current
    for obj in objs:
        setattr(obj, field, to)
    update = [field, *also_update]
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        update.append("updated_at")
        now = timezone.now()
        for obj in objs:
            obj.updated_at = now  # type: ignore[attr-defined]
    bulk_set(objs, update)
    audit_record_many(objs=objs, action=action or to, actor=actor, from_state=before, to_state=to, data=data)
