from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV
from import_export.results import Result

from . import webhooks
from .errors import NON_FIELD, DomainError, ValidationFailed, form_add_domain_error
from .models import (
    AuditEvent,
    EventReceipt,
    IdempotencyRecord,
    NumberSequence,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from .tasks import events_dispatch

MAX_LISTED_PROBLEMS = 20


def save_through_services(
    obj: models.Model, form: forms.ModelForm, change: bool, actor: Any, *, fields: tuple[str, ...],
    create: Callable[..., models.Model], update: Callable[..., models.Model],
) -> None:
    """Master data saved from the admin goes through its service (validated, audited): an edit
    sends only the fields the form changed, so only real changes are audited."""
    if change:
        changes = {name: getattr(obj, name) for name in form.changed_data if name in fields}
        saved = update(obj.pk, actor=actor, **changes) if changes else obj
    else:
        saved = create(actor=actor, **{name: getattr(obj, name) for name in fields})
    obj.pk = saved.pk
    for name in ("created_at", "updated_at"):
        if hasattr(saved, name):
            setattr(obj, name, getattr(saved, name))


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


def import_problems(result: Result, key: str | None = None) -> list[str]:
    """One line per problem: "Row 3 (SKU DESK-1): list_price: Ensure this value is greater than or equal to 0."

    Rows are numbered like import-export's own table: the first row under the header is row 1;
    `key` names the column that identifies a row (e.g. "sku")."""
    lines = [f"{error.error}" for error in result.base_errors]
    for number, errors in result.row_errors():
        lines.extend(f"Row {number}: {error.error}" for error in errors)
    headers = list(result.diff_headers or [])
    for row in result.invalid_rows:
        value = row.values[headers.index(key)] if key in headers and len(row.values) == len(headers) else ""
        for field, reasons in row.error_dict.items():
            where = "" if field == NON_FIELD else f"{field}: "
            label = f"Row {row.number} ({key.upper()} {value})" if value and value != "---" else f"Row {row.number}"
            lines.append(f"{label}: {where}{' '.join(str(r) for r in reasons)}")
    return lines


class AllOrNothingImport(ImportExportModelAdmin):
    """CSV import in one transaction: a file with any bad row imports nothing, and each bad row is
    named with its reason on top of import-export's table. `import_key`: the column naming a row."""

    formats = [CSV]
    import_key: str | None = None

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        data = super().get_import_data_kwargs(**kwargs)
        data["rollback_on_validation_errors"] = True
        return data

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """The preview step: besides import-export's table, name each bad row and its reason on top."""
        response = super().import_action(request, **kwargs)
        result = (getattr(response, "context_data", None) or {}).get("result")
        if result is not None and (result.has_errors() or result.has_validation_errors()):
            self.message_user(request, "This file cannot be imported; nothing was saved. Correct these rows "
                                       "(row 1 is the first line under the header) and upload it again.",
                              messages.ERROR)
            self._report(request, import_problems(result, self.import_key))
        return response

    def process_result(self, result: Result, request: HttpRequest) -> HttpResponse:
        """The confirm step: if a row failed after all (the data changed since the preview), the
        transaction was rolled back; say so and why, instead of "Import finished"."""
        if result.has_errors() or result.has_validation_errors():
            self.message_user(request, "Nothing was imported.", messages.ERROR)
            self._report(request, import_problems(result, self.import_key))
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))
        return super().process_result(result, request)

    def _report(self, request: HttpRequest, problems: list[str]) -> None:
        for line in problems[:MAX_LISTED_PROBLEMS]:
            self.message_user(request, line, messages.ERROR)
        if len(problems) > MAX_LISTED_PROBLEMS:
            self.message_user(request, f"… and {len(problems) - MAX_LISTED_PROBLEMS} more.", messages.ERROR)


def run_each(
    admin_: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, label: str,
    call: Callable[[Any], Any],
) -> None:
    """An admin action's loop: `call(obj)` for each selected row (in id order, each in its own
    transaction — the services are atomic); report what was done and, one message each, what was
    refused and why (a domain error becomes a message, never a 500). `call` may return a note (a
    string, shown as a warning) instead of counting as plainly done."""
    done, notes = 0, []
    for obj in queryset.order_by("pk"):
        try:
            note = call(obj)
        except DomainError as err:
            notes.append(f"{obj}: {err.message}")
        else:
            if isinstance(note, str) and note:
                notes.append(f"{obj}: {note}")
            else:
                done += 1
    if done:
        admin_.message_user(request, f"{label}: {done} done.", messages.SUCCESS)
    for note in notes:
        admin_.message_user(request, note, messages.WARNING)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by services: visible, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Lines of a document written only by services: shown inline, never edited by hand."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdmin):
    list_display = ["series", "year", "last_value", "updated_at"]
    list_filter = ["series", "year"]


class EventReceiptInline(admin.TabularInline):
    model = EventReceipt
    extra = 0
    can_delete = False
    readonly_fields = ["subscriber", "handled_at"]


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["type", "id", "created_at", "dispatched_at", "attempts"]
    list_filter = ["type", ("dispatched_at", admin.EmptyFieldListFilter)]
    search_fields = ["id", "type"]
    date_hierarchy = "created_at"
    inlines = [EventReceiptInline]
    actions = ["redispatch"]

    @admin.action(description="Dispatch again (subscribers that already handled it are skipped)")
    def redispatch(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> None:
        ids = list(queryset.filter(dispatched_at__isnull=True).values_list("pk", flat=True))
        for pk in ids:
            events_dispatch.delay(str(pk))
        self.message_user(request, f"{len(ids)} pending event(s) queued for dispatch.", messages.SUCCESS)


class WebhookEndpointAdminForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", label="URL")

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "event_types", "is_active"]

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors:
            try:
                webhooks.webhook_endpoint_clean(
                    name=data.get("name", ""), url=data.get("url", ""), event_types=data.get("event_types") or []
                )
            except ValidationFailed as err:
                form_add_domain_error(self, err)
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointAdminForm
    list_display = ["name", "url", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret", "created_at", "updated_at"]
    actions = ["ping"]

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: forms.ModelForm, change: bool) -> None:
        save_through_services(
            obj, form, change, request.user, fields=("name", "url", "event_types", "is_active"),
            create=webhooks.webhook_endpoint_create,
            update=lambda pk, **kw: webhooks.webhook_endpoint_update(endpoint_id=pk, **kw),
        )

    @admin.action(description="Send a test event (webhook.ping)")
    def ping(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            webhooks.webhook_endpoint_ping(endpoint_id=endpoint.pk, actor=request.user)
        self.message_user(request, f"Test event sent to {queryset.count()} endpoint(s).", messages.SUCCESS)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "started_at", "duration_ms", "response_code", "error", "succeeded"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "endpoint", "status", "attempts", "last_response_code", "next_attempt_at"]
    list_filter = ["status", "endpoint"]
    list_select_related = ["event", "endpoint"]
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    @admin.action(description="Deliver again")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        for delivery in queryset:
            webhooks.webhook_delivery_redeliver(delivery_id=delivery.pk, actor=request.user)
        self.message_user(request, f"{queryset.count()} delivery(ies) queued.", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "content_type", "object_repr", "action", "from_state", "to_state"]
    list_filter = ["content_type", "action"]
    list_select_related = ["actor", "content_type"]
    search_fields = ["object_repr", "object_id", "action"]
    date_hierarchy = "created_at"


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "user", "method", "path", "status_code", "created_at"]
    search_fields = ["key", "path"]
    list_select_related = ["user"]
