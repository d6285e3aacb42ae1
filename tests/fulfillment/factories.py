"""Fulfillment test data: carriers, holidays, and orders taken through the real flow by the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory

from fulfillment.models import Carrier, Shipment
from fulfillment.services import shipment_create, shipment_pack, shipment_ship, shipment_start_picking
from inventory.models import Product, Warehouse
from orders.models import Customer, SalesOrder
from orders.services import order_confirm
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked
from tests.orders.factories import ContactFactory, CustomerFactory, draft_order, german_rates


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CR{n}")
    name = factory.Sequence(lambda n: f"Carrier {n}")
    service_level = "Standard"
    transit_days = 2
    tracking_url_template = "https://track.example.com/?id={tracking}"
    is_default = False


def confirmed_order(
    lines: list[tuple[Product, Any]], *, warehouse: Warehouse, customer: Customer | None = None,
    actor: Any = None, **header: Any,
) -> SalesOrder:
    """A confirmed order (reserved where stock allows, the rest backordered); lines are (product, qty)."""
    german_rates()
    if customer is None:
        customer = CustomerFactory(credit_limit=Decimal("1000000"))
        ContactFactory(customer=customer)
    order = draft_order(customer, lines, warehouse=warehouse, actor=actor, **header)
    return order_confirm(order_id=order.pk, actor=actor)


def stocked_order(quantities: list[tuple[int, int]], *, warehouse: Warehouse | None = None,
                  actor: Any = None, **header: Any) -> SalesOrder:
    """A confirmed order of new products: (on hand, ordered) per line."""
    warehouse = warehouse or WarehouseFactory()
    lines = []
    for on_hand, ordered in quantities:
        product = ProductFactory(weight_kg=Decimal("1.250"))
        if on_hand:
            stocked(product, warehouse, on_hand)
        lines.append((product, ordered))
    return confirmed_order(lines, warehouse=warehouse, actor=actor, **header)


def packed_shipment(order: SalesOrder, *, actor: Any = None, lines: Any = None,
                    carrier: Carrier | None = None) -> Shipment:
    shipment = shipment_create(order_id=order.pk, actor=actor, lines=lines, carrier=carrier or CarrierFactory())
    shipment_start_picking(shipment_id=shipment.pk, actor=actor)
    return shipment_pack(shipment_id=shipment.pk, actor=actor)


def shipped_shipment(order: SalesOrder, *, actor: Any = None, lines: Any = None, tracking: str = "TRK1") -> Shipment:
    shipment = packed_shipment(order, actor=actor, lines=lines)
    return shipment_ship(shipment_id=shipment.pk, actor=actor, tracking_number=tracking)
