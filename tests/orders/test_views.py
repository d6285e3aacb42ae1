"""Sales and Finance browser pages: access per role, the order-entry page (htmx lines, saving),
document actions through POST, and list pages with a fixed number of queries (real PostgreSQL)."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import Product, StockLevel, Warehouse
from o2c.errors import Conflict
from o2c.models import AuditEvent
from orders.enums import OrderStatus, QuoteStatus
from orders.models import Contact, Customer, Quote, SalesOrder, ShippingAddress
from orders.services import customer_set_credit, order_confirm, quote_create, quote_send
from tests.conftest import client_for
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked
from tests.orders.factories import (
    ContactFactory,
    CustomerFactory,
    PaymentTermFactory,
    ShippingAddressFactory,
    draft_order,
    german_rates,
)

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def ham() -> Warehouse:
    german_rates()
    return WarehouseFactory(code="HAM", name="Hamburg")


@pytest.fixture
def bolt(ham: Warehouse) -> Product:
    return stocked(ProductFactory(sku="BOLT-M8", name="Hex bolt M8", list_price=Decimal("2.50")), ham, 100)


@pytest.fixture
def book(ham: Warehouse) -> Product:
    return stocked(ProductFactory(sku="BOOK-1", name="Manual", list_price=Decimal("20.00"),
                                  tax_category="reduced"), ham, 5)


@pytest.fixture
def customer() -> Customer:
    customer = CustomerFactory(legal_name="Nordwind GmbH")
    ContactFactory(customer=customer)
    ShippingAddressFactory(customer=customer, label="Dock 7")
    return customer


@pytest.fixture
def order(customer: Customer, bolt: Product, ham: Warehouse) -> SalesOrder:
    return draft_order(customer, [(bolt, 4)], warehouse=ham)


@pytest.fixture
def quote(customer: Customer, bolt: Product) -> Quote:
    return quote_create(customer=customer, lines=[{"product": bolt.pk, "quantity": "3"}], actor=None)


def entry_post(customer: Customer | None, lines: list[dict[str, str]] | None = None, **extra: str) -> dict:
    data: dict = {"customer": customer.pk if customer else "", "warehouse": extra.pop("warehouse", ""),
                  "line_product": [], "line_quantity": [], "line_unit_price": [], "line_discount_percent": [],
                  "line_description": []}
    for line in lines or []:
        for field in ("product", "quantity", "unit_price", "discount_percent", "description"):
            data[f"line_{field}"].append(str(line.get(field, "")))
    data.update(extra)
    return data


# --- access per role ------------------------------------------------------------------------------


def test_sales_pages_render_for_sales(sales_user, customer, order, quote) -> None:
    client = client_for(sales_user)
    pages = {
        reverse("orders:home"): "Sales desk",
        reverse("orders:customer-list"): "Nordwind GmbH",
        reverse("orders:customer-detail", args=[customer.pk]): "Dock 7",
        reverse("orders:customer-create"): "First ship-to address",
        reverse("orders:customer-edit", args=[customer.pk]): "Edit",
        reverse("orders:order-create"): "Save and confirm",
        reverse("orders:quote-create"): "Save as quote",
        reverse("orders:order-list"): order.number,
        reverse("orders:order-detail", args=[order.pk]): "Confirm order",
        reverse("orders:order-edit", args=[order.pk]): "BOLT-M8",
        reverse("orders:quote-list"): quote.number,
        reverse("orders:quote-detail", args=[quote.pk]): "Send to customer",
        reverse("orders:quote-edit", args=[quote.pk]): "Save quote",
    }
    for url, text in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url
    customer_page = client.get(reverse("orders:customer-detail", args=[customer.pk])).content.decode()
    assert "Save credit" not in customer_page and "Add address" in customer_page
    assert client.get(reverse("orders:credit-queue")).status_code == 403


def test_finance_gets_the_credit_pages_and_not_the_sales_desk(finance_user, customer, order) -> None:
    client = client_for(finance_user)
    assert client.get(reverse("orders:credit-queue")).status_code == 200
    page = client.get(reverse("orders:customer-detail", args=[customer.pk]))
    assert page.status_code == 200
    assert "Save credit" in page.content.decode() and "Add address" not in page.content.decode()
    assert client.get(reverse("orders:order-detail", args=[order.pk])).status_code == 200  # may read orders
    for url in (reverse("orders:home"), reverse("orders:order-create"), reverse("orders:quote-create"),
                reverse("orders:customer-create"), reverse("orders:order-edit", args=[order.pk])):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("orders:order-confirm", args=[order.pk])).status_code == 403
    assert client.post(reverse("orders:entry-lines"), entry_post(customer)).status_code == 403


def test_warehouse_and_sales_are_refused_what_is_not_theirs(warehouse_user, sales_user, customer, order) -> None:
    client = client_for(warehouse_user)
    for url in (reverse("orders:home"), reverse("orders:order-create"), reverse("orders:credit-queue"),
                reverse("orders:customer-create"), reverse("orders:customer-edit", args=[customer.pk]),
                reverse("orders:product-lookup")):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("orders:order-cancel", args=[order.pk]), {"reason": "x"}).status_code == 403
    sales = client_for(sales_user)
    assert sales.post(reverse("orders:customer-credit", args=[customer.pk]), {"credit_limit": "1"}).status_code == 403
    assert sales.post(reverse("orders:order-release", args=[order.pk])).status_code == 403
    assert sales.post(reverse("orders:order-reject", args=[order.pk]), {"reason": "x"}).status_code == 403


# --- order entry: htmx lines ----------------------------------------------------------------------


def test_add_line_returns_the_lines_and_totals_and_writes_nothing(sales_user, customer, bolt, book, ham) -> None:
    client = client_for(sales_user)
    audit_before = AuditEvent.objects.count()
    data = entry_post(customer, [{"product": bolt.pk, "quantity": "4"}], op="add", warehouse=str(ham.pk),
                      new_product=str(book.pk), new_quantity="2", new_unit_price="", new_discount_percent="")
    response = client.post(reverse("orders:entry-lines"), data, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="line"') == 2
    assert "BOLT-M8" in page and "BOOK-1" in page
    # 4 × 2.50 = 10.00 at 19 %, 2 × 20.00 = 40.00 at 7 %
    assert re.search(r'data-testid="net-total">50\.00 EUR', page)
    assert re.search(r'data-testid="tax-19">1\.90 EUR', page)
    assert re.search(r'data-testid="tax-7">2\.80 EUR', page)
    assert re.search(r'data-testid="gross-total">54\.70 EUR', page)
    assert 'id="new-line-errors"' in page and 'hx-swap-oob="true"' in page
    assert json.loads(response["HX-Trigger-After-Settle"]) == {"entryLineAdded": {"count": 2}}
    assert not SalesOrder.objects.exists() and not Quote.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_a_bad_new_line_is_refused_inline_and_the_lines_stay(sales_user, customer, bolt) -> None:
    client = client_for(sales_user)
    data = entry_post(customer, [{"product": bolt.pk, "quantity": "4"}], op="add",
                      new_product=str(bolt.pk), new_quantity="0")
    response = client.post(reverse("orders:entry-lines"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="line"') == 1
    assert "Quantity: Must be greater than zero." in page
    assert json.loads(response["HX-Trigger-After-Settle"]) == {"entryLineRefused": {"fields": ["quantity"]}}

    unknown = client.post(reverse("orders:entry-lines"), entry_post(customer, op="add", new_product="999999"))
    assert "Product: Unknown product 999999." in unknown.content.decode()
    no_customer = client.post(reverse("orders:entry-lines"), entry_post(None, op="add", new_product=str(bolt.pk)))
    assert "Customer: Choose the customer first" in no_customer.content.decode()
    assert not SalesOrder.objects.exists()


def test_bad_lines_show_their_errors_inline_and_the_totals_leave_them_out(sales_user, customer, bolt, book) -> None:
    client = client_for(sales_user)
    lines = [{"product": bolt.pk, "quantity": "4"}, {"product": book.pk, "quantity": "abc"},
             {"product": bolt.pk, "quantity": "1", "discount_percent": "150"}]
    response = client.post(reverse("orders:entry-lines"), entry_post(customer, lines, op="refresh"))
    page = response.content.decode()
    assert page.count('data-testid="line"') == 3
    assert page.count("table-danger") == 2
    assert "Enter a number." in page and "Must be between 0 and 100." in page
    assert "2 lines need attention" in page
    assert re.search(r'data-testid="net-total">10\.00 EUR', page)  # only the valid line


def test_remove_line_and_change_customer(sales_user, customer, bolt, book) -> None:
    client = client_for(sales_user)
    lines = [{"product": bolt.pk, "quantity": "4"}, {"product": book.pk, "quantity": "1"}]
    removed = client.post(reverse("orders:entry-lines"), entry_post(customer, lines, op="remove", index="0"))
    page = removed.content.decode()
    assert page.count('data-testid="line"') == 1 and "BOOK-1" in page and "BOLT-M8" not in page

    other = CustomerFactory(legal_name="Export Ltd", country="US", currency="EUR")
    ShippingAddressFactory(customer=other, label="NYC pier")
    changed = client.post(reverse("orders:entry-lines"), entry_post(other, lines, op="customer"))
    page = changed.content.decode()
    assert 'id="ship-to-field" hx-swap-oob="true"' in page and "NYC pier" in page and "Dock 7" not in page
    assert re.search(r'data-testid="tax-total">0\.00 EUR', page)  # an export: no VAT
    assert "Export outside the EU" in page


def test_product_lookup_shows_price_availability_and_promise_date(sales_user, customer, bolt, ham) -> None:
    client = client_for(sales_user)
    ProductFactory(sku="BOLT-M10", name="Hex bolt M10", lead_time_days=5)  # none in stock
    response = client.get(reverse("orders:product-lookup"), {"q": "bolt", "warehouse": ham.pk, "quantity": "10",
                                                             "customer": customer.pk})
    results = {r["sku"]: r for r in response.json()["results"]}
    assert set(results) == {"BOLT-M8", "BOLT-M10"}
    assert results["BOLT-M8"]["available"] == "100" and results["BOLT-M8"]["in_stock"] is True
    assert results["BOLT-M8"]["price"] == "2.50"
    assert results["BOLT-M10"]["available"] == "0" and results["BOLT-M10"]["in_stock"] is False
    assert results["BOLT-M10"]["promise_date"] > results["BOLT-M8"]["promise_date"]


# --- order entry: saving --------------------------------------------------------------------------


def test_save_draft_order_creates_it_with_its_lines(sales_user, customer, bolt, book, ham) -> None:
    client = client_for(sales_user)
    dock = customer.shipping_addresses.get()
    data = entry_post(customer, [{"product": bolt.pk, "quantity": "4"}, {"product": book.pk, "quantity": "2",
                                                                         "unit_price": "18.00"}],
                      action="order", warehouse=str(ham.pk), ship_to=str(dock.pk), customer_reference="PO-77",
                      new_product=str(bolt.pk))  # a product left in the add-line row is not a line
    response = client.post(reverse("orders:order-create"), data)
    order = SalesOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("orders:order-detail", args=[order.pk])
    assert order.status == OrderStatus.DRAFT and order.customer_reference == "PO-77" and order.ship_to == dock
    assert [(line.product_id, line.quantity, line.unit_price) for line in order.lines.order_by("position")] == [
        (bolt.pk, Decimal("4.000"), Decimal("2.50")), (book.pk, Decimal("2.000"), Decimal("18.00"))]
    assert order.gross_total == Decimal("10.00") + Decimal("1.90") + Decimal("36.00") + Decimal("2.52")
    assert any("Draft order" in m for m in messages_of(response))


def test_save_and_confirm_reserves_and_save_as_quote_makes_a_quote(sales_user, customer, bolt, ham) -> None:
    client = client_for(sales_user)
    lines = [{"product": bolt.pk, "quantity": "4"}]
    response = client.post(reverse("orders:order-create"),
                           entry_post(customer, lines, action="confirm", warehouse=str(ham.pk)), follow=True)
    order = SalesOrder.objects.get()
    assert order.status == OrderStatus.CONFIRMED
    assert order.lines.get().reserved_quantity == 4
    assert StockLevel.objects.get(product=bolt, warehouse=ham).reserved == 4
    assert "every line is reserved" in response.content.decode()

    response = client.post(reverse("orders:order-create"), entry_post(customer, lines, action="quote"))
    quote = Quote.objects.get()
    assert response["Location"] == reverse("orders:quote-detail", args=[quote.pk])
    assert quote.status == QuoteStatus.DRAFT and quote.lines.count() == 1


def test_bad_input_shows_the_form_again_and_writes_nothing(sales_user, customer, bolt, ham) -> None:
    client = client_for(sales_user)
    audit_before = AuditEvent.objects.count()
    bad_line = entry_post(customer, [{"product": bolt.pk, "quantity": "-1"}], action="confirm", warehouse=str(ham.pk))
    response = client.post(reverse("orders:order-create"), bad_line)
    page = response.content.decode()
    assert response.status_code == 400
    assert "1 line(s) need attention." in page and "Must be greater than zero." in page and "table-danger" in page

    no_lines = client.post(reverse("orders:order-create"), entry_post(customer, action="order", warehouse=str(ham.pk)))
    assert no_lines.status_code == 400 and "Add at least one line." in no_lines.content.decode()
    no_customer = client.post(reverse("orders:order-create"),
                              entry_post(None, [{"product": bolt.pk, "quantity": "1"}], action="order"))
    assert no_customer.status_code == 400 and "Choose a customer." in no_customer.content.decode()
    past = client.post(reverse("orders:order-create"), entry_post(
        customer, [{"product": bolt.pk, "quantity": "1"}], action="order", warehouse=str(ham.pk),
        requested_date="2001-01-01"))
    assert past.status_code == 400 and "Must be today or later." in past.content.decode()
    assert not SalesOrder.objects.exists() and not Quote.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_save_and_confirm_is_all_or_nothing(sales_user, customer, bolt, ham, monkeypatch) -> None:
    def refuse(**kwargs):
        raise Conflict("The warehouse is closed for stocktaking.")

    monkeypatch.setattr("orders.views.entry.order_confirm", refuse)
    response = client_for(sales_user).post(reverse("orders:order-create"), entry_post(
        customer, [{"product": bolt.pk, "quantity": "1"}], action="confirm", warehouse=str(ham.pk)))
    assert response.status_code == 400 and "closed for stocktaking" in response.content.decode()
    assert not SalesOrder.objects.exists()


def test_edit_a_draft_order_and_a_draft_quote(sales_user, order, quote, bolt, book, ham) -> None:
    client = client_for(sales_user)
    page = client.get(reverse("orders:order-edit", args=[order.pk])).content.decode()
    assert f'name="line_product" value="{bolt.pk}"' in page and 'value="4.000"' in page
    data = entry_post(order.customer, [{"product": bolt.pk, "quantity": "6"}, {"product": book.pk, "quantity": "1"}],
                      action="order", warehouse=str(ham.pk), customer_reference="PO-9")
    assert client.post(reverse("orders:order-edit", args=[order.pk]), data).status_code == 302
    order.refresh_from_db()
    assert order.customer_reference == "PO-9" and order.lines.count() == 2 and order.status == OrderStatus.DRAFT

    data = entry_post(quote.customer, [{"product": book.pk, "quantity": "2"}], action="quote")
    assert client.post(reverse("orders:quote-edit", args=[quote.pk]), data).status_code == 302
    assert [line.product_id for line in quote.lines.all()] == [book.pk]

    order_confirm(order_id=order.pk, actor=None)
    refused = client.get(reverse("orders:order-edit", args=[order.pk]))
    assert refused.status_code == 302 and "only a draft can be changed" in messages_of(refused)[-1]


# --- actions --------------------------------------------------------------------------------------


def test_confirm_and_cancel_through_post_with_errors_as_messages(sales_user, order, bolt, ham) -> None:
    client = client_for(sales_user)
    detail = reverse("orders:order-detail", args=[order.pk])
    assert client.get(reverse("orders:order-confirm", args=[order.pk])).status_code == 405

    response = client.post(reverse("orders:order-confirm", args=[order.pk]))
    assert response.status_code == 302 and response["Location"] == detail
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    again = client.post(reverse("orders:order-confirm", args=[order.pk]), follow=True)
    assert "cannot be confirmed" in again.content.decode()

    page = client.get(detail).content.decode()
    assert 'data-col="reserved">4<' in page and "Confirmation PDF" in page

    no_reason = client.post(reverse("orders:order-cancel", args=[order.pk]), {"reason": ""})
    assert "Say why the order is cancelled." in messages_of(no_reason)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED

    cancelled = client.post(reverse("orders:order-cancel", args=[order.pk]), {"reason": "Customer changed plans"})
    assert f"Order {order.number} cancelled." in messages_of(cancelled)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert StockLevel.objects.get(product=bolt, warehouse=ham).reserved == 0


def test_order_confirmation_pdf(sales_user, order) -> None:
    client = client_for(sales_user)
    draft = client.get(reverse("orders:order-pdf", args=[order.pk]))
    assert draft.status_code == 302  # a draft has no confirmation yet
    order_confirm(order_id=order.pk, actor=None)
    response = client.get(reverse("orders:order-pdf", args=[order.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and order.number in response["Content-Disposition"]


def test_finance_releases_and_rejects_held_orders_from_the_queue(finance_user, customer, bolt, ham) -> None:
    customer_set_credit(customer_id=customer.pk, actor=None, credit_limit=Decimal("1.00"))
    first, second = draft_order(customer, [(bolt, 2)], warehouse=ham), draft_order(customer, [(bolt, 3)], warehouse=ham)
    for held in (first, second):
        assert order_confirm(order_id=held.pk, actor=None).status == OrderStatus.ON_HOLD
    client = client_for(finance_user)
    queue_url = reverse("orders:credit-queue")
    page = client.get(queue_url).content.decode()
    assert first.number in page and second.number in page and "Credit limit 1.00 EUR exceeded" in page

    released = client.post(reverse("orders:order-release", args=[first.pk]),
                           {"note": "Paid up front", "next": queue_url})
    assert released["Location"] == queue_url
    first.refresh_from_db()
    assert first.status == OrderStatus.CONFIRMED and first.lines.get().reserved_quantity == 2

    no_reason = client.post(reverse("orders:order-reject", args=[second.pk]), {"reason": " ", "next": queue_url})
    assert "Say why the credit is refused." in messages_of(no_reason)
    second.refresh_from_db()
    assert second.status == OrderStatus.ON_HOLD

    rejected = client.post(reverse("orders:order-reject", args=[second.pk]), {"reason": "Unpaid invoices"}, follow=True)
    second.refresh_from_db()
    assert second.status == OrderStatus.CANCELLED and "Credit refused" in rejected.content.decode()

    again = client.post(reverse("orders:order-release", args=[first.pk]))
    assert "cannot be released" in messages_of(again)[-1]
    assert client.post(reverse("orders:order-release", args=[first.pk]), {"next": "https://evil.example/"}
                       )["Location"] == reverse("orders:order-detail", args=[first.pk])


def test_quote_send_accept_reject_and_pdf(sales_user, customer, quote, bolt) -> None:
    client = client_for(sales_user)
    sent = client.post(reverse("orders:quote-send", args=[quote.pk]))
    quote.refresh_from_db()
    assert sent.status_code == 302 and quote.status == QuoteStatus.SENT
    accepted = client.post(reverse("orders:quote-accept", args=[quote.pk]))
    order = SalesOrder.objects.get(quote=quote)
    assert accepted["Location"] == reverse("orders:order-detail", args=[order.pk])
    assert order.status == OrderStatus.DRAFT and order.lines.get().quantity == 3
    again = client.post(reverse("orders:quote-accept", args=[quote.pk]))
    assert "cannot become accepted" in messages_of(again)[-1]

    other = quote_create(customer=customer, lines=[{"product": bolt.pk, "quantity": "1"}], actor=None)
    quote_send(quote_id=other.pk, actor=None)
    client.post(reverse("orders:quote-reject", args=[other.pk]), {"reason": "Too expensive"})
    other.refresh_from_db()
    assert other.status == QuoteStatus.REJECTED
    pdf = client.get(reverse("orders:quote-pdf", args=[other.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    lonely = quote_create(customer=CustomerFactory(), lines=[{"product": bolt.pk, "quantity": "1"}], actor=None)
    refused = client.post(reverse("orders:quote-send", args=[lonely.pk]))
    assert "has no contact to send the quote to" in messages_of(refused)[-1]


# --- customers ------------------------------------------------------------------------------------


def customer_data(**changes: str) -> dict[str, str]:
    term = PaymentTermFactory()
    data = {
        "legal_name": "Brise AG", "vat_id": "", "country": "de", "billing_address": "Hafen 1\n20095 Hamburg",
        "currency": "eur", "payment_term": str(term.pk), "discount_percent": "0", "invoicing_policy": "on_shipment",
        "language": "de", "address-label": "Main", "address-recipient": "", "address-address": "Kai 2\n20457 Hamburg",
        "address-country": "DE", "contact-name": "Jan Brise", "contact-email": "jan@brise.example",
        "contact-phone": "", "contact-role": "sales",
    }
    return data | changes


def test_create_customer_with_its_first_address_and_contact(sales_user) -> None:
    client = client_for(sales_user)
    bad = client.post(reverse("orders:customer-create"), customer_data(vat_id="DE123"))
    assert bad.status_code == 400 and "Not a valid VAT id for DE." in bad.content.decode()
    assert not Customer.objects.exists()

    response = client.post(reverse("orders:customer-create"), customer_data())
    customer = Customer.objects.get()
    assert response["Location"] == reverse("orders:customer-detail", args=[customer.pk])
    assert (customer.country, customer.currency) == ("DE", "EUR")
    assert ShippingAddress.objects.get(customer=customer).is_default
    assert Contact.objects.get(customer=customer).email == "jan@brise.example"

    edit = client.post(reverse("orders:customer-edit", args=[customer.pk]),
                       customer_data(legal_name="Brise Holding AG", is_active="on"))
    assert edit.status_code == 302
    customer.refresh_from_db()
    assert customer.legal_name == "Brise Holding AG"


def test_add_address_and_contact_on_the_customer_page(sales_user, customer) -> None:
    client = client_for(sales_user)
    added = client.post(reverse("orders:customer-address-add", args=[customer.pk]),
                        {"address-label": "Site B", "address-address": "Weg 3", "address-country": "at"})
    assert added.status_code == 302 and customer.shipping_addresses.filter(label="Site B", country="AT").exists()
    bad = client.post(reverse("orders:customer-contact-add", args=[customer.pk]),
                      {"contact-name": "No Mail", "contact-email": "not-an-email", "contact-role": "sales"})
    assert bad.status_code == 400 and "Enter a valid email address." in bad.content.decode()
    ok = client.post(reverse("orders:customer-contact-add", args=[customer.pk]),
                     {"contact-name": "Ann", "contact-email": "ann@nordwind.example", "contact-role": "billing"})
    assert ok.status_code == 302 and customer.contacts.count() == 2


def test_finance_sets_the_credit_limit_and_hold(finance_user, customer) -> None:
    client = client_for(finance_user)
    url = reverse("orders:customer-credit", args=[customer.pk])
    refused = client.post(url, {"credit_limit": "5000", "credit_hold": "on", "reason": ""})
    assert refused.status_code == 400 and "A reason is required." in refused.content.decode()
    customer.refresh_from_db()
    assert customer.credit_limit is None and not customer.credit_hold

    held = client.post(url, {"credit_limit": "5000", "credit_hold": "on", "reason": "Cheques bounced"})
    assert held.status_code == 302
    customer.refresh_from_db()
    assert customer.credit_limit == Decimal("5000.00") and customer.credit_hold
    page = client.get(reverse("orders:customer-detail", args=[customer.pk])).content.decode()
    assert "Cheques bounced" in page and "credit_changed" in page
    client.post(url, {"credit_limit": "", "reason": ""})
    customer.refresh_from_db()
    assert customer.credit_limit is None and not customer.credit_hold


# --- list pages: a fixed number of queries ------------------------------------------------------


def _count_queries(client: Client, url: str, expected_rows: int, marker: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    assert len(re.findall(marker, response.content.decode())) == expected_rows, url
    return len(ctx.captured_queries)


def test_list_pages_keep_a_fixed_number_of_queries(sales_user, finance_user, bolt, ham, capsys) -> None:
    sales, finance = client_for(sales_user), client_for(finance_user)

    def grow(count: int) -> None:
        while Customer.objects.count() < count:
            customer = CustomerFactory(credit_limit=Decimal("1.00"))
            order = draft_order(customer, [(bolt, 1)], warehouse=ham)
            order_confirm(order_id=order.pk, actor=None)  # held: over the limit
            quote_create(customer=customer, lines=[{"product": bolt.pk, "quantity": "1"}], actor=None)

    pages = [
        (sales, reverse("orders:order-list"), r'href="/orders/\d+/"'),
        (sales, reverse("orders:order-list") + "?status=on_hold&q=SO", r'href="/orders/\d+/"'),
        (sales, reverse("orders:quote-list"), r'href="/orders/quotes/\d+/"'),
        (sales, reverse("orders:customer-list"), r'href="/orders/customers/\d+/"'),
        (finance, reverse("orders:credit-queue"), 'data-testid="held-order"'),
    ]
    counts: dict[str, list[int]] = {}
    for rows in (3, 10):
        grow(rows)
        for client, url, marker in pages:
            counts.setdefault(url, []).append(_count_queries(client, url, rows, marker))
    with capsys.disabled():
        print("\nsales list queries (3 rows → 10 rows):", counts)
    for url, (three, ten) in counts.items():
        assert three == ten, url


def test_a_line_that_makes_the_total_too_large_is_refused_and_the_others_stay_priced(sales_user, customer, bolt):
    lines = [{"product": bolt.pk, "quantity": "4"}]
    data = entry_post(customer, lines, op="add", new_product=str(bolt.pk), new_quantity="999999999",
                      new_unit_price="99999999999")
    page = client_for(sales_user).post(reverse("orders:entry-lines"), data).content.decode()
    assert page.count('data-testid="line"') == 1 and "table-danger" not in page
    assert "is too large" in page
    assert re.search(r'data-testid="net-total">10\.00 EUR', page)
