"""The fulfillment admin: every page renders for the Admin role without N+1, carriers are saved
through the audited services, and shipments and returns change only by actions that call the
services — a refusal is a message and changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client

from fulfillment.enums import ReturnStatus, ShipmentStatus
from fulfillment.models import Carrier, Package, ReturnAuthorization, Shipment, ShipmentLine
from fulfillment.services import return_authorize, shipment_create, shipment_start_picking
from inventory.models import StockLevel
from o2c.models import AuditEvent
from tests.conftest import changelist_queries
from tests.inventory.factories import HolidayFactory, WarehouseFactory

from .factories import CarrierFactory, shipped_shipment, stocked_order

pytestmark = pytest.mark.django_db

ADMIN = "/admin/fulfillment/"
MODELS = ["carrier", "shipment", "shipmentline", "package", "returnauthorization", "returnline"]


def _audits(obj: Any, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(content_type__model=type(obj)._meta.model_name,
                                          object_id=str(obj.pk), action=action))


def _messages(response: HttpResponse) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _action(client: Client, model: str, action: str, objects: list[Any]) -> HttpResponse:
    return client.post(f"{ADMIN}{model}/", {"action": action, "_selected_action": [o.pk for o in objects]},
                       follow=True)


def _world(n: int) -> None:
    """n orders with a shipment in each status and an authorised return, and a holiday."""
    warehouse = WarehouseFactory()
    for _ in range(n):
        order = stocked_order([(10, 4), (10, 2)], warehouse=warehouse)
        shipped = shipped_shipment(order, lines=[{"order_line": order.lines.get(position=1), "quantity": 2}])
        return_authorize(order_id=order.pk, lines=[{"order_line": order.lines.get(position=1), "quantity": 1}],
                         reason="damaged", actor=None)
        shipment_create(order_id=order.pk, actor=None)
        assert shipped.status == ShipmentStatus.SHIPPED
    HolidayFactory(date=datetime.date(2031, 12, 24 - n), warehouse=warehouse, name="Closed")


# ---------------------------------------------------------------------------------------------
# Every page


def test_every_changelist_and_change_page_renders_for_the_admin_role(staff_client: Client) -> None:
    call_command("load_demo", password="pw-demo", stdout=StringIO())
    for model in MODELS:
        response = staff_client.get(f"{ADMIN}{model}/")
        assert response.status_code == 200, model
        rows = response.context["cl"].result_list
        assert len(rows) >= 1, model
        page = staff_client.get(f"{ADMIN}{model}/{rows[0].pk}/change/")
        assert page.status_code == 200, model
        assert staff_client.get(f"{ADMIN}{model}/", {"q": "a"}).status_code == 200, model
    assert staff_client.get(f"{ADMIN}carrier/add/").status_code == 200
    for model in ["shipment", "shipmentline", "package", "returnauthorization", "returnline"]:
        assert staff_client.get(f"{ADMIN}{model}/add/").status_code == 403, model
    for status in ShipmentStatus.values:  # the status filter
        assert staff_client.get(f"{ADMIN}shipment/", {"status__exact": status}).status_code == 200

    # a shipped shipment shows its lines, packages, tracking link and history, none of it editable
    shipment = Shipment.objects.filter(status=ShipmentStatus.SHIPPED).first()
    content = staff_client.get(f"{ADMIN}shipment/{shipment.pk}/change/").content.decode()
    assert shipment.number in content and shipment.order.number in content
    for item in shipment.lines.select_related("order_line__product"):
        assert item.order_line.product.sku in content
    assert shipment.tracking_url in content and "shipped" in content
    assert 'name="status"' not in content and 'name="lines-0-quantity"' not in content
    assert 'name="planned_ship_date"' not in content and 'name="packages-0-weight_kg"' not in content
    rma = ReturnAuthorization.objects.first()
    content = staff_client.get(f"{ADMIN}returnauthorization/{rma.pk}/change/").content.decode()
    assert rma.number in content and rma.lines.first().order_line.product.sku in content


def test_the_changelists_run_a_fixed_number_of_queries(staff_client: Client) -> None:
    _world(1)

    before = changelist_queries(staff_client, [f"{ADMIN}{model}/" for model in MODELS])
    _world(3)
    assert changelist_queries(staff_client, [f"{ADMIN}{model}/" for model in MODELS]) == before


# ---------------------------------------------------------------------------------------------
# Carriers: through the services


def _carrier_form(**changes: Any) -> dict[str, Any]:
    data = {"code": "dhl", "name": "DHL", "service_level": "Paket", "transit_days": 2,
            "tracking_url_template": "https://tracking.example/{tracking}", "is_active": "on"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_carriers_are_created_and_changed_by_the_services(staff_client: Client, staff: User,
                                                          default_carrier: Carrier) -> None:
    response = staff_client.post(f"{ADMIN}carrier/add/", _carrier_form(is_default="on"))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    dhl = Carrier.objects.get(code="DHL")  # stored the way the service stores codes
    assert dhl.is_default and _audits(dhl, "created")[0].actor == staff
    default_carrier.refresh_from_db()
    assert not default_carrier.is_default  # the service moved the flag

    response = staff_client.post(f"{ADMIN}carrier/{dhl.pk}/change/", _carrier_form(code="DHL", transit_days=3,
                                                                                   is_default="on"))
    assert response.status_code == 302
    dhl.refresh_from_db()
    [event] = _audits(dhl, "updated")
    assert dhl.transit_days == 3 and event.actor == staff and event.data["changes"] == {"transit_days": [2, 3]}

    response = staff_client.post(f"{ADMIN}carrier/add/", _carrier_form(code="UPS", tracking_url_template="ups.com"))
    assert response.status_code == 200
    assert "tracking_url_template" in response.context["adminform"].form.errors
    assert not Carrier.objects.filter(code="UPS").exists()
    assert staff_client.post(f"{ADMIN}carrier/{dhl.pk}/delete/", {"post": "yes"}).status_code == 403

    response = _action(staff_client, "carrier", "make_default", [dhl, default_carrier])
    assert _messages(response) == ["Select one carrier: only one can be the default."]
    response = _action(staff_client, "carrier", "make_default", [default_carrier])
    assert "Made the default: 1 done." in _messages(response)
    default_carrier.refresh_from_db()
    dhl.refresh_from_db()
    assert default_carrier.is_default and not dhl.is_default

    response = _action(staff_client, "carrier", "deactivate", [dhl])
    dhl.refresh_from_db()
    assert not dhl.is_active and any("Deactivated: 1 done" in m for m in _messages(response))


# ---------------------------------------------------------------------------------------------
# Shipments: actions through the services; the record itself is not editable


def test_shipments_are_picked_packed_and_cancelled_by_actions(staff_client: Client, staff: User) -> None:
    first = stocked_order([(10, 3)])
    second = stocked_order([(10, 2)])
    a = shipment_create(order_id=first.pk, actor=None)
    b = shipment_create(order_id=second.pk, actor=None)

    response = _action(staff_client, "shipment", "start_picking", [a, b])
    assert response.status_code == 200 and any("Picking started: 2 done" in m for m in _messages(response))
    response = _action(staff_client, "shipment", "pack", [a])
    assert any("Packed: 1 done" in m for m in _messages(response))
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == (ShipmentStatus.PACKED, ShipmentStatus.PICKING)
    assert Package.objects.get(shipment=a).weight_kg == Decimal("3.750")  # 3 × 1.25 kg: the goods' weight
    assert _audits(a, "packed")[0].actor == staff

    response = _action(staff_client, "shipment", "cancel", [b])
    b.refresh_from_db()
    assert b.status == ShipmentStatus.CANCELLED and "admin" in b.cancel_reason
    assert any("Cancelled: 1 done" in m for m in _messages(response))
    assert second.lines.get().reserved_quantity == 2  # the goods stay reserved on the order


def test_a_refused_action_is_a_message_and_changes_nothing(staff_client: Client) -> None:
    order = stocked_order([(10, 2), (10, 1)])
    shipped = shipped_shipment(order, lines=[{"order_line": order.lines.get(position=1), "quantity": 2}])
    scheduled = shipment_create(order_id=order.pk, actor=None)
    audits, levels = AuditEvent.objects.count(), list(StockLevel.objects.values_list("on_hand", "reserved"))

    response = _action(staff_client, "shipment", "cancel", [shipped])
    assert response.status_code == 200
    [message] = _messages(response)
    assert shipped.number in message and "only a scheduled or picking or packed shipment" in message
    response = _action(staff_client, "shipment", "pack", [scheduled])
    [message] = _messages(response)
    assert scheduled.number in message and "only a picking shipment can be packed" in message
    shipped.refresh_from_db()
    scheduled.refresh_from_db()
    assert (shipped.status, scheduled.status) == (ShipmentStatus.SHIPPED, ShipmentStatus.SCHEDULED)
    assert not Package.objects.filter(shipment=scheduled).exists()
    assert AuditEvent.objects.count() == audits
    assert list(StockLevel.objects.values_list("on_hand", "reserved")) == levels

    # of two, the one that can is done and the other is reported
    response = _action(staff_client, "shipment", "start_picking", [shipped, scheduled])
    shown = _messages(response)
    assert "Picking started: 1 done." in shown and any(shipped.number in m for m in shown)


def test_a_shipment_cannot_be_edited_in_the_admin(staff_client: Client) -> None:
    order = stocked_order([(10, 4)])
    shipment = shipment_create(order_id=order.pk, actor=None)
    shipment_start_picking(shipment_id=shipment.pk, actor=None)
    line = ShipmentLine.objects.get(shipment=shipment)
    before = Shipment.objects.filter(pk=shipment.pk).values().get()
    other = CarrierFactory(code="OTHER")

    response = staff_client.post(f"{ADMIN}shipment/{shipment.pk}/change/", {
        "status": "delivered", "planned_ship_date": "2000-01-01", "planned_delivery_date": "1999-01-01",
        "carrier": other.pk, "tracking_number": "X", "received_by": "nobody",
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1", "lines-0-id": line.pk, "lines-0-shipment": shipment.pk,
        "lines-0-quantity": "400", "packages-TOTAL_FORMS": "1", "packages-INITIAL_FORMS": "0",
        "packages-0-weight_kg": "1",
    })
    assert response.status_code == 403
    assert staff_client.post(f"{ADMIN}shipment/{shipment.pk}/delete/", {"post": "yes"}).status_code == 403
    assert staff_client.post(f"{ADMIN}shipmentline/{line.pk}/change/", {"quantity": "400"}).status_code == 403
    assert staff_client.post(f"{ADMIN}shipment/add/", {"order": order.pk}).status_code == 403
    response = staff_client.post(f"{ADMIN}shipment/", {"action": "delete_selected",
                                                       "_selected_action": [shipment.pk], "post": "yes"})
    assert Shipment.objects.filter(pk=shipment.pk).values().get() == before
    line.refresh_from_db()
    assert line.quantity == 4 and not Package.objects.exists()


# ---------------------------------------------------------------------------------------------
# Returns


def test_returns_are_received_or_cancelled_by_actions(staff_client: Client, staff: User) -> None:
    order = stocked_order([(10, 3)])
    shipment = shipped_shipment(order)
    line = order.lines.get()
    level = StockLevel.objects.get(product=line.product, warehouse=shipment.warehouse)
    back = return_authorize(order_id=order.pk, lines=[{"order_line": line, "quantity": 2}], reason="damaged",
                            actor=None)
    dropped = return_authorize(order_id=order.pk, lines=[{"order_line": line, "quantity": 1}], reason="other",
                               actor=None)

    response = _action(staff_client, "returnauthorization", "receive", [back])
    assert any("Received: 1 done" in m for m in _messages(response))
    back.refresh_from_db()
    line.refresh_from_db()
    assert back.status == ReturnStatus.RECEIVED and line.returned_quantity == 2
    assert StockLevel.objects.get(pk=level.pk).on_hand == level.on_hand + 2  # back in stock
    assert _audits(back, "received")[0].actor == staff

    response = _action(staff_client, "returnauthorization", "cancel", [back, dropped])
    shown = _messages(response)
    assert "Cancelled: 1 done." in shown and any(back.number in m and "received" in m for m in shown)
    back.refresh_from_db()
    dropped.refresh_from_db()
    assert (back.status, dropped.status) == (ReturnStatus.RECEIVED, ReturnStatus.CANCELLED)

    rma = ReturnAuthorization.objects.get(pk=dropped.pk)
    response = staff_client.post(f"{ADMIN}returnauthorization/{rma.pk}/change/", {"status": "authorised",
                                                                                 "reason": "damaged"})
    assert response.status_code == 403
    rma.refresh_from_db()
    assert (rma.status, rma.reason) == (ReturnStatus.CANCELLED, "other")
