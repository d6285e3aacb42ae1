"""Order and quote pages: lists, detail pages with their actions and PDFs, and Finance's credit queue.

Every action is a POST (with CSRF) to one service; a refusal is an error message on the page it
came back to, and changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import TemplateView

from o2c.audit import timeline
from o2c.panels import panels_for
from o2c.views import paginate, pdf_response, query_without_page

from ..enums import OrderStatus, QuoteStatus
from ..forms import CancelForm, OrderFilterForm, QuoteFilterForm, QuoteRejectForm, RejectHoldForm, ReleaseForm
from ..models import Quote, SalesOrder
from ..selectors import credit_positions, credit_queue, order_list, quote_list
from ..services import (
    order_cancel,
    order_confirm,
    order_pdf,
    order_reject_hold,
    order_release_hold,
    quote_accept,
    quote_pdf,
    quote_reject,
    quote_send,
)
from ..services.customers import CREDIT_PERMISSION
from .common import ORDERS_PER_PAGE, QUEUE_PER_PAGE, QUOTES_PER_PAGE, back_to, run_action
from .entry import _confirmed_message

ZERO = Decimal(0)
CANCELLABLE = {OrderStatus.DRAFT, OrderStatus.ON_HOLD, OrderStatus.CONFIRMED}


# --- orders ---------------------------------------------------------------------------------------


class OrderListView(PermissionRequiredMixin, TemplateView):
    """Orders by status / customer / creation date, searched by number or customer PO: a fixed
    number of queries per page."""

    permission_required = "orders.view_salesorder"
    raise_exception = True
    template_name = "orders/order_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = OrderFilterForm(self.request.GET or None)
        filters = form.filters() if form.is_bound else OrderFilterForm(data={}).filters()
        page_obj = paginate(self.request, order_list(**filters), ORDERS_PER_PAGE)
        return {**super().get_context_data(**kwargs), "form": form, "filters": filters, "page_obj": page_obj,
                "page_base": query_without_page(self.request), "statuses": OrderStatus.choices,
                "can_create": self.request.user.has_perm("orders.add_salesorder")}


def _order(pk: int) -> SalesOrder:
    return get_object_or_404(SalesOrder.objects.select_related("customer", "customer__payment_term", "warehouse",
                                                               "ship_to", "quote", "created_by"), pk=pk)


class OrderDetailView(PermissionRequiredMixin, View):
    permission_required = "orders.view_salesorder"
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = _order(pk)
        user = request.user
        can_change = user.has_perm("orders.change_salesorder")
        can_credit = user.has_perm(CREDIT_PERMISSION)
        return render(request, "orders/order_detail.html", {
            "order": order,
            "lines": list(order.lines.select_related("product").order_by("position")),
            "timeline": timeline(order),
            "can_edit": can_change and order.status == OrderStatus.DRAFT,
            "can_confirm": can_change and order.status == OrderStatus.DRAFT,
            "can_cancel": can_change and order.status in CANCELLABLE,
            "can_release": can_credit and order.status == OrderStatus.ON_HOLD,
            "has_pdf": order.status in (OrderStatus.CONFIRMED, OrderStatus.DONE),
            "panels": panels_for(order, request),
        })


class OrderActionView(PermissionRequiredMixin, View):
    """confirm, cancel (with a reason), release or reject a credit hold."""

    raise_exception = True
    action = ""
    PERMISSIONS = {"confirm": "orders.change_salesorder", "cancel": "orders.change_salesorder",
                   "release": CREDIT_PERMISSION, "reject": CREDIT_PERMISSION}

    def get_permission_required(self) -> list[str]:
        return [self.PERMISSIONS[self.action]]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = get_object_or_404(SalesOrder, pk=pk)
        actor = request.user
        if self.action == "confirm":
            done = run_action(request, None, order_confirm, order_id=order.pk, actor=actor)
            if done is not None:
                messages.add_message(request, *_confirmed_message(done))  # type: ignore[arg-type]
        elif self.action == "cancel":
            form = CancelForm(request.POST)
            done = run_action(request, form, order_cancel, order_id=order.pk, actor=actor,
                              reason=request.POST.get("reason", ""))
            if done is not None:
                state = "closed short" if done.status == OrderStatus.DONE else "cancelled"  # type: ignore[attr-defined]
                messages.success(request, f"Order {order.number} {state}.")
        elif self.action == "release":
            form = ReleaseForm(request.POST)
            done = run_action(request, form, order_release_hold, order_id=order.pk, actor=actor,
                              note=request.POST.get("note", ""))
            if done is not None:
                messages.success(request, f"Credit released: order {order.number} is confirmed.")
        else:
            form = RejectHoldForm(request.POST)
            done = run_action(request, form, order_reject_hold, order_id=order.pk, actor=actor,
                              reason=request.POST.get("reason", ""))
            if done is not None:
                messages.success(request, f"Credit refused: order {order.number} is cancelled.")
        return back_to(request, "orders:order-detail", order.pk)


class OrderPdfView(PermissionRequiredMixin, View):
    permission_required = "orders.view_salesorder"
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = _order(pk)
        if order.status not in (OrderStatus.CONFIRMED, OrderStatus.DONE):
            messages.error(request, f"Order {order.number} is {order.get_status_display().lower()}: "
                                    "only a confirmed order has a confirmation.")
            return redirect("orders:order-detail", pk=order.pk)
        return pdf_response(order_pdf(order), f"{order.number}.pdf")


# --- quotes ---------------------------------------------------------------------------------------


class QuoteListView(PermissionRequiredMixin, TemplateView):
    permission_required = "orders.view_quote"
    raise_exception = True
    template_name = "orders/quote_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = QuoteFilterForm(self.request.GET or None)
        filters = form.filters() if form.is_bound else {"search": "", "status": ""}
        page_obj = paginate(self.request, quote_list(**filters), QUOTES_PER_PAGE)
        return {**super().get_context_data(**kwargs), "form": form, "filters": filters, "page_obj": page_obj,
                "page_base": query_without_page(self.request), "statuses": QuoteStatus.choices,
                "can_create": self.request.user.has_perm("orders.add_quote")}


def _quote(pk: int) -> Quote:
    return get_object_or_404(Quote.objects.select_related("customer", "created_by"), pk=pk)


class QuoteDetailView(PermissionRequiredMixin, View):
    permission_required = "orders.view_quote"
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        quote = _quote(pk)
        can_change = request.user.has_perm("orders.change_quote")
        order = SalesOrder.objects.filter(quote=quote).only("pk", "number", "status").first()
        return render(request, "orders/quote_detail.html", {
            "quote": quote,
            "lines": list(quote.lines.select_related("product").order_by("position")),
            "timeline": timeline(quote),
            "order": order,
            "can_edit": can_change and quote.status == QuoteStatus.DRAFT,
            "can_send": can_change and quote.status == QuoteStatus.DRAFT,
            "can_answer": can_change and quote.status == QuoteStatus.SENT,
            "can_accept": request.user.has_perm("orders.add_salesorder"),
        })


class QuoteActionView(PermissionRequiredMixin, View):
    """send, accept (→ the new draft order's page) or reject a quote."""

    raise_exception = True
    action = ""

    def get_permission_required(self) -> list[str]:
        return ["orders.change_quote", "orders.add_salesorder"] if self.action == "accept" else ["orders.change_quote"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        quote = get_object_or_404(Quote, pk=pk)
        actor = request.user
        if self.action == "send":
            if run_action(request, None, quote_send, quote_id=quote.pk, actor=actor) is not None:
                messages.success(request, f"Quote {quote.number} sent; the PDF goes to the customer by e-mail.")
        elif self.action == "accept":
            order = run_action(request, None, quote_accept, quote_id=quote.pk, actor=actor)
            if order is not None:
                messages.success(request, f"Quote {quote.number} accepted: draft order {order.number} "  # type: ignore[attr-defined]
                                          "holds its lines. Check it and confirm.")
                return redirect("orders:order-detail", pk=order.pk)  # type: ignore[attr-defined]
        elif run_action(request, QuoteRejectForm(request.POST), quote_reject, quote_id=quote.pk, actor=actor,
                        reason=request.POST.get("reason", "")) is not None:
            messages.success(request, f"Quote {quote.number} rejected.")
        return redirect("orders:quote-detail", pk=quote.pk)


class QuotePdfView(PermissionRequiredMixin, View):
    permission_required = "orders.view_quote"
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        quote = _quote(pk)
        return pdf_response(quote_pdf(quote), f"{quote.number}.pdf")


# --- Finance: the credit-approval queue ---------------------------------------------------------


class CreditQueueView(PermissionRequiredMixin, TemplateView):
    """Orders on credit hold, oldest first, with the customer's exposure against its limit."""

    permission_required = CREDIT_PERMISSION
    raise_exception = True
    template_name = "orders/credit_queue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        page_obj = paginate(self.request, credit_queue(), QUEUE_PER_PAGE)
        orders = list(page_obj)
        positions = credit_positions(list({o.customer_id: o.customer for o in orders}.values()))
        rows = [{"order": o, "credit": positions[o.customer_id],
                 "with_order": positions[o.customer_id].exposure + o.gross_total} for o in orders]
        return {**super().get_context_data(**kwargs), "page_obj": page_obj, "rows": rows}
