"""Invoice pages: Finance's workspace, the list, the invoice page with its documents and actions,
invoicing an order's shipped goods (a draft to check), and the billing panel of the order page.

Every action is a POST (with CSRF) to one service. A refusal changes nothing: the invoice page comes
back (400) with the action's form and the service's message.
"""

from __future__ import annotations

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
from o2c.errors import DomainError, call_for_form
from o2c.panels import panels_for
from o2c.roles import FINANCE
from o2c.views import RoleWorkspaceView, paginate, query_without_page
from orders.enums import OrderStatus
from orders.models import SalesOrder
from orders.views.common import form_errors_text

from ..enums import InvoiceStatus
from ..forms import ConfirmForm, InvoiceFilterForm, NotesForm, SendForm
from ..models import CreditNote, Invoice
from ..selectors import billing_workload, invoice_list, order_billing
from ..services import (
    invoice_create_for_order,
    invoice_discard,
    invoice_issue,
    invoice_update_notes,
    invoiceable,
)
from .common import (
    ADD_CREDIT_NOTE,
    ADD_INVOICE,
    CHANGE_INVOICE,
    INVOICES_PER_PAGE,
    ISSUE,
    VIEW_INVOICE,
    can_credit,
    days_overdue,
    document_download,
    invoice_or_404,
    recipients,
    send_document,
)

INVOICEABLE_ORDERS = (OrderStatus.CONFIRMED, OrderStatus.DONE)


# --- Finance's workspace --------------------------------------------------------------------------


class HomeView(RoleWorkspaceView):
    """What waits for Finance in billing (drafts to check, PDFs being prepared, invoices not e-mailed,
    overdue invoices) and the team's recent billing activity."""

    title = "Billing"
    role = FINANCE
    app_labels = ["billing"]
    intro = "Invoices, credit notes, taxes, PDFs and e-invoices, automated invoicing."
    template_name = "billing/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "counts": billing_workload(),
                "credit_notes": CreditNote.objects.count()}


# --- list -----------------------------------------------------------------------------------------


class InvoiceListView(PermissionRequiredMixin, TemplateView):
    """Invoices by status, overdue or not, customer, issue dates and gross amount, searched by number,
    customer or PO reference: a fixed number of queries per page."""

    permission_required = VIEW_INVOICE
    raise_exception = True
    template_name = "billing/invoice_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = InvoiceFilterForm(self.request.GET or None)
        filters = form.filters() if form.is_bound else InvoiceFilterForm(data={}).filters()
        page_obj = paginate(self.request, invoice_list(**InvoiceFilterForm.selector_kwargs(filters)),
                            INVOICES_PER_PAGE)
        today = timezone.localdate()
        for invoice in page_obj:
            invoice.days_overdue = days_overdue(invoice, today)
        return {**super().get_context_data(**kwargs), "form": form, "filters": filters, "page_obj": page_obj,
                "page_base": query_without_page(self.request), "statuses": InvoiceStatus.choices,
                "overdue_choices": InvoiceFilterForm.OVERDUE}


# --- the invoice page -----------------------------------------------------------------------------


def _discard(*, invoice_id: int, actor: Any) -> bool:
    invoice_discard(invoice_id=invoice_id, actor=actor)
    return True


def _send(*, invoice_id: int, actor: Any, resend: bool) -> Any:
    return send_document(kind="invoice", document_id=invoice_id, actor=actor, resend=resend)


ACTIONS: dict[str, tuple[type[forms.Form], Any, str]] = {
    # name: (form, service, permission)
    "issue": (ConfirmForm, invoice_issue, ISSUE),
    "discard": (ConfirmForm, _discard, CHANGE_INVOICE),
    "notes": (NotesForm, invoice_update_notes, CHANGE_INVOICE),
    "send": (SendForm, _send, ISSUE),
}


def _available(invoice: Invoice) -> tuple[str, ...]:
    return ("issue", "discard", "notes") if invoice.status == InvoiceStatus.DRAFT else ("send",)


def _blank_form(name: str, invoice: Invoice) -> forms.Form:
    if name == "notes":
        return NotesForm(initial={"notes": invoice.notes})
    if name == "send":
        return SendForm()
    return ConfirmForm()


def invoice_context(request: HttpRequest, invoice: Invoice, *, bound: tuple[str, forms.Form] | None = None,
                    ) -> dict[str, Any]:
    user = request.user
    forms_ = {}
    for name in _available(invoice):
        if user.has_perm(ACTIONS[name][2]):
            forms_[name] = bound[1] if bound is not None and bound[0] == name else _blank_form(name, invoice)
    lines = list(invoice.lines.all())
    orders = {line.order_line.order_id: line.order_line.order for line in lines if line.order_line is not None}
    today = timezone.localdate()
    return {
        "invoice": invoice, "lines": lines, "credit_notes": list(invoice.credit_notes.all()),
        "orders": sorted(orders.values(), key=lambda order: order.pk), "timeline": timeline(invoice),
        "forms": forms_, "days_overdue": days_overdue(invoice, today), "today": today,
        "recipients": recipients(invoice) if "send" in forms_ else [],
        "can_credit": user.has_perm(ADD_CREDIT_NOTE) and can_credit(invoice),
        "pdf_ready": bool(invoice.pdf_sha256),
        "panels": panels_for(invoice, request),  # what downstream apps add (receivables: payments, reminders)
        # a refused action whose form the page does not show (the invoice moved on): its error on top
        "refused": form_errors_text(bound[1]) if bound is not None and bound[0] not in forms_ else "",
    }


class InvoiceDetailView(PermissionRequiredMixin, View):
    permission_required = VIEW_INVOICE
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "billing/invoice_detail.html", invoice_context(request, invoice_or_404(pk)))


class InvoicePreviewView(PermissionRequiredMixin, View):
    """The PDF preview box (htmx): the PDF once rendered; until then it asks again every few seconds."""

    permission_required = VIEW_INVOICE
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = get_object_or_404(Invoice, pk=pk)
        return render(request, "billing/partials/pdf_preview.html", {
            "document": invoice, "pdf_ready": bool(invoice.pdf_sha256),
            "pdf_url": "billing:invoice-pdf", "preview_url": "billing:invoice-preview"})


def _done_message(action: str, invoice: Invoice) -> str:
    if action == "issue":
        return (f"Invoice {invoice.number} issued: {invoice.gross_total} {invoice.currency}, due on "
                f"{invoice.due_date:%Y-%m-%d}. Its PDF is being prepared and goes to the customer by e-mail.")
    if action == "notes":
        return "Note saved; it is printed on the invoice."
    return f"Invoice {invoice.number} e-mailed to {invoice.emailed_to}."


class InvoiceActionView(PermissionRequiredMixin, View):
    """issue a draft, discard a draft, change a draft's note, or e-mail an issued invoice (again)."""

    raise_exception = True
    action = ""

    def get_permission_required(self) -> list[str]:
        return [ACTIONS[self.action][2]]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = get_object_or_404(Invoice, pk=pk)
        form_class, service, _ = ACTIONS[self.action]
        form = form_class(request.POST)
        done = None
        if form.is_valid():
            done = call_for_form(form, service, invoice_id=invoice.pk, actor=request.user,
                                 **form.service_kwargs())  # type: ignore[attr-defined]
        if done is None:
            context = invoice_context(request, invoice_or_404(pk), bound=(self.action, form))
            return render(request, "billing/invoice_detail.html", context, status=400)
        if self.action == "discard":
            messages.success(request, "Draft discarded; its goods can be invoiced again.")
            if invoice.order_id:
                return redirect("orders:order-detail", pk=invoice.order_id)
            return redirect("billing:invoice-list")
        messages.success(request, _done_message(self.action, done))
        return redirect("billing:invoice-detail", pk=invoice.pk)


class InvoiceDocumentView(PermissionRequiredMixin, View):
    """The invoice's PDF, its Factur-X (CII) XML or its UBL XML."""

    permission_required = VIEW_INVOICE
    raise_exception = True
    fmt = "pdf"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = get_object_or_404(Invoice.objects.select_related("customer", "order", "shipment"), pk=pk)
        return document_download(request, invoice, self.fmt, back="billing:invoice-detail")


# --- invoice an order's shipped goods -------------------------------------------------------------


class OrderInvoiceView(PermissionRequiredMixin, View):
    """Everything of the order shipped and not yet invoiced, as a draft for Finance to check and issue."""

    permission_required = ADD_INVOICE
    raise_exception = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = get_object_or_404(SalesOrder, pk=pk)
        try:
            invoice = invoice_create_for_order(order_id=order.pk, actor=request.user, issue=False)
        except DomainError as err:
            messages.error(request, err.message)
            return redirect("orders:order-detail", pk=order.pk)
        if invoice is None:
            messages.error(request, f"Nothing of order {order.number} is left to invoice: what has shipped is "
                                    "invoiced already.")
            return redirect("orders:order-detail", pk=order.pk)
        messages.success(request, f"Draft invoice for order {order.number}: {invoice.gross_total} {invoice.currency}. "
                                  "Check it, then issue it.")
        return redirect("billing:invoice-detail", pk=invoice.pk)


# --- the panel on the order page ----------------------------------------------------------------


def order_panel(order: SalesOrder, request: HttpRequest) -> dict[str, Any] | None:
    """The order's invoices (status, amount due, overdue) and credit notes, with "Invoice shipped goods"
    for who may: the context of billing/partials/order_billing.html."""
    invoices, credit_notes = order_billing(order.pk)
    lines = list(order.lines.all()) if order.status in INVOICEABLE_ORDERS else []
    shipped = any(line.shipped_quantity > 0 for line in lines)
    if not invoices and not credit_notes and not shipped:
        return None
    today = timezone.localdate()
    for invoice in invoices:
        invoice.days_overdue = days_overdue(invoice, today)
    by_id = {invoice.pk: invoice for invoice in invoices}
    for note in credit_notes:
        note.invoice = by_id[note.invoice_id]  # loaded already: no query per credit note
    return {
        "order": order, "invoices": invoices, "credit_notes": credit_notes,
        "can_invoice": request.user.has_perm(ADD_INVOICE) and any(invoiceable(line) > 0 for line in lines),
    }
