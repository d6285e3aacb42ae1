"""Admin registrations of fulfillment's models.

Carriers are master data: edited here, saved through their services (validated, audited); the
holiday calendar lives with the warehouses (inventory's admin). Shipments and returns are
documents written only by their services: read-only here, with their lines and packages inline and
their audit history; the common bulk operations (start picking, pack, cancel; receive or cancel a
return) are admin actions that call the services one document at a time and report what was refused.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from inventory.models import normalize_code
from o2c.admin import (
    DomainErrorsAsMessages,
    ReadOnlyAdmin,
    ReadOnlyInline,
    run_each,
    save_through_services,
)
from orders.admin.common import audit_history

from .enums import OPEN_SHIPMENT_STATUSES, ShipmentStatus
from .models import Carrier, Package, ReturnAuthorization, ReturnLine, Shipment, ShipmentLine
from .services import (
    carrier_create,
    carrier_update,
    return_cancel,
    return_receive,
    shipment_cancel,
    shipment_pack,
    shipment_start_picking,
)
from .services.masterdata import CARRIER_FIELDS

SHIPMENT_PERMISSION = "fulfillment.change_shipment"
RETURN_PERMISSION = "fulfillment.change_returnauthorization"


def _app_link(name: str, pk: int, text: str) -> str:
    """A link to the record's page in the app (the Warehouse's pages), if that page exists."""
    try:
        url = reverse(name, args=[pk])
    except NoReverseMatch:
        return "—"
    return format_html('<a href="{}">{}</a>', url, text)


def _cancel_reason(request: HttpRequest) -> str:
    return f"Cancelled in the admin by {request.user.get_username()}"


# ---------------------------------------------------------------------------------------------
# Carriers: master data through the services


class CarrierAdminForm(forms.ModelForm):
    class Meta:
        model = Carrier
        fields = list(CARRIER_FIELDS)

    def clean_code(self) -> str:
        return normalize_code(self.cleaned_data.get("code") or "")  # type: ignore[return-value]

    def _get_validation_exclusions(self) -> set[str]:
        # one default carrier: the service moves the flag from the old default to the new one
        return {*super()._get_validation_exclusions(), "is_default"}


@admin.register(Carrier)
class CarrierAdmin(DomainErrorsAsMessages):
    form = CarrierAdminForm
    list_display = ["code", "name", "service_level", "transit_days", "tracking_url_template", "is_default",
                    "is_active"]
    list_filter = ["is_active", "is_default", "transit_days"]
    search_fields = ["code", "name", "service_level"]
    fieldsets = [
        (None, {"fields": list(CARRIER_FIELDS)}),
        ("Record", {"fields": ["history"], "classes": ["collapse"]}),
    ]
    readonly_fields = ["history"]
    actions = ["make_default", "activate", "deactivate"]

    @admin.display(description="history")
    def history(self, obj: Carrier) -> str:
        return audit_history(obj)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # shipments refer to carriers: deactivate instead

    def save_model(self, request: HttpRequest, obj: Carrier, form: forms.ModelForm, change: bool) -> None:
        save_through_services(obj, form, change, request.user, fields=CARRIER_FIELDS, create=carrier_create,
                              update=lambda pk, **kw: carrier_update(carrier_id=pk, **kw))

    @admin.action(description="Make the selected carrier the default", permissions=["change"])
    def make_default(self, request: HttpRequest, queryset: QuerySet[Carrier]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select one carrier: only one can be the default.", messages.WARNING)
            return
        run_each(self, request, queryset, "Made the default",
                 lambda c: carrier_update(carrier_id=c.pk, actor=request.user, is_default=True))

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Carrier], active: bool) -> None:
        run_each(self, request, queryset.filter(is_active=not active), "Activated" if active else "Deactivated",
                 lambda c: carrier_update(carrier_id=c.pk, actor=request.user, is_active=active))

    @admin.action(description="Activate selected carriers", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Carrier]) -> None:
        self._set_active(request, queryset, True)

    @admin.action(description="Deactivate selected carriers", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Carrier]) -> None:
        self._set_active(request, queryset, False)


# ---------------------------------------------------------------------------------------------
# Shipments: read-only documents, moved on by actions that call the services


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine
    fields = readonly_fields = ["position", "sku", "description", "quantity", "unit"]
    verbose_name_plural = "lines"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ShipmentLine]:
        return super().get_queryset(request).select_related("order_line__product")

    @admin.display(description="#")
    def position(self, obj: ShipmentLine) -> int:
        return obj.order_line.position

    @admin.display(description="SKU")
    def sku(self, obj: ShipmentLine) -> str:
        return obj.order_line.product.sku

    @admin.display(description="description")
    def description(self, obj: ShipmentLine) -> str:
        return obj.order_line.description

    @admin.display(description="unit")
    def unit(self, obj: ShipmentLine) -> str:
        return obj.order_line.product.unit


class PackageInline(ReadOnlyInline):
    model = Package
    fields = readonly_fields = ["weight_kg", "length_cm", "width_cm", "height_cm"]


SHIPMENT_FIELDS = ["number", "status", "order", "customer", "warehouse", "ship_to_text", "carrier",
                   "planned_ship_date", "planned_delivery_date", "promised_date", "tracking_number", "tracking",
                   "picked_at", "packed_at", "shipped_at", "delivered_on", "received_by", "on_time", "in_full",
                   "cancel_reason", "notification_sent_at", "created_by", "created_at", "updated_at", "app_page",
                   "history"]


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    """Status, dates and quantities change only through the services (actions here, the Warehouse's
    pages and the API), never by editing the record."""

    list_display = ["number", "order", "customer", "warehouse", "carrier", "status", "planned_ship_date",
                    "planned_delivery_date", "tracking", "on_time", "in_full"]
    list_select_related = ["order", "customer", "warehouse", "carrier"]
    list_filter = ["status", "warehouse", "carrier", "planned_ship_date", "on_time", "in_full"]
    search_fields = ["number", "order__number", "order__customer_reference", "customer__number",
                     "customer__legal_name", "tracking_number"]
    date_hierarchy = "planned_ship_date"
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["number", "status", "order", "customer", "warehouse", "ship_to_text", "app_page"]}),
        ("Schedule", {"fields": ["carrier", "planned_ship_date", "planned_delivery_date", "promised_date"]}),
        ("Progress", {"fields": ["picked_at", "packed_at", "shipped_at", "tracking_number", "tracking",
                                 "notification_sent_at", "delivered_on", "received_by", "on_time", "in_full",
                                 "cancel_reason"]}),
        ("Record", {"fields": ["created_by", "created_at", "updated_at", "history"]}),
    ]
    readonly_fields = SHIPMENT_FIELDS
    inlines = [ShipmentLineInline, PackageInline]
    actions = ["start_picking", "pack", "cancel"]

    @admin.display(description="tracking", ordering="tracking_number")
    def tracking(self, obj: Shipment) -> str:
        if obj.tracking_url:
            return format_html('<a href="{}" rel="noopener" target="_blank">{}</a>', obj.tracking_url,
                               obj.tracking_number)
        return obj.tracking_number or "—"

    @admin.display(description="in the app")
    def app_page(self, obj: Shipment) -> str:
        return _app_link("fulfillment:shipment-detail", obj.pk, f"Shipment {obj.number}: documents and actions")

    @admin.display(description="history")
    def history(self, obj: Shipment) -> str:
        return audit_history(obj)

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(SHIPMENT_PERMISSION)

    @admin.action(description="Start picking the selected scheduled shipments", permissions=["manage"])
    def start_picking(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        run_each(self, request, queryset, "Picking started",
                 lambda s: shipment_start_picking(shipment_id=s.pk, actor=request.user))

    @admin.action(description="Pack the selected picked shipments (one package of the goods' weight)",
                  permissions=["manage"])
    def pack(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        run_each(self, request, queryset, "Packed", lambda s: shipment_pack(shipment_id=s.pk, actor=request.user))

    @admin.action(description="Cancel the selected shipments that have not left (the goods stay reserved)",
                  permissions=["manage"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        reason = _cancel_reason(request)
        run_each(self, request, queryset, "Cancelled",
                 lambda s: shipment_cancel(shipment_id=s.pk, actor=request.user, reason=reason))


class ShipmentLineStatusFilter(admin.SimpleListFilter):
    title = "shipment status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("open", "Not yet shipped"), *ShipmentStatus.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "open":
            return queryset.filter(shipment__status__in=OPEN_SHIPMENT_STATUSES)
        if value in ShipmentStatus.values:
            return queryset.filter(shipment__status=value)
        return queryset


@admin.register(ShipmentLine)
class ShipmentLineAdmin(ReadOnlyAdmin):
    list_display = ["shipment", "order", "position", "product", "quantity", "status"]
    list_select_related = ["shipment", "order_line__order", "order_line__product"]
    list_filter = [ShipmentLineStatusFilter, "shipment__warehouse"]
    search_fields = ["shipment__number", "order_line__order__number", "order_line__product__sku"]
    fields = readonly_fields = ["shipment", "order_line", "quantity"]
    show_full_result_count = False

    @admin.display(description="order", ordering="order_line__order__number")
    def order(self, obj: ShipmentLine) -> str:
        return obj.order_line.order.number

    @admin.display(description="#", ordering="order_line__position")
    def position(self, obj: ShipmentLine) -> int:
        return obj.order_line.position

    @admin.display(description="product", ordering="order_line__product__sku")
    def product(self, obj: ShipmentLine) -> str:
        return obj.order_line.product.sku

    @admin.display(description="status", ordering="shipment__status")
    def status(self, obj: ShipmentLine) -> str:
        return obj.shipment.get_status_display()


@admin.register(Package)
class PackageAdmin(ReadOnlyAdmin):
    list_display = ["shipment", "weight_kg", "dimensions", "status"]
    list_select_related = ["shipment"]
    list_filter = ["shipment__status", "shipment__warehouse"]
    search_fields = ["shipment__number"]
    fields = readonly_fields = ["shipment", "weight_kg", "length_cm", "width_cm", "height_cm"]
    show_full_result_count = False

    @admin.display(description="status", ordering="shipment__status")
    def status(self, obj: Package) -> str:
        return obj.shipment.get_status_display()


# ---------------------------------------------------------------------------------------------
# Returns: authorised by the services, received or cancelled by actions


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fields = readonly_fields = ["position", "sku", "description", "quantity", "disposition"]
    verbose_name_plural = "lines"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReturnLine]:
        return super().get_queryset(request).select_related("order_line__product")

    @admin.display(description="#")
    def position(self, obj: ReturnLine) -> int:
        return obj.order_line.position

    @admin.display(description="SKU")
    def sku(self, obj: ReturnLine) -> str:
        return obj.order_line.product.sku

    @admin.display(description="description")
    def description(self, obj: ReturnLine) -> str:
        return obj.order_line.description


@admin.register(ReturnAuthorization)
class ReturnAuthorizationAdmin(ReadOnlyAdmin):
    list_display = ["number", "order", "customer", "warehouse", "reason", "status", "created_at", "received_at"]
    list_select_related = ["order", "customer", "warehouse"]
    list_filter = ["status", "reason", "warehouse"]
    search_fields = ["number", "order__number", "order__customer_reference", "customer__number",
                     "customer__legal_name"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["number", "status", "order", "customer", "warehouse", "reason", "note", "app_page"]}),
        ("Record", {"fields": ["received_at", "created_by", "created_at", "updated_at", "history"]}),
    ]
    readonly_fields = ["number", "status", "order", "customer", "warehouse", "reason", "note", "received_at",
                       "created_by", "created_at", "updated_at", "app_page", "history"]
    inlines = [ReturnLineInline]
    actions = ["receive", "cancel"]

    @admin.display(description="in the app")
    def app_page(self, obj: ReturnAuthorization) -> str:
        return _app_link("fulfillment:return-detail", obj.pk, f"Return {obj.number}")

    @admin.display(description="history")
    def history(self, obj: ReturnAuthorization) -> str:
        return audit_history(obj)

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RETURN_PERMISSION)

    @admin.action(description="Receive the selected returns (restock or scrap, as authorised)",
                  permissions=["manage"])
    def receive(self, request: HttpRequest, queryset: QuerySet[ReturnAuthorization]) -> None:
        run_each(self, request, queryset, "Received", lambda r: return_receive(rma_id=r.pk, actor=request.user))

    @admin.action(description="Cancel the selected authorised returns", permissions=["manage"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[ReturnAuthorization]) -> None:
        reason = _cancel_reason(request)
        run_each(self, request, queryset, "Cancelled",
                 lambda r: return_cancel(rma_id=r.pk, actor=request.user, reason=reason))


@admin.register(ReturnLine)
class ReturnLineAdmin(ReadOnlyAdmin):
    list_display = ["rma", "order", "product", "quantity", "disposition", "status"]
    list_select_related = ["rma", "order_line__order", "order_line__product"]
    list_filter = ["rma__status", "disposition", "rma__reason"]
    search_fields = ["rma__number", "order_line__order__number", "order_line__product__sku"]
    fields = readonly_fields = ["rma", "order_line", "quantity", "disposition"]
    show_full_result_count = False

    @admin.display(description="order", ordering="order_line__order__number")
    def order(self, obj: ReturnLine) -> str:
        return obj.order_line.order.number

    @admin.display(description="product", ordering="order_line__product__sku")
    def product(self, obj: ReturnLine) -> str:
        return obj.order_line.product.sku

    @admin.display(description="status", ordering="rma__status")
    def status(self, obj: ReturnLine) -> str:
        return obj.rma.get_status_display()
