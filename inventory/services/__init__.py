"""Every write of inventory. The only code that changes stock levels, moves and reservations."""

from .calendar import holiday_create, holiday_delete, holiday_update
from .products import product_create, product_update, warehouse_create, warehouse_update
from .receipts import expected_receipt_cancel, expected_receipt_create, expected_receipt_receive
from .replenishment import replenishment_cancel, replenishment_mark_ordered, replenishment_run
from .stock import (
    DemandLine,
    ReservationRequest,
    ReturnedGoods,
    stock_adjust,
    stock_fill_backorders,
    stock_issue,
    stock_issue_many,
    stock_receive,
    stock_release,
    stock_reserve,
    stock_reserve_many,
    stock_return,
    stock_return_many,
    stock_scrap,
    stock_transfer,
)

__all__ = [
    "DemandLine", "ReservationRequest", "ReturnedGoods", "expected_receipt_cancel", "expected_receipt_create",
    "expected_receipt_receive", "holiday_create", "holiday_delete", "holiday_update", "product_create",
    "product_update", "replenishment_cancel", "replenishment_mark_ordered", "replenishment_run", "stock_adjust",
    "stock_fill_backorders", "stock_issue", "stock_issue_many", "stock_receive", "stock_release", "stock_reserve",
    "stock_reserve_many", "stock_return", "stock_return_many", "stock_scrap", "stock_transfer", "warehouse_create",
    "warehouse_update",
]
