"""The pick list and the delivery note: real PDFs (WeasyPrint) carrying the shipment, its order and its goods."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fulfillment.models import Shipment
from fulfillment.services import (
    delivery_note_pdf,
    pick_list_pdf,
    shipment_create,
    shipment_pack,
    shipment_ship,
    shipment_start_picking,
)
from tests.conftest import pdf_text
from tests.orders.factories import ContactFactory, CustomerFactory, ShippingAddressFactory

from .factories import stocked_order

pytestmark = pytest.mark.django_db


def _shipped(language: str = "en") -> Shipment:
    customer = CustomerFactory(legal_name="Nordlicht Möbel GmbH", credit_limit=Decimal("100000"), language=language)
    ContactFactory(customer=customer)
    dock = ShippingAddressFactory(customer=customer, recipient="Nordlicht Lager", address="Kaistrasse 7\n24103 Kiel")
    order = stocked_order([(10, 4), (20, 12)], customer=customer, customer_reference="PO-4711",
                          notes="Deliver to gate 3.", ship_to=dock)
    shipment = shipment_create(order_id=order.pk, actor=None)
    shipment_start_picking(shipment_id=shipment.pk, actor=None)
    shipment_pack(shipment_id=shipment.pk, actor=None, packages=[
        {"weight_kg": "12.5", "length_cm": "60", "width_cm": "40", "height_cm": "30"}, {"weight_kg": "8"}])
    shipment_ship(shipment_id=shipment.pk, actor=None, tracking_number="TRK-998877")
    return Shipment.objects.select_related("order", "customer", "carrier", "warehouse").get(pk=shipment.pk)


def test_the_pick_list_is_a_pdf_with_the_shipment_the_order_and_what_to_pick() -> None:
    shipment = _shipped()
    pdf = pick_list_pdf(shipment)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Pick list" in text and shipment.number in text and shipment.order.number in text
    for item in shipment.lines.select_related("order_line__product"):
        assert item.order_line.product.sku in text
    assert "4 pc" in text and "12 pc" in text  # quantities with their unit, without trailing zeros
    assert shipment.warehouse.code in text and "Picked" in text
    assert "Kaistrasse 7" in text and "Deliver to gate 3." in text  # ship-to and the order's notes
    assert "EUR" not in text  # no prices on a warehouse document


def test_the_delivery_note_is_a_pdf_with_the_order_the_goods_the_packages_and_the_tracking() -> None:
    shipment = _shipped()
    pdf = delivery_note_pdf(shipment)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Delivery note" in text and shipment.number in text and shipment.order.number in text
    for item in shipment.lines.select_related("order_line__product"):
        assert item.order_line.product.sku in text and item.order_line.description in text
    assert "PO-4711" in text and "TRK-998877" in text and shipment.carrier.name in text
    assert shipment.tracking_url in text.replace("\n", "").replace(" ", "")
    assert "Nordlicht Lager" in text and "Kaistrasse 7" in text  # the delivery address of the shipment
    assert "2 packages" in text and "12.5 kg" in text and "8 kg" in text and "60 × 40 × 30 cm" in text
    assert "Received by" in text and "Signature" in text
    assert "EUR" not in text


def test_documents_of_a_scheduled_shipment_and_in_german() -> None:
    customer = CustomerFactory(language="de", credit_limit=Decimal("100000"))
    ContactFactory(customer=customer)
    order = stocked_order([(5, 2)], customer=customer)
    shipment = shipment_create(order_id=order.pk, actor=None)
    sku = order.lines.get().product.sku
    for pdf in (pick_list_pdf(shipment), delivery_note_pdf(shipment)):
        assert pdf.startswith(b"%PDF")
        text = pdf_text(pdf)
        assert shipment.number in text and order.number in text and sku in text
    text = pdf_text(delivery_note_pdf(shipment))
    assert "Tracking" not in text and "package" not in text  # nothing to show yet
    assert "Reihenfolge" not in text  # "Order" is the document, not a sort order (Django's own catalog)
