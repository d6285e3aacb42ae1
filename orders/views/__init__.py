"""Browser pages of the sales desk (Sales) and the credit-approval queue (Finance).

Reads go through `orders.selectors`, writes through `orders.services` (a refused write is a form
error or an error message, and changes nothing).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from o2c.roles import SALES
from o2c.views import RoleWorkspaceView

from ..enums import OrderStatus, QuoteStatus
from ..models import Quote, SalesOrder
from .customers import (
    CustomerChildView,
    CustomerCreditView,
    CustomerDetailView,
    CustomerFormView,
    CustomerListView,
    CustomerLookupView,
)
from .documents import (
    CreditQueueView,
    OrderActionView,
    OrderDetailView,
    OrderListView,
    OrderPdfView,
    QuoteActionView,
    QuoteDetailView,
    QuoteListView,
    QuotePdfView,
)
from .entry import EntryLinesView, EntryView, ProductLookupView

__all__ = [
    "CreditQueueView", "CustomerChildView", "CustomerCreditView", "CustomerDetailView", "CustomerFormView",
    "CustomerListView", "CustomerLookupView", "EntryLinesView", "EntryView", "HomeView", "OrderActionView",
    "OrderDetailView", "OrderListView", "OrderPdfView", "ProductLookupView", "QuoteActionView", "QuoteDetailView",
    "QuoteListView", "QuotePdfView",
]


class HomeView(RoleWorkspaceView):
    title = "Sales desk"
    role = SALES
    app_labels = ["orders"]
    intro = "Customers, quotes and sales orders, pricing and the credit check."
    template_name = "orders/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["order_counts"] = _count_by_status(SalesOrder, OrderStatus.values)
        context["quote_counts"] = _count_by_status(Quote, QuoteStatus.values)
        return context


def _count_by_status(model: type[SalesOrder] | type[Quote], statuses: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(statuses, 0)
    counts.update(model.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return counts
