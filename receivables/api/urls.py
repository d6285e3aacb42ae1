from rest_framework.routers import DefaultRouter

from . import views


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the /api/v1/ router."""
    router.register("payments", views.PaymentViewSet, basename="payment")
    router.register("bank-statements", views.BankStatementViewSet, basename="bank-statement")
    router.register("bank-statement-lines", views.BankStatementLineViewSet, basename="bank-statement-line")
    router.register("aging", views.AgingViewSet, basename="aging")
    router.register("kpis", views.KpisViewSet, basename="kpis")
    router.register("reminders", views.ReminderViewSet, basename="reminder")
    router.register("disputes", views.DisputeViewSet, basename="dispute")
    # a customer's account and an invoice as receivables sees them: /receivables/customers/{id}/ledger/, …
    router.register("receivables/customers", views.ReceivablesCustomerViewSet, basename="receivables-customer")
    router.register("receivables/invoices", views.ReceivablesInvoiceViewSet, basename="receivables-invoice")
