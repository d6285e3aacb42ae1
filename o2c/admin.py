from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import webhooks
from .errors import DomainError, ValidationFailed, form_add_domain_error
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

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: object, change: bool) -> None:
        fields = {"name": obj.name, "url": obj.url, "event_types": obj.event_types, "is_active": obj.is_active}
        if change:
            saved = webhooks.webhook_endpoint_update(endpoint_id=obj.pk, actor=request.user, **fields)
        else:
            saved = webhooks.webhook_endpoint_create(actor=request.user, **fields)
        obj.pk = saved.pk

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
