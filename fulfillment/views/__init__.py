"""Browser pages of fulfillment: the Warehouse's work queue, shipments, scheduling board, returns,
carriers and holiday calendar (Sales and Finance may read them), and the shipments panel of the order page.

Reads go through `fulfillment.selectors`, writes through `fulfillment.services` (a refused write is a
form error or an error message, and changes nothing).
"""

from .board import BoardView
from .returns import ReturnActionView, ReturnCreateView, ReturnDetailView, ReturnListView
from .settings import (
    CarrierActionView,
    CarrierFormView,
    CarrierListView,
    HolidayCreateView,
    HolidayDeleteView,
    HolidayListView,
)
from .shipments import (
    HomeView,
    ShipmentActionView,
    ShipmentCreateView,
    ShipmentDetailView,
    ShipmentListView,
    ShipmentPdfView,
    order_panel,
)

__all__ = [
    "BoardView", "CarrierActionView", "CarrierFormView", "CarrierListView", "HolidayCreateView", "HolidayDeleteView",
    "HolidayListView", "HomeView", "ReturnActionView", "ReturnCreateView", "ReturnDetailView", "ReturnListView",
    "ShipmentActionView", "ShipmentCreateView", "ShipmentDetailView", "ShipmentListView", "ShipmentPdfView",
    "order_panel",
]
