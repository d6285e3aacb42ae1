"""The audit trail: one call, `audit_record()`, written by services in their own transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from .models import AuditEvent


def audit_record(
    *, obj: models.Model, action: str, actor: AbstractBaseUser | None,
    from_state: str = "", to_state: str = "", data: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action=action,
        from_state=from_state or "",
        to_state=to_state or "",
        data=data or {},
    )


def audit_record_many(
    *, objs: Iterable[models.Model], action: str, actor: AbstractBaseUser | None, from_state: str = "",
    to_state: str = "", data: Callable[[Any], dict[str, Any]] | None = None,
) -> list[AuditEvent]:
    """`audit_record()` for many records of one model and action: one INSERT."""
    who = actor if actor is not None and actor.is_authenticated else None
    events = [AuditEvent(actor=who, content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
                         object_id=str(obj.pk), object_repr=str(obj)[:200], action=action,
                         from_state=from_state or "", to_state=to_state or "", data=data(obj) if data else {})
              for obj in objs]
    return AuditEvent.objects.bulk_create(events)


def field_values(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def field_changes(before: dict[str, Any], obj: models.Model) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields in `before` whose value changed on `obj`."""
    changes = {}
    for name, old in before.items():
        new = getattr(obj, name)
        if old != new:
            changes[name] = [old, new]
    return changes


def timeline(obj: models.Model) -> QuerySet[AuditEvent]:
    """The record's events, newest first, with their actors (one query)."""
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
    ).select_related("actor")
