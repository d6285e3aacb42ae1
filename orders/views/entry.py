"""The one order-entry page, for new orders and quotes and for editing drafts of either.

The lines live in the page (hidden `line_*` inputs) until a save button is pressed: adding,
changing or removing a line posts the form to `entry-lines`, which prices it with
`orders.pricing` (nothing is written) and answers with the re-rendered lines and totals. Saving
calls the services; a refusal shows the form and its per-line errors again, and nothing is written
("Save and confirm" creates and confirms in one transaction).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from inventory.models import Product, Warehouse
from inventory.selectors import default_warehouse
from o2c.errors import ValidationFailed, call_for_form
from o2c.templatetags.o2c_tags import qty

from ..enums import OrderStatus, QuoteStatus
from ..forms import OrderEntryForm, entry_lines, new_line
from ..models import Customer, PriceListItem, Quote, SalesOrder
from ..pricing import PricedLine, Totals, document_totals, price_lines, tax_treatment
from ..selectors import product_offers
from ..services import order_confirm, order_create, order_update, quote_create, quote_update
from ..services.documents import line_inputs

OFFERS_LIMIT = 20
ENTRY_PERMISSIONS = ("orders.add_salesorder", "orders.add_quote")
NEW_LINE_LABELS = {"customer": "Customer", "product": "Product", "quantity": "Quantity", "unit_price": "Price",
                   "discount_percent": "Discount"}


# --- pricing what the page holds ------------------------------------------------------------------


@dataclass
class EntryRow:
    index: int
    data: dict[str, str]
    product: Product | None
    priced: PricedLine | None
    errors: dict[str, list[str]]

    @property
    def position(self) -> int:
        return self.index + 1


@dataclass
class Entry:
    rows: list[EntryRow] = field(default_factory=list)
    totals: Totals | None = None
    treatment: str = ""
    currency: str = ""
    message: str = ""
    new_errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def new_error_list(self) -> list[str]:
        """The add-line row's errors, each named after its field."""
        return [f"{NEW_LINE_LABELS.get(name, name)}: {message}" for name, messages_ in self.new_errors.items()
                for message in messages_]


def _price_each(customer: Customer, lines: list[dict[str, str]], treatment: str
                ) -> tuple[list[PricedLine | None], list[dict[str, list[str]]]]:
    """Price every line; lines with errors get None and their messages (at most two pricing calls)."""
    if not lines:
        return [], []
    today = timezone.localdate()
    try:
        return list(price_lines(customer=customer, lines=lines, on=today, treatment=treatment)), [{} for _ in lines]
    except ValidationFailed as err:
        errors = err.details.get("lines")
        if not (isinstance(errors, list) and len(errors) == len(lines) and all(isinstance(e, dict) for e in errors)):
            return [None] * len(lines), [{"product": [err.message]} for _ in lines]
    valid = [i for i, e in enumerate(errors) if not e]
    priced: list[PricedLine | None] = [None] * len(lines)
    if valid:
        for i, line in zip(valid, price_lines(customer=customer, lines=[lines[i] for i in valid], on=today,
                                              treatment=treatment), strict=True):
            priced[i] = line
    return priced, errors


def price_entry(customer: Customer | None, lines: list[dict[str, str]],
                candidate: dict[str, str] | None = None) -> tuple[Entry, list[dict[str, str]]]:
    """Price the page's lines (and a line being added, kept only when it is valid). Returns the
    entry to render and the lines it holds now."""
    entry = Entry()
    if candidate is not None and customer is None:
        entry.new_errors = {"customer": ["Choose the customer first: prices depend on it."]}
        candidate = None
    if customer is None:
        priced: list[PricedLine | None] = [None] * len(lines)
        errors: list[dict[str, list[str]]] = [{} for _ in lines]
        if lines:
            entry.message = "Choose a customer to price the lines."
    else:
        entry.treatment, entry.currency = tax_treatment(customer), customer.currency
        priced, errors = _price_each(customer, [*lines, candidate] if candidate else lines, entry.treatment)
        if candidate is not None and errors[-1]:  # refused (alone, or as one line too many): price the rest alone
            entry.new_errors = errors[-1]
            priced, errors = _price_each(customer, lines, entry.treatment)
        elif candidate is not None:
            lines = [*lines, candidate]
    missing = {str(line["product"]) for line, p in zip(lines, priced, strict=True) if p is None}
    products = {str(p.pk): p for p in Product.objects.filter(pk__in=[m for m in missing if m.isdigit()])} \
        if missing else {}
    entry.rows = [
        EntryRow(i, line, p.product if p is not None else products.get(str(line["product"])), p, e)
        for i, (line, p, e) in enumerate(zip(lines, priced, errors, strict=True))
    ]
    valid = [p for p in priced if p is not None]
    entry.totals = document_totals(valid) if valid else None
    bad = sum(1 for row in entry.rows if row.errors)
    if bad:
        entry.message = f"{bad} line{'s' if bad > 1 else ''} need{'' if bad > 1 else 's'} attention; " \
                        "the totals leave them out."
    return entry, lines


# --- the page -----------------------------------------------------------------------------------


def _save_order(*, order: SalesOrder | None, confirm: bool, actor: AbstractBaseUser, customer: Customer,
                lines: list[dict[str, str]], header: dict[str, Any]) -> SalesOrder:
    """Create or update the draft, and confirm it when asked — all or nothing."""
    with transaction.atomic():
        if order is None:
            saved = order_create(customer=customer, lines=lines, actor=actor, **header)
        else:  # the service records only the header fields that changed
            saved = order_update(order_id=order.pk, actor=actor, lines=lines, **header)
        if confirm:
            saved = order_confirm(order_id=saved.pk, actor=actor)
    return saved


def _confirmed_message(order: SalesOrder) -> tuple[int, str]:
    if order.status == OrderStatus.ON_HOLD:
        return messages.WARNING, (f"Order {order.number} is on credit hold and waits for Finance: "
                                  f"{order.hold_reason}")
    backordered = [line for line in order.lines.all() if line.backordered_quantity > 0]
    if backordered:
        return messages.SUCCESS, (f"Order {order.number} confirmed; {len(backordered)} line"
                                  f"{'s' if len(backordered) > 1 else ''} partly backordered.")
    return messages.SUCCESS, f"Order {order.number} confirmed; every line is reserved."


class EntryView(PermissionRequiredMixin, View):
    """/orders/new/, /orders/quotes/new/, /orders/<pk>/edit/, /orders/quotes/<pk>/edit/."""

    raise_exception = True
    kind = "order"  # what the page makes first: "order" or "quote"

    def get_permission_required(self) -> list[str]:
        model = "salesorder" if self.kind == "order" else "quote"
        return [f"orders.{'change' if 'pk' in self.kwargs else 'add'}_{model}"]

    def _document(self, pk: int | None) -> SalesOrder | Quote | None:
        if pk is None:
            return None
        if self.kind == "order":
            return get_object_or_404(SalesOrder.objects.select_related("customer", "ship_to", "warehouse"), pk=pk)
        return get_object_or_404(Quote.objects.select_related("customer"), pk=pk)

    def _not_editable(self, document: SalesOrder | Quote) -> HttpResponse | None:
        draft = OrderStatus.DRAFT if isinstance(document, SalesOrder) else QuoteStatus.DRAFT
        if document.status == draft:
            return None
        messages.error(request=self.request, message=f"{document.number} is {document.get_status_display().lower()}; "
                                                     "only a draft can be changed.")
        name = "orders:order-detail" if isinstance(document, SalesOrder) else "orders:quote-detail"
        return redirect(name, pk=document.pk)

    def _render(self, form: OrderEntryForm, lines: list[dict[str, str]], document: SalesOrder | Quote | None,
                status: int = 200) -> HttpResponse:
        customer = document.customer if document is not None else form.customer_obj
        entry, lines = price_entry(customer, lines)
        user = self.request.user
        if document is None:
            actions = [("order", "Save draft order", user.has_perm("orders.add_salesorder")),
                       ("quote", "Save as quote", user.has_perm("orders.add_quote")),
                       ("confirm", "Save and confirm", user.has_perm("orders.add_salesorder"))]
        elif isinstance(document, SalesOrder):
            actions = [("order", "Save draft order", True), ("confirm", "Save and confirm", True)]
        else:
            actions = [("quote", "Save quote", True)]
        return render(self.request, "orders/entry.html", {
            "form": form, "entry": entry, "document": document, "customer": customer, "kind": self.kind,
            "is_quote": isinstance(document, Quote), "is_order": isinstance(document, SalesOrder),
            "actions": [(name, label) for name, label, allowed in actions if allowed],
            "primary": "quote" if self.kind == "quote" else "confirm",
        }, status=status)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        document = self._document(pk)
        if document is None:
            customer = None
            wanted = request.GET.get("customer", "")
            if wanted.isdigit():
                customer = Customer.objects.filter(pk=int(wanted), is_active=True).first()
            default_ship_to = customer.shipping_addresses.filter(is_default=True).first() if customer else None
            warehouse = default_warehouse()
            form = OrderEntryForm(customer=customer, initial={
                "customer": customer.pk if customer else None, "warehouse": warehouse.pk if warehouse else None,
                "ship_to": default_ship_to.pk if default_ship_to else None,
            })
            return self._render(form, [], None)
        refused = self._not_editable(document)
        if refused is not None:
            return refused
        initial: dict[str, Any] = {"customer": document.customer_id, "notes": document.notes}
        if isinstance(document, SalesOrder):
            initial.update(warehouse=document.warehouse_id, ship_to=document.ship_to_id,
                           requested_date=document.requested_date, customer_reference=document.customer_reference)
        else:
            initial.update(valid_until=document.valid_until, warehouse=getattr(default_warehouse(), "pk", None))
        lines = [{k: "" if v is None else str(v) for k, v in line.items()}
                 for line in line_inputs(document.lines.order_by("position"))]
        return self._render(OrderEntryForm(customer=document.customer, initial=initial), lines, document)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        document = self._document(pk)
        if document is not None:
            refused = self._not_editable(document)
            if refused is not None:
                return refused
        action = request.POST.get("action", "")
        form = OrderEntryForm(request.POST, customer=document.customer if document is not None else None)
        lines = entry_lines(request.POST)
        allowed = {"order", "confirm"} if isinstance(document, SalesOrder) else {"quote"} if document else \
            {"order", "confirm", "quote"}
        if action not in allowed:
            form.add_error(None, "Choose how to save: as a draft order, a quote, or confirmed.")
        elif action == "quote" and not request.user.has_perm("orders.add_quote" if document is None
                                                             else "orders.change_quote"):
            form.add_error(None, "You may not make quotes.")
        elif action != "quote" and not request.user.has_perm("orders.add_salesorder" if document is None
                                                             else "orders.change_salesorder"):
            form.add_error(None, "You may not make orders.")
        elif form.is_valid():
            if document is not None and form.cleaned_data["customer"] != document.customer:
                form.add_error("customer", "The customer of a saved document cannot change.")
            else:
                return self._save(form, lines, document, action)
        return self._render(form, lines, document, status=400)

    def _save(self, form: OrderEntryForm, lines: list[dict[str, str]], document: SalesOrder | Quote | None,
              action: str) -> HttpResponse:
        request, customer = self.request, form.cleaned_data["customer"]
        if action == "quote":
            if document is None:
                quote = call_for_form(form, quote_create, customer=customer, lines=lines, actor=request.user,
                                      **form.quote_kwargs())
            else:
                quote = call_for_form(form, quote_update, quote_id=document.pk, lines=lines, actor=request.user,
                                      **form.quote_kwargs())
            if quote is None:
                return self._render(form, lines, document, status=400)
            messages.success(request, f"Quote {quote.number} saved: {quote.gross_total} {quote.currency}.")
            return redirect("orders:quote-detail", pk=quote.pk)
        order = call_for_form(form, _save_order, order=document, confirm=action == "confirm", actor=request.user,
                              customer=customer, lines=lines, header=form.order_kwargs())
        if order is None:
            return self._render(form, lines, document, status=400)
        if action == "confirm":
            messages.add_message(request, *_confirmed_message(order))
        else:
            messages.success(request, f"Draft order {order.number} saved: {order.gross_total} {order.currency}.")
        return redirect("orders:order-detail", pk=order.pk)


class EntryLinesView(PermissionRequiredMixin, View):
    """htmx: add (`op=add`), remove (`op=remove&index=`) or re-price (`op=refresh`, `op=customer`) the
    page's lines. Answers the lines and totals, the add-line row's errors (out of band) and, when the
    customer changed, its ship-to choices. Writes nothing."""

    raise_exception = True

    def has_permission(self) -> bool:
        user = self.request.user
        return any(user.has_perm(p) for p in ENTRY_PERMISSIONS)

    def post(self, request: HttpRequest) -> HttpResponse:
        op = request.POST.get("op", "refresh")
        form = OrderEntryForm(request.POST)
        customer = form.customer_obj
        lines = entry_lines(request.POST)
        if op == "remove":
            index = request.POST.get("index", "")
            if index.isdigit() and int(index) < len(lines):
                del lines[int(index)]
        candidate = new_line(request.POST) if op == "add" else None
        entry, lines = price_entry(customer, lines, candidate)
        if op == "customer" and customer is not None:
            default = next((a for a in form.fields["ship_to"].queryset if a.is_default), None)  # type: ignore[attr-defined]
            form = OrderEntryForm(customer=customer, initial={"ship_to": default.pk if default else None})
        response = render(request, "orders/partials/entry_response.html", {
            "entry": entry, "customer": customer, "form": form, "op": op,
        })
        if op == "add":
            response["HX-Trigger-After-Settle"] = json.dumps(
                {"entryLineRefused": {"fields": list(entry.new_errors)}} if entry.new_errors else
                {"entryLineAdded": {"count": len(lines)}})
        return response


def _decimal(value: str, default: Decimal) -> Decimal:
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        return default
    return number if number.is_finite() and number > 0 else default


class ProductLookupView(PermissionRequiredMixin, View):
    """JSON for the product autocomplete: SKU, name, price (the customer's own when it has one),
    what the warehouse has available and when the quantity can ship."""

    raise_exception = True

    def has_permission(self) -> bool:
        user = self.request.user
        return any(user.has_perm(p) for p in ENTRY_PERMISSIONS)

    def get(self, request: HttpRequest) -> JsonResponse:
        params = request.GET
        warehouse_id = params.get("warehouse", "")
        warehouses = Warehouse.objects.filter(is_active=True).order_by("code")
        warehouse = (warehouses.filter(pk=int(warehouse_id)).first() if warehouse_id.isdigit() else None) \
            or warehouses.first()
        if warehouse is None:
            return JsonResponse({"results": [], "error": "No active warehouse."})
        quantity = _decimal(params.get("quantity", ""), Decimal(1))
        offers = product_offers(search=params.get("q", ""), warehouse=warehouse, quantity=quantity,
                                limit=OFFERS_LIMIT)
        customer_id = params.get("customer", "")
        own = dict(PriceListItem.objects.filter(customer_id=int(customer_id), product_id__in=[o.id for o in offers])
                   .values_list("product_id", "unit_price")) if customer_id.isdigit() and offers else {}
        return JsonResponse({"warehouse": warehouse.code, "results": [
            {"id": o.id, "sku": o.sku, "name": o.name, "price": str(own.get(o.id, o.list_price)),
             "own_price": o.id in own, "currency": o.currency, "available": qty(o.available),
             "in_stock": o.available >= quantity, "promise_date": o.promise_date.isoformat()}
            for o in offers
        ]})
