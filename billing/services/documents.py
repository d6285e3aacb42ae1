"""Invoice and credit-note documents: the PDF (Factur-X PDF/A-3, in the customer's language), rendered
once after issue and kept in storage with its SHA-256, and the e-mail to the customer's billing contacts.

Both services run from Celery after commit and are safe to run twice: each locks the document row and
checks what is done (`pdf_sha256`, `emailed_at`) under the lock. Rendering happens before the lock is
taken (an issued document never changes), so the row is held only while the file and fields are saved.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from o2c.audit import audit_record
from o2c.documents import Attachment, render_html, send_document_email
from o2c.errors import Conflict, NotFound, ValidationFailed

from ..einvoice import delivery, facturx_xml, ubl_xml, write_facturx_pdf
from ..models import BillingDocument, CreditNote, Invoice
from ..selectors import billing_recipients

Kind = Literal["invoice", "credit_note"]
MODELS: dict[str, type[BillingDocument]] = {"invoice": Invoice, "credit_note": CreditNote}
RELATED = {"invoice": ("customer", "order", "shipment"), "credit_note": ("customer", "invoice")}


def _tax_rows(document: BillingDocument) -> list[dict[str, Decimal]]:
    """The stored tax summary as numbers, so they print in the language's format like every amount."""
    return [{key: Decimal(row[key]) for key in ("rate", "net", "tax")} for row in document.tax_summary]


def _context(document: BillingDocument) -> dict[str, Any]:
    lines = list(document.lines.select_related("product").order_by("position"))
    context = {"document": document, "customer": document.customer, "lines": lines, "tax_rows": _tax_rows(document)}
    if isinstance(document, Invoice):
        iban = settings.O2C_COMPANY["iban"]
        context.update(order=document.order, shipment=document.shipment, delivery_date=delivery(document)[1],
                       iban=" ".join(iban[i:i + 4] for i in range(0, len(iban), 4)),
                       discounted_total=document.gross_total - document.discount_amount)
    else:
        context.update(invoice=document.invoice, reason=document.get_reason_display())
    return context


def _pdf(template: str, document: BillingDocument) -> bytes:
    html = render_html(template, _context(document), language=document.language)
    return write_facturx_pdf(html, facturx_xml(document), base_url=str(settings.BASE_DIR))


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    """The invoice as Factur-X PDF/A-3 (HTML → WeasyPrint, the CII XML embedded in the same pass)."""
    return _pdf("billing/pdf/invoice.html", invoice)


def credit_note_pdf_bytes(credit_note: CreditNote) -> bytes:
    return _pdf("billing/pdf/credit_note.html", credit_note)


def _model(kind: str) -> type[BillingDocument]:
    if kind not in MODELS:
        raise ValidationFailed(f"Unknown document kind {kind!r}.", details={"kind": [f"One of {sorted(MODELS)}."]})
    return MODELS[kind]


def _get(kind: str, document_id: int, *, lock: bool = False) -> BillingDocument:
    queryset = _model(kind).objects.select_related(*RELATED[kind])
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(pk=document_id)
    except queryset.model.DoesNotExist:
        raise NotFound(f"{queryset.model._meta.verbose_name.capitalize()} {document_id} does not exist.") from None


@transaction.atomic
def document_render_pdf(*, kind: Kind, document_id: int) -> bool:
    """Render an issued document's PDF and store it with its SHA-256, once; True when it rendered."""
    document = _get(kind, document_id)
    if not document.is_issued or document.pdf_sha256:
        return False
    pdf = invoice_pdf_bytes(document) if kind == "invoice" else credit_note_pdf_bytes(document)
    document = _get(kind, document_id, lock=True)
    if document.pdf_sha256:  # another worker stored it meanwhile
        return False
    document.pdf.save(f"{document.number}.pdf", ContentFile(pdf), save=False)
    document.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    document.pdf_rendered_at = timezone.now()
    document.save(update_fields=["pdf", "pdf_sha256", "pdf_rendered_at", "updated_at"])
    audit_record(obj=document, action="pdf_rendered", actor=None,
                 data={"file": document.pdf.name, "sha256": document.pdf_sha256, "bytes": len(pdf)})
    return True


def document_pdf(document: BillingDocument) -> bytes:
    """The stored PDF, exactly as rendered."""
    if not document.pdf_sha256:
        raise Conflict(f"The PDF of {document} is being prepared; try again in a moment.", code="pdf_pending")
    with document.pdf.open("rb") as file:
        return file.read()


XML = {"facturx": facturx_xml, "ubl": ubl_xml}


def document_xml(document: BillingDocument, flavour: Literal["facturx", "ubl"]) -> bytes:
    """The issued document as Factur-X (CII) or UBL XML; a draft has none (it has no number yet)."""
    if not document.is_issued:
        raise Conflict(f"A draft has no documents yet: issue {document} first.", code="invoice_not_issued",
                       details={"status": getattr(document, "status", "")})
    return XML[flavour](document)


def _message(document: BillingDocument) -> tuple[str, str]:
    """(subject, body) in the document's language."""
    company = settings.O2C_COMPANY["name"]
    with translation.override(document.language):
        values = {"number": document.number, "company": company, "day": document.issue_date.isoformat(),
                  "amount": number_format(document.gross_total, 2), "currency": document.currency}
        if isinstance(document, Invoice):
            subject = _("Invoice %(number)s from %(company)s") % values
            text = _("please find attached our invoice %(number)s of %(day)s for %(amount)s %(currency)s.") % values
            text += "\n\n" + _("Please transfer the amount by %(due)s to IBAN %(iban)s, quoting the payment "
                               "reference %(reference)s.") % {"due": document.due_date.isoformat(),
                                                               "iban": settings.O2C_COMPANY["iban"],
                                                               "reference": document.payment_reference}
            if document.discount_amount:
                text += " " + _("If you pay by %(day)s, you may deduct %(amount)s %(currency)s.") % {
                    "day": document.discount_date.isoformat(), "amount": number_format(document.discount_amount, 2),
                    "currency": document.currency}
            text += "\n\n" + _("The XML file attached is the same invoice for your accounting software "
                               "(UBL, Peppol BIS Billing 3.0); the PDF carries it as Factur-X.")
        else:
            subject = _("Credit note %(number)s from %(company)s") % values
            text = _("please find attached our credit note %(number)s of %(day)s for %(amount)s %(currency)s, "
                     "which corrects invoice %(invoice)s.") % {**values, "invoice": document.invoice.number}
        greeting = _("Dear Sir or Madam,")
        closing = _("Kind regards")
    return subject, f"{greeting}\n\n{text}\n\n{closing}\n{company}"


def _not_sent(document: BillingDocument, recipients: list[str], resend: bool) -> Conflict | None:
    """Why the document is not sent (None: it is)."""
    if not document.is_issued:
        return Conflict(f"{document} is a draft: issue it first.", code="invoice_not_issued")
    if document.emailed_at is not None and not resend:
        return Conflict(f"{document} was sent already, on {timezone.localtime(document.emailed_at):%Y-%m-%d %H:%M} "
                        f"to {document.emailed_to}; send it again to send it once more.", code="already_sent",
                        details={"emailed_at": document.emailed_at.isoformat(), "emailed_to": document.emailed_to})
    if not recipients:
        return Conflict(f"Customer {document.customer.number} has no billing or sales contact with an e-mail "
                        "address: nothing was sent. Add a billing contact on the customer.", code="no_recipients")
    return None


@transaction.atomic
def document_send(*, kind: Kind, document_id: int, actor: AbstractBaseUser | None = None,
                  resend: bool = False, refuse: bool = False) -> bool:
    """E-mail an issued document to the customer's billing contacts (else its sales contacts), with the
    PDF (and, for an invoice, its UBL XML); once, unless `resend`. When nothing is sent: False, or —
    with `refuse`, for a person who asked — a Conflict that says why."""
    document_render_pdf(kind=kind, document_id=document_id)
    document = _get(kind, document_id, lock=True)
    recipients = billing_recipients(document.customer) if document.is_issued else []
    refusal = _not_sent(document, recipients, resend)
    if refusal is not None:
        if refuse:
            raise refusal
        return False
    attachments = [Attachment(f"{document.number}.pdf", document_pdf(document))]
    if isinstance(document, Invoice):
        attachments.append(Attachment(f"{document.number}.xml", ubl_xml(document), "application/xml"))
    subject, body = _message(document)
    send_document_email(to=recipients, subject=subject, body=body, attachments=attachments)
    again = document.emailed_at is not None
    document.emailed_at = timezone.now()
    document.emailed_to = ", ".join(recipients)[:500]
    document.save(update_fields=["emailed_at", "emailed_to", "updated_at"])
    audit_record(obj=document, action="resent" if again else "emailed", actor=actor, data={"to": recipients})
    return True
