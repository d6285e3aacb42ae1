"""Warehouse receives stock on a product's page in a real browser (htmx swaps the refreshed panels)."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from inventory.models import StockLevel
from inventory.services import expected_receipt_create
from tests.e2e.conftest import login
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked


def test_warehouse_receives_stock_in_the_browser_and_sees_balance_and_move(
    page: Page, live_server, warehouse_user: User
) -> None:
    ham = WarehouseFactory(code="HAM", name="Hamburg")
    WarehouseFactory(code="MUC", name="Munich")
    product = stocked(ProductFactory(sku="BOLT-M8", name="Hex bolt M8"), ham, 10)
    expected_receipt_create(product=product, warehouse=ham, quantity=25, reference="PO-4711", actor=None,
                            expected_date=timezone.localdate() + datetime.timedelta(days=4))
    login(page, live_server.url, warehouse_user.username, "pw-" + warehouse_user.username)

    page.get_by_test_id("sidebar").get_by_role("link", name="Products").click()
    expect(page.get_by_role("heading", name="Products")).to_be_visible()
    page.get_by_role("link", name="BOLT-M8").click()
    expect(page.get_by_role("heading", name="BOLT-M8 Hex bolt M8")).to_be_visible()
    stock = page.get_by_test_id("stock-table")
    expect(stock.locator('tr[data-warehouse="HAM"] [data-col="on_hand"]')).to_have_text("10")

    form = page.get_by_test_id("receive-form")
    # a refused receipt: the message shows on the form, nothing changes
    form.get_by_label("Quantity").fill("0")
    form.get_by_role("button", name="Receive stock").click()
    expect(page.get_by_test_id("receive-form").locator(".invalid-feedback")).to_have_text("Must be greater than zero.")
    expect(stock.locator('tr[data-warehouse="HAM"] [data-col="on_hand"]')).to_have_text("10")

    form = page.get_by_test_id("receive-form")
    form.get_by_label("Warehouse").select_option(label="HAM · Hamburg")
    form.get_by_label("Quantity").fill("7.5")
    form.get_by_label("Reference").fill("DN-2024-17")
    form.get_by_role("button", name="Receive stock").click()

    expect(page.get_by_test_id("notice")).to_contain_text("on hand now 17.5")
    expect(stock.locator('tr[data-warehouse="HAM"] [data-col="on_hand"]')).to_have_text("17.5")
    expect(stock.locator('tr[data-warehouse="total"] [data-col="incoming"]')).to_have_text("25")
    newest = page.get_by_test_id("moves-table").locator("tbody tr").first
    expect(newest).to_contain_text("Receipt")
    expect(newest).to_contain_text("+7.5")
    expect(newest).to_contain_text("17.5")
    expect(newest).to_contain_text("DN-2024-17")
    expect(newest).to_contain_text(warehouse_user.first_name)
    assert "/inventory/products/" in page.url and page.url.endswith(f"/{product.pk}/")  # htmx: no navigation
    assert StockLevel.objects.get(product=product, warehouse=ham).on_hand == Decimal("17.5")

    page.screenshot(path="var/e2e-inventory.png", full_page=True)


def test_warehouse_marks_a_replenishment_request_ordered(page: Page, live_server, warehouse_user: User) -> None:
    from inventory.services import replenishment_run
    from tests.inventory.factories import ReorderRuleFactory

    ham = WarehouseFactory(code="HAM", name="Hamburg")
    product = stocked(ProductFactory(sku="FILTER-9", name="Oil filter"), ham, 2)
    ReorderRuleFactory(product=product, warehouse=ham, reorder_point=Decimal(10), reorder_quantity=Decimal(40))
    [rr] = replenishment_run(actor=None)
    login(page, live_server.url, warehouse_user.username, "pw-" + warehouse_user.username)

    page.get_by_test_id("sidebar").get_by_role("link", name="Replenishment").click()
    row = page.locator(f"#rr-{rr.pk}")
    expect(row.get_by_test_id("status")).to_have_text("Open")
    row.get_by_label(f"Reference for RR-{rr.pk}").fill("PO-99")
    row.get_by_role("button", name=f"Mark RR-{rr.pk} ordered").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"RR-{rr.pk} ordered")
    expect(page.locator(f"#rr-{rr.pk}").get_by_test_id("status")).to_have_text("Ordered")
    expect(page.locator(f"#rr-{rr.pk}")).to_contain_text("PO-99")
    page.screenshot(path="var/e2e-replenishment.png", full_page=True)
