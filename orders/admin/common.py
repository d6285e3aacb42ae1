"""What the sales admin pages share: actions that report per record, a reason page, domain errors
as messages, the audit history, the all-or-nothing CSV import."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV
from import_export.results import Result

from inventory.admin import import_problems
from o2c.audit import timeline
from o2c.errors import DomainError

MAX_LISTED_PROBLEMS = 20
CREDIT_PERMISSION = "orders.manage_credit"


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


class DomainErrorsAsMessages(admin.ModelAdmin):
    """The forms check what the services check, so a save rarely fails; if a service still refuses
    (someone changed the data meanwhile), nothing is saved and the reason is shown, not a 500."""

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: dict[str, Any] | None = None) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as err:  # the transaction of the save was rolled back
            self.message_user(request, f"Nothing was saved: {err.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


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


class AllOrNothingImport(ImportExportModelAdmin):
    """CSV import in one transaction: a file with any bad row imports nothing, and each bad row is
    named with its reason on top of import-export's table (as the product import does)."""

    formats = [CSV]

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        data = super().get_import_data_kwargs(**kwargs)
        data["rollback_on_validation_errors"] = True
        return data

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = super().import_action(request, **kwargs)
        result = (getattr(response, "context_data", None) or {}).get("result")
        if result is not None and (result.has_errors() or result.has_validation_errors()):
            self.message_user(request, "This file cannot be imported; nothing was saved. Correct these rows "
                                       "(row 1 is the first line under the header) and upload it again.",
                              messages.ERROR)
            self._report(request, import_problems(result))
        return response

    def process_result(self, result: Result, request: HttpRequest) -> HttpResponse:
        if result.has_errors() or result.has_validation_errors():
            self.message_user(request, "Nothing was imported.", messages.ERROR)
            self._report(request, import_problems(result))
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))
        return super().process_result(result, request)

    def _report(self, request: HttpRequest, problems: list[str]) -> None:
        for line in problems[:MAX_LISTED_PROBLEMS]:
            self.message_user(request, line, messages.ERROR)
        if len(problems) > MAX_LISTED_PROBLEMS:
            self.message_user(request, f"… and {len(problems) - MAX_LISTED_PROBLEMS} more.", messages.ERROR)


def upper_code(value: str | None) -> str:
    """Codes (country, currency, payment term) as the services store them: trimmed, in capitals."""
    return (value or "").strip().upper()
