"""Finance's collection pages: the receivables home (KPIs and charts), the aging, the collector worklist,
a customer's account with its actions, reminders (preview, history, run now), disputes, and the panels on
billing's invoice page and the orders customer page (`register_panels()`, called from `ready()`).

Reads go through `receivables.selectors`, writes through `receivables.services` (a refused write is an
error message or a form error, and changes nothing).
"""

from django.urls import URLPattern, path

from .accounts import (
    CreditHoldView,
    CustomerAccountView,
    CustomerStatementView,
    InvoiceActionView,
    customer_panel,
    invoice_panel,
    register_panels,
)
from .disputes import DisputeActionView, DisputeDetailView, DisputeListView
from .overview import AgingView, HomeView, WorklistView
from .reminders import ReminderListView, ReminderRunView

urlpatterns: list[URLPattern] = [
    path("", HomeView.as_view(), name="home"),
    path("aging/", AgingView.as_view(), name="aging"),
    path("worklist/", WorklistView.as_view(), name="worklist"),
    path("customers/<int:pk>/", CustomerAccountView.as_view(), name="customer"),
    path("customers/<int:pk>/statement.pdf", CustomerStatementView.as_view(), name="customer-statement-pdf"),
    path("customers/<int:pk>/credit-hold/", CreditHoldView.as_view(), name="customer-credit-hold"),
    path("invoices/<int:pk>/promise/", InvoiceActionView.as_view(action="promise"), name="invoice-promise"),
    path("invoices/<int:pk>/dispute/", InvoiceActionView.as_view(action="dispute"), name="invoice-dispute"),
    path("invoices/<int:pk>/write-off/", InvoiceActionView.as_view(action="write-off"), name="invoice-write-off"),
    path("invoices/<int:pk>/remind/", InvoiceActionView.as_view(action="remind"), name="invoice-remind"),
    path("reminders/", ReminderListView.as_view(), name="reminder-list"),
    path("reminders/run/", ReminderRunView.as_view(), name="reminder-run"),
    path("disputes/", DisputeListView.as_view(), name="dispute-list"),
    path("disputes/<int:pk>/", DisputeDetailView.as_view(), name="dispute-detail"),
    path("disputes/<int:pk>/resolve/", DisputeActionView.as_view(action="resolve"), name="dispute-resolve"),
    path("disputes/<int:pk>/reject/", DisputeActionView.as_view(action="reject"), name="dispute-reject"),
]

__all__ = ["customer_panel", "invoice_panel", "register_panels", "urlpatterns"]
