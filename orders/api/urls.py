from rest_framework.routers import DefaultRouter

from . import views


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the /api/v1/ router."""
    router.register("customers", views.CustomerViewSet, basename="customer")
    router.register("payment-terms", views.PaymentTermViewSet, basename="payment-term")
    router.register("quotes", views.QuoteViewSet, basename="quote")
    router.register("orders", views.OrderViewSet, basename="order")
    router.register("product-offers", views.ProductOfferViewSet, basename="product-offer")
