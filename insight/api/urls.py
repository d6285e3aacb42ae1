from rest_framework.routers import DefaultRouter

from . import views


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the /api/v1/ router."""
    router.register("insight/kpis", views.KpiViewSet, basename="insight-kpis")
    router.register("insight/cash-forecast", views.CashForecastViewSet, basename="cash-forecast")
    router.register("insight/payment-predictions", views.PaymentPredictionViewSet, basename="payment-prediction")
