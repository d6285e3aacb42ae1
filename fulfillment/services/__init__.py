"""Every write of fulfillment: shipments, returns and carriers (atomic, locked, audited)."""

from .documents import delivery_note_pdf, pick_list_pdf, shipment_notification_send
from .masterdata import carrier_create, carrier_update
from .returns import return_authorize, return_cancel, return_receive
from .shipments import (
    shipment_cancel,
    shipment_create,
    shipment_deliver,
    shipment_pack,
    shipment_reschedule,
    shipment_ship,
    shipment_start_picking,
    shipments_cancel_for_order,
)

__all__ = [
    "carrier_create", "carrier_update", "delivery_note_pdf",
    "pick_list_pdf", "return_authorize", "return_cancel", "return_receive", "shipment_cancel", "shipment_create",
    "shipment_deliver", "shipment_notification_send", "shipment_pack", "shipment_reschedule", "shipment_ship",
    "shipment_start_picking", "shipments_cancel_for_order",
]
