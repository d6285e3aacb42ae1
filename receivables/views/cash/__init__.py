"""Finance's cash pages: payments (list, record with allocation, the payment page with allocate / oldest
first / refund), bank statements (list with the upload, a statement's lines) and the reconciliation queue
(the queue, a line with its suggestions, match by hand, ignore and take back).

Reads are open to who may view payments and statements (Finance, Sales); every write needs
`receivables.apply_cash` (Finance). Writes go through `receivables.services` (a refused write is a form
error and changes nothing).
"""

from django.urls import URLPattern, path

from .common import OpenInvoicesView
from .payments import PaymentActionView, PaymentCreateView, PaymentDetailView, PaymentListView
from .queue import QueueLineActionView, QueueLineView, QueueSuggestionView, QueueView
from .statements import StatementDetailView, StatementListView

urlpatterns: list[URLPattern] = [
    # payments
    path("payments/", PaymentListView.as_view(), name="payment-list"),
    path("payments/new/", PaymentCreateView.as_view(), name="payment-create"),
    path("payments/open-invoices/", OpenInvoicesView.as_view(), name="payment-invoices"),
    path("payments/<int:pk>/", PaymentDetailView.as_view(), name="payment-detail"),
    path("payments/<int:pk>/allocate/", PaymentActionView.as_view(action="allocate"), name="payment-allocate"),
    path("payments/<int:pk>/allocate-oldest/", PaymentActionView.as_view(action="oldest"),
         name="payment-allocate-oldest"),
    path("payments/<int:pk>/refund/", PaymentActionView.as_view(action="refund"), name="payment-refund"),
    # bank statements
    path("statements/", StatementListView.as_view(), name="statement-list"),
    path("statements/<int:pk>/", StatementDetailView.as_view(), name="statement-detail"),
    # the reconciliation queue
    path("reconciliation/", QueueView.as_view(), name="queue"),
    path("reconciliation/<int:pk>/", QueueLineView.as_view(), name="queue-line"),
    path("reconciliation/<int:pk>/suggestion/", QueueSuggestionView.as_view(), name="queue-suggestion"),
    path("reconciliation/<int:pk>/ignore/", QueueLineActionView.as_view(action="ignore"), name="queue-line-ignore"),
    path("reconciliation/<int:pk>/unignore/", QueueLineActionView.as_view(action="unignore"),
         name="queue-line-unignore"),
]

__all__ = ["urlpatterns"]
