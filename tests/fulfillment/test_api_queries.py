"""The fulfillment API runs a fixed number of SQL queries whatever the size of a list or a document:
a list of 22 shipments costs the queries of a list of 2, a shipment of 50 lines is created and read
with exactly the queries of one of 5."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from fulfillment.models import Shipment
from fulfillment.services import return_authorize, shipment_create, shipment_start_picking
from inventory.models import Product, Warehouse
from orders.models import SalesOrder
from tests.conftest import api_queries
from tests.fulfillment.factories import CarrierFactory, confirmed_order, shipped_shipment
from tests.inventory.factories import HolidayFactory, ProductFactory, WarehouseFactory, stocked

pytestmark = pytest.mark.django_db


@pytest.fixture
def ham() -> Warehouse:
    return WarehouseFactory(code="HAM")


@pytest.fixture
def products(ham: Warehouse) -> list[Product]:
    """60 products with stock in HAM."""
    return [stocked(ProductFactory(weight_kg=Decimal("0.500")), ham, 1000) for _ in range(60)]


def _order(products: list[Product], ham: Warehouse) -> SalesOrder:
    return confirmed_order([(p, 2) for p in products], warehouse=ham)


def test_fulfillment_lists_run_a_fixed_number_of_queries(
    admin_user: User, ham: Warehouse, products: list[Product],
) -> None:
    client = APIClient()
    day = [0]

    def grow(n: int) -> None:
        for _ in range(n):
            shipped = _order(products[:3], ham)
            shipment = shipped_shipment(shipped)  # a carrier of its own, packages, tracking
            return_authorize(order_id=shipped.pk, actor=None, reason="damaged",
                             lines=[{"order_line": item.order_line_id, "quantity": "1"}
                                    for item in shipment.lines.all()])
            waiting = shipment_create(order_id=_order(products[3:5], ham).pk, actor=None)
            shipment_start_picking(shipment_id=waiting.pk, actor=None)
            CarrierFactory()
            day[0] += 1
            HolidayFactory(date=f"2031-01-{day[0]:02d}", warehouse=ham if day[0] % 2 else None)

    urls = ["/api/v1/shipments/", "/api/v1/shipments/?status=shipped&warehouse=ham&search=SH",
            "/api/v1/shipments/?carrier=STD&ship_date_after=2020-01-01&ordering=planned_ship_date",
            "/api/v1/returns/", "/api/v1/returns/?status=authorised&search=RMA", "/api/v1/carriers/",
            "/api/v1/holidays/?warehouse=HAM&year=2031"]

    def measure() -> dict[str, int]:
        return {url: api_queries(client, admin_user, lambda c, url=url: c.get(url), 200) for url in urls}

    grow(2)
    measure()  # warm up (content types, permissions)
    few = measure()
    grow(20)
    many = measure()
    assert Shipment.objects.count() == 44
    client.force_authenticate(admin_user)
    assert all(client.get(url).json()["count"] >= 20 for url in urls)  # every list really grew
    print("\nqueries per list (2 → 22 of each):", {k: f"{few[k]}→{many[k]}" for k in few})
    assert many == few


def test_creating_packing_and_reading_a_shipment_costs_the_same_queries_for_5_and_50_lines(
    warehouse_user: User, ham: Warehouse, products: list[Product],
) -> None:
    client = APIClient()

    def create_pack_read(count: int) -> tuple[int, int, int, int]:
        order = _order(products[:count], ham)
        created = api_queries(client, warehouse_user,
                           lambda c: c.post("/api/v1/shipments/", {"order": order.pk}, format="json"), 201)
        shipment = Shipment.objects.get(order=order)
        assert shipment.lines.count() == count
        url = f"/api/v1/shipments/{shipment.pk}/"
        picked = api_queries(client, warehouse_user, lambda c: c.post(f"{url}pick/"), 200)
        packages = [{"weight_kg": "1.5", "length_cm": "30", "width_cm": "20", "height_cm": "10"}] * (count // 5)
        packed = api_queries(client, warehouse_user,
                          lambda c: c.post(f"{url}pack/", {"packages": packages}, format="json"), 200)
        read = api_queries(client, warehouse_user, lambda c: c.get(url), 200)
        return created, picked, packed, read

    create_pack_read(5)  # warm up (content types, the first number of the year)
    five, fifty = create_pack_read(5), create_pack_read(50)
    print(f"\nPOST /shipments/, pick, pack, GET: {five} for 5 lines, {fifty} for 50 lines")
    assert five == fifty


def test_authorising_and_reading_a_return_costs_the_same_queries_for_5_and_50_lines(
    warehouse_user: User, ham: Warehouse, products: list[Product],
) -> None:
    client = APIClient()

    def authorise_and_read(count: int) -> tuple[int, int]:
        order = _order(products[:count], ham)
        shipped_shipment(order)
        lines = [{"order_line": line.pk, "quantity": "1", "disposition": "scrap" if i % 2 else "restock"}
                 for i, line in enumerate(order.lines.order_by("position"))]
        body = {"order": order.pk, "reason": "wrong_item", "lines": lines}
        created = api_queries(client, warehouse_user, lambda c: c.post("/api/v1/returns/", body, format="json"), 201)
        rma_id = order.returns.get().pk
        read = api_queries(client, warehouse_user, lambda c: c.get(f"/api/v1/returns/{rma_id}/"), 200)
        return created, read

    authorise_and_read(5)
    five, fifty = authorise_and_read(5), authorise_and_read(50)
    print(f"\nPOST /returns/, GET /returns/{{id}}/: {five} for 5 lines, {fifty} for 50 lines")
    assert five == fifty
