"""Customers: numbered, VAT-checked, audited; addresses, contacts, own prices; currency locked once used."""

from decimal import Decimal

import pytest

from o2c.errors import Conflict, ValidationFailed
from o2c.models import AuditEvent
from orders.models import Customer, PriceListItem, ShippingAddress
from orders.services import (
    customer_child_delete,
    customer_create,
    customer_update,
    price_list_set,
    shipping_address_create,
)
from tests.inventory.factories import ProductFactory, WarehouseFactory
from tests.orders.factories import PaymentTermFactory, draft_order, german_rates

pytestmark = pytest.mark.django_db


def _create(actor=None, **overrides) -> Customer:
    fields = {"legal_name": "Bistro Lyon SARL", "country": "fr", "vat_id": "fr 40 303 265 045",
              "billing_address": "1 Rue de la République\n69001 Lyon", "currency": "eur",
              "payment_term": PaymentTermFactory()} | overrides
    return customer_create(
        actor=actor, **fields,
        shipping_addresses=[{"label": "Kitchen", "address": "3 Rue Mercière\n69002 Lyon", "country": "FR"}],
        contacts=[{"name": "Claire", "email": "claire@bistro.example", "role": "billing"}],
    )


def test_create_numbers_normalises_and_audits(sales_user):
    first, second = _create(sales_user), _create(sales_user, legal_name="Second SARL")
    assert (first.number, second.number) == ("C00001", "C00002")
    assert (first.vat_id, first.country, first.currency) == ("FR40303265045", "FR", "EUR")
    [address] = first.shipping_addresses.all()
    assert address.is_default and first.contacts.get().email == "claire@bistro.example"
    actions = set(AuditEvent.objects.filter(object_id=str(first.pk), content_type__model="customer")
                  .values_list("action", flat=True))
    assert {"created", "address_added", "contact_added"} <= actions


def test_an_invalid_vat_id_creates_nothing(sales_user):
    with pytest.raises(ValidationFailed) as err:
        _create(sales_user, vat_id="FR00000000000")
    assert "vat_id" in err.value.details
    assert not Customer.objects.exists() and not ShippingAddress.objects.exists()


def test_only_one_default_shipping_address(sales_user):
    customer = _create(sales_user)
    second = shipping_address_create(customer_id=customer.pk, actor=sales_user, label="Depot", address="Lyon",
                                     country="FR", is_default=True)
    assert list(customer.shipping_addresses.filter(is_default=True)) == [second]


def test_the_currency_cannot_change_once_documents_use_it(sales_user):
    german_rates()
    WarehouseFactory(code="HAM")
    customer = _create(sales_user)
    customer_update(customer_id=customer.pk, actor=sales_user, currency="CHF")  # no documents yet
    customer_update(customer_id=customer.pk, actor=sales_user, currency="EUR")
    draft_order(customer, [(ProductFactory(), 1)])
    with pytest.raises(Conflict):
        customer_update(customer_id=customer.pk, actor=sales_user, currency="USD")
    with pytest.raises(ValidationFailed):  # the credit limit is Finance's (customer_set_credit)
        customer_update(customer_id=customer.pk, actor=sales_user, credit_limit=Decimal("1"))
    assert Customer.objects.get(pk=customer.pk).currency == "EUR"


def test_a_used_address_cannot_be_removed_but_a_contact_can(sales_user):
    german_rates()
    WarehouseFactory(code="HAM")
    customer = _create(sales_user)
    address = customer.shipping_addresses.get()
    draft_order(customer, [(ProductFactory(), 1)], ship_to=address)
    with pytest.raises(Conflict):
        customer_child_delete(obj=address, actor=sales_user)
    customer_child_delete(obj=customer.contacts.get(), actor=sales_user)
    assert ShippingAddress.objects.filter(pk=address.pk).exists() and not customer.contacts.exists()


def test_price_list_prices_are_set_changed_and_removed(sales_user):
    customer = _create(sales_user)
    product = ProductFactory()
    price_list_set(customer_id=customer.pk, product=product, unit_price="7.25", actor=sales_user)
    price_list_set(customer_id=customer.pk, product=product, unit_price="7.00", actor=sales_user)
    assert PriceListItem.objects.get().unit_price == Decimal("7.00")
    with pytest.raises(ValidationFailed):
        price_list_set(customer_id=customer.pk, product=product, unit_price="-1", actor=sales_user)
    price_list_set(customer_id=customer.pk, product=product, unit_price="", actor=sales_user)
    assert not PriceListItem.objects.exists()
