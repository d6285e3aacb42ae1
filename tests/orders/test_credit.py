"""The credit check: holds, Finance's release and rejection, and concurrent confirmations."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from inventory.models import StockLevel
from o2c.errors import Conflict, PermissionDenied, ValidationFailed
from o2c.models import AuditEvent
from orders.enums import OrderStatus
from orders.models import Customer, SalesOrder, SalesOrderLine
from orders.selectors import credit_position, credit_queue
from orders.services import customer_set_credit, order_confirm, order_reject_hold, order_release_hold
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked
from tests.orders.factories import CustomerFactory, draft_order, german_rates


def _run_together(*calls) -> list[BaseException]:
    """Run each call in its own thread and database connection, released at the same moment."""
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call) -> None:
        try:
            connection.ensure_connection()  # connect first, so the calls really overlap
            barrier.wait()
            call()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


@pytest.mark.django_db
def test_finance_releases_a_hold_and_the_order_confirms_with_reservations(sales_user, finance_user):
    german_rates()
    warehouse = WarehouseFactory(code="HAM")
    product = stocked(ProductFactory(list_price=Decimal("100.00")), warehouse, 5)
    customer = CustomerFactory(credit_limit=Decimal("100.00"))
    order = draft_order(customer, [(product, 2)], warehouse=warehouse)
    order_confirm(order_id=order.pk, actor=sales_user)
    assert list(credit_queue()) == [SalesOrder.objects.get(pk=order.pk)]
    position = credit_position(customer)
    assert (position.exposure, position.headroom) == (Decimal(0), Decimal("100.00"))

    order_release_hold(order_id=order.pk, actor=finance_user, note="Paid in advance")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.hold_reason == ""
    assert SalesOrderLine.objects.get(order=order).reserved_quantity == 2
    released = AuditEvent.objects.get(object_id=str(order.pk), action="credit_released")
    assert released.actor == finance_user and released.data["note"] == "Paid in advance"
    assert credit_position(customer).headroom == Decimal("-138.00")
    assert not credit_queue().exists()


@pytest.mark.django_db
def test_rejecting_a_hold_cancels_the_order_and_needs_a_reason(sales_user, finance_user):
    german_rates()
    warehouse = WarehouseFactory(code="HAM")
    product = stocked(ProductFactory(), warehouse, 5)
    customer = CustomerFactory(credit_hold=True, credit_hold_reason="Insolvency rumours")
    order = draft_order(customer, [(product, 1)], warehouse=warehouse)
    order_confirm(order_id=order.pk, actor=sales_user)
    with pytest.raises(ValidationFailed):
        order_reject_hold(order_id=order.pk, actor=finance_user, reason=" ")
    order_reject_hold(order_id=order.pk, actor=finance_user, reason="Pay the overdue invoices first")
    assert SalesOrder.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    with pytest.raises(Conflict):
        order_release_hold(order_id=order.pk, actor=finance_user)
    assert StockLevel.objects.get(product=product, warehouse=warehouse).reserved == 0


@pytest.mark.django_db
def test_credit_hold_is_set_with_reason_and_who_and_lifted(finance_user):
    customer = CustomerFactory()
    with pytest.raises(ValidationFailed):
        customer_set_credit(customer_id=customer.pk, actor=finance_user, credit_hold=True)
    customer_set_credit(customer_id=customer.pk, actor=finance_user, credit_hold=True, reason="Bounced cheque",
                        credit_limit="2500")
    customer.refresh_from_db()
    assert (customer.credit_hold, customer.credit_hold_reason, customer.credit_hold_by, customer.credit_limit) == (
        True, "Bounced cheque", finance_user, Decimal("2500.00"))
    customer_set_credit(customer_id=customer.pk, actor=finance_user, credit_hold=True, reason="Two cheques bounced")
    assert Customer.objects.get(pk=customer.pk).credit_hold_reason == "Two cheques bounced"
    customer_set_credit(customer_id=customer.pk, actor=finance_user, credit_hold=False)
    customer.refresh_from_db()
    assert (customer.credit_hold, customer.credit_hold_reason, customer.credit_hold_by) == (False, "", None)
    assert AuditEvent.objects.filter(object_id=str(customer.pk), action="credit_changed").count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_confirmations_over_the_limit_together_put_exactly_one_on_hold(sales_user):
    german_rates()
    warehouse = WarehouseFactory(code="HAM")
    product = stocked(ProductFactory(list_price=Decimal("100.00")), warehouse, 100)
    for _ in range(3):  # a few rounds, each with a fresh customer: the race must never let both through
        customer = CustomerFactory(credit_limit=Decimal("400.00"))
        orders = [draft_order(customer, [(product, 3)], warehouse=warehouse) for _ in range(2)]  # 357.00 each
        errors = _run_together(*[lambda o=o: order_confirm(order_id=o.pk, actor=sales_user) for o in orders])
        assert errors == []
        statuses = sorted(SalesOrder.objects.filter(customer=customer).values_list("status", flat=True))
        assert statuses == [OrderStatus.CONFIRMED, OrderStatus.ON_HOLD]
        assert credit_position(customer).exposure == Decimal("357.00")


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_never_oversell(sales_user):
    german_rates()
    warehouse = WarehouseFactory(code="HAM")
    product = stocked(ProductFactory(), warehouse, 10)
    customers = [CustomerFactory() for _ in range(6)]
    orders = [draft_order(c, [(product, 4)], warehouse=warehouse) for c in customers]  # 24 wanted, 10 on hand
    errors = _run_together(*[lambda o=o: order_confirm(order_id=o.pk, actor=sales_user) for o in orders])
    assert errors == []
    lines = SalesOrderLine.objects.filter(order__in=orders)
    assert sum(line.reserved_quantity for line in lines) == 10
    assert sum(line.backordered_quantity for line in lines) == 14
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (10, 10)
    assert all(line.reserved_quantity + line.backordered_quantity == 4 for line in lines)


@pytest.mark.django_db
def test_only_credit_managers_set_credit_or_decide_on_holds_whatever_the_entry_point(sales_user):
    customer = CustomerFactory()
    with pytest.raises(PermissionDenied):
        customer_set_credit(customer_id=customer.pk, actor=sales_user, credit_limit="100")
    with pytest.raises(PermissionDenied):
        order_release_hold(order_id=0, actor=sales_user)
    assert Customer.objects.get(pk=customer.pk).credit_limit is None
