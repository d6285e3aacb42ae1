"""Credit control: the policy holds customers with long-overdue invoices and lifts the hold when paid;
Finance's own holds stay; orders' confirmation honours the hold."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.errors import PermissionDenied
from orders.enums import OrderStatus
from orders.models import Customer
from orders.services import order_confirm
from receivables.models import DunningPolicy, PolicyCreditHold
from receivables.services.credit_control import credit_holds_apply, customer_credit_hold
from tests.billing.factories import billing_customer, overdue_invoice
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked
from tests.orders.factories import draft_order
from tests.receivables.factories import payment_of

pytestmark = pytest.mark.django_db


def _order(customer: Customer):
    warehouse = WarehouseFactory()
    product = ProductFactory(list_price=Decimal("10.00"))
    stocked(product, warehouse, Decimal("5"))
    return draft_order(customer, [(product, 1)], warehouse=warehouse)


def test_the_policy_holds_a_late_payer_and_lifts_the_hold_when_it_pays() -> None:
    late, on_time = billing_customer(), billing_customer()
    invoice = overdue_invoice(61, [(1, "100.00", "standard")], customer=late)  # policy: more than 60 days
    overdue_invoice(60, [(1, "100.00", "standard")], customer=on_time)
    held, released = credit_holds_apply()
    assert (held, released) == ([late.pk], [])
    late.refresh_from_db()
    assert late.credit_hold and "more than 60 days overdue" in late.credit_hold_reason
    assert credit_holds_apply() == ([], [])  # a second run changes nothing

    order = order_confirm(order_id=_order(late).pk, actor=None)
    assert order.status == OrderStatus.ON_HOLD and "credit hold" in order.hold_reason

    payment_of(late, "119.00", invoices=[invoice])  # paid: the hold is lifted at once
    late.refresh_from_db()
    assert not late.credit_hold and not PolicyCreditHold.objects.exists()
    assert order_confirm(order_id=_order(late).pk, actor=None).status == OrderStatus.CONFIRMED


def test_a_hold_set_by_hand_stays_until_finance_lifts_it(finance_user, sales_user) -> None:
    customer = billing_customer()
    customer_credit_hold(customer_id=customer.pk, hold=True, reason="bankruptcy rumours", actor=finance_user)
    assert credit_holds_apply() == ([], [])
    customer.refresh_from_db()
    assert customer.credit_hold and customer.credit_hold_reason == "bankruptcy rumours"
    with pytest.raises(PermissionDenied):
        customer_credit_hold(customer_id=customer.pk, hold=False, actor=sales_user)
    customer_credit_hold(customer_id=customer.pk, hold=False, actor=finance_user)
    customer.refresh_from_db()
    assert not customer.credit_hold


def test_without_policy_days_nobody_is_held_and_policy_holds_are_lifted() -> None:
    customer = billing_customer()
    overdue_invoice(100, [(1, "100.00", "standard")], customer=customer)
    assert credit_holds_apply()[0] == [customer.pk]
    DunningPolicy.objects.filter(is_default=True).update(credit_hold_days=None)
    assert credit_holds_apply() == ([], [customer.pk])
    customer.refresh_from_db()
    assert not customer.credit_hold
