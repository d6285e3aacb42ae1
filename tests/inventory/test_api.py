"""The inventory API: products, warehouses, stock postings, the ledger, availability, inbound receipts
and replenishment — through real HTTP requests on a real PostgreSQL, with the real services."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.calendar import warehouse_calendar
from inventory.models import ExpectedReceipt, Product, ReplenishmentRequest, StockLevel, StockMove, Warehouse
from inventory.services import DemandLine, expected_receipt_create, replenishment_run, stock_reserve
from o2c.audit import timeline
from tests.conftest import api_client_for
from tests.inventory.factories import ProductFactory, ReorderRuleFactory, WarehouseFactory, stocked

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert response.status_code // 100 == 4, response.status_code
    return body["error"]


def _ledger() -> tuple[int, int, list[tuple[int, int, Decimal, Decimal]]]:
    """Everything a refused posting must leave as it was."""
    levels = list(StockLevel.objects.order_by("product_id", "warehouse_id")
                  .values_list("product_id", "warehouse_id", "on_hand", "reserved"))
    return StockLevel.objects.count(), StockMove.objects.count(), levels


def _on_hand(product: Product, warehouse: Warehouse) -> Decimal:
    return StockLevel.objects.get(product=product, warehouse=warehouse).on_hand


@pytest.fixture
def ham() -> Warehouse:
    return WarehouseFactory(code="HAM", name="Hamburg")


@pytest.fixture
def ber() -> Warehouse:
    return WarehouseFactory(code="BER", name="Berlin")


# --- products ----------------------------------------------------------------------------------


def test_product_crud_goes_through_the_service_and_delete_deactivates(api: APIClient) -> None:
    created = api.post("/api/v1/products/", {"sku": " bolt-m8 ", "name": "Bolt M8", "list_price": "0.35",
                                             "tax_category": "reduced"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["sku"] == "BOLT-M8" and body["list_price"] == "0.35" and body["stock"] == []
    pk = body["id"]

    duplicate = api.post("/api/v1/products/", {"sku": "BOLT-M8", "name": "Again", "list_price": "1"}, format="json")
    assert duplicate.status_code == 400 and "sku" in _error(duplicate)["details"]
    bad = api.post("/api/v1/products/", {"sku": "x", "name": "", "list_price": "-1"}, format="json")
    assert bad.status_code == 400 and {"name", "list_price"} <= set(_error(bad)["details"])
    assert Product.objects.count() == 1

    patched = api.patch(f"/api/v1/products/{pk}/", {"name": "Bolt M8 zinc", "lead_time_days": 3}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["name"] == "Bolt M8 zinc" and patched.json()["lead_time_days"] == 3
    put = api.put(f"/api/v1/products/{pk}/", {"sku": "BOLT-M8", "name": "Bolt", "list_price": "0.40"}, format="json")
    assert put.status_code == 200 and put.json()["list_price"] == "0.40"
    assert api.get(f"/api/v1/products/{pk}/").json()["name"] == "Bolt"

    deleted = api.delete(f"/api/v1/products/{pk}/")
    assert deleted.status_code == 200 and deleted.json()["is_active"] is False
    assert Product.objects.get(pk=pk).is_active is False  # still there, only deactivated
    actions = [e.action for e in timeline(Product.objects.get(pk=pk))]
    assert actions == ["updated", "updated", "updated", "created"]
    assert _error(api.get("/api/v1/products/999999/"))["code"] == "not_found"


def test_product_filters_search_ordering_and_stock_per_warehouse(api: APIClient, ham, ber) -> None:
    bolt = stocked(stocked(ProductFactory(sku="BOLT-M8", name="Bolt M8"), ham, 10), ber, 4)
    ProductFactory(sku="NUT-M8", name="Nut M8", tax_category="reduced")
    ProductFactory(sku="WASHER-8", name="Washer", is_active=False)
    stock_reserve(order_line=DemandLine("test.line:1", bolt.pk), warehouse=ham, qty=Decimal("3"))

    def skus(**params) -> list[str]:
        response = api.get("/api/v1/products/", params)
        assert response.status_code == 200, response.json()
        return [p["sku"] for p in response.json()["results"]]

    assert skus() == ["BOLT-M8", "NUT-M8", "WASHER-8"]
    assert skus(sku="bolt-m8") == ["BOLT-M8"]
    assert skus(name="m8") == ["BOLT-M8", "NUT-M8"]
    assert skus(is_active="false") == ["WASHER-8"]
    assert skus(tax_category="reduced") == ["NUT-M8"]
    assert skus(search="wash") == ["WASHER-8"]
    assert skus(ordering="-sku") == ["WASHER-8", "NUT-M8", "BOLT-M8"]

    [row] = api.get("/api/v1/products/", {"sku": "BOLT-M8"}).json()["results"]
    assert row["stock"] == [  # by warehouse id: Hamburg was created first
        {"warehouse": ham.pk, "warehouse_code": "HAM", "on_hand": "10.000", "reserved": "3.000",
         "available": "7.000"},
        {"warehouse": ber.pk, "warehouse_code": "BER", "on_hand": "4.000", "reserved": "0.000",
         "available": "4.000"},
    ]
    assert api.get(f"/api/v1/products/{bolt.pk}/").json()["stock"] == row["stock"]
    bad_filter = api.get("/api/v1/products/", {"tax_category": "luxury"})
    assert bad_filter.status_code == 400 and "tax_category" in _error(bad_filter)["details"]


def test_product_list_runs_a_fixed_number_of_queries(api: APIClient, admin_user: User, ham, ber) -> None:
    def measure(count: int) -> int:
        for _ in range(count - Product.objects.count()):
            stocked(stocked(ProductFactory(), ham, 5), ber, 2)
        api.force_authenticate(User.objects.get(pk=admin_user.pk))  # no permission cache carried over
        with CaptureQueriesContext(connection) as ctx:
            response = api.get("/api/v1/products/")
        assert response.status_code == 200
        rows = response.json()["results"]
        assert len(rows) == count and all(len(r["stock"]) == 2 for r in rows)
        return len(ctx.captured_queries)

    three, thirty = measure(3), measure(30)
    print(f"\nproduct list queries: {three} for 3 products, {thirty} for 30 products")
    assert three == thirty


# --- warehouses and stock levels ---------------------------------------------------------------


def test_warehouse_create_update_and_no_delete(api: APIClient, sales_user: User) -> None:
    created = api.post("/api/v1/warehouses/", {"code": "MUC", "name": "Munich", "working_days": [0, 1, 2, 3, 4, 5]},
                       format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["working_days"] == [0, 1, 2, 3, 4, 5]
    again = api.post("/api/v1/warehouses/", {"code": "MUC", "name": "Other"}, format="json")
    assert again.status_code == 400 and "code" in _error(again)["details"]
    bad = api.post("/api/v1/warehouses/", {"code": "muc!", "name": "Bad"}, format="json")
    assert bad.status_code == 400 and "code" in _error(bad)["details"]

    patched = api.patch(f"/api/v1/warehouses/{pk}/", {"shipping_capacity_per_day": 40}, format="json")
    assert patched.status_code == 200 and patched.json()["shipping_capacity_per_day"] == 40
    assert [e.action for e in timeline(Warehouse.objects.get(pk=pk))] == ["updated", "created"]
    assert api.delete(f"/api/v1/warehouses/{pk}/").status_code == 405
    assert Warehouse.objects.filter(pk=pk).exists()

    sales = api_client_for(sales_user)
    assert [w["code"] for w in sales.get("/api/v1/warehouses/").json()["results"]] == ["MUC"]
    forbidden = sales.post("/api/v1/warehouses/", {"code": "FRA", "name": "Frankfurt"}, format="json")
    assert forbidden.status_code == 403 and _error(forbidden)["code"] == "permission_denied"


def test_stock_levels_are_read_only_and_filtered(api: APIClient, ham, ber) -> None:
    bolt = stocked(stocked(ProductFactory(sku="BOLT-M8"), ham, 10), ber, 4)
    stocked(ProductFactory(sku="NUT-M8"), ham, 7)
    rows = api.get("/api/v1/stock-levels/", {"product": bolt.pk}).json()["results"]
    assert sorted((r["warehouse_code"], r["on_hand"], r["available"]) for r in rows) == [
        ("BER", "4.000", "4.000"), ("HAM", "10.000", "10.000")]
    rows = api.get("/api/v1/stock-levels/", {"warehouse": ham.pk}).json()["results"]
    assert sorted(r["sku"] for r in rows) == ["BOLT-M8", "NUT-M8"]
    assert api.get("/api/v1/stock-levels/", {"warehouse_code": "ber"}).json()["count"] == 1
    assert api.post("/api/v1/stock-levels/", {"product": bolt.pk}, format="json").status_code == 405


# --- roles -------------------------------------------------------------------------------------


def test_roles_sales_reads_warehouse_posts(sales_user, finance_user, warehouse_user, ham) -> None:
    product = ProductFactory(sku="BOLT-M8")
    sales, finance, warehouse = api_client_for(sales_user), api_client_for(finance_user), api_client_for(warehouse_user)
    assert sales.get("/api/v1/products/").status_code == 200
    assert finance.get(f"/api/v1/products/{product.pk}/availability/").status_code == 200
    assert sales.get("/api/v1/moves/").status_code == 200
    receipt = {"sku": "BOLT-M8", "warehouse": "HAM", "quantity": "5"}
    for client in (sales, finance):
        forbidden = client.post("/api/v1/stock/receipts/", receipt, format="json")
        assert forbidden.status_code == 403 and _error(forbidden)["code"] == "permission_denied"
        assert client.post("/api/v1/products/", {"sku": "X-1", "name": "X", "list_price": "1"},
                           format="json").status_code == 403
        assert client.delete(f"/api/v1/products/{product.pk}/").status_code == 403
    assert StockMove.objects.count() == 0 and Product.objects.get().is_active

    assert warehouse.post("/api/v1/stock/receipts/", receipt, format="json").status_code == 201
    assert _on_hand(product, ham) == 5
    assert APIClient().get("/api/v1/products/").status_code == 401


# --- stock postings ----------------------------------------------------------------------------


def test_receipt_adjustment_and_transfer(warehouse_api: APIClient, warehouse_user: User, ham, ber) -> None:
    bolt = ProductFactory(sku="BOLT-M8")

    received = warehouse_api.post("/api/v1/stock/receipts/", {"sku": "bolt-m8", "warehouse": "ham",
                                                               "quantity": "12.5", "reference": "DN-77"},
                                  format="json")
    assert received.status_code == 201, received.json()
    move = received.json()
    assert (move["kind"], move["quantity"], move["balance_after"], move["reference"], move["sku"],
            move["warehouse_code"], move["actor"]) == ("receipt", "12.500", "12.500", "DN-77", "BOLT-M8", "HAM",
                                                       warehouse_user.username)

    adjusted = warehouse_api.post("/api/v1/stock/adjustments/", {"product": bolt.pk, "warehouse": "HAM",
                                                                  "quantity": "-2.5", "reason": "count"},
                                  format="json")
    assert adjusted.status_code == 201, adjusted.json()
    assert (adjusted.json()["kind"], adjusted.json()["quantity"], adjusted.json()["balance_after"]) == (
        "adjustment", "-2.500", "10.000")
    assert warehouse_api.post("/api/v1/stock/adjustments/", {"sku": "BOLT-M8", "warehouse": "BER", "quantity": "1",
                                                              "reason": "found one"}, format="json").status_code == 201

    transferred = warehouse_api.post("/api/v1/stock/transfers/", {"sku": "BOLT-M8", "from_warehouse": "HAM",
                                                                   "to_warehouse": "BER", "quantity": "4"},
                                     format="json")
    assert transferred.status_code == 201, transferred.json()
    out, into = transferred.json()["moves"]
    assert (out["kind"], out["quantity"], out["balance_after"], out["warehouse_code"]) == (
        "transfer_out", "-4.000", "6.000", "HAM")
    assert (into["kind"], into["quantity"], into["balance_after"], into["warehouse_code"]) == (
        "transfer_in", "4.000", "5.000", "BER")
    assert out["reference"] == into["reference"] == "HAM→BER"

    assert (_on_hand(bolt, ham), _on_hand(bolt, ber)) == (Decimal("6"), Decimal("5"))
    moves = warehouse_api.get("/api/v1/moves/", {"product": bolt.pk}).json()["results"]
    assert [m["kind"] for m in moves] == ["transfer_in", "transfer_out", "adjustment", "adjustment", "receipt"]
    assert [m["id"] for m in moves] == sorted((m["id"] for m in moves), reverse=True)  # newest first
    ham_moves = warehouse_api.get("/api/v1/moves/", {"warehouse": ham.pk}).json()["results"]
    assert [m["kind"] for m in ham_moves] == ["transfer_out", "adjustment", "receipt"]
    assert warehouse_api.get("/api/v1/moves/", {"kind": "adjustment"}).json()["count"] == 2
    assert warehouse_api.get("/api/v1/stock/receipts/").status_code == 405


BAD_POSTINGS = [
    ("receipts", {"sku": "BOLT-M8", "warehouse": "HAM", "quantity": "-1"}, 400, "quantity"),
    ("receipts", {"sku": "BOLT-M8", "warehouse": "HAM", "quantity": "0"}, 400, "quantity"),
    ("receipts", {"sku": "BOLT-M8", "warehouse": "HAM", "quantity": "abc"}, 400, "quantity"),
    ("receipts", {"sku": "BOLT-M8", "warehouse": "HAM", "quantity": "1.0001"}, 400, "quantity"),
    ("receipts", {"sku": "NO-SUCH-SKU", "warehouse": "HAM", "quantity": "1"}, 400, "sku"),
    ("receipts", {"product": 999999, "warehouse": "HAM", "quantity": "1"}, 400, "product"),
    ("receipts", {"warehouse": "HAM", "quantity": "1"}, 400, "sku"),
    ("receipts", {"sku": "BOLT-M8", "warehouse": "NOPE", "quantity": "1"}, 400, "warehouse"),
    ("adjustments", {"sku": "BOLT-M8", "warehouse": "HAM", "quantity": "-10.001", "reason": "count"}, 400,
     "quantity"),
    ("adjustments", {"sku": "BOLT-M8", "warehouse": "HAM", "quantity": "0", "reason": "count"}, 400, "quantity"),
    ("adjustments", {"sku": "BOLT-M8", "warehouse": "HAM", "quantity": "-1", "reason": "  "}, 400, "reason"),
    ("adjustments", {"sku": "NO-SUCH-SKU", "warehouse": "HAM", "quantity": "-1", "reason": "count"}, 400, "sku"),
    ("transfers", {"sku": "BOLT-M8", "from_warehouse": "HAM", "to_warehouse": "HAM", "quantity": "1"}, 400,
     "to_warehouse"),
    ("transfers", {"sku": "BOLT-M8", "from_warehouse": "HAM", "to_warehouse": "BER", "quantity": "-1"}, 400,
     "quantity"),
    ("transfers", {"sku": "BOLT-M8", "from_warehouse": "HAM", "to_warehouse": "BER", "quantity": "11"}, 409,
     "requested"),
]


@pytest.mark.parametrize(("endpoint", "payload", "status", "field"), BAD_POSTINGS,
                         ids=[f"{e}-{f}-{p['quantity']}" for e, p, _, f in BAD_POSTINGS])
def test_bad_postings_are_refused_in_the_error_shape_and_change_nothing(
    warehouse_api: APIClient, ham, ber, endpoint: str, payload: dict, status: int, field: str,
) -> None:
    stocked(ProductFactory(sku="BOLT-M8"), ham, 10)
    before = _ledger()
    response = warehouse_api.post(f"/api/v1/stock/{endpoint}/", payload, format="json")
    assert response.status_code == status, response.json()
    error = _error(response)
    assert field in error["details"] and error["message"]
    assert _ledger() == before


def test_adjusting_reserved_stock_away_is_a_conflict(warehouse_api: APIClient, ham) -> None:
    bolt = stocked(ProductFactory(sku="BOLT-M8"), ham, 10)
    stock_reserve(order_line=DemandLine("test.line:1", bolt.pk), warehouse=ham, qty=Decimal("8"))
    before = _ledger()
    response = warehouse_api.post("/api/v1/stock/adjustments/", {"sku": "BOLT-M8", "warehouse": "HAM",
                                                                  "quantity": "-5", "reason": "broken"},
                                  format="json")
    assert response.status_code == 409 and _error(response)["code"] == "reserved_stock"
    below_zero = warehouse_api.post("/api/v1/stock/adjustments/", {"sku": "BOLT-M8", "warehouse": "HAM",
                                                                    "quantity": "-11", "reason": "broken"},
                                    format="json")
    assert below_zero.status_code == 400 and _error(below_zero)["code"] == "below_zero"
    assert _ledger() == before


def test_receipt_into_an_inactive_product_is_refused(warehouse_api: APIClient, ham) -> None:
    ProductFactory(sku="OLD-1", is_active=False)
    response = warehouse_api.post("/api/v1/stock/receipts/", {"sku": "OLD-1", "warehouse": "HAM", "quantity": "1"},
                                  format="json")
    assert response.status_code == 400 and "product" in _error(response)["details"]
    assert _ledger() == (0, 0, [])


def test_idempotency_key_on_receipts_posts_one_move(warehouse_api: APIClient, ham) -> None:
    bolt = ProductFactory(sku="BOLT-M8")
    key = str(uuid.uuid4())
    payload = {"sku": "BOLT-M8", "warehouse": "HAM", "quantity": "3"}
    first = warehouse_api.post("/api/v1/stock/receipts/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    second = warehouse_api.post("/api/v1/stock/receipts/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
    assert StockMove.objects.count() == 1 and _on_hand(bolt, ham) == 3

    other = warehouse_api.post("/api/v1/stock/receipts/", {**payload, "quantity": "4"}, format="json",
                               HTTP_IDEMPOTENCY_KEY=key)
    assert other.status_code == 422 and _error(other)["code"] == "idempotency_key_reused"
    assert StockMove.objects.count() == 1 and _on_hand(bolt, ham) == 3
    fresh = warehouse_api.post("/api/v1/stock/receipts/", payload, format="json",
                               HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert fresh.status_code == 201 and _on_hand(bolt, ham) == 6


# --- availability ------------------------------------------------------------------------------


def test_availability_per_warehouse_atp_and_promise_date(api: APIClient, ham, ber) -> None:
    bolt = stocked(stocked(ProductFactory(sku="BOLT-M8", lead_time_days=5), ham, 10), ber, 3)
    stock_reserve(order_line=DemandLine("test.line:1", bolt.pk), warehouse=ham, qty=Decimal("12"))  # 2 backordered
    today = timezone.localdate()
    arrives = today + datetime.timedelta(days=14)
    expected_receipt_create(product=bolt, warehouse=ham, quantity=Decimal("20"), expected_date=arrives, actor=None)
    url = f"/api/v1/products/{bolt.pk}/availability/"

    plain = api.get(url)
    assert plain.status_code == 200, plain.json()
    body = plain.json()
    rows = {r["warehouse"]: r for r in body["warehouses"]}
    assert rows["HAM"] == {"warehouse": "HAM", "on_hand": "10.000", "reserved": "10.000", "available": "0.000",
                           "incoming": "20.000", "backordered": "2.000"}
    assert rows["BER"] == {"warehouse": "BER", "on_hand": "3.000", "reserved": "0.000", "available": "3.000",
                           "incoming": "0.000", "backordered": "0.000"}
    assert body["total"] == {"warehouse": "total", "on_hand": "13.000", "reserved": "10.000", "available": "3.000",
                             "incoming": "20.000", "backordered": "2.000"}
    assert (body["sku"], body["warehouse"], body["qty"], body["atp"], body["promise_date"]) == (
        "BOLT-M8", None, None, None, None)

    # Berlin has 3 now: 2 leave today, and that is what Berlin can promise today.
    now = api.get(url, {"warehouse": "ber", "qty": "2"}).json()
    assert (now["warehouse"], now["qty"], now["atp"]) == ("BER", "2.000", "3.000")
    assert now["promise_date"] == warehouse_calendar(ham, today).next_working(today).isoformat()
    # Hamburg has none free (and 2 owed to an earlier order): 5 come with the receipt, ATP then 0 + 20 − 2.
    later = api.get(url, {"warehouse": "HAM", "qty": "5"}).json()
    assert later["promise_date"] == warehouse_calendar(ham, arrives).next_working(arrives).isoformat()
    assert later["atp"] == "18.000"
    # More than will ever arrive: the product's lead time, counted in working days.
    far = api.get(url, {"warehouse": "HAM", "qty": "100"}).json()
    assert datetime.date.fromisoformat(far["promise_date"]) > today + datetime.timedelta(days=5)
    # A warehouse without qty (an empty qty counts as none): its ATP today (the receipt is not in yet,
    # the backorder is), and no promise date.
    for params in ({"warehouse": "HAM"}, {"warehouse": "HAM", "qty": ""}):
        answer = api.get(url, params).json()
        assert (answer["warehouse"], answer["qty"], answer["atp"], answer["promise_date"]) == (
            "HAM", None, "-2.000", None)


@pytest.mark.parametrize(("params", "field"), [
    ({"warehouse": "HAM", "qty": "abc"}, "qty"),
    ({"warehouse": "HAM", "qty": "-1"}, "qty"),
    ({"warehouse": "HAM", "qty": "0"}, "qty"),
    ({"warehouse": "HAM", "qty": "NaN"}, "qty"),
    ({"warehouse": "HAM", "qty": "1e999"}, "qty"),
    ({"warehouse": "NOPE", "qty": "1"}, "warehouse"),
    ({"qty": "1"}, "warehouse"),
])
def test_availability_refuses_bad_queries_with_400(api: APIClient, ham, params: dict, field: str) -> None:
    bolt = stocked(ProductFactory(sku="BOLT-M8"), ham, 10)
    before = _ledger()
    response = api.get(f"/api/v1/products/{bolt.pk}/availability/", params)
    assert response.status_code == 400
    assert field in _error(response)["details"]
    assert _ledger() == before


# --- expected receipts -------------------------------------------------------------------------


def test_expected_receipts_create_receive_and_cancel(warehouse_api: APIClient, sales_user: User, ham) -> None:
    bolt = ProductFactory(sku="BOLT-M8")
    arrives = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    created = warehouse_api.post("/api/v1/expected-receipts/", {"sku": "BOLT-M8", "warehouse": "HAM",
                                                                 "quantity": "10", "expected_date": arrives,
                                                                 "reference": "PO-1"}, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert (created.json()["status"], created.json()["open_quantity"], created.json()["expected_date"]) == (
        "open", "10.000", arrives)
    bad = warehouse_api.post("/api/v1/expected-receipts/", {"sku": "BOLT-M8", "warehouse": "HAM", "quantity": "0",
                                                             "expected_date": arrives}, format="json")
    assert bad.status_code == 400 and "quantity" in _error(bad)["details"]
    assert warehouse_api.get("/api/v1/expected-receipts/", {"status": "open", "sku": "BOLT-M8"}).json()["count"] == 1

    sales = api_client_for(sales_user)
    assert sales.get(f"/api/v1/expected-receipts/{pk}/").status_code == 200
    assert sales.post(f"/api/v1/expected-receipts/{pk}/receive/").status_code == 403

    too_many = warehouse_api.post(f"/api/v1/expected-receipts/{pk}/receive/", {"quantity": "11"}, format="json")
    assert too_many.status_code == 400 and "quantity" in _error(too_many)["details"]
    part = warehouse_api.post(f"/api/v1/expected-receipts/{pk}/receive/", {"quantity": "4"}, format="json")
    assert part.status_code == 200, part.json()
    assert (part.json()["receipt"]["status"], part.json()["receipt"]["open_quantity"]) == ("open", "6.000")
    assert (part.json()["move"]["kind"], part.json()["move"]["quantity"]) == ("receipt", "4.000")
    rest = warehouse_api.post(f"/api/v1/expected-receipts/{pk}/receive/")
    assert rest.status_code == 200 and rest.json()["receipt"]["status"] == "received"
    assert _on_hand(bolt, ham) == 10

    before = _ledger()
    closed = warehouse_api.post(f"/api/v1/expected-receipts/{pk}/receive/")
    assert closed.status_code == 400 and _error(closed)["code"] == "receipt_closed"
    cancel_closed = warehouse_api.post(f"/api/v1/expected-receipts/{pk}/cancel/")
    assert cancel_closed.status_code == 409 and _error(cancel_closed)["code"] == "invalid_transition"
    assert _ledger() == before

    other = expected_receipt_create(product=bolt, warehouse=ham, quantity=Decimal("5"),
                                    expected_date=timezone.localdate(), actor=None)
    cancelled = warehouse_api.post(f"/api/v1/expected-receipts/{other.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert ExpectedReceipt.objects.get(pk=other.pk).status == "cancelled"


# --- replenishment -----------------------------------------------------------------------------


def test_replenishment_requests_mark_ordered_and_cancel(warehouse_api: APIClient, sales_user: User, ham) -> None:
    rule = ReorderRuleFactory(product=ProductFactory(sku="BOLT-M8"), warehouse=ham)
    other_rule = ReorderRuleFactory(product=ProductFactory(sku="NUT-M8"), warehouse=ham)
    replenishment_run()
    request = ReplenishmentRequest.objects.get(product=rule.product)
    other = ReplenishmentRequest.objects.get(product=other_rule.product)

    listed = warehouse_api.get("/api/v1/replenishment-requests/", {"status": "open"}).json()
    assert listed["count"] == 2
    assert api_client_for(sales_user).post(f"/api/v1/replenishment-requests/{request.pk}/cancel/").status_code == 403

    url = f"/api/v1/replenishment-requests/{request.pk}/mark-ordered/"
    past = warehouse_api.post(url, {"expected_date": "2001-01-01"}, format="json")
    assert past.status_code == 400 and "expected_date" in _error(past)["details"]
    missing = warehouse_api.post(url, {}, format="json")
    assert missing.status_code == 400 and "expected_date" in _error(missing)["details"]
    assert ExpectedReceipt.objects.count() == 0

    arrives = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    ordered = warehouse_api.post(url, {"expected_date": arrives, "reference": "PO-9"}, format="json")
    assert ordered.status_code == 200, ordered.json()
    body = ordered.json()
    assert body["status"] == "ordered"
    assert (body["expected_receipt"]["reference"], body["expected_receipt"]["expected_date"],
            body["expected_receipt"]["quantity"]) == ("PO-9", arrives, "50.000")
    again = warehouse_api.post(url, {"expected_date": arrives}, format="json")
    assert again.status_code == 409 and _error(again)["code"] == "invalid_transition"
    assert ExpectedReceipt.objects.count() == 1

    cancelled = warehouse_api.post(f"/api/v1/replenishment-requests/{other.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    detail = warehouse_api.get(f"/api/v1/replenishment-requests/{request.pk}/").json()
    assert detail["expected_receipt"]["id"] == body["expected_receipt"]["id"]
