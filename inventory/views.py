"""Browser pages of inventory: the workspace, products (list, stock page, stock actions), replenishment.

Reads go through `inventory.selectors`, writes through `inventory.services` (via `call_for_form`,
so a refused action is a form error and a 400, and nothing changes). Stock actions answer htmx
requests with the refreshed panels of the product page, plain POSTs with a redirect.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views import View
from django.views.generic import TemplateView

from o2c.audit import timeline
from o2c.errors import call_for_form
from o2c.roles import WAREHOUSE
from o2c.templatetags.o2c_tags import qty
from o2c.views import RoleWorkspaceView, paginate

from .calendar import WorkCalendar, warehouse_calendars
from .enums import ReceiptStatus, ReplenishmentStatus
from .forms import (
    AdjustForm,
    EmptyForm,
    MarkOrderedForm,
    ReceiptReceiveForm,
    ReceiveForm,
    StockActionForm,
    TransferForm,
)
from .models import ExpectedReceipt, Product, ReorderRule, ReplenishmentRequest, StockLevel, Warehouse
from .selectors import (
    Availability,
    availability,
    low_stock_rows,
    moves_for,
    product_list,
    reorder_candidates,
)
from .services import (
    expected_receipt_receive,
    replenishment_cancel,
    replenishment_mark_ordered,
    replenishment_run,
    stock_adjust,
    stock_receive,
    stock_transfer,
)

ZERO = Decimal("0")
PRODUCTS_PER_PAGE = 50
MOVES_PER_PAGE = 25
REQUESTS_PER_PAGE = 25


def _qty(value: Decimal, sign: str = "") -> str:
    """As the pages show quantities (the `qty` filter): 12, 12.5, and the sign when asked ("+")."""
    text = qty(value)
    return f"+{text}" if sign == "+" and value > 0 else text


def _active_warehouses() -> list[Warehouse]:
    return list(Warehouse.objects.filter(is_active=True))


# --- workspace -----------------------------------------------------------------------------------


class HomeView(RoleWorkspaceView):
    title = "Inventory"
    role = WAREHOUSE
    app_labels = ["inventory"]
    intro = "Products, warehouses, the stock ledger, reservations, availability (ATP) and replenishment."
    template_name = "inventory/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["low_stock_count"] = len(reorder_candidates())
        context["open_request_count"] = ReplenishmentRequest.objects.filter(status=ReplenishmentStatus.OPEN).count()
        return context


# --- products ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductRow:
    product: Product
    cells: list[StockLevel]  # one per active warehouse; an unsaved empty level where it has none

    @property
    def total_available(self) -> Decimal:
        return sum((c.available for c in self.cells), ZERO)


class ProductListView(PermissionRequiredMixin, TemplateView):
    """Products with what each active warehouse has available: a fixed number of queries per page."""

    permission_required = "inventory.view_product"
    raise_exception = True
    template_name = "inventory/product_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        q = self.request.GET.get("q", "").strip()
        warehouses = _active_warehouses()
        page_obj = paginate(self.request, product_list(search=q), PRODUCTS_PER_PAGE)
        rows = []
        for product in page_obj:
            levels = {lv.warehouse_id: lv for lv in product.stock_levels.all()}  # prefetched
            rows.append(ProductRow(product, [levels.get(w.pk) or StockLevel(on_hand=ZERO, reserved=ZERO)
                                             for w in warehouses]))
        return {**super().get_context_data(**kwargs), "q": q, "warehouses": warehouses, "page_obj": page_obj,
                "rows": rows}


def _closed_with_stock(product: Product) -> list[Warehouse]:
    """Closed warehouses still holding the product: a transfer may empty them."""
    return [lv.warehouse for lv in StockLevel.objects.filter(product=product, on_hand__gt=0,
                                                             warehouse__is_active=False).select_related("warehouse")]


def _stock_forms(
    warehouses: list[Warehouse], stock: list[Availability], closed: list[Warehouse],
    bound: StockActionForm | None = None,
) -> dict[str, StockActionForm]:
    """The three action forms of a product page (one of them possibly bound, with its errors).
    A transfer starts from the warehouse with the most available, to the next one."""
    by_code = {w.code: w for w in warehouses}
    ranked = sorted((row for row in stock if row.warehouse in by_code), key=lambda row: -row.available)
    source = by_code[ranked[0].warehouse] if ranked else warehouses[0]
    target = next((w for w in warehouses if w.pk != source.pk), None)
    forms: dict[str, StockActionForm] = {
        "receive": ReceiveForm(warehouses=warehouses),
        "adjust": AdjustForm(warehouses=warehouses),
        "transfer": TransferForm(warehouses=warehouses, closed_with_stock=closed, initial={
            "from_warehouse": source.pk, "to_warehouse": target.pk if target else None,
        }),
    }
    if bound is not None:
        forms[bound.prefix_name] = bound
    return forms


STOCK_ACTIONS = (  # (name, tab, button): each posts to inventory:product-<name>
    ("receive", "Receive", "Receive stock"),
    ("adjust", "Adjust", "Adjust stock"),
    ("transfer", "Transfer", "Transfer stock"),
)


def _actions(forms: dict[str, StockActionForm]) -> list[dict[str, Any]]:
    return [{"name": name, "tab": tab, "button": button, "url_name": f"inventory:product-{name}", "form": forms[name]}
            for name, tab, button in STOCK_ACTIONS]


def _product_context(
    request: HttpRequest, product: Product, *, warehouses: list[Warehouse] | None = None,
    bound: StockActionForm | None = None, receipt_error: tuple[ExpectedReceipt, ReceiptReceiveForm] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    warehouses = _active_warehouses() if warehouses is None else warehouses
    rules = {r.warehouse.code: r for r in ReorderRule.objects.filter(product=product, is_active=True)
             .select_related("warehouse")}
    can_edit = request.user.has_perm("inventory.add_stockmove")
    receipts = list(
        ExpectedReceipt.objects.filter(product=product, status=ReceiptStatus.OPEN).select_related("warehouse")
    )
    for receipt in receipts:
        failed = receipt_error is not None and receipt_error[0].pk == receipt.pk
        receipt.form = receipt_error[1] if failed else ReceiptReceiveForm(auto_id=f"er{receipt.pk}_%s")
    stock = availability(product)
    return {
        "product": product,
        "stock": [{"row": row, "rule": rules.get(row.warehouse)} for row in stock],
        "receipts": receipts,
        "moves": paginate(request, moves_for(product), MOVES_PER_PAGE),
        "timeline": timeline(product),
        "can_edit": can_edit,
        "actions": _actions(_stock_forms(warehouses, stock, _closed_with_stock(product), bound))
        if can_edit and warehouses else [],
        "active_action": bound.prefix_name if bound is not None else "receive",
        "receipt_error": receipt_error,
        "notice": notice,
    }


def _render_product(request: HttpRequest, product: Product, status: int = 200, **kwargs: Any) -> HttpResponse:
    """The whole page, or only its live panels for htmx (the stock, receipts, moves and the forms)."""
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    template = "inventory/partials/product_live.html" if partial else "inventory/product_detail.html"
    response = render(request, template, _product_context(request, product, **kwargs), status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


class ProductDetailView(PermissionRequiredMixin, View):
    permission_required = "inventory.view_product"
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return _render_product(request, get_object_or_404(Product, pk=pk))


def _describe(action: str, product: Product, result: Any) -> str:
    unit = product.unit
    if action == "receive":
        return (f"Received {_qty(result.quantity)} {unit} of {product.sku} into {result.warehouse.code}: "
                f"on hand now {_qty(result.balance_after)}.")
    if action == "adjust":
        return (f"Adjusted {product.sku} in {result.warehouse.code} by {_qty(result.quantity, '+')}: "
                f"on hand now {_qty(result.balance_after)}.")
    out, into = result
    return (f"Transferred {_qty(into.quantity)} {unit} of {product.sku} from {out.warehouse.code} to "
            f"{into.warehouse.code}: {_qty(out.balance_after)} left, {_qty(into.balance_after)} there now.")


class StockActionView(PermissionRequiredMixin, View):
    """Receive, adjust or transfer stock of one product (POST only; the forms live on the product page)."""

    permission_required = "inventory.add_stockmove"
    raise_exception = True
    action = ""
    ACTIONS: dict[str, tuple[type[StockActionForm], Any]] = {
        "receive": (ReceiveForm, stock_receive),
        "adjust": (AdjustForm, stock_adjust),
        "transfer": (TransferForm, stock_transfer),
    }

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        product = get_object_or_404(Product, pk=pk)
        form_class, service = self.ACTIONS[self.action]
        warehouses = _active_warehouses()
        extra = {"closed_with_stock": _closed_with_stock(product)} if form_class is TransferForm else {}
        form = form_class(request.POST, warehouses=warehouses, **extra)
        result = None
        if form.is_valid():
            result = call_for_form(form, service, product=product, actor=request.user, **form.service_kwargs())
        if result is None:
            return _render_product(request, product, status=400, warehouses=warehouses, bound=form)
        notice = _describe(self.action, product, result)
        if request.htmx:
            return _render_product(request, product, warehouses=warehouses, notice=notice)
        messages.success(request, notice)
        return redirect("inventory:product-detail", pk=product.pk)


class ReceiptReceiveView(PermissionRequiredMixin, View):
    """Receive an expected receipt (all that is still open, or the quantity given)."""

    permission_required = "inventory.add_stockmove"
    raise_exception = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        receipt = get_object_or_404(ExpectedReceipt.objects.select_related("product"), pk=pk)
        product = receipt.product
        form = ReceiptReceiveForm(request.POST, auto_id=f"er{receipt.pk}_%s")
        move = None
        if form.is_valid():
            move = call_for_form(form, expected_receipt_receive, receipt_id=receipt.pk, actor=request.user,
                                 quantity=form.cleaned_data["quantity"])
        if move is None:
            return _render_product(request, product, status=400, receipt_error=(receipt, form))
        notice = (f"ER-{receipt.pk}: received {_qty(move.quantity)} {product.unit} into {move.warehouse.code}: "
                  f"on hand now {_qty(move.balance_after)}.")
        if request.htmx:
            return _render_product(request, product, notice=notice)
        messages.success(request, notice)
        return redirect("inventory:product-detail", pk=product.pk)


# --- replenishment -------------------------------------------------------------------------------


STATUS_FILTERS = [("", "All"), *ReplenishmentStatus.choices]


def _default_expected_date(request: ReplenishmentRequest, calendar: WorkCalendar,
                           today: datetime.date) -> datetime.date:
    return calendar.add(calendar.next_working(today), request.product.lead_time_days)


def _replenishment_context(
    request: HttpRequest, *, failed: tuple[int, str, Any] | None = None,
) -> dict[str, Any]:
    status = request.GET.get("status", "")
    if status not in ReplenishmentStatus.values:
        status = ""
    requests = ReplenishmentRequest.objects.select_related("product", "warehouse", "expected_receipt")
    if status:
        requests = requests.filter(status=status)
    page_obj = paginate(request, requests, REQUESTS_PER_PAGE)
    can_edit = request.user.has_perm("inventory.change_replenishmentrequest")
    today = timezone.localdate()
    calendars = warehouse_calendars({rr.warehouse for rr in page_obj}, today) if can_edit else {}
    for rr in page_obj:
        rr.order_form = None
        if can_edit and rr.status == ReplenishmentStatus.OPEN:
            if failed is not None and failed[0] == rr.pk and failed[1] == "mark-ordered":
                rr.order_form = failed[2]
            else:
                expected = _default_expected_date(rr, calendars[rr.warehouse_id], today)
                rr.order_form = MarkOrderedForm.for_request(expected,
                                                            auto_id=f"rr{rr.pk}_%s")
    errors = []
    if failed is not None:
        for messages_ in failed[2].errors.values():
            errors.extend(messages_)
    return {
        "low_stock": low_stock_rows(), "page_obj": page_obj, "status": status, "status_filters": STATUS_FILTERS,
        "can_edit": can_edit, "failed_request": failed[0] if failed else None, "failed_action": failed[1] if failed
        else "", "action_errors": errors, "today": today,
    }


def _keep_status(request: HttpRequest) -> str:
    status = request.GET.get("status", "")
    return f"?status={status}" if status in ReplenishmentStatus.values else ""


class ReplenishmentView(PermissionRequiredMixin, View):
    permission_required = "inventory.view_replenishmentrequest"
    raise_exception = True

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "inventory/replenishment.html", _replenishment_context(request))


class ReplenishmentActionView(PermissionRequiredMixin, View):
    """Mark a request ordered (announcing its expected receipt) or cancel it."""

    permission_required = "inventory.change_replenishmentrequest"
    raise_exception = True
    action = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        rr = get_object_or_404(ReplenishmentRequest.objects.select_related("product", "warehouse"), pk=pk)
        done = ""
        if self.action == "mark-ordered":
            form: Any = MarkOrderedForm(request.POST, auto_id=f"rr{pk}_%s")
            if form.is_valid():
                receipt = call_for_form(form, replenishment_mark_ordered, request_id=pk, actor=request.user,
                                        expected_date=form.cleaned_data["expected_date"],
                                        reference=form.cleaned_data["reference"])
                if receipt is not None:
                    done = (f"RR-{pk} ordered: ER-{receipt.pk} expects {_qty(receipt.quantity)} {rr.product.unit} "
                            f"of {rr.product.sku} in {rr.warehouse.code} on {receipt.expected_date:%Y-%m-%d}.")
        else:
            form = EmptyForm(data={})
            form.is_valid()  # a bound, clean form can carry the service's error
            if call_for_form(form, replenishment_cancel, request_id=pk, actor=request.user) is not None:
                done = f"RR-{pk} cancelled."
        if not done:
            context = _replenishment_context(request, failed=(pk, self.action, form))
            return render(request, "inventory/replenishment.html", context, status=400)
        messages.success(request, done)
        return redirect(reverse("inventory:replenishment") + _keep_status(request))


class ReplenishmentRunView(PermissionRequiredMixin, View):
    """Raise the requests for every rule below its point now (the beat does it on schedule too)."""

    permission_required = "inventory.change_replenishmentrequest"
    raise_exception = True

    def post(self, request: HttpRequest) -> HttpResponse:
        created = replenishment_run(actor=request.user)
        if created:
            messages.success(request, f"{len(created)} replenishment request(s) raised: "
                             + ", ".join(f"RR-{r.pk}" for r in created) + ".")
        else:
            messages.info(request, "Nothing new to replenish: every product below its reorder point has a request.")
        return redirect("inventory:replenishment")

