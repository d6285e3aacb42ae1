"""Quotes: draft → sent → accepted (a draft order with the same lines) | rejected | expired."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from o2c.audit import audit_record
from o2c.errors import Conflict, ValidationFailed
from o2c.numbering import next_number
from o2c.states import transition

from ..enums import QUOTE_TRANSITIONS, QuoteStatus
from ..models import Customer, Quote, QuoteLine, SalesOrder
from ..selectors import sales_recipients
from .documents import check_customer, line_inputs, priced_document, replace_lines
from .orders import order_create

DEFAULT_VALIDITY_DAYS = 30


def _check_validity(valid_until: Any) -> datetime.date:
    if valid_until in (None, ""):
        return timezone.localdate() + datetime.timedelta(days=DEFAULT_VALIDITY_DAYS)
    if not isinstance(valid_until, datetime.date):
        raise ValidationFailed("Enter a date.", details={"valid_until": ["Enter a valid date."]})
    if valid_until < timezone.localdate():
        raise ValidationFailed("A quote cannot be valid only in the past.",
                               details={"valid_until": ["Must be today or later."]})
    return valid_until


@transaction.atomic
def quote_create(
    *, customer: Customer, lines: Sequence[Mapping[str, Any]], actor: AbstractBaseUser | None,
    currency: str | None = None, valid_until: datetime.date | None = None, notes: str = "",
) -> Quote:
    currency = check_customer(customer, currency)
    valid = _check_validity(valid_until)
    totals, priced = priced_document(customer, lines)
    number = next_number("QT", timezone.localdate().year)
    quote = Quote.objects.create(
        number=str(number), customer=customer, currency=currency, valid_until=valid, notes=notes or "",
        created_by=actor if actor is not None and actor.is_authenticated else None, **totals,
    )
    replace_lines(quote, QuoteLine, "quote", priced, new=True)
    audit_record(obj=quote, action="created", actor=actor,
                 data={"lines": len(priced), "gross_total": str(quote.gross_total)})
    return quote


def _lock(quote_id: int) -> Quote:
    return Quote.objects.select_for_update(of=("self",)).select_related("customer").get(pk=quote_id)


@transaction.atomic
def quote_update(
    *, quote_id: int, actor: AbstractBaseUser | None, lines: Sequence[Mapping[str, Any]] | None = None,
    valid_until: datetime.date | None = None, notes: str | None = None,
) -> Quote:
    quote = _lock(quote_id)
    if quote.status != QuoteStatus.DRAFT:
        raise Conflict(f"Quote {quote.number} is {quote.status}; only a draft can be changed.",
                       code="quote_not_editable", details={"status": quote.status})
    changes: dict[str, Any] = {}
    if valid_until is not None:
        quote.valid_until = _check_validity(valid_until)
        changes["valid_until"] = str(quote.valid_until)
    if notes is not None:
        quote.notes = notes
        changes["notes"] = notes
    if lines is not None:
        totals, priced = priced_document(quote.customer, lines)
        for name, value in totals.items():
            setattr(quote, name, value)
        replace_lines(quote, QuoteLine, "quote", priced)
        changes["lines"] = len(priced)
    if changes:
        quote.save()
        audit_record(obj=quote, action="updated", actor=actor, data={"changes": changes})
    return quote


@transaction.atomic
def quote_send(*, quote_id: int, actor: AbstractBaseUser | None) -> Quote:
    """Mark the quote sent; its PDF is e-mailed to the customer's sales contact after commit."""
    quote = _lock(quote_id)
    if quote.status == QuoteStatus.DRAFT and quote.valid_until < timezone.localdate():
        raise Conflict(f"Quote {quote.number} expired on {quote.valid_until}.", code="quote_expired")
    recipients = sales_recipients(quote.customer)
    if quote.status == QuoteStatus.DRAFT and not recipients:
        raise ValidationFailed(f"{quote.customer.legal_name} has no contact to send the quote to.",
                               code="no_recipient", details={"contacts": ["Add a sales contact with an e-mail."]})
    quote.sent_at = timezone.now()
    transition(quote, to=QuoteStatus.SENT, actor=actor, allowed=QUOTE_TRANSITIONS, also_update=("sent_at",),
               data={"to": recipients})

    def later() -> None:
        from ..tasks import quote_email_send

        quote_email_send.delay(quote.pk)

    transaction.on_commit(later)
    return quote


@transaction.atomic
def quote_accept(*, quote_id: int, actor: AbstractBaseUser | None) -> SalesOrder:
    """The customer accepts: a draft sales order with the quoted lines and prices."""
    quote = _lock(quote_id)
    if quote.status == QuoteStatus.SENT and quote.valid_until < timezone.localdate():
        raise Conflict(f"Quote {quote.number} expired on {quote.valid_until}; send a new one.",
                       code="quote_expired")
    transition(quote, to=QuoteStatus.ACCEPTED, actor=actor, allowed=QUOTE_TRANSITIONS)
    order = order_create(customer=quote.customer, lines=line_inputs(quote.lines.order_by("position")),
                         actor=actor, quote=quote, notes=quote.notes)
    audit_record(obj=quote, action="order_created", actor=actor, data={"order": order.number})
    return order


@transaction.atomic
def quote_reject(*, quote_id: int, actor: AbstractBaseUser | None, reason: str = "") -> Quote:
    quote = _lock(quote_id)
    transition(quote, to=QuoteStatus.REJECTED, actor=actor, allowed=QUOTE_TRANSITIONS,
               data={"reason": reason.strip()})
    return quote


def quotes_expire(*, today: datetime.date | None = None, actor: AbstractBaseUser | None = None) -> list[str]:
    """Beat: draft and sent quotes past their validity become expired (each in its own transaction,
    skipping rows another worker holds). Running it twice expires nothing twice."""
    today = today or timezone.localdate()
    expired: list[str] = []
    due = Quote.objects.filter(status__in=[QuoteStatus.DRAFT, QuoteStatus.SENT], valid_until__lt=today)
    for quote_id in due.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            quote = (Quote.objects.select_for_update(skip_locked=True)
                     .filter(pk=quote_id, status__in=[QuoteStatus.DRAFT, QuoteStatus.SENT], valid_until__lt=today)
                     .first())
            if quote is not None:
                transition(quote, to=QuoteStatus.EXPIRED, actor=actor, allowed=QUOTE_TRANSITIONS,
                           data={"valid_until": str(quote.valid_until)})
                expired.append(quote.number)
    return expired
