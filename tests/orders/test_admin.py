"""The sales admin: every page renders for the Admin role, master data is saved through the audited
services, quotes and orders change only by actions that call the services, and the customers' CSV
import is all-or-nothing with the bad row named."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from inventory.models import StockLevel, StockReservation
from o2c.models import AuditEvent
from orders.enums import OrderStatus, QuoteStatus
from orders.models import (
    Customer,
    PaymentTerm,
    PriceListItem,
    Quote,
    SalesOrder,
    ShippingAddress,
    TaxRate,
)
from orders.services import customer_set_credit, order_confirm
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked

from .factories import ContactFactory, CustomerFactory, PaymentTermFactory, draft_order, german_rates

pytestmark = pytest.mark.django_db

ADMIN = "/admin/orders/"
MODELS = ["customer", "shippingaddress", "contact", "pricelistitem", "paymentterm", "taxrate", "quote", "quoteline",
          "salesorder", "salesorderline"]
COLUMNS = ["number", "legal_name", "vat_id", "country", "billing_address", "currency", "payment_term",
           "credit_limit", "invoicing_policy", "language", "discount_percent", "do_not_dun", "is_active"]
HEADER = ",".join(COLUMNS) + "\n"


@pytest.fixture
def demo() -> None:
    call_command("load_demo", password="pw-demo", stdout=StringIO())


def _audits(obj: Any, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(content_type__model=type(obj)._meta.model_name,
                                          object_id=str(obj.pk), action=action))


def _messages(response: HttpResponse) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# ---------------------------------------------------------------------------------------------
# Every page


@pytest.mark.usefixtures("demo")
def test_every_changelist_and_change_page_renders_for_the_admin_role(staff_client: Client) -> None:
    for model in MODELS:
        response = staff_client.get(f"{ADMIN}{model}/")
        assert response.status_code == 200, model
        rows = response.context["cl"].result_list
        assert len(rows) >= 1, model
        page = staff_client.get(f"{ADMIN}{model}/{rows[0].pk}/change/")
        assert page.status_code == 200, model
        search = staff_client.get(f"{ADMIN}{model}/", {"q": "a"})
        assert search.status_code == 200, model
    for model in ["customer", "shippingaddress", "contact", "pricelistitem", "paymentterm", "taxrate"]:
        assert staff_client.get(f"{ADMIN}{model}/add/").status_code == 200, model
    for model in ["quote", "quoteline", "salesorder", "salesorderline"]:
        assert staff_client.get(f"{ADMIN}{model}/add/").status_code == 403, model

    # documents are read-only: their lines are shown, nothing is editable or deletable
    order = SalesOrder.objects.filter(status=OrderStatus.CONFIRMED).first()
    page = staff_client.get(f"{ADMIN}salesorder/{order.pk}/change/")
    content = page.content.decode()
    assert order.lines.first().description in content and order.number in content
    assert 'name="customer"' not in content and 'name="lines-0-quantity"' not in content
    assert staff_client.post(f"{ADMIN}salesorder/{order.pk}/delete/", {"post": "yes"}).status_code == 403
    quote = Quote.objects.first()
    page = staff_client.get(f"{ADMIN}quote/{quote.pk}/change/")
    assert quote.lines.first().description in page.content.decode() and b'name="valid_until"' not in page.content
    # a customer shows its addresses, contacts and prices inline, and its credit position and history
    customer = Customer.objects.filter(prices__isnull=False).first()
    content = staff_client.get(f"{ADMIN}customer/{customer.pk}/change/").content.decode()
    assert 'name="shipping_addresses-0-label"' in content and 'name="contacts-0-email"' in content
    assert 'name="prices-0-unit_price"' in content and "exposure" in content and "credit_changed" in content


@pytest.mark.usefixtures("demo")
def test_the_changelists_run_a_fixed_number_of_queries(staff_client: Client, staff: User) -> None:
    def counts() -> dict[str, int]:
        found = {}
        for model in MODELS:
            with CaptureQueriesContext(connection) as queries:
                assert staff_client.get(f"{ADMIN}{model}/").status_code == 200
            found[model] = len(queries)
        return found

    before = counts()
    warehouse = WarehouseFactory(code="BER")
    for n in range(3):  # more customers, terms, addresses, contacts, prices, orders and lines
        term = PaymentTermFactory(code=f"NET{60 + n}", net_days=60 + n)
        customer = CustomerFactory(payment_term=term)
        ContactFactory(customer=customer)
        ShippingAddress.objects.create(customer=customer, label="Dock", address="Kai 1", country="DE")
        product = stocked(ProductFactory(), warehouse, 5)
        PriceListItem.objects.create(customer=customer, product=product, unit_price=Decimal("9.00"))
        order = draft_order(customer, [(product, 2), (product, 1)], warehouse=warehouse)
        order_confirm(order_id=order.pk, actor=staff)
    assert counts() == before


# ---------------------------------------------------------------------------------------------
# Customers: through the services


def _customer_form(customer: Customer | None = None, **changes: Any) -> dict[str, Any]:
    term = customer.payment_term if customer else PaymentTerm.objects.get(code="NET30")
    data: dict[str, Any] = {
        "legal_name": customer.legal_name if customer else "Nordlicht Möbel GmbH",
        "vat_id": customer.vat_id if customer else "",
        "country": customer.country if customer else "DE",
        "billing_address": customer.billing_address if customer else "Am Sandtorkai 1\n20457 Hamburg",
        "currency": customer.currency if customer else "EUR",
        "payment_term": term.pk,
        "credit_limit": "" if not customer or customer.credit_limit is None else str(customer.credit_limit),
        "discount_percent": str(customer.discount_percent) if customer else "0",
        "invoicing_policy": customer.invoicing_policy if customer else "on_shipment",
        "language": customer.language if customer else "en",
        "credit_hold_reason": customer.credit_hold_reason if customer else "",
    }
    if not customer or customer.is_active:
        data["is_active"] = "on"
    if customer and customer.credit_hold:
        data["credit_hold"] = "on"
    for prefix in ("shipping_addresses", "contacts", "prices"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    if customer:
        for prefix, rows in (("shipping_addresses", customer.shipping_addresses.all()),
                             ("contacts", customer.contacts.all()), ("prices", customer.prices.all())):
            data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = len(rows)
            for i, row in enumerate(rows):
                data[f"{prefix}-{i}-id"] = row.pk
                data[f"{prefix}-{i}-customer"] = customer.pk
                for name in ("label", "recipient", "address", "country", "name", "email", "phone", "role",
                             "unit_price"):
                    if hasattr(row, name):
                        data[f"{prefix}-{i}-{name}"] = str(getattr(row, name))
                if hasattr(row, "product_id"):
                    data[f"{prefix}-{i}-product"] = row.product_id
                if getattr(row, "is_default", False):
                    data[f"{prefix}-{i}-is_default"] = "on"
    data.update(changes)
    return data


def test_a_customer_added_in_the_admin_is_numbered_and_audited_by_the_services(
    staff_client: Client, staff: User,
) -> None:
    PaymentTermFactory()
    product = ProductFactory(sku="DESK-1")
    data = _customer_form(
        vat_id="de 136 695 976", credit_limit="25000",
        **{"shipping_addresses-TOTAL_FORMS": 1, "shipping_addresses-0-label": "Dock 3",
           "shipping_addresses-0-address": "Kai 3\n20457 Hamburg", "shipping_addresses-0-country": "de",
           "contacts-TOTAL_FORMS": 2, "contacts-0-name": "Ina Buyer", "contacts-0-email": "ina@nordlicht.example",
           "contacts-0-role": "sales", "contacts-1-name": "Bo Books", "contacts-1-email": "ap@nordlicht.example",
           "contacts-1-role": "billing",
           "prices-TOTAL_FORMS": 1, "prices-0-product": product.pk, "prices-0-unit_price": "480.00"},
    )
    response = staff_client.post(f"{ADMIN}customer/add/", data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    customer = Customer.objects.get(legal_name="Nordlicht Möbel GmbH")
    assert customer.number.startswith("C") and customer.vat_id == "DE136695976"  # numbered, VAT compact
    assert customer.credit_limit == Decimal(25000)
    [created] = _audits(customer, "created")
    assert created.actor == staff and created.data["fields"]["payment_term"] == "NET30"
    assert {e.action for e in AuditEvent.objects.filter(content_type__model="customer", object_id=str(customer.pk),
                                                        actor=staff)} >= {"created", "address_added",
                                                                          "contact_added", "price_set"}
    address = customer.shipping_addresses.get()
    assert address.is_default and address.country == "DE"  # the first address is the default
    assert customer.contacts.count() == 2
    assert customer.prices.get().unit_price == Decimal("480.00")


def test_a_bad_vat_id_or_a_hold_without_reason_is_a_form_error_and_saves_nothing(staff_client: Client) -> None:
    PaymentTermFactory()
    response = staff_client.post(f"{ADMIN}customer/add/", _customer_form(country="FR", vat_id="FR123"))
    assert response.status_code == 200
    assert "vat_id" in response.context["adminform"].form.errors
    response = staff_client.post(f"{ADMIN}customer/add/", _customer_form(credit_hold="on"))
    assert response.status_code == 200
    assert "credit_hold_reason" in response.context["adminform"].form.errors
    assert not Customer.objects.exists() and not AuditEvent.objects.filter(content_type__model="customer").exists()


def test_customer_changes_go_through_update_and_credit_through_set_credit(staff_client: Client, staff: User) -> None:
    customer = CustomerFactory(legal_name="Alt GmbH", credit_limit=Decimal("1000.00"))
    ContactFactory(customer=customer)
    ShippingAddress.objects.create(customer=customer, label="Old dock", address="Weg 1", country="DE",
                                   is_default=True)
    data = _customer_form(customer, legal_name="Neu GmbH", credit_limit="5000.00", credit_hold="on",
                          credit_hold_reason="Cheque bounced", **{"shipping_addresses-0-label": "New dock"})
    response = staff_client.post(f"{ADMIN}customer/{customer.pk}/change/", data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert (customer.legal_name, customer.credit_limit, customer.credit_hold) == ("Neu GmbH", Decimal(5000), True)
    assert customer.credit_hold_by == staff and customer.credit_hold_reason == "Cheque bounced"
    [updated] = _audits(customer, "updated")
    assert updated.actor == staff and updated.data["changes"] == {"legal_name": ["Alt GmbH", "Neu GmbH"]}
    [credit] = _audits(customer, "credit_changed")
    assert credit.actor == staff
    assert credit.data["changes"] == {"credit_limit": ["1000.00", "5000.00"], "credit_hold": [False, True]}
    address = customer.shipping_addresses.get()
    assert address.label == "New dock"
    assert AuditEvent.objects.get(content_type__model="shippingaddress", object_id=str(address.pk),
                                  action="updated").actor == staff

    # the reason of a hold can be corrected (through customer_set_credit as well)
    customer.refresh_from_db()
    response = staff_client.post(f"{ADMIN}customer/{customer.pk}/change/",
                                 _customer_form(customer, credit_hold_reason="Cheque bounced twice"))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.credit_hold and customer.credit_hold_reason == "Cheque bounced twice"
    assert len(_audits(customer, "credit_changed")) == 2 and len(_audits(customer, "updated")) == 1

    # a user without the credit permission sees the credit fields, read-only
    sales = User.objects.create_user("sam2", is_staff=True)
    sales.user_permissions.add(*Permission.objects.filter(content_type__app_label="orders",
                                                          codename__in=["view_customer", "change_customer"]))
    client = Client()
    client.force_login(sales)
    form = client.get(f"{ADMIN}customer/{customer.pk}/change/").context["adminform"].form
    assert "legal_name" in form.fields and "credit_limit" not in form.fields


def test_payment_terms_and_tax_rates_are_edited_and_audited(staff_client: Client, staff: User) -> None:
    response = staff_client.post(f"{ADMIN}paymentterm/add/", {
        "code": "net45", "name": "45 days net", "net_days": 45, "discount_percent": "0", "discount_days": 0,
        "is_active": "on"})
    assert response.status_code == 302
    term = PaymentTerm.objects.get(code="NET45")
    assert _audits(term, "created")[0].actor == staff
    # the model's check: a discount needs its days, within the net days
    response = staff_client.post(f"{ADMIN}paymentterm/{term.pk}/change/", {
        "code": "NET45", "name": "45 days net", "net_days": 45, "discount_percent": "2", "discount_days": 60,
        "is_active": "on"})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    response = staff_client.post(f"{ADMIN}paymentterm/{term.pk}/change/", {
        "code": "NET45", "name": "45 days net", "net_days": 45, "discount_percent": "2", "discount_days": 10,
        "is_active": "on"})
    assert response.status_code == 302
    assert _audits(term, "updated")[0].data["changes"] == {"discount_percent": ["0.00", "2"],
                                                           "discount_days": [0, 10]}

    response = staff_client.post(f"{ADMIN}taxrate/add/", {
        "category": "reduced", "country": "de", "rate": "7.00", "valid_from": "2024-01-01", "name": "ermäßigt"})
    assert response.status_code == 302
    rate = TaxRate.objects.get(country="DE", category="reduced")
    assert _audits(rate, "created")[0].actor == staff
    assert staff_client.post(f"{ADMIN}taxrate/{rate.pk}/delete/", {"post": "yes"}).status_code == 403


# ---------------------------------------------------------------------------------------------
# CSV import / export


def _upload(client: Client, csv: str) -> HttpResponse:
    return client.post(f"{ADMIN}customer/import/", {
        "resource": "0", "format": "0",
        "import_file": SimpleUploadedFile("customers.csv", csv.encode(), content_type="text/csv"),
    })


def _confirm(client: Client, preview: HttpResponse) -> HttpResponse:
    form = preview.context["confirm_form"]
    return client.post(f"{ADMIN}customer/process_import/", dict(form.initial), follow=True)


def test_a_good_csv_creates_and_updates_customers_through_the_services(staff_client: Client, staff: User) -> None:
    PaymentTermFactory()
    PaymentTermFactory(code="NET14", net_days=14)
    old = CustomerFactory(legal_name="Alt GmbH", credit_limit=Decimal("1000.00"))
    csv = HEADER + (
        f"{old.number},Alt und Neu GmbH,,DE,\"Marktplatz 1\n20095 Hamburg\",EUR,NET14,2500.00,on_shipment,de,"
        "0,false,true\n"
        ",Bureau Moderne SARL,FR 40 303 265 045,fr,\"12 rue de la Paix\n75002 Paris\",EUR,net30,,monthly,en,2.5,"
        "no,yes\n"
    )
    preview = _upload(staff_client, csv)
    assert preview.status_code == 200
    assert "confirm_form" in preview.context, _messages(preview)
    assert Customer.objects.count() == 1  # the preview saved nothing

    response = _confirm(staff_client, preview)
    assert "Import finished: 1 new, 1 updated" in response.content.decode()
    new = Customer.objects.get(legal_name="Bureau Moderne SARL")
    assert new.number.startswith("C") and new.vat_id == "FR40303265045" and new.country == "FR"
    assert (new.payment_term.code, new.credit_limit, new.invoicing_policy) == ("NET30", None, "monthly")
    assert _audits(new, "created")[0].actor == staff
    old.refresh_from_db()
    assert (old.legal_name, old.payment_term.code, old.language, old.credit_limit) == (
        "Alt und Neu GmbH", "NET14", "de", Decimal("2500.00"))
    [updated] = _audits(old, "updated")
    assert updated.actor == staff
    assert updated.data["changes"]["legal_name"] == ["Alt GmbH", "Alt und Neu GmbH"]
    assert updated.data["changes"]["payment_term"] == ["NET30", "NET14"]
    [credit] = _audits(old, "credit_changed")  # the limit through customer_set_credit
    assert credit.actor == staff and credit.data["changes"]["credit_limit"] == ["1000.00", "2500.00"]


@pytest.mark.parametrize(
    ("bad_row", "field", "reason"),
    [
        (",Faux SARL,FR12345,FR,Paris,EUR,NET30,,on_shipment,en,0,no,yes", "vat_id", "not a valid VAT id for FR"),
        (",Nowhere Ltd,,Germany,Berlin,EUR,NET30,,on_shipment,en,0,no,yes", "country", "two-letter ISO 3166"),
        (",Term Ltd,,DE,Berlin,EUR,NET99,,on_shipment,en,0,no,yes", "payment_term", "No payment term"),
        (",Policy Ltd,,DE,Berlin,EUR,NET30,,yearly,en,0,no,yes", "invoicing_policy", "is not a valid choice"),
        (",Limit Ltd,,DE,Berlin,EUR,NET30,-5,on_shipment,en,0,no,yes", "credit_limit", "greater than or equal to 0"),
        ("C99999,Ghost Ltd,,DE,Berlin,EUR,NET30,,on_shipment,en,0,no,yes", "number", "No customer C99999"),
    ],
)
def test_a_csv_with_one_bad_row_imports_nothing_and_names_the_row(
    staff_client: Client, bad_row: str, field: str, reason: str,
) -> None:
    PaymentTermFactory()
    audits = AuditEvent.objects.count()
    csv = HEADER + ",Good GmbH,,DE,Hamburg,EUR,NET30,,on_shipment,de,0,no,yes\n" + bad_row + "\n"
    preview = _upload(staff_client, csv)
    assert preview.status_code == 200
    assert "confirm_form" not in preview.context
    [invalid] = preview.context["result"].invalid_rows
    assert invalid.number == 2 and field in invalid.error_dict, invalid.error_dict
    shown = [str(m) for m in preview.context["messages"]]
    assert any(m.startswith("Row 2") and field in m and reason in m for m in shown), shown
    assert not Customer.objects.exists()
    assert AuditEvent.objects.count() == audits


def test_export_has_the_columns_and_imports_back_unchanged(staff_client: Client) -> None:
    german_rates()
    customer = CustomerFactory(legal_name="Bureau Moderne, Paris", country="FR", vat_id="FR40303265045",
                               billing_address="12 rue de la Paix\n75002 Paris", credit_limit=Decimal("30000.00"),
                               language="en", invoicing_policy="monthly")
    assert staff_client.get(f"{ADMIN}customer/export/").status_code == 200
    response = staff_client.post(f"{ADMIN}customer/export/", {
        "resource": "0", "format": "0", **{f"customerresource_{name}": "on" for name in COLUMNS},
    })
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    exported = response.content.decode("utf-8-sig")
    lines = exported.splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert lines[1].startswith(f'{customer.number},"Bureau Moderne, Paris",FR40303265045,FR,"12 rue de la Paix')
    assert "EUR,NET30,30000.00,monthly,en," in exported

    preview = _upload(staff_client, exported)
    assert "confirm_form" in preview.context, _messages(preview)
    [row] = preview.context["result"].rows
    assert row.import_type == "skip"


# ---------------------------------------------------------------------------------------------
# Actions on documents: through the services


@pytest.fixture
def orders_world(staff: User) -> dict[str, Any]:
    german_rates()
    warehouse = WarehouseFactory(code="HAM")
    product = stocked(ProductFactory(), warehouse, 10)
    customer = CustomerFactory()
    ContactFactory(customer=customer)
    return {"warehouse": warehouse, "product": product, "customer": customer}


def test_the_confirm_action_confirms_draft_orders_through_the_service(
    staff_client: Client, staff: User, orders_world: dict[str, Any],
) -> None:
    product, warehouse = orders_world["product"], orders_world["warehouse"]
    order = draft_order(orders_world["customer"], [(product, 4)], warehouse=warehouse)
    response = staff_client.post(f"{ADMIN}salesorder/", {"action": "confirm", "_selected_action": [order.pk]},
                                 follow=True)
    assert response.status_code == 200
    assert "Confirmed: 1 done." in _messages(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert _audits(order, "confirmed")[0].actor == staff
    assert StockLevel.objects.get(product=product, warehouse=warehouse).reserved == 4
    assert StockReservation.objects.get(source_key=f"orders.salesorderline:{order.lines.get().pk}").quantity_reserved \
        == 4

    # confirming again is refused with the service's message, not a 500, and reserves nothing more
    response = staff_client.post(f"{ADMIN}salesorder/", {"action": "confirm", "_selected_action": [order.pk]},
                                 follow=True)
    assert f"{order.number}: Order {order.number} is confirmed; it cannot be confirmed." in _messages(response)
    assert StockLevel.objects.get(product=product, warehouse=warehouse).reserved == 4


def test_held_orders_are_released_or_refused_with_a_reason(
    staff_client: Client, staff: User, orders_world: dict[str, Any],
) -> None:
    customer, product, warehouse = orders_world["customer"], orders_world["product"], orders_world["warehouse"]
    customer_set_credit(customer_id=customer.pk, actor=None, credit_hold=True, reason="Overdue")
    first = draft_order(customer, [(product, 1)], warehouse=warehouse)
    second = draft_order(customer, [(product, 1)], warehouse=warehouse)
    response = staff_client.post(f"{ADMIN}salesorder/", {"action": "confirm",
                                                        "_selected_action": [first.pk, second.pk]}, follow=True)
    assert "put on credit hold" in _messages(response)
    assert set(SalesOrder.objects.values_list("status", flat=True)) == {OrderStatus.ON_HOLD}

    # refusing asks for the reason first
    page = staff_client.post(f"{ADMIN}salesorder/", {"action": "reject_hold", "_selected_action": [first.pk]})
    assert page.status_code == 200 and b'name="reason"' in page.content and first.number in page.content.decode()
    page = staff_client.post(f"{ADMIN}salesorder/", {"action": "reject_hold", "_selected_action": [first.pk],
                                                    "apply": "1", "reason": ""})
    assert page.status_code == 200 and page.context["form"].errors  # a reason is required
    response = staff_client.post(f"{ADMIN}salesorder/", {"action": "reject_hold", "_selected_action": [first.pk],
                                                        "apply": "1", "reason": "Too risky"}, follow=True)
    assert "Credit refused: 1 done." in _messages(response)
    first.refresh_from_db()
    assert first.status == OrderStatus.CANCELLED and _audits(first, "credit_rejected")[0].data["reason"] == "Too risky"

    response = staff_client.post(f"{ADMIN}salesorder/", {"action": "release_hold", "_selected_action": [second.pk]},
                                 follow=True)
    assert "Released and confirmed: 1 done." in _messages(response)
    second.refresh_from_db()
    assert second.status == OrderStatus.CONFIRMED and _audits(second, "credit_released")[0].actor == staff


def test_quotes_are_sent_and_accepted_by_actions(
    staff_client: Client, staff: User, orders_world: dict[str, Any],
) -> None:
    from orders.services import quote_create

    customer, product = orders_world["customer"], orders_world["product"]
    quote = quote_create(customer=customer, lines=[{"product": product.pk, "quantity": "2"}], actor=None)
    response = staff_client.post(f"{ADMIN}quote/", {"action": "send", "_selected_action": [quote.pk]}, follow=True)
    assert "Sent: 1 done." in _messages(response)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT and _audits(quote, "sent")[0].actor == staff
    response = staff_client.post(f"{ADMIN}quote/", {"action": "accept", "_selected_action": [quote.pk]}, follow=True)
    order = SalesOrder.objects.get(quote=quote)
    assert f"Draft order(s) created: {order.number}." in _messages(response)
    assert order.status == OrderStatus.DRAFT


def test_only_credit_managers_may_import_credit_limits(sales_user: User) -> None:
    PaymentTermFactory()
    customer = CustomerFactory(legal_name="Alt GmbH")
    sales_user.is_staff = True
    sales_user.save()
    client = Client()
    client.force_login(sales_user)
    row = f"{customer.number},Alt GmbH,,DE,Hamburg,EUR,NET30,9000,on_shipment,en,0,no,yes\n"
    preview = _upload(client, HEADER + row)
    assert "confirm_form" not in preview.context
    [invalid] = preview.context["result"].invalid_rows
    assert "credit_limit" in invalid.error_dict
    customer.refresh_from_db()
    assert customer.credit_limit is None
    # the same file without a limit change imports
    preview = _upload(client, HEADER + row.replace(",9000,", ",,").replace("Alt GmbH", "Alt AG"))
    assert "confirm_form" in preview.context, _messages(preview)


def test_prices_addresses_and_holds_on_their_own_pages_go_through_the_services(
    staff_client: Client, staff: User,
) -> None:
    customer = CustomerFactory()
    desk, chair = ProductFactory(sku="DESK-1"), ProductFactory(sku="CHAIR-1")
    response = staff_client.post(f"{ADMIN}pricelistitem/add/", {"customer": customer.pk, "product": desk.pk,
                                                                 "unit_price": "99.00"})
    assert response.status_code == 302
    item = PriceListItem.objects.get(customer=customer)
    response = staff_client.post(f"{ADMIN}pricelistitem/{item.pk}/change/", {"product": chair.pk,
                                                                              "unit_price": "49.00"})
    assert response.status_code == 302
    assert list(customer.prices.values_list("product__sku", "unit_price")) == [("CHAIR-1", Decimal("49.00"))]
    actions = list(AuditEvent.objects.filter(content_type__model="customer", object_id=str(customer.pk))
                   .order_by("pk").values_list("action", "data__product"))
    assert actions == [("price_set", "DESK-1"), ("price_removed", "DESK-1"), ("price_set", "CHAIR-1")]

    first = ShippingAddress.objects.create(customer=customer, label="Old", address="Weg 1", country="DE",
                                           is_default=True)
    response = staff_client.post(f"{ADMIN}shippingaddress/add/", {"customer": customer.pk, "label": "New",
                                                                   "address": "Weg 2", "country": "de",
                                                                   "is_default": "on"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    first.refresh_from_db()
    assert not first.is_default and customer.shipping_addresses.get(is_default=True).label == "New"
    response = staff_client.post(f"{ADMIN}shippingaddress/{first.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not ShippingAddress.objects.filter(pk=first.pk).exists()
    assert AuditEvent.objects.filter(content_type__model="customer", object_id=str(customer.pk),
                                     action="shippingaddress_removed", actor=staff).exists()

    response = staff_client.post(f"{ADMIN}customer/", {"action": "put_on_credit_hold",
                                                      "_selected_action": [customer.pk], "apply": "1",
                                                      "reason": "Overdue invoices"}, follow=True)
    assert "Put on credit hold: 1 done." in _messages(response)
    customer.refresh_from_db()
    assert customer.credit_hold and customer.credit_hold_reason == "Overdue invoices"
    response = staff_client.post(f"{ADMIN}customer/", {"action": "lift_credit_hold",
                                                      "_selected_action": [customer.pk]}, follow=True)
    customer.refresh_from_db()
    assert not customer.credit_hold and _audits(customer, "credit_changed")[-1].actor == staff
