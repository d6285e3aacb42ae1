"""What the fulfillment pages share: page sizes and the warehouses to choose from."""

from __future__ import annotations

from inventory.models import Warehouse

SHIPMENTS_PER_PAGE = 50
RETURNS_PER_PAGE = 50
LATE_PER_PAGE = 25


def active_warehouses() -> list[Warehouse]:
    return list(Warehouse.objects.filter(is_active=True).order_by("code"))
