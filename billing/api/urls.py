from rest_framework.routers import DefaultRouter

from . import views


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the /api/v1/ router."""
    router.register("invoices", views.InvoiceViewSet, basename="invoice")
    router.register("credit-notes", views.CreditNoteViewSet, basename="credit-note")
