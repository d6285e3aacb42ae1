"""Quotes: draft → sent (PDF e-mailed once) → accepted (a draft order with the same lines) | rejected | expired."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from o2c.errors import Conflict, InvalidTransition, ValidationFailed
from o2c.models import AuditEvent
from orders.enums import OrderStatus, QuoteStatus
from orders.models import Quote
from orders.services import (
    quote_accept,
    quote_create,
    quote_email_send,
    quote_reject,
    quote_send,
    quote_update,
    quotes_expire,
)
from tests.inventory.factories import ProductFactory, WarehouseFactory
from tests.orders.factories import ContactFactory, CustomerFactory, german_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    german_rates()
    WarehouseFactory(code="HAM")
    customer = CustomerFactory(language="de")
    ContactFactory(customer=customer, role="billing", email="ap@customer.example")
    ContactFactory(customer=customer, role="sales", email="buyer@customer.example")
    return customer


def _quote(customer, actor=None, **kwargs) -> Quote:
    drill, saw = ProductFactory(list_price=Decimal("120.00")), ProductFactory(list_price=Decimal("45.50"))
    return quote_create(customer=customer, actor=actor, lines=[
        {"product": drill.pk, "quantity": "2", "discount_percent": "5"},
        {"product": saw.sku, "quantity": "1", "unit_price": "40.00", "description": "Saw, special price"},
    ], **kwargs)


def test_send_emails_the_pdf_to_the_sales_contact_once(customer, sales_user, django_capture_on_commit_callbacks):
    quote = _quote(customer, sales_user)
    assert (quote.number.startswith("QT-"), quote.gross_total) == (True, Decimal("318.92"))
    with django_capture_on_commit_callbacks() as callbacks:
        quote_send(quote_id=quote.pk, actor=sales_user)
    assert len(callbacks) == 1
    assert quote_email_send(quote_id=quote.pk) is True
    assert quote_email_send(quote_id=quote.pk) is False
    [message] = mail.outbox
    assert message.to == ["buyer@customer.example"] and quote.number in message.subject
    assert message.attachments[0][1].startswith(b"%PDF")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT and quote.emailed_at is not None
    with pytest.raises(Conflict):
        quote_update(quote_id=quote.pk, actor=sales_user, notes="changed")


def test_accepting_creates_a_draft_order_with_the_quoted_lines_and_prices(customer, sales_user):
    quote = _quote(customer, sales_user)
    quote_send(quote_id=quote.pk, actor=sales_user)
    order = quote_accept(quote_id=quote.pk, actor=sales_user)
    assert order.status == OrderStatus.DRAFT and order.quote == quote
    quoted = list(quote.lines.values_list("product", "quantity", "unit_price", "discount_percent", "description"))
    ordered = list(order.lines.values_list("product", "quantity", "unit_price", "discount_percent", "description"))
    assert ordered == quoted and order.gross_total == quote.gross_total
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.ACCEPTED
    with pytest.raises(InvalidTransition):
        quote_accept(quote_id=quote.pk, actor=sales_user)
    assert AuditEvent.objects.filter(object_id=str(quote.pk), action="order_created").count() == 1


def test_a_draft_cannot_be_accepted_and_a_rejected_quote_stays_rejected(customer, sales_user):
    quote = _quote(customer, sales_user)
    with pytest.raises(InvalidTransition):
        quote_accept(quote_id=quote.pk, actor=sales_user)
    quote_send(quote_id=quote.pk, actor=sales_user)
    quote_reject(quote_id=quote.pk, actor=sales_user, reason="Too expensive")
    with pytest.raises(InvalidTransition):
        quote_send(quote_id=quote.pk, actor=sales_user)
    assert not quote.customer.salesorders.exists()


def test_a_quote_without_contacts_cannot_be_sent(sales_user):
    german_rates()
    quote = _quote(CustomerFactory(), sales_user)
    with pytest.raises(ValidationFailed) as err:
        quote_send(quote_id=quote.pk, actor=sales_user)
    assert err.value.code == "no_recipient"
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.DRAFT


def test_expiry_runs_once_and_an_expired_quote_cannot_be_accepted(customer, sales_user):
    today = timezone.localdate()
    old = _quote(customer, sales_user, valid_until=today)
    quote_send(quote_id=old.pk, actor=sales_user)
    fresh = _quote(customer, sales_user, valid_until=today + datetime.timedelta(days=5))
    tomorrow = today + datetime.timedelta(days=1)
    assert quotes_expire(today=tomorrow) == [old.number]
    assert quotes_expire(today=tomorrow) == []
    assert Quote.objects.get(pk=fresh.pk).status == QuoteStatus.DRAFT
    with pytest.raises(InvalidTransition):
        quote_accept(quote_id=old.pk, actor=sales_user)


def test_validity_in_the_past_is_refused(customer, sales_user):
    with pytest.raises(ValidationFailed) as err:
        _quote(customer, sales_user, valid_until=timezone.localdate() - datetime.timedelta(days=1))
    assert "valid_until" in err.value.details
    assert not Quote.objects.exists()
