"""The warehouse picks, packs and ships a shipment in a real browser, and Sales then sees it shipped
with its tracking link on the order page; the scheduling board shows capacity and reschedules."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from fulfillment.enums import ShipmentStatus
from fulfillment.models import Shipment
from fulfillment.services import (
    shipment_create,
    shipment_pack,
    shipment_reschedule,
    shipment_ship,
    shipment_start_picking,
)
from inventory.calendar import warehouse_calendar
from inventory.models import Warehouse
from orders.models import SalesOrder
from tests.e2e.conftest import login
from tests.fulfillment.factories import CarrierFactory, confirmed_order
from tests.inventory.factories import HolidayFactory, ProductFactory, WarehouseFactory, stocked
from tests.orders.factories import ContactFactory, CustomerFactory

TRACKING = "https://www.dhl.example/track?piece={tracking}"


def _order(warehouse: Warehouse, name: str, quantity: int = 4, **header: object) -> SalesOrder:
    customer = CustomerFactory(legal_name=name, credit_limit=Decimal("100000"))
    ContactFactory(customer=customer)
    product = stocked(ProductFactory(name=f"Bolt for {name}", weight_kg=Decimal("0.5")), warehouse, 100)
    return confirmed_order([(product, quantity)], warehouse=warehouse, customer=customer, **header)


def test_warehouse_picks_packs_and_ships_and_sales_sees_the_tracking_link(
    page: Page, live_server, warehouse_user: User, sales_user: User
) -> None:
    ham = WarehouseFactory(code="HAM", name="Hamburg", working_days=[0, 1, 2, 3, 4, 5, 6])  # ships today
    CarrierFactory(code="DHL", name="DHL", service_level="Paket", tracking_url_template=TRACKING, is_default=True)
    order = _order(ham, "Nordwind Maschinenbau GmbH")
    shipment = shipment_create(order_id=order.pk, actor=None)
    assert shipment.planned_ship_date == timezone.localdate()
    base = live_server.url
    login(page, base, warehouse_user.username, "pw-" + warehouse_user.username)

    # the work queue: today's shipment waits to be picked
    page.get_by_test_id("sidebar").get_by_role("link", name="Work queue").click()
    expect(page.get_by_role("heading", name="Today's work")).to_be_visible()
    to_pick = page.get_by_test_id("queue-pick")
    expect(to_pick.get_by_test_id("count")).to_have_text("1")
    to_pick.get_by_role("link", name=shipment.number).click()

    expect(page.get_by_role("heading", name=f"Shipment {shipment.number}")).to_be_visible()
    status = page.get_by_test_id("shipment-status")
    expect(status).to_have_text("Scheduled")
    page.get_by_role("button", name="Start picking").click()
    expect(status).to_have_text("Picking")
    expect(page.get_by_role("alert").first).to_contain_text("Picking started")

    # two packages: the second row comes from "Add package"
    pack = page.get_by_test_id("pack-form")
    pack.get_by_label("Package 1 weight in kg").fill("1.5")
    pack.get_by_label("Package 1 length in cm").fill("40")
    pack.get_by_label("Package 1 width in cm").fill("30")
    pack.get_by_label("Package 1 height in cm").fill("20")
    pack.get_by_role("button", name="Add package").click()
    expect(pack.get_by_test_id("package-row")).to_have_count(2)
    pack.get_by_test_id("package-row").nth(1).get_by_label("Package weight in kg").fill("0.75")
    pack.get_by_role("button", name="Pack", exact=True).click()
    expect(status).to_have_text("Packed")
    expect(page.get_by_test_id("packages").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("packages")).to_contain_text("40 × 30 × 20 cm")

    # a refused ship (DHL tracks parcels: the number is required) says why and changes nothing
    ship = page.get_by_test_id("ship-form")
    expect(ship.get_by_label("Carrier")).to_have_value(str(shipment.carrier_id))
    ship.get_by_role("button", name="Ship", exact=True).click()
    expect(page.get_by_test_id("ship-form").locator(".invalid-feedback")).to_have_text("Required for this carrier.")
    expect(status).to_have_text("Packed")

    page.get_by_test_id("ship-form").get_by_label("Tracking number").fill("JJD000390007")
    page.get_by_test_id("ship-form").get_by_role("button", name="Ship", exact=True).click()
    expect(status).to_have_text("Shipped")
    link = page.get_by_test_id("shipment-header").get_by_test_id("tracking-link")
    expect(link).to_have_attribute("href", "https://www.dhl.example/track?piece=JJD000390007")
    page.screenshot(path="var/e2e-shipment.png", full_page=True)

    # the work queue now waits for its proof of delivery
    page.get_by_test_id("sidebar").get_by_role("link", name="Work queue").click()
    expect(page.get_by_test_id("queue-deliver").get_by_test_id("queue-row")).to_contain_text(shipment.number)
    expect(page.get_by_test_id("queue-pick").get_by_test_id("count")).to_have_text("0")

    # Sales opens the order: the shipment is shipped, with its tracking link
    page.get_by_role("button", name="Log out").click()
    login(page, base, sales_user.username, "pw-" + sales_user.username)
    page.goto(f"{base}/orders/{order.pk}/")
    panel = page.get_by_test_id("order-shipments")
    row = panel.locator(f'tr[data-number="{shipment.number}"]')
    expect(row.get_by_test_id("shipment-status")).to_have_text("Shipped")
    expect(row.get_by_test_id("tracking-link")).to_have_attribute(
        "href", "https://www.dhl.example/track?piece=JJD000390007")
    expect(row.get_by_test_id("tracking-link")).to_have_text("JJD000390007")
    expect(panel.get_by_role("link", name="Create shipment")).to_have_count(0)
    expect(page.get_by_test_id("delivery-status")).to_have_text("Full")
    page.screenshot(path="var/e2e-order-shipped.png", full_page=True)

    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED and shipment.tracking_number == "JJD000390007"
    assert shipment.packages.count() == 2


def test_scheduling_board_shows_capacity_and_reschedules(page: Page, live_server, warehouse_user: User) -> None:
    bremen = WarehouseFactory(code="BRE", name="Bremen", shipping_capacity_per_day=3)  # Monday to Friday
    CarrierFactory(code="DHL", name="DHL", service_level="Paket", tracking_url_template=TRACKING, is_default=True)
    today = timezone.localdate()
    calendar = warehouse_calendar(bremen, today)
    first = calendar.next_working(today)
    festival = calendar.add(first, 2)
    HolidayFactory(date=festival, name="Harbour Day", warehouse=bremen)
    customers = ["Nordwind GmbH", "Brise AG", "Kaiwerk KG", "Deichbau AG", "Fleet & Co", "Elbtrans GmbH",
                 "Hafenlicht", "Möwe Logistik"]
    shipments = [shipment_create(order_id=_order(bremen, name).pk, actor=None) for name in customers[:7]]
    late = _order(bremen, customers[7], requested_date=first)
    extra = shipment_create(order_id=late.pk, actor=None)
    shipment_reschedule(shipment_id=extra.pk, planned_ship_date=first, actor=None, over_capacity=True)
    shipment_start_picking(shipment_id=shipments[0].pk, actor=None)
    shipment_start_picking(shipment_id=shipments[1].pk, actor=None)
    shipment_pack(shipment_id=shipments[1].pk, actor=None)
    shipment_start_picking(shipment_id=shipments[2].pk, actor=None)
    shipment_pack(shipment_id=shipments[2].pk, actor=None)
    shipment_ship(shipment_id=shipments[2].pk, actor=None, tracking_number="JJD1")
    second = calendar.add(first, 1)
    third = calendar.next_working(festival + datetime.timedelta(days=1))
    assert [s.planned_ship_date for s in Shipment.objects.order_by("id")] == [first] * 3 + [second] * 3 + [third, first]

    login(page, live_server.url, warehouse_user.username, "pw-" + warehouse_user.username)
    page.get_by_test_id("sidebar").get_by_role("link", name="Scheduling board").click()
    expect(page.get_by_role("heading", name="Scheduling board")).to_be_visible()
    page.get_by_label("Span").select_option(label="3 weeks")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("board-day")).to_have_count(21)

    full = page.locator(f'[data-testid=board-day][data-date="{first:%Y-%m-%d}"]')
    expect(full).to_have_attribute("data-over", "true")
    expect(full.get_by_test_id("load")).to_have_text("4 / 3")
    expect(full.get_by_test_id("board-chip")).to_have_count(4)
    expect(page.locator("[data-testid=board-day][data-over]")).to_have_count(1)
    expect(page.locator(f'[data-testid=board-day][data-date="{festival:%Y-%m-%d}"]')).to_contain_text("Harbour Day")
    expect(page.get_by_test_id("late-list").locator(f'tr[data-number="{extra.number}"]')).to_be_visible()

    # move a shipment from the second day (3 of 3) to the third (1 of 3) from its chip
    moving = shipments[4]
    chip = page.locator(f'[data-testid=board-chip][data-number="{moving.number}"]')
    chip.get_by_role("button", name=f"Reschedule {moving.number}").click()
    chip.get_by_label(f"New ship date for {moving.number}").fill(f"{third:%Y-%m-%d}")
    chip.get_by_role("button", name="Move").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"{moving.number} now ships on")
    expect(page.locator(f'[data-testid=board-day][data-date="{third:%Y-%m-%d}"]').get_by_test_id("load")
           ).to_have_text("2 / 3")
    expect(page.get_by_test_id("board-day")).to_have_count(21)  # the board came back as it was shown

    # a full day is refused from the board, and says so
    chip = page.locator(f'[data-testid=board-chip][data-number="{shipments[5].number}"]')
    chip.get_by_role("button", name=f"Reschedule {shipments[5].number}").click()
    chip.get_by_label(f"New ship date for {shipments[5].number}").fill(f"{first:%Y-%m-%d}")
    chip.get_by_role("button", name="Move").click()
    expect(page.get_by_role("alert").first).to_contain_text("Choose another day, or book it over capacity")
    assert Shipment.objects.get(pk=shipments[5].pk).planned_ship_date == second

    page.screenshot(path="var/e2e-board.png", full_page=True)
