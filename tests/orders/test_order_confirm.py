"""Confirming an order: credit check, reservation line by line, backorders, promise dates, events."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from inventory.calendar import warehouse_calendar
from inventory.models import ExpectedReceipt, StockLevel, StockReservation
from o2c.errors import Conflict, ValidationFailed
from o2c.events import event_dispatch
from o2c.models import AuditEvent, EventReceipt, OutboxEvent
from orders.enums import OrderStatus
from orders.models import SalesOrder, SalesOrderLine
from orders.services import order_confirm, order_confirmation_send, order_update
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked
from tests.orders.factories import ContactFactory, CustomerFactory, draft_order, german_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    german_rates()
    return WarehouseFactory(code="HAM")


def test_confirm_reserves_backorders_and_dates_each_line(warehouse, sales_user, django_capture_on_commit_callbacks):
    today = datetime.date.today()
    plenty = stocked(ProductFactory(), warehouse, 10)
    short = stocked(ProductFactory(lead_time_days=5), warehouse, 3)
    incoming = ProductFactory(lead_time_days=20)
    expected = today + datetime.timedelta(days=9)
    ExpectedReceipt.objects.create(product=incoming, warehouse=warehouse, quantity=Decimal(50),
                                   expected_date=expected, reference="PO-1")
    customer = CustomerFactory()
    ContactFactory(customer=customer)
    order = draft_order(customer, [(plenty, 4), (short, 5), (incoming, 2)], warehouse=warehouse)

    with django_capture_on_commit_callbacks() as callbacks:
        order_confirm(order_id=order.pk, actor=sales_user)

    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.confirmed_at is not None
    lines = {line.product_id: line for line in order.lines.all()}
    calendar = warehouse_calendar(warehouse, today)
    ready = calendar.next_working(today)
    assert (lines[plenty.pk].reserved_quantity, lines[plenty.pk].backordered_quantity) == (4, 0)
    assert lines[plenty.pk].promise_date == ready
    assert (lines[short.pk].reserved_quantity, lines[short.pk].backordered_quantity) == (3, 2)
    assert lines[short.pk].promise_date == calendar.add(ready, 5)
    assert (lines[incoming.pk].reserved_quantity, lines[incoming.pk].backordered_quantity) == (0, 2)
    assert lines[incoming.pk].promise_date == calendar.next_working(expected)
    assert StockLevel.objects.get(product=short, warehouse=warehouse).reserved == 3
    event = OutboxEvent.objects.get(type="order.confirmed")
    assert event.payload["number"] == order.number and len(event.payload["lines"]) == 3
    assert AuditEvent.objects.filter(object_id=str(order.pk), action="confirmed", actor=sales_user).exists()
    assert len(callbacks) == 1  # the event's dispatch waits for the commit
    with django_capture_on_commit_callbacks() as callbacks:
        assert event_dispatch(event_id=str(event.pk)) is True  # its subscriber queues the e-mail
    assert len(callbacks) == 1 and EventReceipt.objects.filter(subscriber="orders.send_confirmation").exists()
    assert order_confirmation_send(order_id=order.pk) is True
    assert order_confirmation_send(order_id=order.pk) is False  # a second delivery sends nothing
    [message] = mail.outbox
    assert message.subject == f"Order confirmation {order.number}"
    [(name, content, mimetype)] = message.attachments
    assert name == f"{order.number}.pdf" and content.startswith(b"%PDF") and mimetype == "application/pdf"


def test_confirming_twice_or_editing_a_confirmed_order_is_refused_and_changes_nothing(warehouse, sales_user):
    product = stocked(ProductFactory(), warehouse, 10)
    order = draft_order(CustomerFactory(), [(product, 2)], warehouse=warehouse)
    order_confirm(order_id=order.pk, actor=sales_user)
    with pytest.raises(Conflict) as err:
        order_confirm(order_id=order.pk, actor=sales_user)
    assert err.value.status == 409 and "confirmed" in err.value.message
    with pytest.raises(Conflict):
        order_update(order_id=order.pk, actor=sales_user, lines=[{"product": product.pk, "quantity": "5"}])
    assert StockLevel.objects.get(product=product, warehouse=warehouse).reserved == 2
    assert list(SalesOrderLine.objects.filter(order=order).values_list("quantity", flat=True)) == [2]
    assert OutboxEvent.objects.filter(type="order.confirmed").count() == 1


def test_over_the_credit_limit_the_order_goes_on_hold_without_reserving(warehouse, sales_user):
    product = stocked(ProductFactory(list_price=Decimal("100.00")), warehouse, 10)
    customer = CustomerFactory(credit_limit=Decimal("500.00"), open_balance=Decimal("300.00"))
    order = draft_order(customer, [(product, 2)], warehouse=warehouse)  # 238.00 gross
    order_confirm(order_id=order.pk, actor=sales_user)
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD
    assert "exposure would be 538.00" in order.hold_reason
    assert not StockReservation.objects.exists()
    assert OutboxEvent.objects.filter(type="order.held").count() == 1


def test_customer_on_credit_hold_holds_every_order(warehouse, sales_user):
    product = stocked(ProductFactory(), warehouse, 10)
    customer = CustomerFactory(credit_hold=True, credit_hold_reason="Cheque bounced")
    order = draft_order(customer, [(product, 1)], warehouse=warehouse)
    order_confirm(order_id=order.pk, actor=sales_user)
    assert SalesOrder.objects.get(pk=order.pk).hold_reason == "Customer on credit hold: Cheque bounced."


def test_an_order_in_another_currency_or_for_someone_elses_address_is_refused(warehouse, sales_user):
    product = ProductFactory()
    customer = CustomerFactory()
    with pytest.raises(ValidationFailed) as err:
        draft_order(customer, [(product, 1)], warehouse=warehouse, currency="USD")
    assert err.value.details == {"currency": ["Must be EUR."]}
    assert not SalesOrder.objects.exists()
