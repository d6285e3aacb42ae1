"""Panels that a downstream app adds to an upstream document's page — fulfillment's shipments on the
order page, later billing's invoices — so the upstream app never imports the downstream one
(dependencies point one way, along the flow). Apps register their panels in `AppConfig.ready()`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.http import HttpRequest


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable[[Any, HttpRequest], dict[str, Any] | None]
    permission: str
    position: int


@dataclass(frozen=True)
class RenderedPanel:
    template: str
    context: dict[str, Any]


_PANELS: dict[str, list[Panel]] = {}


def register_panel(model: type[models.Model], *, template: str, permission: str,
                   context: Callable[[Any, HttpRequest], dict[str, Any] | None], position: int = 100) -> None:
    """Show `template` on `model`'s detail page to users with `permission`; `context(obj, request)`
    gives its variables (None: nothing to show). Registering the same template again replaces it."""
    panels = [p for p in _PANELS.get(model._meta.label_lower, []) if p.template != template]
    panels.append(Panel(template, context, permission, position))
    _PANELS[model._meta.label_lower] = sorted(panels, key=lambda p: p.position)


def panels_for(obj: models.Model, request: HttpRequest) -> list[RenderedPanel]:
    rendered = []
    for panel in _PANELS.get(obj._meta.label_lower, []):
        if request.user.has_perm(panel.permission):
            context = panel.context(obj, request)
            if context is not None:
                rendered.append(RenderedPanel(panel.template, context))
    return rendered
