"""What the sales admin pages share: a reason page for actions, the audit history, codes in capitals.
(Service-backed saves, domain errors as messages and the all-or-nothing CSV import are the kernel's:
o2c.admin.)"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from inventory.models import normalize_code
from o2c.audit import timeline


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=200, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))

    def __init__(self, *args: Any, required: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


def ask_reason(
    admin_: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, *, action: str, title: str,
    required: bool = True,
) -> str | TemplateResponse:
    """An action's intermediate page asking for a reason; returns the reason once it is given."""
    if "apply" in request.POST:
        form = ReasonForm(request.POST, required=required)
        if form.is_valid():
            return form.cleaned_data["reason"].strip()
    else:
        form = ReasonForm(required=required)
    context = {
        **admin_.admin_site.each_context(request), "title": title, "objects": queryset.order_by("pk"),
        "form": form, "action": action, "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": admin_.model._meta, "media": admin_.media,
    }
    return TemplateResponse(request, "admin/orders/action_reason.html", context)


def audit_history(obj: models.Model) -> str:
    """The record's audit timeline, newest first (shown on change pages)."""
    if obj is None or obj.pk is None:
        return "—"
    events = list(timeline(obj)[:50])
    if not events:
        return "—"
    rows = format_html_join(
        "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((f"{localtime(e.created_at):%Y-%m-%d %H:%M}", e.actor or "system", e.action,
          f"{e.from_state} → {e.to_state}" if e.to_state else "") for e in events),
    )
    return format_html("<table><tbody>{}</tbody></table>", rows)


def upper_code(value: str | None) -> str:
    """Codes (country, currency) as the services store them: trimmed, in capitals."""
    return normalize_code(value or "")  # type: ignore[return-value]
