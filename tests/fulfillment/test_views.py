"""Warehouse browser pages of fulfillment: access per role, every shipment and return action through
its page (a refusal shows its message and changes nothing), the scheduling board, the order page's
shipments panel, and list pages with a fixed number of queries (real PostgreSQL)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from fulfillment.enums import ReturnStatus, ShipmentStatus
from fulfillment.models import Carrier, Package, ReturnAuthorization, Shipment
from fulfillment.services import return_authorize, shipment_create, shipment_reschedule
from inventory.models import StockLevel, Warehouse
from o2c.models import AuditEvent, OutboxEvent
from orders.models import SalesOrder
from orders.services import order_cancel
from tests.conftest import client_for, page_queries
from tests.fulfillment.factories import (
    CarrierFactory,
    packed_shipment,
    shipped_shipment,
    stocked_order,
)
from tests.inventory.factories import HolidayFactory, ProductFactory, WarehouseFactory
from tests.orders.factories import CustomerFactory, draft_order, german_rates

pytestmark = pytest.mark.django_db

EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]  # the warehouse ships every day: a new shipment is planned for today


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def ham() -> Warehouse:
    return WarehouseFactory(code="HAM", name="Hamburg", working_days=EVERY_DAY)


@pytest.fixture
def order(ham: Warehouse) -> SalesOrder:
    """Confirmed: line 1 has 4 of 4 reserved, line 2 has 2 of 5 (3 backordered)."""
    return stocked_order([(10, 4), (2, 5)], warehouse=ham)


@pytest.fixture
def shipment(order: SalesOrder) -> Shipment:
    return shipment_create(order_id=order.pk, actor=None)


def _status(shipment: Shipment) -> str:
    shipment.refresh_from_db()
    return shipment.status


def _action(name: str, shipment: Shipment) -> str:
    return reverse(f"fulfillment:shipment-{name}", args=[shipment.pk])


# --- access per role ------------------------------------------------------------------------------


def test_pages_render_for_the_warehouse(warehouse_user, order, shipment, default_carrier) -> None:
    shipped = shipped_shipment(stocked_order([(5, 5)], warehouse=order.warehouse))
    rma = return_authorize(order_id=shipped.order_id, lines=[{"order_line": shipped.lines.get().order_line_id,
                                                              "quantity": "1"}], reason="damaged", actor=None)
    client = client_for(warehouse_user)
    pages = {
        reverse("fulfillment:home"): shipment.number,
        reverse("fulfillment:home") + f"?warehouse={order.warehouse_id}": "To pick",
        reverse("fulfillment:shipment-list"): shipment.number,
        reverse("fulfillment:shipment-detail", args=[shipment.pk]): "Start picking",
        reverse("fulfillment:shipment-create", args=[order.pk]): "Ship everything reserved",
        reverse("fulfillment:board"): shipment.number,
        reverse("fulfillment:board") + "?days=28": "Late: planned delivery",
        reverse("fulfillment:return-list"): rma.number,
        reverse("fulfillment:return-detail", args=[rma.pk]): "Receive return",
        reverse("fulfillment:return-create", args=[shipped.order_id]): "Authorise return",
        reverse("orders:order-detail", args=[order.pk]): "Create shipment",
    }
    for url, text in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url


def test_sales_reads_every_page_and_is_refused_every_action(sales_user, order, shipment) -> None:
    client = client_for(sales_user)
    for url in (reverse("fulfillment:home"), reverse("fulfillment:shipment-list"), reverse("fulfillment:board"),
                reverse("fulfillment:return-list")):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("fulfillment:shipment-detail", args=[shipment.pk])).content.decode()
    assert shipment.number in page and "Start picking" not in page and "Cancel shipment" not in page
    assert "Pick list" in page  # documents are for reading
    board = client.get(reverse("fulfillment:board")).content.decode()
    assert shipment.number in board and "Reschedule " + shipment.number not in board

    for name, data in (("pick", {}), ("pack", {}), ("ship", {"tracking_number": "X"}),
                       ("deliver", {"received_by": "A"}), ("cancel", {"reason": "x"}),
                       ("reschedule", {"planned_ship_date": today().isoformat()})):
        assert client.post(_action(name, shipment), data).status_code == 403, name
    assert client.get(reverse("fulfillment:shipment-create", args=[order.pk])).status_code == 403
    assert client.post(reverse("fulfillment:shipment-create", args=[order.pk]), {"action": "all"}).status_code == 403
    assert client.get(reverse("fulfillment:return-create", args=[order.pk])).status_code == 403
    assert _status(shipment) == ShipmentStatus.SCHEDULED and Shipment.objects.count() == 1

    order_page = client.get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert shipment.number in order_page and "Create shipment" not in order_page


def test_finance_reads_and_the_order_page_hides_the_panel_without_shipments(finance_user, sales_user, ham) -> None:
    client = client_for(finance_user)
    assert client.get(reverse("fulfillment:shipment-list")).status_code == 200
    german_rates()
    draft = draft_order(CustomerFactory(), [(ProductFactory(), 1)], warehouse=ham)
    page = client_for(sales_user).get(reverse("orders:order-detail", args=[draft.pk])).content.decode()
    assert 'data-testid="order-shipments"' not in page  # a draft has nothing to ship yet


# --- the shipment page: pick → pack → ship → deliver ----------------------------------------------


def test_warehouse_picks_packs_ships_and_delivers_through_the_page(warehouse_user, order, shipment) -> None:
    client = client_for(warehouse_user)
    detail = reverse("fulfillment:shipment-detail", args=[shipment.pk])
    assert client.get(_action("pick", shipment)).status_code == 405

    picked = client.post(_action("pick", shipment))
    assert picked.status_code == 302 and picked["Location"] == detail
    assert _status(shipment) == ShipmentStatus.PICKING
    assert 'data-testid="pack-form"' in client.get(detail).content.decode()

    packed = client.post(_action("pack", shipment), {
        "weight_kg": ["3.5", "", "4"], "length_cm": ["40", "", ""], "width_cm": ["30", "", ""],
        "height_cm": ["20", "", ""]})  # the empty middle row is no package
    assert packed.status_code == 302 and "packed in 2 packages" in messages_of(packed)[0]
    assert [(p.weight_kg, p.dimensions) for p in Package.objects.filter(shipment=shipment)] == [
        (Decimal("3.500"), "40 × 30 × 20 cm"), (Decimal("4.000"), "")]

    line = order.lines.get(position=1)
    level = StockLevel.objects.get(product=line.product, warehouse=order.warehouse)
    express = CarrierFactory(code="EXP", name="Express Co", tracking_url_template="https://exp.example/t/{tracking}")
    shipped = client.post(_action("ship", shipment), {"carrier": express.pk, "tracking_number": " 1Z-777 "},
                          follow=True)
    page = shipped.content.decode()
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED and shipment.tracking_number == "1Z-777"
    assert shipment.carrier == express
    assert 'href="https://exp.example/t/1Z-777"' in page and "shipped with Express Co" in page
    level_after = StockLevel.objects.get(pk=level.pk)
    assert level_after.on_hand == level.on_hand - 4
    assert OutboxEvent.objects.filter(type="shipment.shipped", payload__shipment=shipment.pk).count() == 1

    delivered = client.post(_action("deliver", shipment), {"received_by": "K. Meyer",
                                                           "delivered_on": today().isoformat()}, follow=True)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED and shipment.received_by == "K. Meyer"
    page = delivered.content.decode()
    assert 'data-testid="on-time">on time<' in page and "received by K. Meyer" in page
    assert 'data-testid="shipment-actions"' not in page  # nothing left to do
    assert "delivered" in client.get(detail).content.decode()


def test_pack_without_rows_weighs_the_goods(warehouse_user, order, shipment) -> None:
    client = client_for(warehouse_user)
    client.post(_action("pick", shipment))
    client.post(_action("pack", shipment), {"weight_kg": [""], "length_cm": [""], "width_cm": [""],
                                            "height_cm": [""]})
    # 4 + 2 pieces of 1.25 kg
    assert [p.weight_kg for p in Package.objects.filter(shipment=shipment)] == [Decimal("7.500")]


def test_refused_actions_show_the_message_and_change_nothing(warehouse_user, order, shipment) -> None:
    client = client_for(warehouse_user)
    audit_before = AuditEvent.objects.count()

    too_early = client.post(_action("ship", shipment), {"carrier": shipment.carrier_id, "tracking_number": "T1"})
    assert too_early.status_code == 400
    assert "only a packed shipment can be shipped" in too_early.content.decode()
    no_reason = client.post(_action("cancel", shipment), {"reason": "  "})
    assert no_reason.status_code == 400 and "Say why it is cancelled." in no_reason.content.decode()
    past = client.post(_action("reschedule", shipment), {"planned_ship_date": "2001-01-01"})
    assert past.status_code == 400 and "cannot be planned in the past" in past.content.decode()
    garbage = client.post(_action("reschedule", shipment), {"planned_ship_date": "someday"})
    assert garbage.status_code == 400 and "Enter a valid date." in garbage.content.decode()
    far = client.post(_action("reschedule", shipment), {"planned_ship_date": "9999-12-31"})
    assert far.status_code == 400 and "at most a year ahead" in far.content.decode()
    assert _status(shipment) == ShipmentStatus.SCHEDULED
    assert AuditEvent.objects.count() == audit_before

    client.post(_action("pick", shipment))
    bad_box = client.post(_action("pack", shipment), {"weight_kg": ["-1"], "length_cm": [""], "width_cm": [""],
                                                      "height_cm": [""]})
    assert bad_box.status_code == 400 and "Package 1: weight kg must be a positive number" in bad_box.content.decode()
    assert 'value="-1"' in bad_box.content.decode()  # what was typed stays
    for row, error in (({"weight_kg": "0.0001"}, "weight kg must be at least 0.001"),
                       ({"weight_kg": "2", "height_cm": "0.01"}, "height cm must be at least 0.1"),
                       ({"weight_kg": [str(n + 1) for n in range(51)]}, "At most 50 packages.")):
        refused = client.post(_action("pack", shipment), row)
        assert refused.status_code == 400 and error in refused.content.decode(), row
    assert _status(shipment) == ShipmentStatus.PICKING and not Package.objects.exists()

    client.post(_action("pack", shipment))
    events = OutboxEvent.objects.count()
    untracked = client.post(_action("ship", shipment), {"carrier": shipment.carrier_id, "tracking_number": ""})
    page = untracked.content.decode()
    assert untracked.status_code == 400 and "Required for this carrier." in page
    assert _status(shipment) == ShipmentStatus.PACKED and OutboxEvent.objects.count() == events

    client.post(_action("ship", shipment), {"carrier": shipment.carrier_id, "tracking_number": "T1"})
    tomorrow = (today() + datetime.timedelta(days=1)).isoformat()
    future = client.post(_action("deliver", shipment), {"received_by": "Ann", "delivered_on": tomorrow})
    assert future.status_code == 400 and "Between" in future.content.decode()
    unsigned = client.post(_action("deliver", shipment), {"received_by": "", "delivered_on": today().isoformat()})
    assert unsigned.status_code == 400 and "Say who received the goods." in unsigned.content.decode()
    cancel_shipped = client.post(_action("cancel", shipment), {"reason": "too late"})
    assert cancel_shipped.status_code == 400 and "only a scheduled or picking or packed" in \
        cancel_shipped.content.decode()
    assert _status(shipment) == ShipmentStatus.SHIPPED


def test_picking_waits_for_stock_and_cancel_keeps_the_goods_reserved(warehouse_user, ham) -> None:
    backordered = stocked_order([(0, 5)], warehouse=ham)
    line = backordered.lines.get()
    waiting = shipment_create(order_id=backordered.pk, actor=None, lines=[{"order_line": line.pk, "quantity": "5"}])
    client = client_for(warehouse_user)
    refused = client.post(_action("pick", waiting))
    assert refused.status_code == 400 and "waits for stock" in refused.content.decode()
    assert _status(waiting) == ShipmentStatus.SCHEDULED

    cancelled = client.post(_action("cancel", waiting), {"reason": "Customer collects"}, follow=True)
    assert _status(waiting) == ShipmentStatus.CANCELLED
    page = cancelled.content.decode()
    assert "Customer collects" in page and "Pick list" not in page


def test_shipment_pdfs(warehouse_user, sales_user, shipment) -> None:
    for user in (warehouse_user, sales_user):
        client = client_for(user)
        for name in ("pick-list", "delivery-note"):
            response = client.get(reverse(f"fulfillment:shipment-{name}", args=[shipment.pk]))
            assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
            assert response.content.startswith(b"%PDF") and shipment.number in response["Content-Disposition"]


# --- create a shipment from an order --------------------------------------------------------------


def test_create_shipment_of_chosen_lines_then_of_everything_reserved(warehouse_user, order) -> None:
    client = client_for(warehouse_user)
    url = reverse("fulfillment:shipment-create", args=[order.pk])
    first, second = order.lines.order_by("position")
    page = client.get(url).content.decode()
    assert f'name="qty_{first.pk}"' in page and 'value="4"' in page and 'max="4"' in page  # ready 4, room 4
    assert f'name="qty_{second.pk}"' in page and 'value="2"' in page and 'max="5"' in page  # ready 2, room 5

    over = client.post(url, {f"qty_{first.pk}": "9", f"qty_{second.pk}": "", "action": "chosen"})
    assert over.status_code == 400 and "Ensure this value is less than or equal to 4" in over.content.decode()
    nothing = client.post(url, {f"qty_{first.pk}": "0", f"qty_{second.pk}": "", "action": "chosen"})
    assert nothing.status_code == 400 and "Choose at least one line." in nothing.content.decode()
    assert not Shipment.objects.exists()

    chosen = client.post(url, {f"qty_{first.pk}": "1.5", f"qty_{second.pk}": "", "action": "chosen"})
    shipment = Shipment.objects.get()
    assert chosen.status_code == 302 and chosen["Location"] == reverse("fulfillment:shipment-detail",
                                                                       args=[shipment.pk])
    assert [(i.order_line_id, i.quantity) for i in shipment.lines.all()] == [(first.pk, Decimal("1.500"))]
    assert shipment.planned_ship_date == today()

    everything = client.post(url, {f"qty_{first.pk}": "junk", "action": "all"})  # the quantities do not matter
    rest = Shipment.objects.exclude(pk=shipment.pk).get()
    assert everything.status_code == 302
    assert sorted((i.order_line_id, i.quantity) for i in rest.lines.all()) == [
        (first.pk, Decimal("2.500")), (second.pk, Decimal("2.000"))]
    again = client.post(url, {"action": "all"})
    assert again.status_code == 400 and "is reserved and unscheduled" in again.content.decode()


def test_create_shipment_is_refused_for_an_order_that_is_not_confirmed(warehouse_user, order) -> None:
    order_cancel(order_id=order.pk, actor=None, reason="changed plans")
    client = client_for(warehouse_user)
    url = reverse("fulfillment:shipment-create", args=[order.pk])
    response = client.get(url)
    assert response.status_code == 302 and "only a confirmed order ships" in messages_of(response)[0]
    posted = client.post(url, {"action": "all"})
    assert posted.status_code == 400 and "only a confirmed order" in posted.content.decode()
    assert not Shipment.objects.exists()


# --- the scheduling board -------------------------------------------------------------------------


def test_board_shows_capacity_holidays_and_reschedules_from_a_chip(warehouse_user) -> None:
    small = WarehouseFactory(code="SML", shipping_capacity_per_day=1, working_days=EVERY_DAY)
    day_after = today() + datetime.timedelta(days=2)
    HolidayFactory(date=day_after, name="Harbour festival", warehouse=small)
    first = shipment_create(order_id=stocked_order([(1, 1)], warehouse=small).pk, actor=None)
    second = shipment_create(order_id=stocked_order([(1, 1)], warehouse=small).pk, actor=None)
    assert (first.planned_ship_date, second.planned_ship_date) == (today(), today() + datetime.timedelta(days=1))
    client = client_for(warehouse_user)
    board_url = reverse("fulfillment:board") + f"?warehouse={small.pk}&days=21"
    page = client.get(board_url).content.decode()
    assert page.count('data-testid="board-day"') == 21
    for odd in ("?start=9999-12-31", "?start=0001-01-01&days=28", "?warehouse=x&days=99&start=soon"):
        assert client.get(reverse("fulfillment:board") + odd).status_code == 200, odd  # ignored, not a 500
    assert "Harbour festival" in page and 'data-over="true"' not in page
    assert f'data-date="{today():%Y-%m-%d}"' in page and "1 / 1" in page

    full = client.post(_action("reschedule", second), {"planned_ship_date": today().isoformat(), "next": board_url})
    assert full["Location"] == board_url and "already has 1 shipments" in messages_of(full)[0]
    holiday = client.post(_action("reschedule", second), {"planned_ship_date": day_after.isoformat(),
                                                          "next": board_url})
    assert "does not ship on" in messages_of(holiday)[-1]
    assert Shipment.objects.get(pk=second.pk).planned_ship_date == today() + datetime.timedelta(days=1)

    moved = client.post(_action("reschedule", second), {"planned_ship_date": today().isoformat(),
                                                        "over_capacity": "on", "next": board_url}, follow=True)
    page = moved.content.decode()
    assert Shipment.objects.get(pk=second.pk).planned_ship_date == today()
    assert f"{second.number} now ships on" in page
    assert re.search(rf'data-date="{today():%Y-%m-%d}" data-over="true"', page) and "2 / 1" in page
    assert "over capacity" in page
    assert AuditEvent.objects.filter(object_id=str(second.pk), action="rescheduled").count() == 1


def test_late_shipments_are_listed_on_the_board_and_counted_on_the_work_queue(warehouse_user, ham) -> None:
    on_time = shipment_create(order_id=stocked_order([(1, 1)], warehouse=ham).pk, actor=None)
    late = shipment_create(order_id=stocked_order([(1, 1)], warehouse=ham, requested_date=today()).pk, actor=None)
    client = client_for(warehouse_user)
    board = client.get(reverse("fulfillment:board")).content.decode()
    late_rows = re.findall(r'data-testid="late-row" data-number="([^"]+)"', board)
    assert late_rows == [late.number] and on_time.number in board
    home = client.get(reverse("fulfillment:home")).content.decode()
    assert re.search(r'1 late shipment\b', home)
    queue = re.findall(r'data-testid="queue-row" data-number="([^"]+)"', home)
    assert sorted(queue) == sorted([on_time.number, late.number])


# --- the order page -------------------------------------------------------------------------------


def test_order_page_shows_shipments_with_their_tracking_link(warehouse_user, sales_user, order) -> None:
    warehouse = client_for(warehouse_user)
    page = warehouse.get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert "No shipments yet." in page and reverse("fulfillment:shipment-create", args=[order.pk]) in page
    assert "Return goods" not in page  # nothing shipped yet

    shipped = shipped_shipment(order, tracking="TRK-42")
    scheduled = shipment_create(order_id=order.pk, actor=None, lines=[
        {"order_line": order.lines.get(position=2).pk, "quantity": "3"}])
    page = client_for(sales_user).get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert 'data-testid="order-shipments"' in page
    assert shipped.number in page and scheduled.number in page
    assert 'href="https://track.example.com/?id=TRK-42"' in page
    assert ">Shipped<" in page and ">Scheduled<" in page
    assert "Create shipment" not in page and "Return goods" not in page

    page = warehouse.get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert reverse("fulfillment:return-create", args=[order.pk]) in page
    assert "Create shipment" not in page  # everything open is on a shipment


# --- returns --------------------------------------------------------------------------------------


def test_return_goods_from_the_order_then_receive_them(warehouse_user, ham) -> None:
    shipped = shipped_shipment(stocked_order([(5, 5), (3, 3)], warehouse=ham))
    order = shipped.order
    first, second = order.lines.order_by("position")
    client = client_for(warehouse_user)
    url = reverse("fulfillment:return-create", args=[order.pk])
    assert 'max="5"' in client.get(url).content.decode()

    over = client.post(url, {f"qty_{first.pk}": "6", "reason": "damaged", "warehouse": ham.pk})
    assert over.status_code == 400 and "less than or equal to 5" in over.content.decode()
    no_reason = client.post(url, {f"qty_{first.pk}": "1", "reason": "", "warehouse": ham.pk})
    assert no_reason.status_code == 400 and "Choose a return reason." in no_reason.content.decode()
    nothing = client.post(url, {"reason": "damaged", "warehouse": ham.pk})
    assert nothing.status_code == 400 and "Choose at least one line to return." in nothing.content.decode()
    assert not ReturnAuthorization.objects.exists()

    done = client.post(url, {f"qty_{first.pk}": "2", f"disposition_{first.pk}": "restock", f"qty_{second.pk}": "1",
                             f"disposition_{second.pk}": "scrap", "reason": "damaged", "warehouse": ham.pk,
                             "note": "Box crushed"})
    rma = ReturnAuthorization.objects.get()
    assert done["Location"] == reverse("fulfillment:return-detail", args=[rma.pk])
    assert rma.note == "Box crushed" and rma.lines.count() == 2

    # the authorised quantities count: 3 more of line 1 is the most
    more = client.post(url, {f"qty_{first.pk}": "4", "reason": "other", "warehouse": ham.pk})
    assert more.status_code == 400 and "less than or equal to 3" in more.content.decode()

    level = StockLevel.objects.get(product=first.product, warehouse=ham)
    items = {item.order_line_id: item for item in rma.lines.all()}
    received = client.post(reverse("fulfillment:return-receive", args=[rma.pk]), {
        f"disposition_{items[first.pk].pk}": "restock", f"disposition_{items[second.pk].pk}": "scrap"}, follow=True)
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.RECEIVED and "received" in received.content.decode()
    assert StockLevel.objects.get(pk=level.pk).on_hand == level.on_hand + 2
    assert OutboxEvent.objects.filter(type="return.received", payload__return=rma.pk).count() == 1
    again = client.post(reverse("fulfillment:return-cancel", args=[rma.pk]), {"reason": "oops"})
    assert again.status_code == 400 and "only an authorised return can be cancelled" in again.content.decode()


def test_cancel_a_return_needs_a_reason_and_sales_may_only_read(warehouse_user, sales_user, ham) -> None:
    shipped = shipped_shipment(stocked_order([(2, 2)], warehouse=ham))
    rma = return_authorize(order_id=shipped.order_id, reason="not_needed", actor=None,
                           lines=[{"order_line": shipped.lines.get().order_line_id, "quantity": "1"}])
    sales = client_for(sales_user)
    page = sales.get(reverse("fulfillment:return-detail", args=[rma.pk])).content.decode()
    assert rma.number in page and "Receive return" not in page
    assert sales.post(reverse("fulfillment:return-cancel", args=[rma.pk]), {"reason": "x"}).status_code == 403
    assert sales.post(reverse("fulfillment:return-receive", args=[rma.pk])).status_code == 403

    client = client_for(warehouse_user)
    refused = client.post(reverse("fulfillment:return-cancel", args=[rma.pk]), {"reason": ""})
    assert refused.status_code == 400 and "Say why it is cancelled." in refused.content.decode()
    bad = client.post(reverse("fulfillment:return-receive", args=[rma.pk]),
                      {f"disposition_{rma.lines.get().pk}": "burn"})
    assert bad.status_code == 400 and "Select a valid choice." in bad.content.decode()
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.AUTHORISED

    client.post(reverse("fulfillment:return-cancel", args=[rma.pk]), {"reason": "Customer keeps it"})
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.CANCELLED
    listed = client.get(reverse("fulfillment:return-list") + "?status=cancelled").content.decode()
    assert rma.number in listed


def test_return_goods_is_refused_when_nothing_shipped(warehouse_user, order) -> None:
    response = client_for(warehouse_user).get(reverse("fulfillment:return-create", args=[order.pk]))
    assert response.status_code == 302 and "Nothing of order" in messages_of(response)[0]


# --- list pages: a fixed number of queries ------------------------------------------------------


def test_list_pages_keep_a_fixed_number_of_queries(warehouse_user, ham, capsys) -> None:
    client = client_for(warehouse_user)
    carriers = [CarrierFactory(code=f"C{n}", name=f"Carrier {n}") for n in range(3)]
    made: list[int] = []

    def grow(count: int) -> None:
        """Per round: an open shipment (scheduled or packed, some tomorrow, late), a shipped one, a return."""
        while len(made) < count:
            n = len(made)
            order = stocked_order([(2, 1), (2, 1)], warehouse=ham, requested_date=today())
            shipment = (packed_shipment(order) if n % 2 else
                        shipment_create(order_id=order.pk, actor=None, carrier=carriers[n % 3]))
            if n % 3 == 0:
                shipment_reschedule(shipment_id=shipment.pk, planned_ship_date=today() + datetime.timedelta(days=1),
                                    actor=None)
            shipped = shipped_shipment(stocked_order([(1, 1)], warehouse=ham))
            return_authorize(order_id=shipped.order_id, reason="damaged", actor=None,
                             lines=[{"order_line": shipped.lines.get().order_line_id, "quantity": "1"}])
            made.append(shipment.pk)

    shipment_row = r'<td class="text-nowrap"><a href="/fulfillment/shipments/\d+/"'
    pages = [
        (reverse("fulfillment:shipment-list"), shipment_row),
        (reverse("fulfillment:shipment-list") + f"?status=&warehouse={ham.pk}&q=SH&date_from={today()}",
         shipment_row),
        (reverse("fulfillment:shipment-list") + "?status=packed", shipment_row),
        (reverse("fulfillment:return-list"), r'href="/fulfillment/returns/\d+/"'),
        (reverse("fulfillment:home"), r'data-testid="queue-row"'),
        (reverse("fulfillment:home") + f"?warehouse={ham.pk}", r'data-testid="queue-row"'),
        (reverse("fulfillment:board") + f"?warehouse={ham.pk}", r'data-testid="board-chip"'),
    ]
    measured: dict[str, list[tuple[int, int]]] = {}
    for rounds in (3, 10):
        grow(rounds)
        for url, marker in pages:
            measured.setdefault(url, []).append(page_queries(client, url, marker))
    with capsys.disabled():
        print("\nfulfillment list (queries, rows) at 3 → 10 rounds:", measured)
    for url, ((queries_few, rows_few), (queries_many, rows_many)) in measured.items():
        assert rows_few < rows_many, url
        assert queries_few == queries_many, url
    assert measured[reverse("fulfillment:shipment-list")][1][1] == 20
    assert measured[reverse("fulfillment:return-list")][1][1] == 10


def test_carrier_default_is_preselected(warehouse_user, order, default_carrier: Carrier) -> None:
    CarrierFactory(code="AAA", name="Alpha")
    page = client_for(warehouse_user).get(reverse("fulfillment:shipment-create", args=[order.pk])).content.decode()
    assert re.search(rf'<option value="{default_carrier.pk}" selected>', page)
