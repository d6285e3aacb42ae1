"""Quote and order-confirmation PDFs, rendered and e-mailed after commit (called by Celery tasks).

Each send locks its document and records when it went out, so a task delivered twice, or two
workers racing, send one e-mail.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from o2c.audit import audit_record
from o2c.documents import Attachment, render_pdf, send_document_email

from ..enums import OrderStatus, QuoteStatus
from ..models import Quote, SalesDocument, SalesOrder
from ..selectors import sales_recipients


def _context(document: SalesDocument, kind: str) -> dict:
    return {"document": document, "kind": kind, "lines": list(document.lines.select_related("product")),  # type: ignore[attr-defined]
            "customer": document.customer}


def quote_pdf(quote: Quote) -> bytes:
    return render_pdf("orders/pdf/quote.html", _context(quote, "quote"), language=quote.customer.language)


def order_pdf(order: SalesOrder) -> bytes:
    return render_pdf("orders/pdf/order.html", _context(order, "order"), language=order.customer.language)


def _send_once(document: SalesDocument, *, sent_field: str, action: str, subject: str, body: str,
               pdf: Callable[[], bytes]) -> bool:
    """E-mail the document's PDF to the customer's sales contacts and record when (the caller holds
    the row lock and has checked that it was not sent yet)."""
    recipients = sales_recipients(document.customer)
    if not recipients:
        return False
    send_document_email(to=recipients, subject=subject, body=body,
                        attachments=[Attachment(f"{document.number}.pdf", pdf())])
    setattr(document, sent_field, timezone.now())
    document.save(update_fields=[sent_field, "updated_at"])
    audit_record(obj=document, action=action, actor=None, data={"to": recipients})
    return True


@transaction.atomic
def quote_email_send(*, quote_id: int) -> bool:
    """E-mail a sent quote (PDF attached) to the sales contact, once. True when an e-mail went out."""
    quote = Quote.objects.select_for_update(of=("self",)).select_related("customer").get(pk=quote_id)
    if quote.emailed_at is not None or quote.status != QuoteStatus.SENT:
        return False
    return _send_once(
        quote, sent_field="emailed_at", action="emailed", subject=f"Quote {quote.number} from {_company()}",
        body=f"Dear {quote.customer.legal_name},\n\nplease find our quote {quote.number} attached, "
             f"valid until {quote.valid_until:%d %b %Y}.\n\nKind regards\n{_company()}",
        pdf=lambda: quote_pdf(quote),
    )


@transaction.atomic
def order_confirmation_send(*, order_id: int) -> bool:
    """E-mail the order confirmation (PDF attached) to the customer, once."""
    order = SalesOrder.objects.select_for_update(of=("self",)).select_related("customer").get(pk=order_id)
    if order.confirmation_sent_at is not None or order.status not in (OrderStatus.CONFIRMED, OrderStatus.DONE):
        return False
    reference = f" {order.customer_reference}" if order.customer_reference else ""
    return _send_once(
        order, sent_field="confirmation_sent_at", action="confirmation_emailed",
        subject=f"Order confirmation {order.number}",
        body=f"Dear {order.customer.legal_name},\n\nthank you for your order{reference}. "
             f"Our confirmation {order.number} is attached.\n\nKind regards\n{_company()}",
        pdf=lambda: order_pdf(order),
    )


def _company() -> str:
    return settings.O2C_COMPANY["name"]
