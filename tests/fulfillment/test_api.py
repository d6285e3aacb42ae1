"""The fulfillment API: carriers, holidays, shipments (create from an order, pick → pack → ship →
deliver, cancel, reschedule, documents) and returns — real HTTP requests on a real PostgreSQL through
the real services. Refused input answers a 4xx in the one error shape and changes nothing."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from fulfillment.enums import ReturnStatus
from fulfillment.models import Carrier, Package, ReturnAuthorization, ReturnLine, Shipment, ShipmentLine
from fulfillment.services import return_authorize, shipment_create, shipment_start_picking
from inventory.calendar import warehouse_calendar
from inventory.models import Holiday, StockLevel, StockMove, Warehouse
from o2c.audit import timeline
from o2c.models import AuditEvent, IdempotencyRecord, OutboxEvent
from orders.models import SalesOrder, SalesOrderLine
from tests.fulfillment.factories import (
    CarrierFactory,
    packed_shipment,
    shipped_shipment,
    stocked_order,
)
from tests.inventory.factories import HolidayFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

SHIPMENTS = "/api/v1/shipments/"
RETURNS = "/api/v1/returns/"


def _error(response: Any, status: int | None = None) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert response.status_code // 100 == 4, response.status_code
    if status is not None:
        assert response.status_code == status, body
    return body["error"]


@pytest.fixture
def ham() -> Warehouse:
    return WarehouseFactory(code="HAM", name="Hamburg")


def _state() -> tuple:
    """Everything a refused write must leave as it was."""
    return (
        list(Shipment.objects.order_by("pk").values_list("pk", "status", "planned_ship_date", "carrier_id",
                                                         "tracking_number", "delivered_on", "cancel_reason")),
        list(ShipmentLine.objects.order_by("pk").values_list("pk", "quantity")),
        Package.objects.count(),
        list(SalesOrderLine.objects.order_by("pk").values_list("shipped_quantity", "reserved_quantity",
                                                               "delivered_quantity", "returned_quantity")),
        list(StockLevel.objects.order_by("pk").values_list("on_hand", "reserved")),
        StockMove.objects.count(),
        list(ReturnAuthorization.objects.order_by("pk").values_list("pk", "status")),
        list(ReturnLine.objects.order_by("pk").values_list("pk", "quantity", "disposition")),
        OutboxEvent.objects.count(),
        AuditEvent.objects.count(),
        list(Carrier.objects.order_by("pk").values_list("code", "name", "is_default", "transit_days")),
        list(Holiday.objects.order_by("pk").values_list("date", "name", "warehouse_id")),
    )


def _events(kind: str, shipment_id: int) -> int:
    return OutboxEvent.objects.filter(type=kind, payload__shipment=shipment_id).count()


def _on_hand(line: SalesOrderLine) -> Decimal:
    return StockLevel.objects.get(product=line.product, warehouse=line.order.warehouse).on_hand


def _post(client: APIClient, url: str, body: dict | None = None, **extra: Any) -> Any:
    return client.post(url, body if body is not None else {}, format="json", **extra)


def _create(client: APIClient, body: dict) -> dict:
    response = _post(client, SHIPMENTS, body)
    assert response.status_code == 201, response.json()
    return response.json()


def _next_working(warehouse: Warehouse, after: datetime.date) -> datetime.date:
    return warehouse_calendar(warehouse, after).next_working(after + datetime.timedelta(days=1))


# --- create from an order -------------------------------------------------------------------------


def test_a_shipment_is_created_with_everything_reserved_and_the_backorder_stays_on_the_order(
    warehouse_api: APIClient,
) -> None:
    order = stocked_order([(6, 10), (5, 5)])
    first, second = order.lines.order_by("position")
    body = _create(warehouse_api, {"order": order.pk})
    assert body["status"] == "scheduled" and body["number"]
    assert (body["order"], body["order_number"], body["customer"]) == (order.pk, order.number, order.customer_id)
    assert (body["warehouse_code"], body["carrier_code"], body["carrier_name"]) == (order.warehouse.code, "STD",
                                                                                    "Parcel Co")
    assert [(line["order_line"], line["position"], line["sku"], line["description"], line["quantity"])
            for line in body["lines"]] == [
        (first.pk, 1, first.product.sku, first.description, "6.000"),
        (second.pk, 2, second.product.sku, second.description, "5.000"),
    ]
    today = timezone.localdate()
    assert body["planned_ship_date"] >= str(today)
    assert body["planned_delivery_date"] > body["planned_ship_date"]
    assert body["promised_date"] >= str(today)
    assert (body["tracking_number"], body["tracking_url"], body["packages"]) == ("", "", [])
    assert (body["on_time"], body["in_full"], body["delivered_on"], body["received_by"]) == (None, None, None, "")
    assert warehouse_api.get(f"{SHIPMENTS}{body['id']}/").json() == body
    for method in (warehouse_api.patch, warehouse_api.put, warehouse_api.delete):  # only the actions change it
        assert _error(method(f"{SHIPMENTS}{body['id']}/", {"tracking_number": "X"}, format="json"), 405)
    assert [e.action for e in timeline(Shipment.objects.get(pk=body["id"]))] == ["scheduled"]

    before = _state()
    again = _post(warehouse_api, SHIPMENTS, {"order": order.pk})
    assert _error(again, 409)["code"] == "nothing_to_ship"
    assert _state() == before
    assert SalesOrderLine.objects.get(pk=first.pk).backordered_quantity == 4


def test_chosen_lines_and_quantities_ship_and_the_rest_stays_on_the_order(warehouse_api: APIClient) -> None:
    order = stocked_order([(10, 10), (5, 5)])
    first, second = order.lines.order_by("position")
    express = CarrierFactory(code="EXP", name="Express Co", transit_days=1)
    one = _create(warehouse_api, {"order": order.pk, "lines": [{"order_line": first.pk, "quantity": "4"}],
                                  "carrier": "exp"})
    assert [(line["order_line"], line["quantity"]) for line in one["lines"]] == [(first.pk, "4.000")]
    assert (one["carrier"], one["carrier_code"]) == (express.pk, "EXP")
    two = _create(warehouse_api, {"order": order.pk, "lines": [{"order_line": second.pk, "quantity": 2}],
                                  "carrier": express.pk})
    assert [(line["order_line"], line["quantity"]) for line in two["lines"]] == [(second.pk, "2.000")]
    rest = _create(warehouse_api, {"order": order.pk})
    assert [(line["order_line"], line["quantity"]) for line in rest["lines"]] == [(first.pk, "6.000"),
                                                                                 (second.pk, "3.000")]
    assert Shipment.objects.filter(order=order).count() == 3


def test_over_shipment_is_refused_and_changes_nothing(warehouse_api: APIClient) -> None:
    order = stocked_order([(5, 5), (2, 2)])
    first, second = order.lines.order_by("position")
    _create(warehouse_api, {"order": order.pk, "lines": [{"order_line": first.pk, "quantity": "3"}]})
    before = _state()
    over = _post(warehouse_api, SHIPMENTS, {"order": order.pk, "lines": [
        {"order_line": second.pk, "quantity": "1"}, {"order_line": first.pk, "quantity": "2.001"}]})
    error = _error(over, 400)
    assert error["code"] == "over_shipment" and "at most 2" in error["message"]
    assert _state() == before
    twice = _post(warehouse_api, SHIPMENTS, {"order": order.pk, "lines": [
        {"order_line": second.pk, "quantity": "1"}, {"order_line": second.pk, "quantity": "1"}]})
    assert "chosen twice" in _error(twice, 400)["message"]
    foreign = stocked_order([(1, 1)]).lines.get()
    not_its_line = _post(warehouse_api, SHIPMENTS, {"order": order.pk, "lines": [
        {"order_line": foreign.pk, "quantity": "1"}]})
    assert "not a line of" in _error(not_its_line, 400)["message"]
    assert _state()[:2] == before[:2]


def test_an_order_that_is_not_confirmed_cannot_ship(warehouse_api: APIClient, sales_api: APIClient) -> None:
    order = stocked_order([(2, 2)])
    cancelled = sales_api.post(f"/api/v1/orders/{order.pk}/cancel/", {"reason": "x"}, format="json")
    assert cancelled.status_code == 200, cancelled.json()
    before = _state()
    assert _error(_post(warehouse_api, SHIPMENTS, {"order": order.pk}), 409)["code"] == "order_not_confirmed"
    assert _state() == before


# --- the flow -------------------------------------------------------------------------------------


def test_pick_pack_ship_deliver_through_the_api_publishes_each_event_once(warehouse_api: APIClient) -> None:
    order = stocked_order([(3, 3), (2, 2)])
    first = order.lines.order_by("position").first()
    shipment = _create(warehouse_api, {"order": order.pk})
    url = f"{SHIPMENTS}{shipment['id']}/"

    picked = _post(warehouse_api, f"{url}pick/")
    assert picked.status_code == 200, picked.json()
    assert picked.json()["status"] == "picking" and picked.json()["picked_at"]

    packed = _post(warehouse_api, f"{url}pack/", {"packages": [
        {"weight_kg": "4.250", "length_cm": "40", "width_cm": "30", "height_cm": "20.5"},
        {"weight_kg": "2"}]})
    assert packed.status_code == 200, packed.json()
    assert packed.json()["status"] == "packed"
    assert [(p["weight_kg"], p["length_cm"], p["height_cm"]) for p in packed.json()["packages"]] == [
        ("4.250", "40.0", "20.5"), ("2.000", None, None)]

    before_ship = _on_hand(first)
    shipped = _post(warehouse_api, f"{url}ship/", {"tracking_number": " 00340434 "})
    assert shipped.status_code == 200, shipped.json()
    body = shipped.json()
    assert (body["status"], body["tracking_number"]) == ("shipped", "00340434")
    assert body["tracking_url"] == "https://track.example.com/?id=00340434"
    assert body["shipped_at"] and body["in_full"] is True
    assert _on_hand(first) == before_ship - 3
    line = SalesOrderLine.objects.get(pk=first.pk)
    assert (line.shipped_quantity, line.reserved_quantity) == (3, 0)
    assert _events("shipment.shipped", shipment["id"]) == 1

    delivered = _post(warehouse_api, f"{url}deliver/", {"received_by": "J. Doe"})
    assert delivered.status_code == 200, delivered.json()
    body = delivered.json()
    assert (body["status"], body["received_by"], body["delivered_on"]) == ("delivered", "J. Doe",
                                                                           str(timezone.localdate()))
    assert (body["on_time"], body["in_full"]) == (True, True)
    assert SalesOrderLine.objects.get(pk=first.pk).delivered_quantity == 3
    assert _events("shipment.delivered", shipment["id"]) == 1
    assert _events("shipment.shipped", shipment["id"]) == 1
    actions = [e.action for e in timeline(Shipment.objects.get(pk=shipment["id"]))]
    assert actions == ["delivered", "shipped", "packed", "picking", "scheduled"]
    order_body = warehouse_api.get(f"/api/v1/orders/{order.pk}/").json()
    assert order_body["delivery_status"] == "full"


def test_shipping_twice_delivering_early_and_cancelling_after_shipping_are_409_and_change_nothing(
    warehouse_api: APIClient,
) -> None:
    order = stocked_order([(2, 2)])
    shipment = packed_shipment(order)
    url = f"{SHIPMENTS}{shipment.pk}/"
    before = _state()
    early = _post(warehouse_api, f"{url}deliver/", {"received_by": "X"})
    assert _error(early, 409)["code"] == "invalid_transition"
    assert "only a shipped shipment can be delivered" in _error(early)["message"]
    assert _error(_post(warehouse_api, f"{url}pick/"), 409)["code"] == "invalid_transition"
    assert _state() == before

    assert _post(warehouse_api, f"{url}ship/", {"tracking_number": "T1"}).status_code == 200
    before = _state()
    twice = _post(warehouse_api, f"{url}ship/", {"tracking_number": "T2"})
    assert _error(twice, 409)["code"] == "invalid_transition"
    late_cancel = _post(warehouse_api, f"{url}cancel/", {"reason": "too late"})
    assert _error(late_cancel, 409)["code"] == "invalid_transition"
    late_move = _post(warehouse_api, f"{url}reschedule/", {"planned_ship_date": str(timezone.localdate())})
    assert _error(late_move, 409)["code"] == "invalid_transition"
    assert _state() == before
    assert _events("shipment.shipped", shipment.pk) == 1
    assert Shipment.objects.get(pk=shipment.pk).tracking_number == "T1"


def test_a_shipment_waiting_for_stock_cannot_be_picked(warehouse_api: APIClient) -> None:
    order = stocked_order([(0, 4)])
    line = order.lines.get()
    shipment = _create(warehouse_api, {"order": order.pk, "lines": [{"order_line": line.pk, "quantity": "4"}]})
    before = _state()
    assert _error(_post(warehouse_api, f"{SHIPMENTS}{shipment['id']}/pick/"), 409)["code"] == "not_reserved"
    assert _state() == before


def test_a_tracking_carrier_needs_a_tracking_number_and_another_carrier_can_take_over(
    warehouse_api: APIClient,
) -> None:
    shipment = packed_shipment(stocked_order([(1, 1)]))
    url = f"{SHIPMENTS}{shipment.pk}/ship/"
    inactive = CarrierFactory(code="OLD", is_active=False)
    own = CarrierFactory(code="OWN", name="Own truck", tracking_url_template="")
    before = _state()
    assert "tracking_number" in _error(_post(warehouse_api, url), 400)["details"]
    assert _state() == before
    assert "carrier" in _error(_post(warehouse_api, url, {"carrier": inactive.code, "tracking_number": "1"}),
                               400)["details"]
    assert _state() == before
    shipped = _post(warehouse_api, url, {"carrier": "own"})
    assert shipped.status_code == 200, shipped.json()
    assert (shipped.json()["carrier"], shipped.json()["tracking_url"]) == (own.pk, "")


def test_a_shipment_is_cancelled_with_a_reason_and_its_goods_go_on_the_next_one(warehouse_api: APIClient) -> None:
    order = stocked_order([(5, 5)])
    shipment = _create(warehouse_api, {"order": order.pk})
    url = f"{SHIPMENTS}{shipment['id']}/cancel/"
    before = _state()
    for body in ({}, {"reason": "   "}, {"reason": "x" * 201}):
        assert "reason" in _error(_post(warehouse_api, url, body), 400)["details"], body
    assert _state() == before
    cancelled = _post(warehouse_api, url, {"reason": "Customer asked to wait"})
    assert cancelled.status_code == 200, cancelled.json()
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == ("cancelled", "Customer asked to wait")
    assert _error(_post(warehouse_api, url, {"reason": "again"}), 409)["code"] == "invalid_transition"
    again = _create(warehouse_api, {"order": order.pk})
    assert [line["quantity"] for line in again["lines"]] == ["5.000"]
    assert SalesOrderLine.objects.get(order=order).reserved_quantity == 5


def test_a_shipment_is_rescheduled_to_a_working_day_with_room_or_over_capacity_on_request(
    warehouse_api: APIClient, ham: Warehouse,
) -> None:
    ham.shipping_capacity_per_day = 1
    ham.save()
    order = stocked_order([(4, 4)], warehouse=ham)
    line = order.lines.get()
    one = _create(warehouse_api, {"order": order.pk, "lines": [{"order_line": line.pk, "quantity": "1"}]})
    two = _create(warehouse_api, {"order": order.pk, "lines": [{"order_line": line.pk, "quantity": "1"}]})
    assert two["planned_ship_date"] > one["planned_ship_date"]  # the first day is full
    url = f"{SHIPMENTS}{two['id']}/reschedule/"

    before = _state()
    full = _post(warehouse_api, url, {"planned_ship_date": one["planned_ship_date"]})
    assert _error(full, 409)["code"] == "day_full"
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert "planned_ship_date" in _error(_post(warehouse_api, url, {"planned_ship_date": str(yesterday)}),
                                         400)["details"]
    day = datetime.date.fromisoformat(two["planned_ship_date"])
    saturday = day + datetime.timedelta(days=(5 - day.weekday()) % 7 or 7)
    not_working = _post(warehouse_api, url, {"planned_ship_date": str(saturday)})
    assert "does not ship on" in _error(not_working, 400)["message"]
    assert _state() == before

    later = _next_working(ham, day)
    moved = _post(warehouse_api, url, {"planned_ship_date": str(later)})
    assert moved.status_code == 200, moved.json()
    assert moved.json()["planned_ship_date"] == str(later)
    assert moved.json()["planned_delivery_date"] > str(later)
    assert timeline(Shipment.objects.get(pk=two["id"])).first().action == "rescheduled"
    forced = _post(warehouse_api, url, {"planned_ship_date": one["planned_ship_date"], "over_capacity": True})
    assert forced.status_code == 200, forced.json()
    assert forced.json()["planned_ship_date"] == one["planned_ship_date"]


def test_holidays_move_the_planned_ship_day(warehouse_api: APIClient, ham: Warehouse) -> None:
    first_day = warehouse_calendar(ham, timezone.localdate()).next_working(timezone.localdate())
    made = _post(warehouse_api, "/api/v1/holidays/", {"date": str(first_day), "name": "Stocktaking",
                                                      "warehouse": "ham"})
    assert made.status_code == 201, made.json()
    order = stocked_order([(1, 1)], warehouse=ham)
    shipment = _create(warehouse_api, {"order": order.pk})
    assert shipment["planned_ship_date"] == str(_next_working(ham, first_day))


# --- documents ------------------------------------------------------------------------------------


def test_the_pick_list_and_the_delivery_note_are_pdfs(warehouse_api: APIClient, sales_api: APIClient) -> None:
    shipment = shipped_shipment(stocked_order([(2, 2)]))
    for client, document in ((warehouse_api, "pick-list"), (warehouse_api, "delivery-note"),
                             (sales_api, "delivery-note")):
        response = client.get(f"{SHIPMENTS}{shipment.pk}/{document}/")
        assert response.status_code == 200, document
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert shipment.number in response["Content-Disposition"]
    asked_for_pdf = warehouse_api.get(f"{SHIPMENTS}{shipment.pk}/pick-list/", HTTP_ACCEPT="application/pdf")
    assert asked_for_pdf.status_code == 200 and asked_for_pdf.content.startswith(b"%PDF")
    missing = warehouse_api.get(f"{SHIPMENTS}987654/pick-list/", HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert _error(missing)["code"] == "not_found"


# --- lists ----------------------------------------------------------------------------------------


def test_shipments_are_filtered_by_status_warehouse_carrier_order_date_and_searched(
    warehouse_api: APIClient, ham: Warehouse,
) -> None:
    elsewhere = WarehouseFactory(code="BER")
    express = CarrierFactory(code="EXP", transit_days=1)
    hamburg_order = stocked_order([(5, 5)], warehouse=ham)
    hamburg_line = hamburg_order.lines.get()
    scheduled = shipment_create(order_id=hamburg_order.pk, actor=None, lines=[
        {"order_line": hamburg_line.pk, "quantity": "2"}])
    picking = shipment_create(order_id=hamburg_order.pk, actor=None, carrier=express)
    shipment_start_picking(shipment_id=picking.pk, actor=None)
    berlin_order = stocked_order([(1, 1)], warehouse=elsewhere)
    shipped = shipped_shipment(berlin_order, tracking="ZX-991")
    later = _next_working(ham, scheduled.planned_ship_date)
    Shipment.objects.filter(pk=scheduled.pk).update(planned_ship_date=later,
                                                    planned_delivery_date=later + datetime.timedelta(days=3))

    def ids(query: str) -> list[int]:
        response = warehouse_api.get(f"{SHIPMENTS}{query}")
        assert response.status_code == 200, response.json()
        return [s["id"] for s in response.json()["results"]]

    assert ids("") == [shipped.pk, picking.pk, scheduled.pk]  # newest first
    assert ids("?status=picking") == [picking.pk]
    assert ids("?warehouse=ham") == [picking.pk, scheduled.pk]
    assert ids("?carrier=exp") == [picking.pk] == ids(f"?carrier={express.pk}")
    assert ids("?carrier=std") == [scheduled.pk]
    assert ids(f"?carrier={shipped.carrier.code}") == [shipped.pk]
    assert ids(f"?order={berlin_order.pk}") == [shipped.pk]
    assert ids(f"?ship_date_after={later}") == [scheduled.pk]
    assert ids(f"?ship_date_before={later - datetime.timedelta(days=1)}") == [shipped.pk, picking.pk]
    assert ids(f"?warehouse=HAM&status=scheduled&ship_date_after={later}&ship_date_before={later}") == [
        scheduled.pk]
    assert ids("?search=ZX-991") == [shipped.pk]
    assert ids(f"?search={hamburg_order.number}") == [picking.pk, scheduled.pk]
    assert ids(f"?search={shipped.number}") == [shipped.pk]
    assert ids("?carrier=NOPE") == [] and ids("?warehouse=NOPE") == []
    assert ids("?ordering=planned_ship_date")[-1] == scheduled.pk
    listed = warehouse_api.get(SHIPMENTS).json()["results"][0]
    assert listed["lines"][0]["order_line"] == berlin_order.lines.get().pk and listed["packages"]
    assert "status" in _error(warehouse_api.get(f"{SHIPMENTS}?status=lost"), 400)["details"]
    assert "ship_date_after" in _error(warehouse_api.get(f"{SHIPMENTS}?ship_date_after=yesterday"), 400)["details"]
    assert "order" in _error(warehouse_api.get(f"{SHIPMENTS}?order=987654"), 400)["details"]


# --- permissions ----------------------------------------------------------------------------------


def test_sales_and_finance_read_fulfillment_but_change_nothing(
    sales_api: APIClient, finance_api: APIClient, warehouse_user: User,
) -> None:
    order = stocked_order([(4, 4)])
    line = order.lines.get()
    shipment = shipped_shipment(order, actor=warehouse_user)
    open_one = stocked_order([(1, 1)])
    scheduled = shipment_create(order_id=open_one.pk, actor=None)
    rma = return_authorize(order_id=order.pk, lines=[{"order_line": line.pk, "quantity": "1"}], reason="damaged",
                           actor=None)
    holiday = HolidayFactory(date=datetime.date(2031, 12, 24))
    carrier = Carrier.objects.get(code="STD")
    for client in (sales_api, finance_api):
        for url in (SHIPMENTS, f"{SHIPMENTS}{shipment.pk}/", f"{SHIPMENTS}{shipment.pk}/delivery-note/", RETURNS,
                    f"{RETURNS}{rma.pk}/", "/api/v1/carriers/", f"/api/v1/carriers/{carrier.pk}/",
                    "/api/v1/holidays/"):
            assert client.get(url).status_code == 200, url
        before = _state()
        writes = [
            _post(client, SHIPMENTS, {"order": open_one.pk}),
            _post(client, f"{SHIPMENTS}{scheduled.pk}/pick/"),
            _post(client, f"{SHIPMENTS}{scheduled.pk}/pack/"),
            _post(client, f"{SHIPMENTS}{scheduled.pk}/ship/", {"tracking_number": "X"}),
            _post(client, f"{SHIPMENTS}{shipment.pk}/deliver/", {"received_by": "X"}),
            _post(client, f"{SHIPMENTS}{scheduled.pk}/cancel/", {"reason": "X"}),
            _post(client, f"{SHIPMENTS}{scheduled.pk}/reschedule/", {"planned_ship_date": "2031-01-06"}),
            _post(client, RETURNS, {"order": order.pk, "reason": "damaged",
                                    "lines": [{"order_line": line.pk, "quantity": "1"}]}),
            _post(client, f"{RETURNS}{rma.pk}/receive/"),
            _post(client, f"{RETURNS}{rma.pk}/cancel/", {"reason": "X"}),
            _post(client, "/api/v1/carriers/", {"code": "NEW", "name": "New"}),
            client.patch(f"/api/v1/carriers/{carrier.pk}/", {"name": "Renamed"}, format="json"),
            _post(client, "/api/v1/holidays/", {"date": "2031-12-25", "name": "X"}),
            client.patch(f"/api/v1/holidays/{holiday.pk}/", {"name": "X"}, format="json"),
            client.delete(f"/api/v1/holidays/{holiday.pk}/"),
        ]
        assert [r.status_code for r in writes] == [403] * len(writes)
        assert {_error(r)["code"] for r in writes} == {"permission_denied"}
        assert _state() == before


def test_without_login_nothing_is_answered() -> None:
    shipment = shipment_create(order_id=stocked_order([(1, 1)]).pk, actor=None)
    anonymous = APIClient()
    before = _state()
    for response in (anonymous.get(SHIPMENTS), anonymous.get(f"{SHIPMENTS}{shipment.pk}/pick-list/"),
                     anonymous.post(f"{SHIPMENTS}{shipment.pk}/pick/"), anonymous.get(RETURNS),
                     anonymous.post("/api/v1/carriers/", {"code": "X1", "name": "X"}),
                     anonymous.get("/api/v1/holidays/")):
        assert response.status_code in (401, 403)
        _error(response)
    assert _state() == before


# --- idempotency ----------------------------------------------------------------------------------


def test_a_shipment_posted_twice_with_one_key_is_created_once_and_shipped_once(warehouse_api: APIClient) -> None:
    order = stocked_order([(3, 3)])
    key = str(uuid.uuid4())
    first = _post(warehouse_api, SHIPMENTS, {"order": order.pk}, HTTP_IDEMPOTENCY_KEY=key)
    second = _post(warehouse_api, SHIPMENTS, {"order": order.pk}, HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
    assert Shipment.objects.count() == 1
    other = _post(warehouse_api, SHIPMENTS, {"order": order.pk, "carrier": "STD"}, HTTP_IDEMPOTENCY_KEY=key)
    assert _error(other, 422)["code"] == "idempotency_key_reused"
    assert Shipment.objects.count() == 1

    url = f"{SHIPMENTS}{first.json()['id']}/"
    _post(warehouse_api, f"{url}pick/")
    _post(warehouse_api, f"{url}pack/")
    ship_key = str(uuid.uuid4())
    shipments = [_post(warehouse_api, f"{url}ship/", {"tracking_number": "T-1"}, HTTP_IDEMPOTENCY_KEY=ship_key)
                 for _ in range(2)]
    assert [r.status_code for r in shipments] == [200, 200]
    assert shipments[0].json() == shipments[1].json()
    assert _events("shipment.shipped", first.json()["id"]) == 1
    assert SalesOrderLine.objects.get(order=order).shipped_quantity == 3
    assert IdempotencyRecord.objects.count() == 2


def test_a_refused_shipment_is_replayed_as_refused(warehouse_api: APIClient) -> None:
    order = stocked_order([(1, 1)])
    key = str(uuid.uuid4())
    body = {"order": order.pk, "lines": [{"order_line": order.lines.get().pk, "quantity": "2"}]}
    first = _post(warehouse_api, SHIPMENTS, body, HTTP_IDEMPOTENCY_KEY=key)
    second = _post(warehouse_api, SHIPMENTS, body, HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == second.status_code == 400 and first.json() == second.json()
    assert not Shipment.objects.exists()


# --- bad input ------------------------------------------------------------------------------------

LINE = "<line>"  # replaced by the order line's id
DROP = "<drop>"  # the field is left out


BAD_CREATES = [
    ({"order": DROP}, "order"),
    ({"order": 987654}, "order"),
    ({"order": "abc"}, "order"),
    ({"order": 1.5}, "order"),
    ({"order": 2**70}, "order"),
    ({"order": None}, "order"),
    ({"lines": [{"order_line": LINE, "quantity": 1.5}]}, "lines"),
    ({"lines": [{"order_line": LINE, "quantity": "-1"}]}, "lines"),
    ({"lines": [{"order_line": LINE, "quantity": "0"}]}, "lines"),
    ({"lines": [{"order_line": LINE, "quantity": "abc"}]}, "lines"),
    ({"lines": [{"order_line": LINE, "quantity": "1.0001"}]}, "lines"),
    ({"lines": [{"order_line": LINE, "quantity": "NaN"}]}, "lines"),
    ({"lines": [{"order_line": LINE, "quantity": True}]}, "lines"),
    ({"lines": [{"order_line": LINE}]}, "lines"),
    ({"lines": [{"order_line": 987654, "quantity": "1"}]}, "lines"),
    ({"lines": [{"order_line": "x", "quantity": "1"}]}, "lines"),
    ({"lines": [{"order_line": 2**70, "quantity": "1"}]}, "lines"),
    ({"lines": []}, "lines"),
    ({"lines": "all"}, "lines"),
    ({"lines": [None]}, "lines"),
    ({"carrier": "NOPE"}, "carrier"),
    ({"carrier": 987654}, "carrier"),
    ({"carrier": 2**70}, "carrier"),
    ({"carrier": True}, "carrier"),
    ({"carrier": ["STD"]}, "carrier"),
    ({"carrier": ""}, "carrier"),
    ({"carrier": "ST\x00D"}, "carrier"),
]


@pytest.mark.parametrize(("change", "field"), BAD_CREATES, ids=[f"{f}-{c}" for c, f in BAD_CREATES])
def test_bad_shipment_requests_are_refused_and_change_nothing(
    warehouse_api: APIClient, change: dict, field: str,
) -> None:
    order = stocked_order([(5, 5)])
    line = order.lines.get()
    body: dict[str, Any] = {k: v for k, v in {"order": order.pk, **change}.items() if v != DROP}
    for item in body.get("lines") or []:
        if isinstance(item, dict) and item.get("order_line") == LINE:
            item["order_line"] = line.pk
    before = _state()
    response = _post(warehouse_api, SHIPMENTS, body)
    error = _error(response, 400)
    assert field in error["details"] and error["message"], error
    assert _state() == before


BAD_ACTIONS = [
    ("pack", {"packages": [{"weight_kg": 1.5}]}, "packages"),
    ("pack", {"packages": [{"weight_kg": "-1"}]}, "packages"),
    ("pack", {"packages": [{"weight_kg": "0"}]}, "packages"),
    ("pack", {"packages": [{"weight_kg": "heavy"}]}, "packages"),
    ("pack", {"packages": [{"length_cm": "10"}]}, "packages"),
    ("pack", {"packages": [{"weight_kg": "1", "length_cm": "0"}]}, "packages"),
    ("pack", {"packages": [{"weight_kg": "1", "width_cm": "1.25"}]}, "packages"),
    ("pack", {"packages": [{"weight_kg": "1"}] * 51}, "packages"),
    ("pack", {"packages": {"weight_kg": "1"}}, "packages"),
    ("ship", {"tracking_number": "x" * 61}, "tracking_number"),
    ("ship", {"tracking_number": "1", "carrier": "NOPE"}, "carrier"),
    ("deliver", {}, "received_by"),
    ("deliver", {"received_by": "  "}, "received_by"),
    ("deliver", {"received_by": "A", "delivered_on": "tomorrow"}, "delivered_on"),
    ("deliver", {"received_by": "A", "delivered_on": "2025-02-30"}, "delivered_on"),
    ("deliver", {"received_by": "A", "delivered_on": "2999-01-01"}, "delivered_on"),
    ("reschedule", {}, "planned_ship_date"),
    ("reschedule", {"planned_ship_date": "2025-13-01"}, "planned_ship_date"),
    ("reschedule", {"planned_ship_date": 20250101}, "planned_ship_date"),
    ("reschedule", {"planned_ship_date": "9999-12-31", "over_capacity": True}, "planned_ship_date"),
    ("reschedule", {"planned_ship_date": "2031-01-06", "over_capacity": "maybe"}, "over_capacity"),
    ("cancel", {"reason": 12 * [1]}, "reason"),
]


@pytest.mark.parametrize(("action", "body", "field"), BAD_ACTIONS,
                         ids=[f"{a}-{f}-{i}" for i, (a, _, f) in enumerate(BAD_ACTIONS)])
def test_bad_action_input_is_refused_and_changes_nothing(
    warehouse_api: APIClient, action: str, body: dict, field: str,
) -> None:
    order = stocked_order([(2, 2)])
    shipment = shipment_create(order_id=order.pk, actor=None)
    if action == "pack":
        shipment_start_picking(shipment_id=shipment.pk, actor=None)
    elif action == "ship":
        shipment = packed_shipment(stocked_order([(1, 1)]))
    elif action == "deliver":
        shipment = shipped_shipment(stocked_order([(1, 1)]))
    before = _state()
    response = _post(warehouse_api, f"{SHIPMENTS}{shipment.pk}/{action}/", body)
    error = _error(response, 400)
    assert field in error["details"], error
    assert _state() == before


def test_unknown_shipments_and_returns_are_404(warehouse_api: APIClient) -> None:
    before = _state()
    for url in (f"{SHIPMENTS}987654/", f"{SHIPMENTS}987654/pick/", f"{SHIPMENTS}987654/ship/",
                f"{SHIPMENTS}abc/cancel/", f"{RETURNS}987654/receive/", f"{RETURNS}987654/"):
        response = warehouse_api.get(url) if url.endswith("987654/") else _post(warehouse_api, url, {"reason": "x"})
        assert _error(response, 404)["code"] == "not_found", url
    assert _state() == before


# --- returns --------------------------------------------------------------------------------------


def test_a_return_is_authorised_received_back_into_stock_or_scrapped_and_published_once(
    warehouse_api: APIClient,
) -> None:
    order = stocked_order([(5, 5), (3, 3)])
    first, second = order.lines.order_by("position")
    shipped_shipment(order)
    created = _post(warehouse_api, RETURNS, {
        "order": order.pk, "reason": "damaged", "note": "Crushed box",
        "lines": [{"order_line": first.pk, "quantity": "2"},
                  {"order_line": second.pk, "quantity": "1", "disposition": "scrap"}]})
    assert created.status_code == 201, created.json()
    rma = created.json()
    assert (rma["status"], rma["reason"], rma["note"], rma["order_number"]) == ("authorised", "damaged",
                                                                                "Crushed box", order.number)
    assert rma["warehouse_code"] == order.warehouse.code and rma["customer"] == order.customer_id
    assert [(line["order_line"], line["position"], line["sku"], line["quantity"], line["disposition"])
            for line in rma["lines"]] == [
        (first.pk, 1, first.product.sku, "2.000", "restock"), (second.pk, 2, second.product.sku, "1.000", "scrap")]
    assert warehouse_api.get(f"{RETURNS}{rma['id']}/").json() == rma
    assert _error(warehouse_api.patch(f"{RETURNS}{rma['id']}/", {"note": "x"}, format="json"), 405)

    on_hand = (_on_hand(first), _on_hand(second))
    first_return_line = rma["lines"][0]["id"]
    received = _post(warehouse_api, f"{RETURNS}{rma['id']}/receive/",
                     {"dispositions": {str(first_return_line): "restock"}})
    assert received.status_code == 200, received.json()
    assert received.json()["status"] == "received" and received.json()["received_at"]
    assert (_on_hand(first), _on_hand(second)) == (on_hand[0] + 2, on_hand[1])  # the scrapped one is gone
    assert SalesOrderLine.objects.get(pk=first.pk).returned_quantity == 2
    assert OutboxEvent.objects.filter(type="return.received", payload__return=rma["id"]).count() == 1

    before = _state()
    assert _error(_post(warehouse_api, f"{RETURNS}{rma['id']}/receive/"), 409)["code"] == "invalid_transition"
    assert _error(_post(warehouse_api, f"{RETURNS}{rma['id']}/cancel/", {"reason": "x"}), 409)["code"] == \
        "invalid_transition"
    assert _state() == before


def test_returning_more_than_shipped_is_refused_and_a_cancelled_return_frees_its_quantity(
    warehouse_api: APIClient,
) -> None:
    order = stocked_order([(3, 5)])  # 3 shipped, 2 backordered
    line = order.lines.get()
    shipped_shipment(order)
    before = _state()
    over = _post(warehouse_api, RETURNS, {"order": order.pk, "reason": "defective",
                                          "lines": [{"order_line": line.pk, "quantity": "4"}]})
    error = _error(over, 400)
    assert error["code"] == "over_return" and "at most 3" in error["message"]
    assert _state() == before

    first = _post(warehouse_api, RETURNS, {"order": order.pk, "reason": "defective",
                                           "lines": [{"order_line": line.pk, "quantity": "2"}]}).json()
    more = _post(warehouse_api, RETURNS, {"order": order.pk, "reason": "defective",
                                          "lines": [{"order_line": line.pk, "quantity": "2"}]})
    assert "at most 1" in _error(more, 400)["message"]
    url = f"{RETURNS}{first['id']}/cancel/"
    assert "reason" in _error(_post(warehouse_api, url, {"reason": ""}), 400)["details"]
    cancelled = _post(warehouse_api, url, {"reason": "Customer keeps it"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = _post(warehouse_api, RETURNS, {"order": order.pk, "reason": "defective",
                                           "lines": [{"order_line": line.pk, "quantity": "3"}]})
    assert again.status_code == 201, again.json()


def test_nothing_shipped_nothing_to_return(warehouse_api: APIClient, sales_api: APIClient) -> None:
    order = stocked_order([(2, 2)])
    before = _state()
    unshipped = _post(warehouse_api, RETURNS, {"order": order.pk, "reason": "damaged",
                                               "lines": [{"order_line": order.lines.get().pk, "quantity": "1"}]})
    assert _error(unshipped, 400)["code"] == "over_return"
    assert _state() == before
    sales_api.post(f"/api/v1/orders/{order.pk}/cancel/", {"reason": "x"}, format="json")
    before = _state()
    cancelled = _post(warehouse_api, RETURNS, {"order": order.pk, "reason": "damaged",
                                               "lines": [{"order_line": order.lines.get().pk, "quantity": "1"}]})
    assert _error(cancelled, 409)["code"] == "order_not_shipped"
    assert _state() == before


BAD_RETURNS = [
    ({"order": None}, "order"),
    ({"order": DROP}, "order"),
    ({"order": 987654}, "order"),
    ({"reason": "bored"}, "reason"),
    ({"reason": DROP}, "reason"),
    ({"lines": DROP}, "lines"),
    ({"reason": None}, "reason"),
    ({"warehouse": "NOPE"}, "warehouse"),
    ({"lines": []}, "lines"),
    ({"lines": [{"order_line": LINE, "quantity": 1.0}]}, "lines"),
    ({"lines": [{"order_line": LINE, "quantity": "-2"}]}, "lines"),
    ({"lines": [{"order_line": LINE, "quantity": "1", "disposition": "burn"}]}, "lines"),
    ({"lines": [{"order_line": 987654, "quantity": "1"}]}, "lines"),
    ({"lines": [{"order_line": LINE, "quantity": "1"}, {"order_line": LINE, "quantity": "1"}]}, "lines"),
    ({"note": "x" * 5001}, "note"),
]


@pytest.mark.parametrize(("change", "field"), BAD_RETURNS, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_RETURNS)])
def test_bad_return_requests_are_refused_and_change_nothing(
    warehouse_api: APIClient, change: dict, field: str,
) -> None:
    order = stocked_order([(4, 4)])
    line = order.lines.get()
    shipped_shipment(order)
    body: dict[str, Any] = {"order": order.pk, "reason": "damaged",
                            "lines": [{"order_line": line.pk, "quantity": "1"}], **change}
    body = {k: v for k, v in body.items() if v != DROP}
    for item in body.get("lines") or []:
        if isinstance(item, dict) and item.get("order_line") == LINE:
            item["order_line"] = line.pk
    before = _state()
    error = _error(_post(warehouse_api, RETURNS, body), 400)
    assert field in error["details"], error
    assert _state() == before


@pytest.mark.parametrize("dispositions", [{"987654": "scrap"}, {"abc": "scrap"}, {"<rl>": "burn"}, ["scrap"],
                                          "scrap"])
def test_bad_dispositions_on_receipt_are_refused_and_change_nothing(
    warehouse_api: APIClient, dispositions: Any,
) -> None:
    order = stocked_order([(2, 2)])
    line = order.lines.get()
    shipped_shipment(order)
    rma = return_authorize(order_id=order.pk, lines=[{"order_line": line.pk, "quantity": "1"}], reason="damaged",
                           actor=None)
    if isinstance(dispositions, dict) and "<rl>" in dispositions:
        dispositions = {str(rma.lines.get().pk): dispositions["<rl>"]}
    before = _state()
    response = _post(warehouse_api, f"{RETURNS}{rma.pk}/receive/", {"dispositions": dispositions})
    assert "dispositions" in _error(response, 400)["details"]
    assert _state() == before
    assert ReturnAuthorization.objects.get(pk=rma.pk).status == ReturnStatus.AUTHORISED


def test_returns_are_listed_by_status_order_and_customer(warehouse_api: APIClient) -> None:
    one, two = stocked_order([(3, 3)]), stocked_order([(3, 3)])
    for order in (one, two):
        shipped_shipment(order, tracking=f"T{order.pk}")
    first = return_authorize(order_id=one.pk, lines=[{"order_line": one.lines.get().pk, "quantity": "1"}],
                             reason="damaged", actor=None)
    second = return_authorize(order_id=two.pk, lines=[{"order_line": two.lines.get().pk, "quantity": "1"}],
                              reason="other", actor=None)
    _post(warehouse_api, f"{RETURNS}{second.pk}/receive/")

    def ids(query: str) -> list[int]:
        response = warehouse_api.get(f"{RETURNS}{query}")
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    assert ids("") == [second.pk, first.pk]
    assert ids("?status=authorised") == [first.pk]
    assert ids("?status=received") == [second.pk]
    assert ids(f"?order={one.pk}") == [first.pk]
    assert ids(f"?customer={two.customer_id}") == [second.pk]
    assert ids(f"?search={first.number}") == [first.pk]
    assert "status" in _error(warehouse_api.get(f"{RETURNS}?status=lost"), 400)["details"]
    assert "customer" in _error(warehouse_api.get(f"{RETURNS}?customer=987654"), 400)["details"]


# --- carriers and holidays ------------------------------------------------------------------------


def test_carriers_are_created_and_changed_through_the_service(warehouse_api: APIClient) -> None:
    created = _post(warehouse_api, "/api/v1/carriers/", {
        "code": " dhl ", "name": "DHL", "service_level": "Express", "transit_days": 1,
        "tracking_url_template": "https://dhl.example/track?id={tracking}", "is_default": True})
    assert created.status_code == 201, created.json()
    carrier = created.json()
    assert (carrier["code"], carrier["is_default"], carrier["is_active"]) == ("DHL", True, True)
    assert Carrier.objects.get(code="STD").is_default is False  # the flag moved
    url = f"/api/v1/carriers/{carrier['id']}/"
    changed = warehouse_api.patch(url, {"transit_days": 3, "service_level": "Standard"}, format="json")
    assert changed.status_code == 200 and changed.json()["transit_days"] == 3
    assert [e.action for e in timeline(Carrier.objects.get(pk=carrier["id"]))] == ["updated", "created"]
    listed = warehouse_api.get("/api/v1/carriers/?search=dhl").json()["results"]
    assert [c["code"] for c in listed] == ["DHL"]
    assert [c["code"] for c in warehouse_api.get("/api/v1/carriers/?is_default=true").json()["results"]] == ["DHL"]
    assert warehouse_api.delete(url).status_code == 405

    before = _state()
    for body, field in [
        ({"code": "dhl", "name": "Again"}, "code"),
        ({"code": "A", "name": "Too short"}, "code"),
        ({"code": "BAD-CODE", "name": "Dash"}, "code"),
        ({"code": "UPS", "name": "UPS", "tracking_url_template": "https://ups.example/"}, "tracking_url_template"),
        ({"code": "UPS", "name": "UPS", "transit_days": -1}, "transit_days"),
        ({"code": "UPS", "name": "UPS", "transit_days": "soon"}, "transit_days"),
        ({"code": "UPS"}, "name"),
    ]:
        assert field in _error(_post(warehouse_api, "/api/v1/carriers/", body), 400)["details"], body
    assert "code" in _error(warehouse_api.patch(url, {"code": "STD"}, format="json"), 400)["details"]
    assert _state() == before


def test_holidays_are_listed_by_warehouse_and_year_changed_and_deleted(
    warehouse_api: APIClient, ham: Warehouse,
) -> None:
    berlin = WarehouseFactory(code="BER")
    public = HolidayFactory(date=datetime.date(2030, 12, 25), name="Christmas")
    HolidayFactory(date=datetime.date(2031, 1, 1), name="New Year")
    HolidayFactory(date=datetime.date(2030, 8, 1), name="Inventory", warehouse=berlin)
    created = _post(warehouse_api, "/api/v1/holidays/", {"date": "2030-07-15", "name": "Stocktaking",
                                                         "warehouse": "ham"})
    assert created.status_code == 201, created.json()
    holiday = created.json()
    assert (holiday["warehouse"], holiday["date"]) == ("HAM", "2030-07-15")

    def names(query: str) -> list[str]:
        response = warehouse_api.get(f"/api/v1/holidays/{query}")
        assert response.status_code == 200, response.json()
        return [h["name"] for h in response.json()["results"]]

    assert names("") == ["Stocktaking", "Inventory", "Christmas", "New Year"]
    assert names("?warehouse=HAM") == ["Stocktaking", "Christmas", "New Year"]
    assert names("?warehouse=ham&year=2030") == ["Stocktaking", "Christmas"]
    assert names("?public=true") == ["Christmas", "New Year"]
    assert names("?year=2031") == ["New Year"]
    assert "year" in _error(warehouse_api.get("/api/v1/holidays/?year=soon"), 400)["details"]

    url = f"/api/v1/holidays/{holiday['id']}/"
    moved = warehouse_api.patch(url, {"date": "2030-07-16", "name": "Stocktaking (moved)"}, format="json")
    assert moved.status_code == 200 and moved.json()["date"] == "2030-07-16"
    before = _state()
    for body, field in [
        ({"date": "2030-12-25", "name": "Twice"}, "__all__"),
        ({"date": "2030-02-30", "name": "No such day"}, "date"),
        ({"date": "2030-07-01", "name": "X", "warehouse": "NOPE"}, "warehouse"),
        ({"date": "2030-07-01"}, "name"),
    ]:
        details = _error(_post(warehouse_api, "/api/v1/holidays/", body), 400)["details"]
        assert field in details or (field == "__all__" and details), body
    same_day_here = _post(warehouse_api, "/api/v1/holidays/", {"date": "2030-07-16", "name": "X", "warehouse": "HAM"})
    _error(same_day_here, 400)
    assert _state() == before

    assert warehouse_api.delete(url).status_code == 204
    assert not Holiday.objects.filter(pk=holiday["id"]).exists()
    assert _error(warehouse_api.delete(url), 404)
    assert Holiday.objects.filter(pk=public.pk).exists()
    assert AuditEvent.objects.filter(action="deleted", object_id=str(holiday["id"])).exists()


def test_a_new_shipment_needs_the_default_or_a_chosen_active_carrier(warehouse_api: APIClient) -> None:
    order = stocked_order([(1, 1)])
    CarrierFactory(code="OFF", is_active=False)
    before = _state()
    assert "carrier" in _error(_post(warehouse_api, SHIPMENTS, {"order": order.pk, "carrier": "off"}),
                               400)["details"]
    assert _state() == before
    Carrier.objects.update(is_active=False)
    assert "carrier" in _error(_post(warehouse_api, SHIPMENTS, {"order": order.pk}), 400)["details"]
    assert not Shipment.objects.exists()
    assert SalesOrder.objects.get(pk=order.pk).status == "confirmed"
