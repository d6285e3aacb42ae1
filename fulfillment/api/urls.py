from rest_framework.routers import DefaultRouter

from . import views


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the /api/v1/ router."""
    router.register("carriers", views.CarrierViewSet, basename="carrier")
    router.register("holidays", views.HolidayViewSet, basename="holiday")
    router.register("shipments", views.ShipmentViewSet, basename="shipment")
    router.register("returns", views.ReturnViewSet, basename="return")
