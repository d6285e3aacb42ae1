"""Returns (RMA): the list, authorising goods of an order to come back, and the return page where
they are received (back to stock or scrapped) or the authorisation is cancelled."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import TemplateView

from o2c.audit import timeline
from o2c.errors import call_for_form
from o2c.views import paginate, query_without_page
from orders.enums import OrderStatus
from orders.models import SalesOrder
from orders.views.common import form_errors_text

from ..enums import ReturnStatus
from ..forms import CancelForm, ReturnAuthorizeForm, ReturnFilterForm, ReturnReceiveForm
from ..models import ReturnAuthorization, ReturnLine
from ..selectors import return_list, returnable_lines
from ..services import return_authorize, return_cancel, return_receive
from .common import RETURNS_PER_PAGE

VIEW, CHANGE = "fulfillment.view_returnauthorization", "fulfillment.change_returnauthorization"
ADD = "fulfillment.add_returnauthorization"
RETURNABLE = (OrderStatus.CONFIRMED, OrderStatus.DONE)


class ReturnListView(PermissionRequiredMixin, TemplateView):
    permission_required = VIEW
    raise_exception = True
    template_name = "fulfillment/return_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = ReturnFilterForm(self.request.GET or None)
        filters = form.filters() if form.is_bound else {"search": "", "status": ""}
        page_obj = paginate(self.request, return_list(**filters), RETURNS_PER_PAGE)
        return {**super().get_context_data(**kwargs), "filters": filters, "page_obj": page_obj,
                "page_base": query_without_page(self.request), "statuses": ReturnStatus.choices}


# --- authorise a return from an order ------------------------------------------------------------


def _order(pk: int) -> SalesOrder:
    return get_object_or_404(SalesOrder.objects.select_related("customer", "warehouse"), pk=pk)


class ReturnCreateView(PermissionRequiredMixin, View):
    """The order's shipped lines with what can still come back; a quantity and disposition per line."""

    permission_required = ADD
    raise_exception = True

    def _render(self, request: HttpRequest, order: SalesOrder, form: ReturnAuthorizeForm,
                status: int = 200) -> HttpResponse:
        return render(request, "fulfillment/return_create.html", {"order": order, "form": form}, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = _order(pk)
        rooms = returnable_lines(order) if order.status in RETURNABLE else []
        if not any(room.returnable > 0 for room in rooms):
            messages.error(request, f"Nothing of order {order.number} can be returned: only shipped goods not yet "
                                    "returned or authorised can.")
            return redirect("orders:order-detail", pk=order.pk)
        form = ReturnAuthorizeForm(rooms=rooms, initial={"warehouse": order.warehouse_id})
        return self._render(request, order, form)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = _order(pk)
        form = ReturnAuthorizeForm(request.POST, rooms=returnable_lines(order))
        rma = None
        if form.is_valid():
            rma = call_for_form(form, return_authorize, order_id=order.pk, actor=request.user, **form.service_kwargs())
        if rma is None:
            return self._render(request, order, form, status=400)
        messages.success(request, f"Return {rma.number} authorised; receive it here when the goods arrive.")
        return redirect("fulfillment:return-detail", pk=rma.pk)


# --- the return page -----------------------------------------------------------------------------


def _rma(pk: int) -> ReturnAuthorization:
    return get_object_or_404(ReturnAuthorization.objects.select_related("order", "customer", "warehouse",
                                                                        "created_by"), pk=pk)


def _items(rma: ReturnAuthorization) -> list[ReturnLine]:
    return list(rma.lines.select_related("order_line__product").order_by("order_line__position"))


def _return_context(request: HttpRequest, rma: ReturnAuthorization, *,
                    bound: tuple[str, forms.Form] | None = None) -> dict[str, Any]:
    items = _items(rma)
    forms_: dict[str, forms.Form] = {}
    if request.user.has_perm(CHANGE) and rma.status == ReturnStatus.AUTHORISED:
        forms_ = {"receive": ReturnReceiveForm(items=items), "cancel": CancelForm()}
        if bound is not None:
            forms_[bound[0]] = bound[1]
    return {"rma": rma, "items": items, "timeline": timeline(rma), "forms": forms_,
            # a refused action whose form the page does not show (the return moved on): its error on top
            "refused": form_errors_text(bound[1]) if bound is not None and not forms_ else ""}


class ReturnDetailView(PermissionRequiredMixin, View):
    permission_required = VIEW
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "fulfillment/return_detail.html", _return_context(request, _rma(pk)))


class ReturnActionView(PermissionRequiredMixin, View):
    """receive (a disposition per line) or cancel (with a reason) a return."""

    permission_required = CHANGE
    raise_exception = True
    action = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        rma = get_object_or_404(ReturnAuthorization, pk=pk)
        form: forms.Form
        done = None
        if self.action == "receive":
            form = ReturnReceiveForm(request.POST, items=_items(rma))
            if form.is_valid():
                done = call_for_form(form, return_receive, rma_id=rma.pk, actor=request.user, **form.service_kwargs())
            notice = f"Return {rma.number} received: the goods are booked in."
        else:
            form = CancelForm(request.POST)
            if form.is_valid():
                done = call_for_form(form, return_cancel, rma_id=rma.pk, actor=request.user, **form.service_kwargs())
            notice = f"Return {rma.number} cancelled."
        if done is None:
            context = _return_context(request, _rma(pk), bound=(self.action, form))
            return render(request, "fulfillment/return_detail.html", context, status=400)
        messages.success(request, notice)
        return redirect("fulfillment:return-detail", pk=rma.pk)
