"""Inventory test data, built through the same services the app uses where stock is involved."""

from decimal import Decimal

import factory

from inventory.models import Holiday, Product, ReorderRule, Warehouse
from inventory.services import stock_receive


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"WH{n}")
    name = factory.LazyAttribute(lambda o: f"Warehouse {o.code}")
    address = "Hafenstrasse 1, Hamburg"
    shipping_capacity_per_day = 100


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    list_price = Decimal("10.00")
    currency = "EUR"
    lead_time_days = 5


class ReorderRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReorderRule

    product = factory.SubFactory(ProductFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    reorder_point = Decimal("10")
    reorder_quantity = Decimal("50")


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday

    name = "Holiday"
    warehouse = None


def stocked(product: Product, warehouse: Warehouse, quantity: str | int | Decimal) -> Product:
    """Put `quantity` on hand through a real receipt (so the ledger agrees)."""
    stock_receive(product=product, warehouse=warehouse, quantity=Decimal(str(quantity)), actor=None,
                  reference="test stock")
    return product
