"""CSV import/export of products and of the holiday calendar (django-import-export), through the same
services as every edit.

A row is matched by SKU (an existing product is updated, a new SKU creates one), validated with the
model's `full_clean()` (SKU format, price ≥ 0, unit and tax category choices, currency code), and
saved by `product_create` / `product_update`, so an imported product is audited like any edit.
The admin runs the whole file in one transaction and rolls it back if any row is bad.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from import_export import fields, resources, widgets

from o2c.errors import NON_FIELD, DomainError

from .models import Holiday, Product, Warehouse, normalize_code
from .services import holiday_create, holiday_update, product_create, product_update
from .services.calendar import HOLIDAY_FIELDS
from .services.products import PRODUCT_FIELDS


class StrictDecimalWidget(widgets.DecimalWidget):
    """A number or a row error (the stock widget lets `InvalidOperation` escape as a crash)."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Decimal | None:
        try:
            return super().clean(value, row=row, **kwargs)
        except (InvalidOperation, TypeError, ValueError):
            raise ValueError(f"“{value}” is not a number.") from None


class StrictIntegerWidget(widgets.IntegerWidget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int | None:
        try:
            return super().clean(value, row=row, **kwargs)
        except (InvalidOperation, TypeError, ValueError, OverflowError):
            raise ValueError(f"“{value}” is not a whole number.") from None


class StrictBooleanWidget(widgets.BooleanWidget):
    """true/false, yes/no, 1/0 (any case); anything else is an error, not a silent False."""

    TRUTHY = {"1", "true", "yes", "y"}
    FALSY = {"0", "false", "no", "n"}

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        text = "" if value is None else str(value).strip().lower()
        if text in self.TRUTHY:
            return True
        if text in self.FALSY:
            return False
        if text in {"", "none", "null"}:
            return None
        raise ValueError(f"“{value}” is not true or false.")


class ServiceResource(resources.ModelResource):
    """Rows are saved through the entity's services (validated, audited), never `instance.save()`;
    a service's refusal becomes the row's error with its reason. Subclasses write
    `save_through_service()`; `error_columns` are the columns a refusal may name."""

    error_columns: tuple[str, ...] = ()
    saved_fields: tuple[str, ...] = ("created_at", "updated_at")  # copied back from the saved record

    def save_through_service(self, instance: Any, is_create: bool, actor: Any) -> Any:
        # the abstract hook: every subclass (Product, Holiday, Customer) calls its entity's service here
        raise NotImplementedError(f"{type(self).__name__} must save its rows through a service")

    def error_dict(self, err: DomainError) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for field, messages in err.details.items():
            name = field if field in self.error_columns else NON_FIELD
            items = messages if isinstance(messages, list | tuple) else [messages]
            errors.setdefault(name, []).extend(str(m) for m in items)
        return errors or {NON_FIELD: [err.message]}

    def save_instance(self, instance: Any, is_create: bool, row: Any, **kwargs: Any) -> None:
        self.before_save_instance(instance, row, **kwargs)
        if kwargs.get("dry_run") and not kwargs.get("using_transactions"):
            return  # a dry run without a transaction to roll back: write nothing
        try:
            saved = self.save_through_service(instance, is_create, kwargs.get("user"))
        except DomainError as err:  # a row error with its reason, never a crash
            raise ValidationError(self.error_dict(err)) from None
        instance.pk = saved.pk
        for name in self.saved_fields:
            setattr(instance, name, getattr(saved, name))
        self.after_save_instance(instance, row, **kwargs)


class ProductResource(ServiceResource):
    error_columns = PRODUCT_FIELDS
    sku = fields.Field(attribute="sku", column_name="sku", widget=widgets.CharWidget())
    list_price = fields.Field(attribute="list_price", column_name="list_price", widget=StrictDecimalWidget())
    weight_kg = fields.Field(attribute="weight_kg", column_name="weight_kg", widget=StrictDecimalWidget())
    lead_time_days = fields.Field(attribute="lead_time_days", column_name="lead_time_days",
                                  widget=StrictIntegerWidget())
    is_active = fields.Field(attribute="is_active", column_name="is_active", widget=StrictBooleanWidget())

    class Meta:
        model = Product
        fields = PRODUCT_FIELDS
        import_id_fields = ("sku",)
        export_order = PRODUCT_FIELDS
        clean_model_instances = True  # full_clean(): formats, choices, ranges, unique SKU
        skip_unchanged = True  # an unchanged row is neither saved nor audited
        report_skipped = True
        use_transactions = True

    @classmethod
    def get_display_name(cls) -> str:
        return "Products"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Product.objects.order_by("sku")

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        """SKUs are matched and stored the way the service stores them: trimmed, in capitals."""
        if "sku" in row:
            row["sku"] = normalize_code(row["sku"])

    def save_through_service(self, instance: Product, is_create: bool, actor: Any) -> Product:
        values = {name: getattr(instance, name) for name in PRODUCT_FIELDS}
        if is_create:
            return product_create(actor=actor, **values)
        return product_update(product_id=instance.pk, actor=actor, **values)

# --- the holiday calendar -------------------------------------------------------------------------
# Columns: `date` (YYYY-MM-DD), `name`, `warehouse` (a warehouse code; empty: a public holiday for every
# warehouse and the carriers). A row is matched by (date, warehouse): an existing holiday gets the new
# name through `holiday_update`, a new one is created by `holiday_create`, so imports are audited like
# any edit. The admin runs the whole file in one transaction and rolls it back if any row is bad.


class WarehouseCodeWidget(widgets.ForeignKeyWidget):
    """A warehouse by its code (any case); empty is no warehouse; an unknown code is a row error."""

    def __init__(self) -> None:
        super().__init__(Warehouse, field="code")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Warehouse | None:
        code = normalize_code(str(value or ""))
        if not code:
            return None
        warehouse = Warehouse.objects.filter(code=code).first()
        if warehouse is None:
            raise ValueError(f"No warehouse {code}.")
        return warehouse


class StrictDateWidget(widgets.DateWidget):
    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> datetime.date | None:
        try:
            return super().clean(value, row=row, **kwargs)
        except (TypeError, ValueError):
            raise ValueError(f"“{value}” is not a date (YYYY-MM-DD).") from None


class HolidayResource(ServiceResource):
    error_columns = HOLIDAY_FIELDS
    date = fields.Field(attribute="date", column_name="date", widget=StrictDateWidget())
    name = fields.Field(attribute="name", column_name="name", widget=widgets.CharWidget())
    warehouse = fields.Field(attribute="warehouse", column_name="warehouse", widget=WarehouseCodeWidget())

    class Meta:
        model = Holiday
        fields = HOLIDAY_FIELDS
        import_id_fields = ("date", "warehouse")
        export_order = HOLIDAY_FIELDS
        clean_model_instances = True  # full_clean(): a date, a name, one holiday per (warehouse, day)
        skip_unchanged = True  # an unchanged row is neither saved nor audited
        report_skipped = True
        use_transactions = True

    saved_fields = ()  # a holiday has no timestamps to copy back

    @classmethod
    def get_display_name(cls) -> str:
        return "Holidays"

    def get_queryset(self) -> QuerySet[Holiday]:
        return Holiday.objects.select_related("warehouse").order_by("date", "warehouse__code")

    def save_through_service(self, instance: Holiday, is_create: bool, actor: Any) -> Holiday:
        if is_create:
            return holiday_create(actor=actor, date=instance.date, name=instance.name, warehouse=instance.warehouse)
        return holiday_update(holiday_id=instance.pk, actor=actor, name=instance.name)

