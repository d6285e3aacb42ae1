"""The sales flow with a real Celery worker and Redis: the confirmation e-mail leaves after commit,
and stock received fills backorders through the outbox."""

from decimal import Decimal

from django.core import mail

from inventory.services import stock_receive
from orders.models import SalesOrder, SalesOrderLine
from orders.services import order_confirm
from tests.conftest import wait_for
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked
from tests.orders.factories import ContactFactory, CustomerFactory, draft_order, german_rates


def test_confirmation_mail_and_backorder_fill_run_on_the_worker(celery_worker, sales_user) -> None:
    german_rates()
    warehouse = WarehouseFactory(code="HAM")
    product = stocked(ProductFactory(), warehouse, 1)
    customer = CustomerFactory()
    ContactFactory(customer=customer, email="buyer@bau.example")
    order = draft_order(customer, [(product, 3)], warehouse=warehouse)

    order_confirm(order_id=order.pk, actor=sales_user)  # commits: the worker sends the confirmation
    assert wait_for(lambda: SalesOrder.objects.get(pk=order.pk).confirmation_sent_at is not None)
    assert [m.to for m in mail.outbox] == [["buyer@bau.example"]]

    stock_receive(product=product, warehouse=warehouse, quantity=Decimal(5), actor=None, reference="PO-9")
    assert wait_for(lambda: SalesOrderLine.objects.get(order=order).backordered_quantity == 0)
    line = SalesOrderLine.objects.get(order=order)
    assert line.reserved_quantity == 3
