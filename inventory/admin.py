"""Admin registrations of this app's models.

Master data (products, warehouses) is saved through its services, so admin edits are validated and
audited like any other; the stock ledger, levels and reservations change only through services and
are read-only here; receipts are announced through `expected_receipt_create` and received or
cancelled by actions; replenishment requests are raised by the replenishment run and can be cancelled.
Products import and export as CSV (see `inventory.resources`): a file with a bad row imports nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from o2c.admin import (
    AllOrNothingImport,
    DomainErrorsAsMessages,
    ReadOnlyAdmin,
    run_each,
    save_through_services,
)
from o2c.errors import ValidationFailed, form_add_domain_error

from .models import (
    ExpectedReceipt,
    Holiday,
    Product,
    ReorderRule,
    ReplenishmentRequest,
    StockLevel,
    StockMove,
    StockReservation,
    Warehouse,
    normalize_code,
)
from .resources import HolidayResource, ProductResource
from .services import (
    expected_receipt_cancel,
    expected_receipt_create,
    expected_receipt_receive,
    holiday_create,
    holiday_delete,
    holiday_update,
    product_create,
    product_update,
    replenishment_cancel,
    warehouse_create,
    warehouse_update,
)
from .services.calendar import HOLIDAY_FIELDS
from .services.products import PRODUCT_FIELDS, WAREHOUSE_FIELDS
from .services.stock import clean_quantity

QTY = DecimalField(max_digits=14, decimal_places=3)
WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"),
            (6, "Sunday")]


# ---------------------------------------------------------------------------------------------
# Products


class StockLevelInline(admin.TabularInline):
    """What each warehouse holds of the product: written only by stock services."""

    model = StockLevel
    extra = 0
    can_delete = False
    fields = ["warehouse", "on_hand", "reserved", "available", "updated_at"]
    readonly_fields = fields
    ordering = ["warehouse__code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockLevel]:
        return super().get_queryset(request).select_related("warehouse")

    @admin.display(description="available")
    def available(self, obj: StockLevel) -> Decimal:
        return obj.available

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReorderRuleInline(admin.TabularInline):
    model = ReorderRule
    extra = 0
    fields = ["warehouse", "reorder_point", "reorder_quantity", "is_active"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReorderRule]:
        return super().get_queryset(request).select_related("warehouse")


class ProductAdminForm(forms.ModelForm):
    """Validated by the model's full_clean(), which is what product_create/product_update run."""

    class Meta:
        model = Product
        fields = list(PRODUCT_FIELDS)

    def clean_sku(self) -> str:
        return normalize_code(self.cleaned_data.get("sku") or "")  # as the service stores it


def _stock_total(column: str) -> Coalesce:
    levels = StockLevel.objects.filter(product=OuterRef("pk")).values("product").annotate(t=Sum(column)).values("t")
    return Coalesce(Subquery(levels, output_field=QTY), Value(Decimal(0)), output_field=QTY)


@admin.register(Product)
class ProductAdmin(DomainErrorsAsMessages, AllOrNothingImport):
    form = ProductAdminForm
    resource_classes = [ProductResource]
    import_key = "sku"
    list_display = ["sku", "name", "unit", "list_price", "currency", "tax_category", "lead_time_days",
                    "on_hand_total", "available_total", "is_active"]
    list_display_links = ["sku", "name"]
    list_filter = ["is_active", "unit", "tax_category", "currency"]
    search_fields = ["sku", "name"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["sku", "name", "description", "is_active"]}),
        ("Sales", {"fields": ["unit", "list_price", "currency", "tax_category"]}),
        ("Logistics", {"fields": ["weight_kg", "lead_time_days"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    inlines = [StockLevelInline, ReorderRuleInline]
    actions = ["activate", "deactivate"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).annotate(
            on_hand_total=_stock_total("on_hand"), reserved_total=_stock_total("reserved")
        )

    @admin.display(description="on hand", ordering="on_hand_total")
    def on_hand_total(self, obj: Product) -> Decimal:
        return obj.on_hand_total  # type: ignore[attr-defined]

    @admin.display(description="available")
    def available_total(self, obj: Product) -> Decimal:
        return obj.on_hand_total - obj.reserved_total  # type: ignore[attr-defined]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # products are referenced by the ledger and documents: deactivate instead

    def save_model(self, request: HttpRequest, obj: Product, form: forms.ModelForm, change: bool) -> None:
        save_through_services(obj, form, change, request.user, fields=PRODUCT_FIELDS,
                              create=product_create, update=lambda pk, **kw: product_update(product_id=pk, **kw))

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Product], active: bool) -> None:
        run_each(self, request, queryset.filter(is_active=not active), "Activated" if active else "Deactivated",
                 lambda product: product_update(product_id=product.pk, actor=request.user, is_active=active))

    @admin.action(description="Activate selected products", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._set_active(request, queryset, True)

    @admin.action(description="Deactivate selected products", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._set_active(request, queryset, False)


# ---------------------------------------------------------------------------------------------
# Warehouses


class WarehouseAdminForm(forms.ModelForm):
    working_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, help_text="The days it ships."
    )

    class Meta:
        model = Warehouse
        fields = list(WAREHOUSE_FIELDS)

    def clean_working_days(self) -> list[int]:
        return sorted(set(self.cleaned_data["working_days"]))


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    form = WarehouseAdminForm
    list_display = ["code", "name", "days", "shipping_capacity_per_day", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "address"]

    @admin.display(description="working days")
    def days(self, obj: Warehouse) -> str:
        names = dict(WEEKDAYS)
        return ", ".join(names[d][:3] for d in sorted(obj.working_days) if d in names)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # referenced by the ledger: close it (inactive) instead

    def save_model(self, request: HttpRequest, obj: Warehouse, form: forms.ModelForm, change: bool) -> None:
        save_through_services(obj, form, change, request.user, fields=WAREHOUSE_FIELDS,
                              create=warehouse_create, update=lambda pk, **kw: warehouse_update(warehouse_id=pk, **kw))


# ---------------------------------------------------------------------------------------------
# The ledger: read-only


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["product", "warehouse", "on_hand", "reserved", "available", "updated_at"]
    list_filter = ["warehouse"]
    list_select_related = ["product", "warehouse"]
    search_fields = ["product__sku", "product__name"]

    @admin.display(description="available")
    def available(self, obj: StockLevel) -> Decimal:
        return obj.available


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "product", "warehouse", "kind", "quantity", "balance_after", "reference",
                    "actor"]
    list_filter = ["kind", "warehouse"]
    list_select_related = ["product", "warehouse", "actor"]
    search_fields = ["product__sku", "reference", "source_key", "reason"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # the ledger grows without end


@admin.register(StockReservation)
class StockReservationAdmin(ReadOnlyAdmin):
    list_display = ["reference_or_source", "product", "warehouse", "quantity_requested", "quantity_reserved",
                    "backordered", "created_at"]
    list_filter = ["warehouse"]
    list_select_related = ["product", "warehouse"]
    search_fields = ["product__sku", "reference", "source_key"]

    @admin.display(description="for", ordering="reference")
    def reference_or_source(self, obj: StockReservation) -> str:
        return obj.reference or obj.source_key

    @admin.display(description="backordered")
    def backordered(self, obj: StockReservation) -> Decimal:
        return obj.backordered


# ---------------------------------------------------------------------------------------------
# Expected receipts: announced through the service, received or cancelled by actions


class ExpectedReceiptAddForm(forms.ModelForm):
    class Meta:
        model = ExpectedReceipt
        fields = ["product", "warehouse", "quantity", "expected_date", "reference"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("quantity") is not None:
            try:
                data["quantity"] = clean_quantity(data["quantity"])
            except ValidationFailed as err:
                form_add_domain_error(self, err)
        return data


@admin.register(ExpectedReceipt)
class ExpectedReceiptAdmin(admin.ModelAdmin):
    form = ExpectedReceiptAddForm
    list_display = ["number", "expected_date", "product", "warehouse", "quantity", "received_quantity",
                    "open_quantity", "status", "reference"]
    list_filter = ["status", "warehouse", "expected_date"]
    list_select_related = ["product", "warehouse"]
    search_fields = ["product__sku", "product__name", "reference"]
    date_hierarchy = "expected_date"
    autocomplete_fields = ["product"]
    actions = ["receive_open_quantity", "cancel"]

    @admin.display(description="receipt", ordering="pk")
    def number(self, obj: ExpectedReceipt) -> str:
        return f"ER-{obj.pk}"

    @admin.display(description="open")
    def open_quantity(self, obj: ExpectedReceipt) -> Decimal:
        return obj.open_quantity

    def get_fields(self, request: HttpRequest, obj: ExpectedReceipt | None = None) -> list[str]:
        if obj is None:
            return list(ExpectedReceiptAddForm.Meta.fields)
        return ["product", "warehouse", "quantity", "received_quantity", "expected_date", "reference", "status",
                "created_at", "updated_at"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "product":
            kwargs["queryset"] = Product.objects.filter(is_active=True)
        elif db_field.name == "warehouse":
            kwargs["queryset"] = Warehouse.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # quantities and status change only through receive / cancel

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_receive_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("inventory.change_expectedreceipt")

    def save_model(self, request: HttpRequest, obj: ExpectedReceipt, form: forms.ModelForm, change: bool) -> None:
        saved = expected_receipt_create(
            product=obj.product, warehouse=obj.warehouse, quantity=obj.quantity, expected_date=obj.expected_date,
            reference=obj.reference, actor=request.user,
        )
        obj.pk = saved.pk

    @admin.action(description="Receive open quantity", permissions=["receive"])
    def receive_open_quantity(self, request: HttpRequest, queryset: QuerySet[ExpectedReceipt]) -> None:
        run_each(self, request, queryset, "Received",
                 lambda obj: expected_receipt_receive(receipt_id=obj.pk, actor=request.user))

    @admin.action(description="Cancel", permissions=["receive"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[ExpectedReceipt]) -> None:
        run_each(self, request, queryset, "Cancelled",
                 lambda obj: expected_receipt_cancel(receipt_id=obj.pk, actor=request.user))


# ---------------------------------------------------------------------------------------------
# Replenishment


@admin.register(ReorderRule)
class ReorderRuleAdmin(admin.ModelAdmin):
    list_display = ["product", "warehouse", "reorder_point", "reorder_quantity", "is_active"]
    list_filter = ["is_active", "warehouse"]
    list_select_related = ["product", "warehouse"]
    search_fields = ["product__sku", "product__name"]
    autocomplete_fields = ["product"]


@admin.register(ReplenishmentRequest)
class ReplenishmentRequestAdmin(ReadOnlyAdmin):
    list_display = ["number", "created_at", "product", "warehouse", "quantity", "projected_quantity", "status",
                    "expected_receipt"]
    list_filter = ["status", "warehouse"]
    list_select_related = ["product", "warehouse", "expected_receipt__product", "expected_receipt__warehouse"]
    search_fields = ["product__sku", "product__name"]
    date_hierarchy = "created_at"
    actions = ["cancel"]

    @admin.display(description="request", ordering="pk")
    def number(self, obj: ReplenishmentRequest) -> str:
        return f"RR-{obj.pk}"

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("inventory.change_replenishmentrequest")

    @admin.action(description="Cancel", permissions=["cancel"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[ReplenishmentRequest]) -> None:
        run_each(self, request, queryset, "Cancelled",
                 lambda obj: replenishment_cancel(request_id=obj.pk, actor=request.user))


# ---------------------------------------------------------------------------------------------
# The holiday calendar


class HolidayAdminForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = list(HOLIDAY_FIELDS)


class ScopeFilter(admin.SimpleListFilter):
    title = "applies to"
    parameter_name = "scope"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("public", "Every warehouse (public holiday)"),
                *((str(pk), code) for pk, code in Warehouse.objects.order_by("code").values_list("pk", "code"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Holiday]) -> QuerySet[Holiday]:
        value = self.value()
        if value == "public":
            return queryset.filter(warehouse__isnull=True)
        if value and value.isdigit():
            return queryset.filter(warehouse_id=int(value))
        return queryset


@admin.register(Holiday)
class HolidayAdmin(DomainErrorsAsMessages, AllOrNothingImport):
    """Days nobody ships: public holidays (no warehouse) also stop the carriers' transit days."""

    form = HolidayAdminForm
    resource_classes = [HolidayResource]
    import_key = "date"
    list_display = ["date", "weekday", "name", "scope"]
    list_select_related = ["warehouse"]
    list_filter = [ScopeFilter]
    search_fields = ["name", "warehouse__code"]
    date_hierarchy = "date"
    ordering = ["date", "warehouse__code"]

    @admin.display(description="weekday", ordering="date")
    def weekday(self, obj: Holiday) -> str:
        return f"{obj.date:%A}"

    @admin.display(description="applies to", ordering="warehouse__code")
    def scope(self, obj: Holiday) -> str:
        return obj.warehouse.code if obj.warehouse else "every warehouse"

    def save_model(self, request: HttpRequest, obj: Holiday, form: forms.ModelForm, change: bool) -> None:
        save_through_services(obj, form, change, request.user, fields=HOLIDAY_FIELDS, create=holiday_create,
                              update=lambda pk, **kw: holiday_update(holiday_id=pk, **kw))

    def delete_model(self, request: HttpRequest, obj: Holiday) -> None:
        holiday_delete(holiday_id=obj.pk, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Holiday]) -> None:
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            holiday_delete(holiday_id=pk, actor=request.user)
