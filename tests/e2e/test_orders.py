"""Sales enters an order from the keyboard in a real browser: the customer and product pickers,
lines added by htmx with the totals re-computed, then save and confirm reserves the stock."""

from decimal import Decimal

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from inventory.models import StockLevel
from orders.enums import OrderStatus
from orders.models import SalesOrder
from tests.e2e.conftest import login
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked
from tests.orders.factories import ContactFactory, CustomerFactory, ShippingAddressFactory, german_rates


def test_sales_enters_an_order_with_the_keyboard_and_confirms_it(page: Page, live_server, sales_user: User) -> None:
    german_rates()
    ham = WarehouseFactory(code="HAM", name="Hamburg")
    products = [
        stocked(ProductFactory(sku="BOLT-M8", name="Hex bolt M8", list_price=Decimal("2.50")), ham, 100),
        stocked(ProductFactory(sku="NUT-M8", name="Hex nut M8", list_price=Decimal("0.40")), ham, 500),
        stocked(ProductFactory(sku="MANUAL-1", name="Fitting manual", list_price=Decimal("12.00"),
                               tax_category="reduced"), ham, 3),
    ]
    customer = CustomerFactory(legal_name="Nordwind Maschinenbau GmbH")
    ContactFactory(customer=customer)
    ShippingAddressFactory(customer=customer, label="Dock 7")
    login(page, live_server.url, sales_user.username, "pw-" + sales_user.username)

    page.get_by_test_id("sidebar").get_by_role("link", name="New order").click()
    expect(page.get_by_role("heading", name="New order")).to_be_visible()

    # the customer: type, Enter picks the first match; the product search gets the focus
    page.locator("#id_customer-ts-control").click()
    page.keyboard.type("Nordwind")
    expect(page.get_by_test_id("customer-option").first).to_contain_text(customer.number)
    page.keyboard.press("Enter")
    product_search = page.locator("#id_new_product-ts-control")
    expect(product_search).to_be_focused()
    expect(page.locator("#id_ship_to")).to_have_value(str(customer.shipping_addresses.get().pk))  # its default

    # three lines, keyboard only: search → Enter → quantity → Enter → back in the search
    lines = page.get_by_test_id("entry-lines").get_by_test_id("line")
    for count, (search, sku, quantity) in enumerate(
        [("bolt", "BOLT-M8", "40"), ("nut", "NUT-M8", "80"), ("manual", "MANUAL-1", "5")], start=1
    ):
        page.keyboard.type(search)
        offer = page.get_by_test_id("offer").filter(has_text=sku)
        expect(offer).to_be_visible()
        expect(offer).to_contain_text("available")
        page.keyboard.press("Enter")
        page.keyboard.type(quantity)  # no wait: the quantity has the focus as soon as the offer is picked
        page.keyboard.press("Enter")
        expect(lines).to_have_count(count)
        expect(lines.nth(count - 1)).to_contain_text(sku)
        expect(product_search).to_be_focused()
        expect(page.locator("#id_new_quantity")).to_have_value("1")

    # a refused line says why inline and keeps the focus on the field to fix; a line added by mistake goes again
    page.keyboard.type("bolt")
    expect(page.get_by_test_id("offer").filter(has_text="BOLT-M8")).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.type("0")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("new-line-errors")).to_have_text("Quantity: Must be greater than zero.")
    expect(page.locator("#id_new_quantity")).to_be_focused()
    expect(lines).to_have_count(3)
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(lines).to_have_count(4)
    expect(page.get_by_test_id("new-line-errors")).to_have_text("")
    expect(page.get_by_test_id("gross-total")).to_have_text("227.23 EUR")
    page.get_by_role("button", name="Remove line 4").click()
    expect(lines).to_have_count(3)

    # 40 × 2.50 + 80 × 0.40 = 132.00 at 19 % (25.08); 5 × 12.00 = 60.00 at 7 % (4.20)
    expect(page.get_by_test_id("net-total")).to_have_text("192.00 EUR")
    expect(page.get_by_test_id("tax-19")).to_have_text("25.08 EUR")
    expect(page.get_by_test_id("tax-7")).to_have_text("4.20 EUR")
    expect(page.get_by_test_id("gross-total")).to_have_text("221.28 EUR")
    assert not SalesOrder.objects.exists()  # nothing is written before a save button

    page.get_by_label("Customer PO").fill("PO-2024-118")
    page.screenshot(path="var/e2e-order-entry.png", full_page=True)
    page.get_by_role("button", name="Save and confirm").click()

    expect(page.get_by_role("heading", name="Order SO-")).to_be_visible()
    expect(page.get_by_role("alert").first).to_contain_text("confirmed")
    expect(page.get_by_test_id("status")).to_have_text("Confirmed")
    order_lines = page.get_by_test_id("order-lines")
    for sku, reserved in (("BOLT-M8", "40"), ("NUT-M8", "80"), ("MANUAL-1", "3")):
        row = order_lines.locator(f'tr[data-sku="{sku}"]')
        expect(row.locator('[data-col="reserved"]')).to_have_text(reserved)
    expect(order_lines.locator('tr[data-sku="MANUAL-1"] [data-col="backordered"]')).to_have_text("2")
    expect(page.get_by_test_id("customer-reference")).to_have_text("PO-2024-118")
    page.screenshot(path="var/e2e-order-confirmed.png", full_page=True)

    order = SalesOrder.objects.get()
    assert order.status == OrderStatus.CONFIRMED and order.gross_total == Decimal("221.28")
    assert StockLevel.objects.get(product=products[0], warehouse=ham).reserved == 40
