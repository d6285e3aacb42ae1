"""Sales test data: payment terms, tax rates, customers with contacts, and orders built by the services."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import factory

from inventory.models import Product, Warehouse
from orders.models import Contact, Customer, PaymentTerm, SalesOrder, ShippingAddress, TaxRate
from orders.services import order_create


class PaymentTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentTerm
        django_get_or_create = ("code",)

    code = "NET30"
    name = "30 days net"
    net_days = 30


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxRate
        django_get_or_create = ("category", "country", "valid_from")

    category = "standard"
    country = "DE"
    rate = Decimal("19.00")
    valid_from = datetime.date(2020, 1, 1)


def german_rates() -> None:
    TaxRateFactory(category="standard", rate=Decimal("19.00"))
    TaxRateFactory(category="reduced", rate=Decimal("7.00"))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    number = factory.Sequence(lambda n: f"CT{n:05d}")
    legal_name = factory.Sequence(lambda n: f"Customer {n} GmbH")
    country = "DE"
    billing_address = "Marktplatz 1\n20095 Hamburg"
    currency = "EUR"
    payment_term = factory.SubFactory(PaymentTermFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = "Erika Muster"
    email = factory.Sequence(lambda n: f"buyer{n}@customer.example")
    role = "sales"


class ShippingAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingAddress

    customer = factory.SubFactory(CustomerFactory)
    label = "Main warehouse"
    address = "Industriestrasse 5\n22113 Hamburg"
    country = "DE"
    is_default = True


def draft_order(
    customer: Customer, lines: list[tuple[Product, Any]], *, warehouse: Warehouse | None = None,
    actor: Any = None, **header: Any,
) -> SalesOrder:
    """A draft order through order_create; lines are (product, quantity) pairs."""
    return order_create(customer=customer, actor=actor, warehouse=warehouse,
                        lines=[{"product": p.pk, "quantity": str(q)} for p, q in lines], **header)
