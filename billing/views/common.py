"""What the billing pages share: permissions, page sizes, the documents' downloads and e-mail."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from o2c.errors import DomainError
from o2c.views import pdf_response

from ..enums import OPEN_STATUSES, InvoiceStatus
from ..models import BillingDocument, CreditNote, Invoice
from ..selectors import billing_recipients, invoice_detail
from ..services import document_pdf, document_send, document_xml

INVOICES_PER_PAGE = 50
CREDIT_NOTES_PER_PAGE = 50

VIEW_INVOICE, VIEW_CREDIT_NOTE = "billing.view_invoice", "billing.view_creditnote"
ADD_INVOICE = "billing.add_invoice"        # invoice an order's shipped goods (a draft)
CHANGE_INVOICE = "billing.change_invoice"  # a draft's note, discard a draft
ISSUE = "billing.issue_invoice"            # issue a draft, e-mail an invoice or a credit note
ADD_CREDIT_NOTE = "billing.add_creditnote"

XML_SUFFIX = {"facturx": "factur-x", "ubl": "ubl"}


def invoice_or_404(pk: int) -> Invoice:
    """The invoice with its lines, credit notes and links (a fixed number of queries)."""
    try:
        return invoice_detail(pk)
    except Invoice.DoesNotExist:
        raise Http404("No such invoice.") from None


def days_overdue(invoice: Invoice, today: datetime.date) -> int | None:
    """Days past the due date of an open invoice (None: not overdue)."""
    if invoice.status in OPEN_STATUSES and invoice.due_date is not None and invoice.due_date < today:
        return (today - invoice.due_date).days
    return None


def can_credit(invoice: Invoice) -> bool:
    """An issued invoice not credited in full yet."""
    return (invoice.is_issued and invoice.status != InvoiceStatus.CANCELLED
            and invoice.credited_amount < invoice.gross_total)


def document_download(request: HttpRequest, document: BillingDocument, fmt: str, *, back: str) -> HttpResponse:
    """The stored PDF (inline with ?inline=1, for the preview), or the document as Factur-X (CII) or UBL
    XML. A draft has none of them, and a PDF not rendered yet is being prepared: the page says so."""
    try:
        if not document.is_issued:
            messages.error(request, "A draft has no documents yet: issue it first.")
            return redirect(back, pk=document.pk)
        if fmt == "pdf":
            return pdf_response(document_pdf(document), f"{document.number}.pdf",
                                inline=request.GET.get("inline") == "1")
        content = document_xml(document, fmt)  # type: ignore[arg-type]
    except DomainError as err:
        messages.error(request, err.message)
        return redirect(back, pk=document.pk)
    response = HttpResponse(content, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{document.number}-{XML_SUFFIX[fmt]}.xml"'
    return response


def recipients(document: BillingDocument) -> list[str]:
    """Where the e-mail goes: the customer's billing contacts (else its sales contacts)."""
    return billing_recipients(document.customer)


def send_document(*, kind: str, document_id: int, actor: object, resend: bool) -> BillingDocument:
    """E-mail the document (again, with `resend`); the service refuses with its reason when it sends nothing."""
    document_send(kind=kind, document_id=document_id, actor=actor, resend=resend, refuse=True)  # type: ignore[arg-type]
    model = Invoice if kind == "invoice" else CreditNote
    return model.objects.select_related("customer").get(pk=document_id)

