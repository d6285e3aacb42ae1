"""E-mail a receivables document (a reminder, a statement) to the customer's billing contacts, once."""

from __future__ import annotations

from collections.abc import Callable

from django.db import models, transaction
from django.utils import timezone

from billing.selectors import billing_recipients
from o2c.audit import audit_record
from o2c.documents import Attachment, send_document_email
from orders.models import Customer


def send_once(*, model: type[models.Model], pk: int, customer: Customer, message: tuple[str, str], filename: str,
              pdf: Callable[[models.Model], bytes]) -> bool:
    """Under the row's lock `sent_at` decides: sent already → False; no contact with an e-mail → audited,
    False; else the e-mail with `pdf(row)` attached goes out and the row records when and to whom."""
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=pk)
        if locked.sent_at is not None:
            return False
        recipients = billing_recipients(customer)
        if not recipients:
            audit_record(obj=locked, action="not_sent", actor=None,
                         data={"reason": f"Customer {customer.number} has no contact with an e-mail."})
            return False
        subject, body = message
        send_document_email(to=recipients, subject=subject, body=body, attachments=[Attachment(filename, pdf(locked))])
        locked.sent_at = timezone.now()
        locked.email_to = ", ".join(recipients)[:500]
        locked.save(update_fields=["sent_at", "email_to"])
        audit_record(obj=locked, action="emailed", actor=None, data={"to": recipients})
    return True
