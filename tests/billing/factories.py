"""Billing test data: orders shipped and invoiced through the real services."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from billing.models import Invoice
from billing.services import invoice_create_for_order, invoice_create_for_shipment
from fulfillment.models import Shipment
from inventory.models import Warehouse
from orders.models import Customer, SalesOrder
from tests.fulfillment.factories import confirmed_order, shipped_shipment
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked
from tests.orders.factories import ContactFactory, CustomerFactory

Line = tuple[Any, Any, str]  # (quantity, unit price, tax category)


def billing_customer(**fields: Any) -> Customer:
    """A customer with a billing contact (invoices go to it) and room on its credit limit."""
    fields.setdefault("credit_limit", Decimal("10000000"))
    customer = CustomerFactory(**fields)
    ContactFactory(customer=customer, role="billing", email=f"billing-{customer.number.lower()}@customer.example")
    return customer


def priced_order(lines: list[Line], *, customer: Customer | None = None, warehouse: Warehouse | None = None,
                 **header: Any) -> SalesOrder:
    """A confirmed order of new stocked products with the given quantities, prices and tax categories."""
    warehouse = warehouse or WarehouseFactory()
    customer = customer or billing_customer()
    products = []
    for quantity, price, category in lines:
        product = ProductFactory(list_price=Decimal(str(price)), tax_category=category, currency=customer.currency,
                                 weight_kg=Decimal("1.000"))
        stocked(product, warehouse, Decimal(str(quantity)) + 10)
        products.append((product, quantity))
    return confirmed_order(products, warehouse=warehouse, customer=customer, **header)


def shipped_order(lines: list[Line], *, customer: Customer | None = None, **header: Any) -> tuple[SalesOrder, Shipment]:
    order = priced_order(lines, customer=customer, **header)
    return order, shipped_shipment(order)


def issued_invoice(lines: list[Line] | None = None, *, customer: Customer | None = None, **header: Any) -> Invoice:
    """An issued invoice for a shipped order (default: 3 × 100.00 at the standard rate)."""
    _, shipment = shipped_order(lines or [(3, "100.00", "standard")], customer=customer, **header)
    invoice = invoice_create_for_shipment(shipment_id=shipment.pk)
    assert invoice is not None
    return invoice


def issued_on(day: datetime.date, lines: list[Line] | None = None, *, customer: Customer | None = None,
              **header: Any) -> Invoice:
    """An issued invoice dated `day` (its due date and terms counted from it), as if issued that day."""
    from unittest import mock

    _, shipment = shipped_order(lines or [(1, "100.00", "standard")], customer=customer, **header)
    with mock.patch("django.utils.timezone.localdate", return_value=day):
        invoice = invoice_create_for_shipment(shipment_id=shipment.pk)
    assert invoice is not None and invoice.issue_date == day
    return invoice


def draft_invoice(lines: list[Line] | None = None, *, customer: Customer | None = None, **header: Any) -> Invoice:
    """A draft invoice (by hand, not issued) of a shipped order (default: 2 × 50.00 at the standard rate)."""
    order, _ = shipped_order(lines or [(2, "50.00", "standard")], customer=customer, **header)
    draft = invoice_create_for_order(order_id=order.pk, actor=None, issue=False)
    assert draft is not None
    return draft


def overdue_invoice(days: int = 10, lines: list[Line] | None = None, *, customer: Customer | None = None,
                    **header: Any) -> Invoice:
    """An issued invoice whose due date passed `days` days ago (issued that long before, as `issued_on`)."""
    customer = customer or billing_customer()
    term = customer.payment_term
    assert not term.end_of_month
    invoice = issued_on(timezone.localdate() - datetime.timedelta(days=term.net_days + days), lines,
                        customer=customer, **header)
    assert invoice.due_date == timezone.localdate() - datetime.timedelta(days=days)
    return invoice
