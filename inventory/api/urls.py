from rest_framework.routers import DefaultRouter

from . import views


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the /api/v1/ router."""
    router.register("products", views.ProductViewSet, basename="product")
    router.register("warehouses", views.WarehouseViewSet, basename="warehouse")
    router.register("stock-levels", views.StockLevelViewSet, basename="stock-level")
    router.register("stock/receipts", views.StockReceiptViewSet, basename="stock-receipt")
    router.register("stock/adjustments", views.StockAdjustmentViewSet, basename="stock-adjustment")
    router.register("stock/transfers", views.StockTransferViewSet, basename="stock-transfer")
    router.register("moves", views.StockMoveViewSet, basename="stock-move")
    router.register("expected-receipts", views.ExpectedReceiptViewSet, basename="expected-receipt")
    router.register("replenishment-requests", views.ReplenishmentRequestViewSet, basename="replenishment-request")
