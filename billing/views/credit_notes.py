"""Credit notes: crediting an issued invoice (chosen lines and quantities, or an amount), the list, and
the credit note page with its documents."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import TemplateView

from o2c.audit import timeline
from o2c.errors import call_for_form
from o2c.views import paginate, query_without_page
from orders.views.common import form_errors_text

from ..enums import CreditReason
from ..forms import CreditNoteFilterForm, CreditNoteForm, SendForm, credit_rooms
from ..models import CreditNote, Invoice
from ..selectors import credit_note_list
from ..services import credit_note_create
from .common import (
    ADD_CREDIT_NOTE,
    CREDIT_NOTES_PER_PAGE,
    ISSUE,
    VIEW_CREDIT_NOTE,
    can_credit,
    document_download,
    invoice_or_404,
    recipients,
    send_document,
)

# --- credit an invoice ----------------------------------------------------------------------------


class CreditNoteCreateView(PermissionRequiredMixin, View):
    """The invoice's lines with what can still be credited, or an amount at one of its tax rates."""

    permission_required = ADD_CREDIT_NOTE
    raise_exception = True

    def _render(self, request: HttpRequest, invoice: Invoice, form: CreditNoteForm,
                status: int = 200) -> HttpResponse:
        return render(request, "billing/credit_note_create.html", {"invoice": invoice, "form": form},
                      status=status)

    def _form(self, request: HttpRequest, invoice: Invoice) -> CreditNoteForm:
        rooms = credit_rooms(list(invoice.lines.all()))
        if request.method == "POST":
            return CreditNoteForm(request.POST, invoice=invoice, rooms=rooms)
        return CreditNoteForm(invoice=invoice, rooms=rooms)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = invoice_or_404(pk)
        if not can_credit(invoice):
            what = "a draft: change or discard it instead" if not invoice.is_issued else "credited in full already"
            messages.error(request, f"Invoice {invoice} is {what}.")
            return redirect("billing:invoice-detail", pk=invoice.pk)
        return self._render(request, invoice, self._form(request, invoice))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = invoice_or_404(pk)
        form = self._form(request, invoice)
        note = None
        if form.is_valid():
            note = call_for_form(form, credit_note_create, invoice_id=invoice.pk, actor=request.user,
                                 **form.service_kwargs())
        if note is None:
            return self._render(request, invoice, form, status=400)
        invoice.refresh_from_db(fields=["amount_due", "status"])
        left = (f"amount due now {invoice.amount_due} {invoice.currency}" if note.customer_credit == 0 else
                f"{note.customer_credit} {invoice.currency} is left to the customer as a credit")
        messages.success(request, f"Credit note {note.number} issued for {note.gross_total} {note.currency}: {left}.")
        return redirect("billing:invoice-detail", pk=invoice.pk)


# --- list -----------------------------------------------------------------------------------------


class CreditNoteListView(PermissionRequiredMixin, TemplateView):
    permission_required = VIEW_CREDIT_NOTE
    raise_exception = True
    template_name = "billing/credit_note_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = CreditNoteFilterForm(self.request.GET or None)
        filters = form.filters() if form.is_bound else {"search": "", "reason": ""}
        page_obj = paginate(self.request, credit_note_list(**filters), CREDIT_NOTES_PER_PAGE)
        return {**super().get_context_data(**kwargs), "filters": filters, "page_obj": page_obj,
                "page_base": query_without_page(self.request), "reasons": CreditReason.choices}


# --- the credit note page -------------------------------------------------------------------------


def _credit_note(pk: int) -> CreditNote:
    return get_object_or_404(CreditNote.objects.select_related("customer", "invoice", "issued_by")
                             .prefetch_related("lines__product", "lines__invoice_line"), pk=pk)


def credit_note_context(request: HttpRequest, note: CreditNote, *, bound: SendForm | None = None) -> dict[str, Any]:
    can_send = request.user.has_perm(ISSUE)
    return {"note": note, "invoice": note.invoice, "lines": list(note.lines.all()), "timeline": timeline(note),
            "send_form": (bound or SendForm()) if can_send else None,
            "recipients": recipients(note) if can_send else [], "pdf_ready": bool(note.pdf_sha256)}


class CreditNoteDetailView(PermissionRequiredMixin, View):
    permission_required = VIEW_CREDIT_NOTE
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "billing/credit_note_detail.html", credit_note_context(request, _credit_note(pk)))


class CreditNoteSendView(PermissionRequiredMixin, View):
    """E-mail the credit note to the customer (again)."""

    permission_required = ISSUE
    raise_exception = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        note = get_object_or_404(CreditNote, pk=pk)
        form = SendForm(request.POST)
        sent = None
        if form.is_valid():
            sent = call_for_form(form, send_document, kind="credit_note", document_id=note.pk, actor=request.user,
                                 **form.service_kwargs())
        if sent is None:
            context = credit_note_context(request, _credit_note(pk), bound=form)
            context["refused"] = form_errors_text(form)
            return render(request, "billing/credit_note_detail.html", context, status=400)
        messages.success(request, f"Credit note {sent.number} e-mailed to {sent.emailed_to}.")
        return redirect("billing:credit-note-detail", pk=note.pk)


class CreditNoteDocumentView(PermissionRequiredMixin, View):
    """The credit note's PDF or its UBL XML."""

    permission_required = VIEW_CREDIT_NOTE
    raise_exception = True
    fmt = "pdf"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        note = get_object_or_404(CreditNote.objects.select_related("customer", "invoice"), pk=pk)
        return document_download(request, note, self.fmt, back="billing:credit-note-detail")
