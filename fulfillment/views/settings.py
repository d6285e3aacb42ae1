"""The Warehouse's settings pages: carriers (list, new, edit, activate / deactivate, make default) and
the warehouses' holiday calendar (by year and warehouse, add, delete).

Writes go through `carrier_create` / `carrier_update` (fulfillment) and `holiday_create` /
`holiday_delete` (inventory: the calendar belongs to the warehouses); a refused write changes
nothing and comes back as a form error (400) or, for a row's button, an error message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View
from django.views.generic import TemplateView

from inventory.models import Holiday, Warehouse
from inventory.services import holiday_create, holiday_delete
from o2c.audit import timeline
from o2c.errors import DomainError, call_for_form
from o2c.views import paginate, query_without_page
from orders.views.common import back_to

from ..forms import CarrierForm, HolidayFilterForm, HolidayForm
from ..models import Carrier
from ..services import carrier_create, carrier_update
from .common import active_warehouses

VIEW_CARRIER, ADD_CARRIER, CHANGE_CARRIER = ("fulfillment.view_carrier", "fulfillment.add_carrier",
                                             "fulfillment.change_carrier")
VIEW_HOLIDAY, ADD_HOLIDAY, DELETE_HOLIDAY = ("inventory.view_holiday", "inventory.add_holiday",
                                             "inventory.delete_holiday")
HOLIDAYS_PER_PAGE = 100


# --- carriers -------------------------------------------------------------------------------------


class CarrierListView(PermissionRequiredMixin, TemplateView):
    """Every carrier, the default first (one query)."""

    permission_required = VIEW_CARRIER
    raise_exception = True
    template_name = "fulfillment/carrier_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        carriers = list(Carrier.objects.order_by("-is_default", "-is_active", "code"))
        return {**super().get_context_data(**kwargs), "carriers": carriers,
                "has_default": any(c.is_default and c.is_active for c in carriers),
                "can_add": user.has_perm(ADD_CARRIER), "can_change": user.has_perm(CHANGE_CARRIER)}


def _saved_message(carrier: Carrier, created: bool) -> str:
    text = f"Carrier {carrier.code} ({carrier}) {'created' if created else 'saved'}."
    if carrier.is_default:
        text += " It is the default carrier."
    if not carrier.is_active:
        text += " It is inactive: not offered for new shipments."
    return text


class CarrierFormView(PermissionRequiredMixin, View):
    """New carrier (no pk) or edit one (pk), through `carrier_create` / `carrier_update`."""

    raise_exception = True

    def get_permission_required(self) -> list[str]:
        return [CHANGE_CARRIER if "pk" in self.kwargs else ADD_CARRIER]

    def _render(self, request: HttpRequest, form: CarrierForm, carrier: Carrier | None,
                status: int = 200) -> HttpResponse:
        context = {"form": form, "carrier": carrier, "timeline": timeline(carrier) if carrier else []}
        return render(request, "fulfillment/carrier_form.html", context, status=status)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        carrier = get_object_or_404(Carrier, pk=pk) if pk else None
        return self._render(request, CarrierForm.for_carrier(carrier) if carrier else CarrierForm(), carrier)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        carrier = get_object_or_404(Carrier, pk=pk) if pk else None
        form = CarrierForm(request.POST)
        saved = None
        if form.is_valid():
            if carrier is None:
                saved = call_for_form(form, carrier_create, actor=request.user, **form.service_kwargs())
            else:
                saved = call_for_form(form, carrier_update, carrier_id=carrier.pk, actor=request.user,
                                      **form.service_kwargs())
        if saved is None:
            return self._render(request, form, carrier, status=400)
        messages.success(request, _saved_message(saved, created=carrier is None))
        return redirect("fulfillment:carrier-list")


CARRIER_ACTIONS: dict[str, dict[str, bool]] = {
    "activate": {"is_active": True},
    "deactivate": {"is_active": False},
    "default": {"is_default": True},  # the service activates it: the default is offered for new shipments
}


class CarrierActionView(PermissionRequiredMixin, View):
    """A row's button on the carrier list: activate, deactivate or make default (`carrier_update`)."""

    permission_required = CHANGE_CARRIER
    raise_exception = True
    action = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        carrier = get_object_or_404(Carrier, pk=pk)
        try:
            carrier = carrier_update(carrier_id=carrier.pk, actor=request.user, **CARRIER_ACTIONS[self.action])
        except DomainError as err:
            messages.error(request, f"{carrier.code}: {err.message}")
            return redirect("fulfillment:carrier-list")
        if self.action == "default":
            messages.success(request, f"{carrier.code} ({carrier}) is now the default carrier.")
        elif self.action == "activate":
            messages.success(request, f"{carrier.code} is active: offered for new shipments.")
        else:
            note = " It is still the default carrier: make another one the default." if carrier.is_default else ""
            messages.success(request, f"{carrier.code} is inactive: no longer offered for new shipments; the "
                                      f"shipments it has keep it.{note}")
        return redirect("fulfillment:carrier-list")


# --- the holiday calendar ----------------------------------------------------------------------------


def _holidays(*, year: int, public_only: bool, warehouse: Warehouse | None) -> QuerySet[Holiday]:
    """The year's holidays by date: every one, the public ones, or a warehouse's (its own and the public
    ones, as its calendar counts them)."""
    qs = Holiday.objects.select_related("warehouse").filter(date__year=year)
    if public_only:
        qs = qs.filter(warehouse__isnull=True)
    elif warehouse is not None:
        qs = qs.filter(Q(warehouse=warehouse) | Q(warehouse__isnull=True))
    return qs.order_by("date", "warehouse__code", "id")


def _holiday_context(request: HttpRequest, form: HolidayForm | None = None) -> dict[str, Any]:
    warehouses = active_warehouses()
    filters = HolidayFilterForm(request.GET or None, warehouses=warehouses).filters()
    user = request.user
    can_add = user.has_perm(ADD_HOLIDAY)
    if form is None and can_add:
        form = HolidayForm(initial={"warehouse": filters["warehouse"]})
    year = filters["year"]
    listed = reverse("fulfillment:holiday-list")  # also when the add form's refusal renders the page
    query = request.GET.urlencode()
    return {
        "filters": filters, "warehouses": warehouses, "scope": request.GET.get("warehouse", ""),
        "page_obj": paginate(request, _holidays(**filters), HOLIDAYS_PER_PAGE),
        "page_base": listed + query_without_page(request), "previous_year": year - 1, "next_year": year + 1,
        "this_year": timezone.localdate().year, "today": timezone.localdate(), "form": form, "can_add": can_add,
        "can_delete": user.has_perm(DELETE_HOLIDAY), "here": f"{listed}?{query}" if query else listed,
        "query": query,
    }


class HolidayListView(PermissionRequiredMixin, TemplateView):
    """The year's holidays (date, weekday, name, what they apply to) with the add form and a delete
    button per row for who may."""

    permission_required = VIEW_HOLIDAY
    raise_exception = True
    template_name = "fulfillment/holiday_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **_holiday_context(self.request)}


def _list_showing(holiday: Holiday, scope: str) -> str:
    """The holiday list of the new holiday's year, keeping the warehouse filter when it shows the holiday."""
    params: dict[str, Any] = {"year": holiday.date.year}
    public = holiday.warehouse_id is None
    if (scope == HolidayFilterForm.PUBLIC and public) or (scope.isdigit() and (public or
                                                                               holiday.warehouse_id == int(scope))):
        params["warehouse"] = scope
    return f"{reverse('fulfillment:holiday-list')}?{urlencode(params)}"


def _where(holiday: Holiday) -> str:
    return f"warehouse {holiday.warehouse.code}" if holiday.warehouse else "every warehouse"


class HolidayCreateView(PermissionRequiredMixin, View):
    """Add a holiday (`holiday_create`); a refusal (e.g. the day is already one there) is the page
    again with the form's error (400). The list's filters travel in the form's query string."""

    permission_required = ADD_HOLIDAY
    raise_exception = True

    def post(self, request: HttpRequest) -> HttpResponse:
        form = HolidayForm(request.POST)
        holiday = None
        if form.is_valid():
            holiday = call_for_form(form, holiday_create, actor=request.user, **form.service_kwargs())
        if holiday is None:
            return render(request, "fulfillment/holiday_list.html", _holiday_context(request, form), status=400)
        messages.success(request, f"{holiday.date:%a %Y-%m-%d} {holiday.name} is a holiday for {_where(holiday)}: "
                                  "new ship and promise dates skip it; shipments already planned keep their dates.")
        return redirect(_list_showing(holiday, request.GET.get("warehouse", "")))


class HolidayDeleteView(PermissionRequiredMixin, View):
    """Remove a holiday (`holiday_delete`, audited); back to the list as it was (`next`)."""

    permission_required = DELETE_HOLIDAY
    raise_exception = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        holiday = get_object_or_404(Holiday.objects.select_related("warehouse"), pk=pk)
        try:
            holiday_delete(holiday_id=holiday.pk, actor=request.user)
        except (DomainError, Holiday.DoesNotExist) as err:
            messages.error(request, getattr(err, "message", f"{holiday.date:%Y-%m-%d} is no longer a holiday."))
        else:
            messages.success(request, f"{holiday.date:%a %Y-%m-%d} {holiday.name} is no longer a holiday for "
                                      f"{_where(holiday)}: new ship and promise dates may use the day again.")
        return back_to(request, "fulfillment:holiday-list")
