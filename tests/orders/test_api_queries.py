"""The orders API runs a fixed number of SQL queries whatever the size of a document or a list:
an order of 50 lines is created and confirmed with exactly the queries of an order of 5."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from inventory.models import Product, Warehouse
from orders.enums import OrderStatus
from orders.models import Customer, SalesOrder, SalesOrderLine
from orders.services import order_confirm, quote_create
from tests.conftest import api_queries
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked
from tests.orders.factories import ContactFactory, CustomerFactory, ShippingAddressFactory, draft_order, german_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def ham() -> Warehouse:
    german_rates()
    return WarehouseFactory(code="HAM")


@pytest.fixture
def products(ham: Warehouse) -> list[Product]:
    """60 products: the odd ones in stock, the even ones never received in HAM (so confirming backorders
    and dates them, and the stock service adds their missing stock-level rows)."""
    return [stocked(ProductFactory(), ham, 100) if i % 2 else ProductFactory() for i in range(60)]


def _order_payload(customer: Customer, products: list[Product]) -> dict:
    # half by id, half by SKU; a typed price on every third line: every path through the serializer
    lines = [{"product": p.pk} if i % 2 else {"sku": p.sku.lower()} for i, p in enumerate(products)]
    for i, line in enumerate(lines):
        line["quantity"] = "3"
        if i % 3 == 0:
            line["unit_price"] = "12.50"
    return {"customer": customer.pk, "currency": "EUR", "warehouse": "HAM", "customer_reference": "PO-1",
            "lines": lines}


def test_creating_and_confirming_an_order_costs_the_same_queries_for_5_and_50_lines(
    sales_user: User, products: list[Product],
) -> None:
    customer = CustomerFactory()
    ContactFactory(customer=customer)
    client = APIClient()

    def create_and_confirm(first: int, count: int) -> tuple[int, int]:
        # products not ordered before: each run meets the same situation (levels to add for the even ones)
        payload = _order_payload(customer, products[first:first + count])
        created = api_queries(client, sales_user, lambda c: c.post("/api/v1/orders/", payload, format="json"), 201)
        order = SalesOrder.objects.latest("pk")
        assert SalesOrderLine.objects.filter(order=order).count() == count
        confirmed = api_queries(client, sales_user, lambda c: c.post(f"/api/v1/orders/{order.pk}/confirm/"), 200)
        order.refresh_from_db()
        assert order.status == OrderStatus.CONFIRMED
        unstocked = sum(1 for i in range(first, first + count) if i % 2 == 0)
        assert order.lines.filter(backordered_quantity__gt=0).count() == unstocked
        return created, confirmed

    create_and_confirm(0, 5)  # warm up (content types, first number of the year)
    five, fifty = create_and_confirm(5, 5), create_and_confirm(10, 50)
    print(f"\nPOST /orders/ queries: {five[0]} for 5 lines, {fifty[0]} for 50 lines; "
          f"POST /orders/{{id}}/confirm/: {five[1]} for 5 lines, {fifty[1]} for 50 lines")
    assert five == fifty


def test_updating_a_draft_and_reading_it_costs_the_same_queries_for_5_and_50_lines(
    sales_user: User, products: list[Product],
) -> None:
    customer = CustomerFactory()
    client = APIClient()

    def update_and_read(count: int) -> tuple[int, int]:
        order = draft_order(customer, [(products[0], 1)])
        payload = {"lines": _order_payload(customer, products[:count])["lines"], "notes": f"{count} lines"}
        patched = api_queries(client, sales_user, lambda c: c.patch(f"/api/v1/orders/{order.pk}/", payload,
                                                                 format="json"), 200)
        read = api_queries(client, sales_user, lambda c: c.get(f"/api/v1/orders/{order.pk}/"), 200)
        assert SalesOrderLine.objects.filter(order=order).count() == count
        return patched, read

    update_and_read(5)
    five, fifty = update_and_read(5), update_and_read(50)
    print(f"\nPATCH /orders/{{id}}/: {five[0]} → {fifty[0]}; GET /orders/{{id}}/: {five[1]} → {fifty[1]}")
    assert five == fifty


def test_quote_create_and_accept_cost_the_same_queries_for_5_and_50_lines(
    sales_user: User, products: list[Product],
) -> None:
    customer = CustomerFactory()
    ContactFactory(customer=customer)
    client = APIClient()

    def create_send_accept(count: int) -> tuple[int, int]:
        payload = {"customer": customer.pk, "lines": _order_payload(customer, products[:count])["lines"]}
        created = api_queries(client, sales_user, lambda c: c.post("/api/v1/quotes/", payload, format="json"), 201)
        quote_id = client.get("/api/v1/quotes/").json()["results"][0]["id"]
        client.post(f"/api/v1/quotes/{quote_id}/send/")
        accepted = api_queries(client, sales_user, lambda c: c.post(f"/api/v1/quotes/{quote_id}/accept/"), 201)
        return created, accepted

    create_send_accept(5)
    five, fifty = create_send_accept(5), create_send_accept(50)
    print(f"\nPOST /quotes/: {five[0]} → {fifty[0]}; POST /quotes/{{id}}/accept/: {five[1]} → {fifty[1]}")
    assert five == fifty


def test_order_lists_run_a_fixed_number_of_queries(admin_user: User, finance_user: User, ham: Warehouse) -> None:
    client = APIClient()
    product = stocked(ProductFactory(), ham, 1000)

    def grow(n: int) -> None:
        for _ in range(n):
            customer = CustomerFactory(credit_limit=Decimal("1"))  # every order goes on hold
            ContactFactory(customer=customer)
            ShippingAddressFactory(customer=customer)
            order_confirm(order_id=draft_order(customer, [(product, 1), (product, 2)]).pk, actor=None)
            quote_create(customer=customer, lines=[{"product": product.pk, "quantity": "1"}], actor=None)
            ProductFactory()  # one more product offered (not in stock: it gets a promise date)

    urls = ["/api/v1/orders/", "/api/v1/customers/", "/api/v1/quotes/", "/api/v1/payment-terms/",
            "/api/v1/orders/?status=on_hold&search=SO", "/api/v1/product-offers/?warehouse=HAM&quantity=5"]

    def measure() -> dict[str, int]:
        counts = {url: api_queries(client, admin_user, lambda c, url=url: c.get(url), 200) for url in urls}
        counts["credit-queue"] = api_queries(client, finance_user, lambda c: c.get("/api/v1/orders/credit-queue/"), 200)
        return counts

    grow(2)
    few = measure()
    grow(20)
    many = measure()
    print("\nqueries per list (2 rows → 22 rows):", {k: f"{few[k]}→{many[k]}" for k in few})
    assert many == few
