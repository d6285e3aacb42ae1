"""CSV import/export of the holiday calendar (django-import-export), through the same services as every edit.

Columns: `date` (YYYY-MM-DD), `name`, `warehouse` (a warehouse code; empty: a public holiday for every
warehouse and the carriers). A row is matched by (date, warehouse): an existing holiday gets the new
name through `holiday_update`, a new one is created by `holiday_create`, so imports are audited like
any edit. The admin runs the whole file in one transaction and rolls it back if any row is bad.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from import_export import fields, widgets

from inventory.models import Warehouse, normalize_code
from inventory.resources import ServiceResource

from .models import Holiday
from .services import holiday_create, holiday_update
from .services.masterdata import HOLIDAY_FIELDS


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

