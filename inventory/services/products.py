"""Master data: products and warehouses, validated by the model and audited field by field."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from o2c.masterdata import record_create, record_update

from ..models import Product, Warehouse, normalize_code

PRODUCT_FIELDS = ("sku", "name", "description", "unit", "list_price", "currency", "tax_category", "weight_kg",
                  "is_active", "lead_time_days")
WAREHOUSE_FIELDS = ("code", "name", "address", "shipping_capacity_per_day", "working_days", "is_active")


@transaction.atomic
def product_create(*, actor: AbstractBaseUser | None, **fields: Any) -> Product:
    if "sku" in fields:
        fields["sku"] = normalize_code(fields["sku"])
    return record_create(Product, fields, allowed=PRODUCT_FIELDS, actor=actor)


@transaction.atomic
def product_update(*, product_id: int, actor: AbstractBaseUser | None, **changes: Any) -> Product:
    if "sku" in changes:
        changes["sku"] = normalize_code(changes["sku"])
    product = Product.objects.select_for_update().get(pk=product_id)
    return record_update(product, changes, allowed=PRODUCT_FIELDS, actor=actor)


@transaction.atomic
def warehouse_create(*, actor: AbstractBaseUser | None, **fields: Any) -> Warehouse:
    return record_create(Warehouse, fields, allowed=WAREHOUSE_FIELDS, actor=actor)


@transaction.atomic
def warehouse_update(*, warehouse_id: int, actor: AbstractBaseUser | None, **changes: Any) -> Warehouse:
    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse_id)
    return record_update(warehouse, changes, allowed=WAREHOUSE_FIELDS, actor=actor)
