"""The one helper that changes a document's status: allowed transitions, audit, clear error."""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from .audit import audit_record
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
