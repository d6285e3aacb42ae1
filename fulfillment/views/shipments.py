"""Shipment pages: today's work queue, the list, the shipment page with its actions and documents,
scheduling a shipment from an order, and the shipments panel of the order page.

Every action is a POST (with CSRF) to one service. A refusal changes nothing: the shipment page
comes back (400) with the form and its error, or, for a form posted from another page with a
`next` (the scheduling board), that page comes back with the error as a message.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from o2c.audit import timeline
from o2c.errors import call_for_form
from o2c.views import paginate, pdf_response, query_without_page
from orders.enums import OrderStatus
from orders.models import SalesOrder
from orders.views.common import back_to, form_errors_text

from ..enums import OPEN_SHIPMENT_STATUSES, ShipmentStatus
from ..forms import (
    CancelForm,
    ConfirmForm,
    DeliverForm,
    PackForm,
    RescheduleForm,
    ShipForm,
    ShipmentCreateForm,
    ShipmentFilterForm,
    WarehouseFilterForm,
    active_carriers,
)
from ..models import Carrier, ReturnAuthorization, Shipment
from ..selectors import (
    late_shipments,
    open_return_count,
    schedulable_lines,
    shipment_list,
    shipments_for_order,
    work_queue,
)
from ..services import (
    delivery_note_pdf,
    pick_list_pdf,
    shipment_cancel,
    shipment_create,
    shipment_deliver,
    shipment_pack,
    shipment_reschedule,
    shipment_ship,
    shipment_start_picking,
)
from .common import SHIPMENTS_PER_PAGE, active_warehouses

ZERO = Decimal(0)
VIEW, CHANGE, ADD = "fulfillment.view_shipment", "fulfillment.change_shipment", "fulfillment.add_shipment"
GONE = (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)


# --- the work queue -------------------------------------------------------------------------------


class HomeView(PermissionRequiredMixin, TemplateView):
    """Today's work of the warehouse: to pick (scheduled for today or earlier), to pack, to ship and
    to deliver (shipped, no proof of delivery yet), for one warehouse or all."""

    permission_required = VIEW
    raise_exception = True
    template_name = "fulfillment/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = WarehouseFilterForm(self.request.GET or None)
        warehouse = form.value("warehouse") if form.is_bound else None
        today = timezone.localdate()
        queue = work_queue(warehouse=warehouse, today=today)
        columns = [
            {"key": "pick", "title": "To pick", "icon": "list-check", "rows": queue.to_pick,
             "hint": "Scheduled to ship today or earlier."},
            {"key": "pack", "title": "To pack", "icon": "box-seam", "rows": queue.to_pack, "hint": "Being picked."},
            {"key": "ship", "title": "To ship", "icon": "truck", "rows": queue.to_ship,
             "hint": "Packed, waiting for the carrier."},
            {"key": "deliver", "title": "To deliver", "icon": "house-check", "rows": queue.to_deliver,
             "hint": "On the way: record the proof of delivery."},
        ]
        return {**super().get_context_data(**kwargs), "warehouses": active_warehouses(), "warehouse": warehouse,
                "columns": columns, "queue": queue, "today": today,
                "late_count": late_shipments(warehouse=warehouse).count(), "open_returns": open_return_count()}


# --- list -----------------------------------------------------------------------------------------


class ShipmentListView(PermissionRequiredMixin, TemplateView):
    """Shipments by status / warehouse / carrier / planned ship date, searched by number, order,
    customer or tracking number: a fixed number of queries per page."""

    permission_required = VIEW
    raise_exception = True
    template_name = "fulfillment/shipment_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = ShipmentFilterForm(self.request.GET or None)
        filters = form.filters() if form.is_bound else ShipmentFilterForm(data={}).filters()
        page_obj = paginate(self.request, shipment_list(**filters), SHIPMENTS_PER_PAGE)
        return {**super().get_context_data(**kwargs), "form": form, "filters": filters, "page_obj": page_obj,
                "page_base": query_without_page(self.request), "statuses": ShipmentStatus.choices,
                "warehouses": active_warehouses(), "carriers": list(Carrier.objects.order_by("code")),
                "today": timezone.localdate()}


# --- the shipment page ----------------------------------------------------------------------------


def _shipment(pk: int) -> Shipment:
    return get_object_or_404(Shipment.objects.select_related("order", "customer", "warehouse", "carrier",
                                                             "created_by"), pk=pk)


ACTIONS: dict[str, tuple[type[forms.Form], Any, tuple[str, ...]]] = {
    # name: (form, service, the statuses it applies to)
    "pick": (ConfirmForm, shipment_start_picking, (ShipmentStatus.SCHEDULED,)),
    "pack": (PackForm, shipment_pack, (ShipmentStatus.PICKING,)),
    "ship": (ShipForm, shipment_ship, (ShipmentStatus.PACKED,)),
    "deliver": (DeliverForm, shipment_deliver, (ShipmentStatus.SHIPPED,)),
    "reschedule": (RescheduleForm, shipment_reschedule, OPEN_SHIPMENT_STATUSES),
    "cancel": (CancelForm, shipment_cancel, OPEN_SHIPMENT_STATUSES),
}


def _blank_form(name: str, shipment: Shipment) -> forms.Form:
    if name == "ship":
        return ShipForm(initial={"carrier": shipment.carrier_id, "tracking_number": shipment.tracking_number})
    if name == "reschedule":
        return RescheduleForm(initial={"planned_ship_date": shipment.planned_ship_date})
    if name == "pick":
        return ConfirmForm()
    return ACTIONS[name][0]()


def _shipment_context(request: HttpRequest, shipment: Shipment, *, bound: tuple[str, forms.Form] | None = None,
                      ) -> dict[str, Any]:
    can_change = request.user.has_perm(CHANGE)
    forms_ = {}
    if can_change:
        for name, (_, _, statuses) in ACTIONS.items():
            if shipment.status in statuses:
                forms_[name] = bound[1] if bound is not None and bound[0] == name else _blank_form(name, shipment)
    lines = list(shipment.lines.select_related("order_line__product").order_by("order_line__position"))
    for item in lines:
        item.weight = item.quantity * item.order_line.product.weight_kg
    order = shipment.order
    late = (order.requested_date is not None and shipment.status not in (ShipmentStatus.DELIVERED,
                                                                          ShipmentStatus.CANCELLED)
            and shipment.planned_delivery_date > order.requested_date)
    return {
        "shipment": shipment, "order": order, "lines": lines, "packages": list(shipment.packages.all()),
        "goods_weight": sum((item.weight for item in lines), ZERO), "timeline": timeline(shipment),
        "forms": forms_, "late": late,
        # a refused action whose form the page does not show (the status moved on): its error on top
        "refused": _refusal(bound[1]) if bound is not None and bound[0] not in forms_ else "",
        "today": timezone.localdate(), "has_documents": shipment.status != ShipmentStatus.CANCELLED,
    }


def _refusal(form: forms.Form) -> str:
    """Why an action was refused, in one line: the service's message, else the fields' errors."""
    return " ".join(str(e) for e in form.non_field_errors()) or form_errors_text(form)


class ShipmentDetailView(PermissionRequiredMixin, View):
    permission_required = VIEW
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "fulfillment/shipment_detail.html", _shipment_context(request, _shipment(pk)))


def _done_message(action: str, shipment: Shipment) -> str:
    n = shipment.number
    if action == "pick":
        return f"Picking started on {n}."
    if action == "pack":
        count = shipment.packages.count()
        return f"{n} packed in {count} package{'s' if count != 1 else ''}."
    if action == "ship":
        tracking = f", tracking number {shipment.tracking_number}" if shipment.tracking_number else ""
        return f"{n} shipped with {shipment.carrier}{tracking}. The customer is notified by e-mail."
    if action == "deliver":
        timing = "on time" if shipment.on_time else "late"
        return f"{n} delivered on {shipment.delivered_on:%Y-%m-%d} ({timing}), received by {shipment.received_by}."
    if action == "reschedule":
        return (f"{n} now ships on {shipment.planned_ship_date:%a %Y-%m-%d} and arrives on "
                f"{shipment.planned_delivery_date:%a %Y-%m-%d}.")
    return f"{n} cancelled; its goods stay reserved on order {shipment.order.number}."


class ShipmentActionView(PermissionRequiredMixin, View):
    """start picking, pack, ship, deliver, reschedule or cancel one shipment."""

    permission_required = CHANGE
    raise_exception = True
    action = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        shipment = get_object_or_404(Shipment, pk=pk)
        form_class, service, _ = ACTIONS[self.action]
        form = form_class(request.POST)
        done = None
        if form.is_valid():
            done = call_for_form(form, service, shipment_id=shipment.pk, actor=request.user,
                                **form.service_kwargs())  # type: ignore[attr-defined]
        if done is not None:
            messages.success(request, _done_message(self.action, done))
            return back_to(request, "fulfillment:shipment-detail", shipment.pk)
        if request.POST.get("next"):  # posted from another page (the board): the answer goes there
            messages.error(request, f"{shipment.number}: {_refusal(form)}")
            return back_to(request, "fulfillment:shipment-detail", shipment.pk)
        context = _shipment_context(request, _shipment(pk), bound=(self.action, form))
        return render(request, "fulfillment/shipment_detail.html", context, status=400)


class ShipmentPdfView(PermissionRequiredMixin, View):
    """The pick list (for the warehouse) or the delivery note (goes with the goods)."""

    permission_required = VIEW
    raise_exception = True
    document = "pick-list"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        shipment = _shipment(pk)
        if self.document == "pick-list":
            return pdf_response(pick_list_pdf(shipment), f"{shipment.number}-pick-list.pdf", inline=True)
        return pdf_response(delivery_note_pdf(shipment), f"{shipment.number}-delivery-note.pdf", inline=True)


# --- schedule a shipment from an order ----------------------------------------------------------


def _order(pk: int) -> SalesOrder:
    return get_object_or_404(SalesOrder.objects.select_related("customer", "warehouse", "ship_to"), pk=pk)


class ShipmentCreateView(PermissionRequiredMixin, View):
    """The order's lines with what may still be scheduled; a shipment of the chosen quantities, or of
    everything reserved and not yet on a shipment."""

    permission_required = ADD
    raise_exception = True

    def _render(self, request: HttpRequest, order: SalesOrder, form: ShipmentCreateForm,
                status: int = 200) -> HttpResponse:
        nothing_left = all(room.room <= 0 for room in form.rooms)
        ready = sum((room.ready for room in form.rooms), ZERO)
        return render(request, "fulfillment/shipment_create.html", {
            "order": order, "form": form, "nothing_left": nothing_left, "ready_total": ready,
            "shipments": shipments_for_order(order)}, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = _order(pk)
        if order.status != OrderStatus.CONFIRMED:
            messages.error(request, f"Order {order.number} is {order.get_status_display().lower()}; only a confirmed "
                                    "order ships.")
            return redirect("orders:order-detail", pk=order.pk)
        default = active_carriers().first()
        form = ShipmentCreateForm(rooms=schedulable_lines(order), initial={"carrier": default.pk if default else None})
        return self._render(request, order, form)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = _order(pk)
        form = ShipmentCreateForm(request.POST, rooms=schedulable_lines(order))
        everything = request.POST.get("action") == "all"
        shipment = None
        if form.is_valid() or (everything and "carrier" not in form.errors):
            shipment = call_for_form(form, shipment_create, order_id=order.pk, actor=request.user,
                                    lines=None if everything else form.chosen_lines(),
                                    carrier=form.cleaned_data.get("carrier"))
        if shipment is None:
            return self._render(request, order, form, status=400)
        messages.success(request, f"{shipment.number} scheduled: ships on {shipment.planned_ship_date:%a %Y-%m-%d}, "
                                  f"arrives on {shipment.planned_delivery_date:%a %Y-%m-%d}.")
        return redirect("fulfillment:shipment-detail", pk=shipment.pk)


# --- the panel on the order page ----------------------------------------------------------------


def order_panel(order: SalesOrder, request: HttpRequest) -> dict[str, Any] | None:
    """The order's shipments (status, dates, carrier, tracking link) and returns, with "Create
    shipment" / "Return goods" for who may: the context of fulfillment/partials/order_shipments.html."""
    user = request.user
    shipments = shipments_for_order(order)
    returns = (list(ReturnAuthorization.objects.filter(order=order).order_by("id"))
               if user.has_perm("fulfillment.view_returnauthorization") else [])
    if not shipments and not returns and order.status not in (OrderStatus.CONFIRMED, OrderStatus.DONE):
        return None
    shipped = any(s.status in GONE for s in shipments)
    can_create = (user.has_perm(ADD) and order.status == OrderStatus.CONFIRMED
                  and any(room.room > 0 for room in schedulable_lines(order)))  # something left to schedule
    return {
        "order": order, "shipments": shipments, "returns": returns, "can_create": can_create,
        "can_return": (user.has_perm("fulfillment.add_returnauthorization") and shipped
                       and order.status in (OrderStatus.CONFIRMED, OrderStatus.DONE)),
        "today": timezone.localdate(),
    }
