"""Inventory browser pages: products, stock actions through the forms, replenishment (real PostgreSQL)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.enums import MoveKind, ReceiptStatus, ReplenishmentStatus
from inventory.models import ExpectedReceipt, Product, ReplenishmentRequest, StockLevel, StockMove, Warehouse
from inventory.services import expected_receipt_create, product_create, replenishment_run
from tests.conftest import client_for
from tests.inventory.factories import ProductFactory, ReorderRuleFactory, WarehouseFactory, stocked

pytestmark = pytest.mark.django_db
PRODUCT_LINK = re.compile(r'href="/inventory/products/\d+/"')


@pytest.fixture
def warehouses() -> tuple[Warehouse, Warehouse]:
    return WarehouseFactory(code="HAM", name="Hamburg"), WarehouseFactory(code="MUC", name="Munich")


@pytest.fixture
def product(warehouses: tuple[Warehouse, Warehouse]) -> Product:
    ham, _ = warehouses
    return stocked(ProductFactory(sku="BOLT-M8", name="Hex bolt M8"), ham, 10)


def level(product: Product, warehouse: Warehouse) -> Decimal:
    row = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return row.on_hand if row else Decimal(0)


def ledger_state() -> tuple[int, int, list[tuple[int, int, Decimal, Decimal]]]:
    levels = list(StockLevel.objects.order_by("product_id", "warehouse_id")
                  .values_list("product_id", "warehouse_id", "on_hand", "reserved"))
    return StockLevel.objects.count(), StockMove.objects.count(), levels


# --- pages load, per role -------------------------------------------------------------------------


@pytest.mark.parametrize("role_fixture", ["warehouse_user", "sales_user", "finance_user"])
def test_pages_load_for_each_role_and_only_warehouse_gets_the_actions(
    role_fixture: str, request, product: Product, warehouses
) -> None:
    ham, _ = warehouses
    expected_receipt_create(product=product, warehouse=ham, quantity=5, actor=None,
                            expected_date=timezone.localdate() + datetime.timedelta(days=3))
    ReorderRuleFactory(product=product, warehouse=ham, reorder_point=Decimal(20))
    replenishment_run(actor=None)
    client = client_for(request.getfixturevalue(role_fixture))
    is_warehouse = role_fixture == "warehouse_user"

    listing = client.get(reverse("inventory:product-list"))
    assert listing.status_code == 200
    assert "BOLT-M8" in listing.content.decode()

    detail = client.get(reverse("inventory:product-detail", args=[product.pk]))
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "Stock per warehouse" in page and "Movement history" in page and "Expected receipts" in page
    assert ("Receive stock" in page) is is_warehouse
    assert ("Receive ER-" in page) is is_warehouse

    replenishment = client.get(reverse("inventory:replenishment"))
    assert replenishment.status_code == 200
    page = replenishment.content.decode()
    assert "BOLT-M8" in page and "Below reorder point" in page
    assert ("Mark ordered" in page) is is_warehouse
    assert ("Run now" in page) is is_warehouse


def test_sales_posting_any_action_gets_403_and_nothing_changes(sales_user: User, product: Product, warehouses) -> None:
    ham, muc = warehouses
    receipt = expected_receipt_create(product=product, warehouse=ham, quantity=5, actor=None,
                                      expected_date=timezone.localdate())
    ReorderRuleFactory(product=product, warehouse=muc, reorder_point=Decimal(5))
    [rr] = replenishment_run(actor=None)
    client = client_for(sales_user)
    before = ledger_state()
    posts = [
        (reverse("inventory:product-receive", args=[product.pk]), {"receive-warehouse": ham.pk, "receive-quantity": 5}),
        (reverse("inventory:product-adjust", args=[product.pk]),
         {"adjust-warehouse": ham.pk, "adjust-quantity": -1, "adjust-reason": "count"}),
        (reverse("inventory:product-transfer", args=[product.pk]),
         {"transfer-from_warehouse": ham.pk, "transfer-to_warehouse": muc.pk, "transfer-quantity": 1}),
        (reverse("inventory:receipt-receive", args=[receipt.pk]), {}),
        (reverse("inventory:replenishment-mark-ordered", args=[rr.pk]),
         {"expected_date": timezone.localdate().isoformat()}),
        (reverse("inventory:replenishment-cancel", args=[rr.pk]), {}),
        (reverse("inventory:replenishment-run"), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert ledger_state() == before
    rr.refresh_from_db()
    receipt.refresh_from_db()
    assert rr.status == ReplenishmentStatus.OPEN and receipt.status == ReceiptStatus.OPEN


def test_inventory_workspace_links_to_the_new_pages(warehouse_user: User, sales_user: User) -> None:
    page = client_for(warehouse_user).get(reverse("inventory:home")).content.decode()
    assert reverse("inventory:product-list") in page and reverse("inventory:replenishment") in page
    assert client_for(sales_user).get(reverse("inventory:home")).status_code == 403  # the workspace stays Warehouse's


def test_navigation_links_per_role(warehouse_user: User, sales_user: User, finance_user: User) -> None:
    products, replenishment = reverse("inventory:product-list"), reverse("inventory:replenishment")
    warehouse_page = client_for(warehouse_user).get("/").content.decode()
    assert f'href="{products}"' in warehouse_page and f'href="{replenishment}"' in warehouse_page
    sales_page = client_for(sales_user).get("/").content.decode()
    assert f'href="{products}"' in sales_page and f'href="{replenishment}"' not in sales_page
    finance_page = client_for(finance_user).get("/").content.decode()
    assert f'href="{products}"' not in finance_page


# --- product list -------------------------------------------------------------------------------


def test_product_list_shows_availability_per_active_warehouse_and_searches(
    warehouse_user: User, warehouses
) -> None:
    ham, muc = warehouses
    closed = WarehouseFactory(code="OLD", is_active=False)
    bolt = stocked(ProductFactory(sku="BOLT-M8", name="Hex bolt M8"), ham, 12)
    stocked(bolt, muc, 3)
    ProductFactory(sku="NUT-M8", name="Hex nut M8")
    client = client_for(warehouse_user)

    page = client.get(reverse("inventory:product-list")).content.decode()
    assert "<th class=\"text-end\" title=\"Hamburg\">HAM</th>" in page and ">MUC</th>" in page
    assert f">{closed.code}</th>" not in page
    assert 'title="on hand 12 · reserved 0"' in page and "NUT-M8" in page

    found = client.get(reverse("inventory:product-list"), {"q": "bolt"}).content.decode()
    assert "BOLT-M8" in found and "NUT-M8" not in found
    assert "NUT-M8" in client.get(reverse("inventory:product-list"), {"q": "nut-m"}).content.decode()


def test_product_list_runs_the_same_number_of_queries_for_3_and_for_30_products(
    warehouse_user: User, warehouses, capsys
) -> None:
    ham, muc = warehouses
    client = client_for(warehouse_user)
    url = reverse("inventory:product-list")
    client.get(url)  # warm up: session, content types, permission caches of the first request

    def measure(count: int) -> int:
        while Product.objects.count() < count:
            product = stocked(ProductFactory(), ham, 5)
            stocked(product, muc, 2)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        assert len(PRODUCT_LINK.findall(response.content.decode())) == count
        return len(ctx.captured_queries)

    three, thirty = measure(3), measure(30)
    with capsys.disabled():
        print(f"\nproduct list queries: 3 products → {three}, 30 products → {thirty}")
    assert three == thirty


def test_product_list_paginates(warehouse_user: User, warehouses) -> None:
    ProductFactory.create_batch(51)
    client = client_for(warehouse_user)
    first = client.get(reverse("inventory:product-list")).content.decode()
    assert "Page 1 of 2" in first
    second = client.get(reverse("inventory:product-list"), {"page": 2}).content.decode()
    assert len(PRODUCT_LINK.findall(second)) == 1


# --- product page and stock actions ---------------------------------------------------------------


def test_product_page_shows_stock_receipts_moves_and_timeline(warehouse_user: User, warehouses) -> None:
    ham, muc = warehouses
    product = product_create(actor=warehouse_user, sku="PUMP-1", name="Pump", list_price=Decimal("99.00"),
                             currency="EUR")
    stocked(product, ham, 7)
    expected_receipt_create(product=product, warehouse=muc, quantity=4, reference="PO-77", actor=None,
                            expected_date=timezone.localdate() + datetime.timedelta(days=2))
    page = client_for(warehouse_user).get(reverse("inventory:product-detail", args=[product.pk])).content.decode()
    assert 'data-warehouse="HAM"' in page and 'data-warehouse="total"' in page
    assert '<td class="text-end" data-col="incoming">4</td>' in page  # MUC's incoming, and the total
    assert "PO-77" in page and "Receive ER-" in page
    assert "test stock" in page and "Receipt" in page  # the move in the history
    assert 'data-testid="timeline"' in page and "created" in page  # product_create's audit event


def test_product_page_404_for_an_unknown_product(warehouse_user: User) -> None:
    assert client_for(warehouse_user).get(reverse("inventory:product-detail", args=[999999])).status_code == 404


def test_receive_through_the_form_adds_stock_and_a_move(warehouse_user: User, product: Product, warehouses) -> None:
    ham, _ = warehouses
    response = client_for(warehouse_user).post(
        reverse("inventory:product-receive", args=[product.pk]),
        {"receive-warehouse": ham.pk, "receive-quantity": "5.5", "receive-reference": "DN-1"}, follow=True,
    )
    assert response.status_code == 200
    assert level(product, ham) == Decimal("15.5")
    move = StockMove.objects.filter(product=product).first()
    assert (move.kind, move.quantity, move.balance_after, move.reference, move.actor) == (
        MoveKind.RECEIPT, Decimal("5.5"), Decimal("15.5"), "DN-1", warehouse_user)
    assert "on hand now 15.5" in response.content.decode()  # the success message after the redirect


def test_adjust_through_the_form_changes_stock_by_a_signed_quantity(
    warehouse_user: User, product: Product, warehouses
) -> None:
    ham, _ = warehouses
    client = client_for(warehouse_user)
    url = reverse("inventory:product-adjust", args=[product.pk])
    assert client.post(url, {"adjust-warehouse": ham.pk, "adjust-quantity": "-3",
                             "adjust-reason": "cycle count"}).status_code == 302
    assert client.post(url, {"adjust-warehouse": ham.pk, "adjust-quantity": "1",
                             "adjust-reason": "found one"}).status_code == 302
    assert level(product, ham) == Decimal(8)
    assert list(StockMove.objects.filter(product=product, kind=MoveKind.ADJUSTMENT)
                .values_list("quantity", "reason")) == [(Decimal(1), "found one"), (Decimal(-3), "cycle count")]


def test_transfer_through_the_form_moves_stock(warehouse_user: User, product: Product, warehouses) -> None:
    ham, muc = warehouses
    response = client_for(warehouse_user).post(
        reverse("inventory:product-transfer", args=[product.pk]),
        {"transfer-from_warehouse": ham.pk, "transfer-to_warehouse": muc.pk, "transfer-quantity": "4"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("inventory:product-detail",
                                                                            args=[product.pk])
    assert (level(product, ham), level(product, muc)) == (Decimal(6), Decimal(4))


def test_a_closed_warehouse_can_be_emptied_by_a_transfer_but_not_filled(
    warehouse_user: User, product: Product, warehouses
) -> None:
    ham, muc = warehouses
    Warehouse.objects.filter(pk=ham.pk).update(is_active=False)
    client = client_for(warehouse_user)
    page = client.get(reverse("inventory:product-detail", args=[product.pk])).content.decode()
    assert page.count(">HAM · Hamburg</option>") == 1  # offered as a source only
    url = reverse("inventory:product-transfer", args=[product.pk])
    assert client.post(url, {"transfer-from_warehouse": ham.pk, "transfer-to_warehouse": muc.pk,
                             "transfer-quantity": "10"}).status_code == 302
    assert (level(product, ham), level(product, muc)) == (Decimal(0), Decimal(10))
    refused = client.post(url, {"transfer-from_warehouse": muc.pk, "transfer-to_warehouse": ham.pk,
                                "transfer-quantity": "1"})
    assert refused.status_code == 400 and level(product, muc) == Decimal(10)


def test_an_htmx_action_answers_with_the_refreshed_panels(warehouse_user: User, product: Product, warehouses) -> None:
    ham, _ = warehouses
    response = client_for(warehouse_user).post(
        reverse("inventory:product-receive", args=[product.pk]),
        {"receive-warehouse": ham.pk, "receive-quantity": "2"}, headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and body.lstrip().startswith('<div id="product-live"')
    assert "on hand now 12" in body and '<td class="text-end" data-col="on_hand">12</td>' in body
    assert level(product, ham) == Decimal(12)


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("receive", {"receive-quantity": "0"}, "Must be greater than zero."),
        ("receive", {"receive-quantity": "-5"}, "Must be greater than zero."),
        ("receive", {"receive-quantity": "abc"}, "Enter a number."),
        ("receive", {"receive-quantity": "1.2345"}, "Ensure that there are no more than 3 decimal places."),
        ("adjust", {"adjust-quantity": "-2", "adjust-reason": ""}, "A reason is required."),
        ("adjust", {"adjust-quantity": "0", "adjust-reason": "count"}, "Must be non-zero."),
        ("adjust", {"adjust-quantity": "-11", "adjust-reason": "count"}, "At most 10."),
        ("transfer", {"transfer-quantity": "1", "same": True}, "Choose a different warehouse."),
        ("transfer", {"transfer-quantity": "11"}, "At most 10."),
        ("transfer", {"transfer-quantity": "-1"}, "Must be greater than zero."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_bad_input_gives_400_with_the_message_and_changes_nothing(
    action: str, data: dict, message: str, htmx: bool, warehouse_user: User, product: Product, warehouses
) -> None:
    ham, muc = warehouses
    post = dict(data)
    if action == "transfer":
        post["transfer-from_warehouse"] = ham.pk
        post["transfer-to_warehouse"] = ham.pk if post.pop("same", False) else muc.pk
    else:
        post[f"{action}-warehouse"] = ham.pk
    before = ledger_state()
    response = client_for(warehouse_user).post(reverse(f"inventory:product-{action}", args=[product.pk]), post,
                                               headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert f'data-testid="{action}-form"' in body
    assert ("<html" in body) is not htmx
    assert ledger_state() == before


def test_reserved_stock_cannot_be_adjusted_away(warehouse_user: User, product: Product, warehouses) -> None:
    from inventory.services import DemandLine, stock_reserve

    ham, _ = warehouses
    stock_reserve(order_line=DemandLine("test.line:1", product.pk, "SO-1"), warehouse=ham, qty=Decimal(8))
    before = ledger_state()
    response = client_for(warehouse_user).post(
        reverse("inventory:product-adjust", args=[product.pk]),
        {"adjust-warehouse": ham.pk, "adjust-quantity": "-5", "adjust-reason": "broken"},
    )
    assert response.status_code == 400
    assert "At most 2." in response.content.decode()
    assert ledger_state() == before


def test_receiving_an_expected_receipt_from_the_product_page(
    warehouse_user: User, product: Product, warehouses
) -> None:
    ham, _ = warehouses
    receipt = expected_receipt_create(product=product, warehouse=ham, quantity=6, reference="PO-9", actor=None,
                                      expected_date=timezone.localdate())
    client = client_for(warehouse_user)
    url = reverse("inventory:receipt-receive", args=[receipt.pk])

    before = ledger_state()
    too_many = client.post(url, {"quantity": "7"})
    assert too_many.status_code == 400 and "At most 6." in too_many.content.decode()
    assert ledger_state() == before

    assert client.post(url, {"quantity": "2"}).status_code == 302
    receipt.refresh_from_db()
    assert (receipt.received_quantity, receipt.status) == (Decimal(2), ReceiptStatus.OPEN)

    rest = client.post(url, {"quantity": ""}, headers={"HX-Request": "true"})  # empty: all that is open
    assert rest.status_code == 200 and "on hand now 16" in rest.content.decode()
    receipt.refresh_from_db()
    assert (receipt.received_quantity, receipt.status) == (Decimal(6), ReceiptStatus.RECEIVED)
    assert level(product, ham) == Decimal(16)

    closed = client.post(url, {})
    assert closed.status_code == 400 and "nothing more to receive" in closed.content.decode()


# --- replenishment --------------------------------------------------------------------------------


@pytest.fixture
def low_product(warehouses) -> Product:
    ham, _ = warehouses
    product = stocked(ProductFactory(sku="FILTER-9", name="Oil filter", lead_time_days=3), ham, 4)
    ReorderRuleFactory(product=product, warehouse=ham, reorder_point=Decimal(10), reorder_quantity=Decimal(40))
    return product


def test_replenishment_page_lists_candidates_and_open_requests(warehouse_user: User, low_product: Product) -> None:
    client = client_for(warehouse_user)
    page = client.get(reverse("inventory:replenishment")).content.decode()
    assert "FILTER-9" in page and "no request yet" in page

    response = client.post(reverse("inventory:replenishment-run"), follow=True)
    [rr] = ReplenishmentRequest.objects.all()
    assert (rr.product, rr.quantity, rr.status) == (low_product, Decimal(40), ReplenishmentStatus.OPEN)
    page = response.content.decode()
    assert f"RR-{rr.pk} open" in page and "no request yet" not in page and "1 replenishment request(s) raised" in page

    again = client.post(reverse("inventory:replenishment-run"), follow=True).content.decode()
    assert "Nothing new to replenish" in again and ReplenishmentRequest.objects.count() == 1


def test_mark_ordered_creates_the_expected_receipt(warehouse_user: User, low_product: Product, warehouses) -> None:
    ham, _ = warehouses
    [rr] = replenishment_run(actor=None)
    expected = timezone.localdate() + datetime.timedelta(days=5)
    response = client_for(warehouse_user).post(
        reverse("inventory:replenishment-mark-ordered", args=[rr.pk]),
        {"expected_date": expected.isoformat(), "reference": "PO-4711"}, follow=True,
    )
    assert response.status_code == 200
    rr.refresh_from_db()
    assert rr.status == ReplenishmentStatus.ORDERED
    receipt = rr.expected_receipt
    assert (receipt.product, receipt.warehouse, receipt.quantity, receipt.expected_date, receipt.reference,
            receipt.status) == (low_product, ham, Decimal(40), expected, "PO-4711", ReceiptStatus.OPEN)
    assert f"ER-{receipt.pk} expects 40" in response.content.decode()
    product_page = client_for(warehouse_user).get(reverse("inventory:product-detail", args=[low_product.pk]))
    assert "PO-4711" in product_page.content.decode()


def test_mark_ordered_with_a_past_date_gives_400_and_changes_nothing(
    warehouse_user: User, low_product: Product
) -> None:
    [rr] = replenishment_run(actor=None)
    response = client_for(warehouse_user).post(
        reverse("inventory:replenishment-mark-ordered", args=[rr.pk]),
        {"expected_date": (timezone.localdate() - datetime.timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 400
    assert "In the past." in response.content.decode()
    rr.refresh_from_db()
    assert rr.status == ReplenishmentStatus.OPEN and not ExpectedReceipt.objects.exists()

    missing = client_for(warehouse_user).post(reverse("inventory:replenishment-mark-ordered", args=[rr.pk]), {})
    assert missing.status_code == 400 and "This field is required." in missing.content.decode()


def test_cancel_a_request_and_cancelling_twice_is_a_400(warehouse_user: User, low_product: Product) -> None:
    [rr] = replenishment_run(actor=None)
    client = client_for(warehouse_user)
    url = reverse("inventory:replenishment-cancel", args=[rr.pk])
    assert client.post(url).status_code == 302
    rr.refresh_from_db()
    assert rr.status == ReplenishmentStatus.CANCELLED
    again = client.post(url)
    assert again.status_code == 400 and "cannot become cancelled" in again.content.decode()


def test_replenishment_status_filter(warehouse_user: User, low_product: Product) -> None:
    [rr] = replenishment_run(actor=None)
    client = client_for(warehouse_user)
    assert f'id="rr-{rr.pk}"' in client.get(reverse("inventory:replenishment"), {"status": "open"}).content.decode()
    assert f'id="rr-{rr.pk}"' not in client.get(reverse("inventory:replenishment"),
                                                {"status": "ordered"}).content.decode()


def test_replenishment_and_product_pages_run_a_fixed_number_of_queries(
    warehouse_user: User, warehouses, capsys
) -> None:
    ham, muc = warehouses
    client = client_for(warehouse_user)
    product = stocked(ProductFactory(), ham, 1)
    client.get(reverse("inventory:replenishment"))  # warm up (content types, permission caches)
    client.get(reverse("inventory:product-detail", args=[product.pk]))

    def add(count: int) -> None:
        for _ in range(count):
            item = stocked(ProductFactory(), ham, 1)
            ReorderRuleFactory(product=item, warehouse=ham)  # below its point
            ReorderRuleFactory(product=item, warehouse=muc)
            expected_receipt_create(product=product, warehouse=muc, quantity=1, actor=warehouse_user,
                                    expected_date=timezone.localdate())
            stocked(product, muc, 1)
        replenishment_run(actor=None)  # an open request for each of those rules
        ReorderRuleFactory(product=stocked(ProductFactory(), muc, 1), warehouse=muc)  # one candidate left

    def measure(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    counts = []
    for count in (2, 10):
        add(count)
        counts.append((measure(reverse("inventory:replenishment")),
                       measure(reverse("inventory:product-detail", args=[product.pk]))))
    with capsys.disabled():
        print(f"\nreplenishment / product page queries: small {counts[0]}, large {counts[1]}")
    assert counts[0] == counts[1]
