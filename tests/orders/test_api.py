"""The orders API: customers, payment terms, quotes, sales orders, the credit queue and the product
lookup — real HTTP requests on a real PostgreSQL through the real services. Refused input answers a
4xx in the one error shape and changes nothing."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.calendar import warehouse_calendar
from inventory.models import Product, StockLevel, StockReservation, Warehouse
from o2c.audit import timeline
from o2c.models import AuditEvent, IdempotencyRecord, OutboxEvent
from orders.enums import OrderStatus, QuoteStatus
from orders.models import Contact, Customer, PaymentTerm, Quote, SalesOrder, SalesOrderLine, ShippingAddress
from orders.services import order_confirm, quote_create
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


def _error(response, status: int | None = None) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert response.status_code // 100 == 4, response.status_code
    if status is not None:
        assert response.status_code == status, body
    return body["error"]


def _documents() -> tuple[int, int, int, int, int]:
    """Everything a refused write must leave as it was."""
    return (SalesOrder.objects.count(), SalesOrderLine.objects.count(), Quote.objects.count(),
            StockReservation.objects.count(), OutboxEvent.objects.count())


@pytest.fixture
def ham() -> Warehouse:
    german_rates()
    return WarehouseFactory(code="HAM", name="Hamburg")


@pytest.fixture
def bolt(ham: Warehouse) -> Product:
    return stocked(ProductFactory(sku="BOLT-M8", name="Bolt M8", list_price=Decimal("10.00")), ham, 10)


@pytest.fixture
def nut(ham: Warehouse) -> Product:
    return stocked(ProductFactory(sku="NUT-M8", name="Nut M8", list_price=Decimal("2.50"), tax_category="reduced"),
                   ham, 3)


@pytest.fixture
def customer() -> Customer:
    customer = CustomerFactory(legal_name="Hanse Bau GmbH")
    ContactFactory(customer=customer)
    ShippingAddressFactory(customer=customer)
    return customer


def _order(client: APIClient, customer: Customer, lines: list[dict], **header) -> dict:
    response = client.post("/api/v1/orders/", {"customer": customer.pk, "lines": lines, **header}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


# --- payment terms --------------------------------------------------------------------------------


def test_payment_terms_are_created_and_changed_through_the_service_never_deleted(api: APIClient) -> None:
    created = api.post("/api/v1/payment-terms/", {"code": "NET14-2", "name": "14 days, 2 % in 7", "net_days": 14,
                                                  "discount_percent": "2.00", "discount_days": 7}, format="json")
    assert created.status_code == 201, created.json()
    term = created.json()
    assert term["discount_percent"] == "2.00" and term["is_active"] is True
    changed = api.patch(f"/api/v1/payment-terms/{term['id']}/", {"name": "Two weeks"}, format="json")
    assert changed.status_code == 200 and changed.json()["name"] == "Two weeks"
    newest_first = [e.action for e in timeline(PaymentTerm.objects.get(pk=term["id"]))]
    assert newest_first == ["updated", "created"]

    duplicate = api.post("/api/v1/payment-terms/", {"code": "NET14-2", "name": "Again"}, format="json")
    assert "code" in _error(duplicate, 400)["details"]
    late_discount = api.post("/api/v1/payment-terms/", {"code": "BAD", "name": "Bad", "net_days": 10,
                                                        "discount_percent": "3", "discount_days": 20}, format="json")
    _error(late_discount, 400)
    assert PaymentTerm.objects.count() == 1
    assert api.delete(f"/api/v1/payment-terms/{term['id']}/").status_code == 405
    listed = api.get("/api/v1/payment-terms/?is_active=true").json()
    assert [t["code"] for t in listed["results"]] == ["NET14-2"]


# --- customers ------------------------------------------------------------------------------------


def test_a_customer_is_created_with_its_addresses_and_contacts_in_one_request(sales_api: APIClient) -> None:
    term = PaymentTermFactory()
    payload = {
        "legal_name": "Nordlicht Handel GmbH", "vat_id": "de 136 695 976", "country": "de",
        "billing_address": "Hafenstrasse 1\n20457 Hamburg", "currency": "eur", "payment_term": term.pk,
        "discount_percent": "5.00", "credit_limit": "999999",  # read-only: Finance sets it
        "shipping_addresses": [
            {"label": "Main warehouse", "address": "Kai 3\n20457 Hamburg", "country": "DE"},
            {"label": "Berlin site", "recipient": "Goods in", "address": "Allee 9\n10115 Berlin", "country": "de",
             "is_default": True},
        ],
        "contacts": [{"name": "Jana Kaufmann", "email": "jana@nordlicht.example", "role": "billing"},
                     {"name": "Olaf Lager", "email": "olaf@nordlicht.example"}],
    }
    response = sales_api.post("/api/v1/customers/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("C") and body["vat_id"] == "DE136695976"
    assert (body["country"], body["currency"], body["payment_term_code"]) == ("DE", "EUR", "NET30")
    assert body["credit_limit"] is None
    assert body["credit"] == {"limit": None, "open_balance": "0.00", "open_orders": "0.00", "exposure": "0.00",
                              "headroom": None}
    defaults = {a["label"]: a["is_default"] for a in body["shipping_addresses"]}
    assert defaults == {"Main warehouse": False, "Berlin site": True}
    assert {(c["name"], c["role"]) for c in body["contacts"]} == {("Jana Kaufmann", "billing"),
                                                                  ("Olaf Lager", "sales")}
    customer = Customer.objects.get(pk=body["id"])
    assert {"created", "address_added", "contact_added"} <= {e.action for e in timeline(customer)}

    assert sales_api.get(f"/api/v1/customers/{customer.pk}/").json() == body
    found = sales_api.get("/api/v1/customers/?search=nordlicht").json()["results"]
    assert [c["number"] for c in found] == [body["number"]]
    by_number = sales_api.get(f"/api/v1/customers/?search={body['number'].lower()}").json()["results"]
    assert [c["id"] for c in by_number] == [customer.pk]
    assert sales_api.get("/api/v1/customers/?country=FR").json()["results"] == []


@pytest.mark.parametrize("change", [
    {"contacts": [{"name": "No mail", "email": "not-an-address"}]},
    {"shipping_addresses": [{"label": "Nowhere", "address": "x", "country": "Germany"}]},
    {"vat_id": "DE123"},
    {"country": "XYZ"},
    {"payment_term": 987654},
    {"discount_percent": "120"},
])
def test_a_customer_with_a_bad_field_or_child_is_refused_whole(sales_api: APIClient, change: dict) -> None:
    payload = {"legal_name": "Fehler AG", "country": "DE", "billing_address": "Weg 1", "currency": "EUR",
               "payment_term": PaymentTermFactory().pk, "contacts": [{"name": "Ok", "email": "ok@fehler.example"}],
               **change}
    response = sales_api.post("/api/v1/customers/", payload, format="json")
    assert set(_error(response, 400)["details"]) & {*change, "vat_id"}
    assert (Customer.objects.count(), Contact.objects.count(), ShippingAddress.objects.count()) == (0, 0, 0)


def test_patching_a_customer_changes_its_fields_but_not_its_credit_or_a_used_currency(
    sales_api: APIClient, customer: Customer, bolt: Product,
) -> None:
    url = f"/api/v1/customers/{customer.pk}/"
    changed = sales_api.patch(url, {"legal_name": "Hanse Bau AG", "credit_limit": "1", "language": "de"},
                              format="json")
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["legal_name"], changed.json()["language"]) == ("Hanse Bau AG", "de")
    customer.refresh_from_db()
    assert customer.credit_limit is None  # read-only here: POST …/credit/ (Finance)

    children = sales_api.patch(url, {"contacts": [{"name": "X", "email": "x@y.example"}]}, format="json")
    assert "contacts" in _error(children, 400)["details"]
    draft_order(customer, [(bolt, 1)])
    currency = sales_api.patch(url, {"currency": "USD"}, format="json")
    assert _error(currency, 409)["code"] == "currency_in_use"
    customer.refresh_from_db()
    assert customer.currency == "EUR" and customer.contacts.count() == 1


def test_finance_sets_the_credit_limit_and_hold_and_sales_may_not(
    finance_api: APIClient, sales_api: APIClient, customer: Customer, finance_user: User,
) -> None:
    url = f"/api/v1/customers/{customer.pk}/credit/"
    assert _error(sales_api.post(url, {"credit_limit": "100"}, format="json"), 403)
    limited = finance_api.post(url, {"credit_limit": "5000.00"}, format="json")
    assert limited.status_code == 200, limited.json()
    assert limited.json()["credit"]["limit"] == "5000.00" and limited.json()["credit"]["headroom"] == "5000.00"

    no_reason = finance_api.post(url, {"credit_hold": True}, format="json")
    assert "reason" in _error(no_reason, 400)["details"]
    negative = finance_api.post(url, {"credit_limit": "-1"}, format="json")
    assert "credit_limit" in _error(negative, 400)["details"]
    held = finance_api.post(url, {"credit_hold": True, "reason": "Cheque bounced"}, format="json")
    assert held.status_code == 200 and held.json()["credit_hold"] is True
    customer.refresh_from_db()
    assert (customer.credit_limit, customer.credit_hold_reason, customer.credit_hold_by) == (
        Decimal("5000.00"), "Cheque bounced", finance_user)

    lifted = finance_api.post(url, {"credit_hold": False, "credit_limit": None}, format="json")
    assert lifted.status_code == 200
    assert (lifted.json()["credit_hold"], lifted.json()["credit"]["limit"]) == (False, None)


# --- orders: create, read, change -----------------------------------------------------------------


def test_an_order_is_created_with_all_its_lines_in_one_request(
    sales_api: APIClient, customer: Customer, bolt: Product, nut: Product, ham: Warehouse,
) -> None:
    address = customer.shipping_addresses.get()
    requested = timezone.localdate() + datetime.timedelta(days=10)
    body = _order(sales_api, customer, [
        {"product": bolt.pk, "quantity": "4"},
        {"sku": "nut-m8", "quantity": "10.5", "unit_price": "2.00", "discount_percent": "10",
         "description": "Nuts, loose"},
    ], currency="EUR", warehouse="ham", ship_to=address.pk, requested_date=str(requested),
        customer_reference="PO-4711", notes="Deliver to gate 2")
    assert (body["status"], body["currency"], body["warehouse_code"], body["ship_to"]) == (
        "draft", "EUR", "HAM", address.pk)
    assert (body["customer_reference"], body["requested_date"], body["customer_name"]) == (
        "PO-4711", str(requested), "Hanse Bau GmbH")
    first, second = body["lines"]
    assert (first["position"], first["sku"], first["description"], first["unit_price"], first["net_amount"],
            first["tax_rate"], first["tax_amount"]) == (1, "BOLT-M8", "Bolt M8", "10.00", "40.00", "19.00", "7.60")
    assert (second["product"], second["quantity"], second["discount_percent"], second["net_amount"],
            second["tax_amount"], second["description"]) == (nut.pk, "10.500", "10.00", "18.90", "1.32",
                                                             "Nuts, loose")
    assert (second["reserved_quantity"], second["backordered_quantity"], second["promise_date"]) == (
        "0.000", "0.000", None)
    assert (body["net_total"], body["tax_total"], body["gross_total"]) == ("58.90", "8.92", "67.82")
    assert body["tax_summary"] == [{"rate": "7.00", "net": "18.90", "tax": "1.32"},
                                   {"rate": "19.00", "net": "40.00", "tax": "7.60"}]
    assert sales_api.get(f"/api/v1/orders/{body['id']}/").json() == body
    assert AuditEvent.objects.filter(object_id=str(body["id"]), action="created").count() == 1


@pytest.mark.parametrize(("case", "where"), [
    ({"lines": [{"product": 999999, "quantity": "1"}]}, "product"),
    ({"lines": [{"sku": "NO-SUCH-SKU", "quantity": "1"}]}, "product"),
    ({"lines": [{"product": "BOLT", "quantity": "1"}]}, "product"),
    ({"lines": [{"quantity": "1"}]}, "product"),
    ({"lines": [{"sku": "BOLT-M8", "quantity": "0"}]}, "quantity"),
    ({"lines": [{"sku": "BOLT-M8", "quantity": "-2"}]}, "quantity"),
    ({"lines": [{"sku": "BOLT-M8", "quantity": "1.0001"}]}, "quantity"),
    ({"lines": [{"sku": "BOLT-M8", "quantity": "abc"}]}, "quantity"),
    ({"lines": [{"sku": "BOLT-M8", "quantity": "1", "unit_price": "-0.01"}]}, "unit_price"),
    ({"lines": [{"sku": "BOLT-M8", "quantity": "1", "discount_percent": "100.01"}]}, "discount_percent"),
    ({"lines": [{"sku": "BOLT-M8", "quantity": "1", "discount_percent": "-5"}]}, "discount_percent"),
    ({"lines": [{"sku": "NUT-M8", "product": "<bolt>", "quantity": "1"}]}, "sku"),
])
def test_a_bad_line_is_refused_per_line_and_creates_nothing(
    sales_api: APIClient, customer: Customer, bolt: Product, nut: Product, case: dict, where: str,
) -> None:
    good = {"sku": "BOLT-M8", "quantity": "1"}
    lines = [{**line, "product": bolt.pk} if line.get("product") == "<bolt>" else line for line in case["lines"]]
    before = _documents()
    response = sales_api.post("/api/v1/orders/", {"customer": customer.pk, "lines": [good, *lines]},
                              format="json")
    error = _error(response, 400)
    assert error["code"] == "validation_error"
    first, second = error["details"]["lines"]
    assert first == {} and where in second, error
    assert _documents() == before


@pytest.mark.parametrize(("payload", "field"), [
    ({"currency": "USD"}, "currency"),
    ({"lines": []}, "lines"),
    ({"customer": 987654}, "customer"),
    ({"warehouse": "NOPE"}, "warehouse"),
    ({"requested_date": "2001-01-01"}, "requested_date"),
    ({"ship_to": "other"}, "ship_to"),
])
def test_an_order_with_a_bad_header_is_refused_and_creates_nothing(
    sales_api: APIClient, customer: Customer, bolt: Product, payload: dict, field: str,
) -> None:
    if payload.get("ship_to") == "other":
        payload = {"ship_to": ShippingAddressFactory().pk}  # another customer's address
    before = _documents()
    body = {"customer": customer.pk, "lines": [{"product": bolt.pk, "quantity": "1"}], **payload}
    response = sales_api.post("/api/v1/orders/", body, format="json")
    assert field in _error(response, 400)["details"]
    assert _documents() == before


def test_an_order_whose_total_no_amount_can_hold_is_refused_not_a_server_error(
    sales_api: APIClient, customer: Customer, bolt: Product,
) -> None:
    before = _documents()
    huge = {"sku": "BOLT-M8", "quantity": "99999999999.999", "unit_price": "9999999999999.99"}
    response = sales_api.post("/api/v1/orders/", {"customer": customer.pk, "lines": [huge]}, format="json")
    assert "lines" in _error(response, 400)["details"]
    assert _documents() == before


def test_a_product_priced_in_another_currency_needs_a_typed_price(
    sales_api: APIClient, customer: Customer, ham: Warehouse,
) -> None:
    ProductFactory(sku="US-WIDGET", currency="USD")
    refused = sales_api.post("/api/v1/orders/", {"customer": customer.pk, "lines": [
        {"sku": "US-WIDGET", "quantity": "1"}]}, format="json")
    assert "unit_price" in _error(refused, 400)["details"]["lines"][0]
    priced = _order(sales_api, customer, [{"sku": "US-WIDGET", "quantity": "1", "unit_price": "7.00"}])
    assert priced["currency"] == "EUR" and priced["lines"][0]["unit_price"] == "7.00"


def test_a_draft_is_changed_whole_and_a_confirmed_order_is_not(
    sales_api: APIClient, customer: Customer, bolt: Product, nut: Product, ham: Warehouse,
) -> None:
    order = _order(sales_api, customer, [{"product": bolt.pk, "quantity": "1"}])
    url = f"/api/v1/orders/{order['id']}/"
    changed = sales_api.patch(url, {"customer_reference": "PO-9", "lines": [
        {"sku": "NUT-M8", "quantity": "2"}, {"sku": "BOLT-M8", "quantity": "3"}]}, format="json")
    assert changed.status_code == 200, changed.json()
    body = changed.json()
    assert body["customer_reference"] == "PO-9" and [line["sku"] for line in body["lines"]] == ["NUT-M8", "BOLT-M8"]
    assert body["gross_total"] == "41.05"  # 2 × 2.50 × 1.07 + 3 × 10 × 1.19
    header_only = sales_api.patch(url, {"notes": "Call first"}, format="json")
    assert header_only.json()["notes"] == "Call first" and len(header_only.json()["lines"]) == 2
    bad = sales_api.patch(url, {"lines": [{"sku": "BOLT-M8", "quantity": "0"}]}, format="json")
    assert "quantity" in _error(bad, 400)["details"]["lines"][0]

    assert sales_api.post(f"{url}confirm/").status_code == 200
    before = (_documents(), list(SalesOrderLine.objects.values_list("quantity", flat=True).order_by("pk")))
    refused = sales_api.patch(url, {"lines": [{"sku": "BOLT-M8", "quantity": "9"}]}, format="json")
    assert _error(refused, 409)["code"] == "order_not_editable"
    header = sales_api.patch(url, {"customer_reference": "changed"}, format="json")
    assert _error(header, 409)["code"] == "order_not_editable"
    assert (_documents(), list(SalesOrderLine.objects.values_list("quantity", flat=True).order_by("pk"))) == before
    assert SalesOrder.objects.get(pk=order["id"]).customer_reference == "PO-9"
    assert sales_api.put(url, {}, format="json").status_code == 405


# --- orders: confirm, cancel, credit holds --------------------------------------------------------


def test_confirming_reserves_backorders_and_dates_the_lines_and_twice_is_refused(
    sales_api: APIClient, customer: Customer, bolt: Product, nut: Product, ham: Warehouse,
) -> None:
    order = _order(sales_api, customer, [{"sku": "BOLT-M8", "quantity": "4"}, {"sku": "NUT-M8", "quantity": "5"}])
    confirmed = sales_api.post(f"/api/v1/orders/{order['id']}/confirm/")
    assert confirmed.status_code == 200, confirmed.json()
    body = confirmed.json()
    ready = warehouse_calendar(ham, timezone.localdate()).next_working(timezone.localdate())
    assert body["status"] == "confirmed" and body["confirmed_at"]
    bolts, nuts = body["lines"]
    assert (bolts["reserved_quantity"], bolts["backordered_quantity"], bolts["promise_date"]) == (
        "4.000", "0.000", str(ready))
    assert (nuts["reserved_quantity"], nuts["backordered_quantity"], nuts["open_quantity"]) == (
        "3.000", "2.000", "5.000")
    assert nuts["promise_date"] > str(ready)  # waits for the lead time
    assert (nuts["shipped_quantity"], nuts["invoiced_quantity"]) == ("0.000", "0.000")

    before = (_documents(), list(StockLevel.objects.values_list("reserved", flat=True).order_by("pk")))
    again = sales_api.post(f"/api/v1/orders/{order['id']}/confirm/")
    assert _error(again, 409)["code"] == "invalid_transition"
    assert (_documents(), list(StockLevel.objects.values_list("reserved", flat=True).order_by("pk"))) == before
    assert OutboxEvent.objects.filter(type="order.confirmed").count() == 1


def test_cancelling_a_confirmed_order_releases_its_stock(
    sales_api: APIClient, customer: Customer, bolt: Product, ham: Warehouse,
) -> None:
    order = _order(sales_api, customer, [{"sku": "BOLT-M8", "quantity": "4"}])
    sales_api.post(f"/api/v1/orders/{order['id']}/confirm/")
    cancelled = sales_api.post(f"/api/v1/orders/{order['id']}/cancel/", {"reason": "Customer withdrew"},
                               format="json")
    assert cancelled.status_code == 200, cancelled.json()
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["lines"][0]["cancelled_quantity"] == "4.000"
    assert StockLevel.objects.get(product=bolt, warehouse=ham).reserved == 0
    assert _error(sales_api.post(f"/api/v1/orders/{order['id']}/cancel/"), 409)["code"] == "invalid_transition"


def test_finance_works_the_credit_queue_releasing_and_rejecting_held_orders(
    sales_api: APIClient, finance_api: APIClient, bolt: Product, ham: Warehouse,
) -> None:
    customer = CustomerFactory(credit_limit=Decimal("50.00"))
    first = _order(sales_api, customer, [{"sku": "BOLT-M8", "quantity": "5"}])  # 59.50 gross
    second = _order(sales_api, customer, [{"sku": "BOLT-M8", "quantity": "1"}, {"sku": "BOLT-M8", "quantity": "5"}])
    for order in (first, second):
        held = sales_api.post(f"/api/v1/orders/{order['id']}/confirm/")
        assert held.status_code == 200 and held.json()["status"] == "on_hold"
        assert "Credit limit 50.00 EUR exceeded" in held.json()["hold_reason"]
    assert not StockReservation.objects.exists()

    queue = finance_api.get("/api/v1/orders/credit-queue/")
    assert queue.status_code == 200
    assert [o["number"] for o in queue.json()["results"]] == [first["number"], second["number"]]
    assert _error(sales_api.get("/api/v1/orders/credit-queue/"), 403)
    assert _error(sales_api.post(f"/api/v1/orders/{first['id']}/release-hold/"), 403)
    assert _error(sales_api.post(f"/api/v1/orders/{first['id']}/reject-hold/", {"reason": "x"}), 403)

    released = finance_api.post(f"/api/v1/orders/{first['id']}/release-hold/", {"note": "Paid in advance"},
                                format="json")
    assert released.status_code == 200, released.json()
    assert released.json()["status"] == "confirmed" and released.json()["lines"][0]["reserved_quantity"] == "5.000"
    no_reason = finance_api.post(f"/api/v1/orders/{second['id']}/reject-hold/", {"reason": " "}, format="json")
    assert "reason" in _error(no_reason, 400)["details"]
    rejected = finance_api.post(f"/api/v1/orders/{second['id']}/reject-hold/", {"reason": "Too risky"},
                                format="json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "cancelled"
    assert finance_api.get("/api/v1/orders/credit-queue/").json()["results"] == []
    assert _error(finance_api.post(f"/api/v1/orders/{first['id']}/release-hold/"), 409)["code"] == \
        "invalid_transition"


# --- roles ----------------------------------------------------------------------------------------


def test_finance_cannot_create_or_confirm_orders(
    finance_api: APIClient, sales_api: APIClient, customer: Customer, bolt: Product,
) -> None:
    before = _documents()
    refused = finance_api.post("/api/v1/orders/", {"customer": customer.pk, "lines": [
        {"sku": "BOLT-M8", "quantity": "1"}]}, format="json")
    assert _error(refused, 403)["code"] == "permission_denied"
    assert _documents() == before
    order = _order(sales_api, customer, [{"sku": "BOLT-M8", "quantity": "1"}])
    assert _error(finance_api.post(f"/api/v1/orders/{order['id']}/confirm/"), 403)
    assert finance_api.get(f"/api/v1/orders/{order['id']}/").status_code == 200  # but reads them
    assert SalesOrder.objects.get(pk=order["id"]).status == OrderStatus.DRAFT


def test_the_warehouse_reads_sales_documents_but_changes_none(
    warehouse_api: APIClient, sales_api: APIClient, customer: Customer, bolt: Product,
) -> None:
    order = _order(sales_api, customer, [{"sku": "BOLT-M8", "quantity": "1"}])
    quote = sales_api.post("/api/v1/quotes/", {"customer": customer.pk, "lines": [
        {"sku": "BOLT-M8", "quantity": "1"}]}, format="json").json()
    for url in ("/api/v1/orders/", f"/api/v1/orders/{order['id']}/", "/api/v1/customers/",
                f"/api/v1/customers/{customer.pk}/", "/api/v1/quotes/", f"/api/v1/quotes/{quote['id']}/",
                "/api/v1/payment-terms/", "/api/v1/product-offers/?search=bolt"):
        assert warehouse_api.get(url).status_code == 200, url
    before = _documents()
    writes = [
        warehouse_api.post("/api/v1/orders/", {"customer": customer.pk, "lines": [{"sku": "BOLT-M8",
                                                                                   "quantity": "1"}]}),
        warehouse_api.patch(f"/api/v1/orders/{order['id']}/", {"notes": "x"}),
        warehouse_api.post(f"/api/v1/orders/{order['id']}/confirm/"),
        warehouse_api.post(f"/api/v1/orders/{order['id']}/cancel/"),
        warehouse_api.post(f"/api/v1/quotes/{quote['id']}/send/"),
        warehouse_api.post("/api/v1/customers/", {"legal_name": "X"}),
        warehouse_api.patch(f"/api/v1/customers/{customer.pk}/", {"legal_name": "X"}),
        warehouse_api.post(f"/api/v1/customers/{customer.pk}/credit/", {"credit_hold": False}),
        warehouse_api.post("/api/v1/payment-terms/", {"code": "X", "name": "X"}),
        warehouse_api.get("/api/v1/orders/credit-queue/"),
    ]
    assert [r.status_code for r in writes] == [403] * len(writes)
    assert _documents() == before and SalesOrder.objects.get(pk=order["id"]).notes == ""


def test_without_login_nothing_is_answered(customer: Customer) -> None:
    anonymous = APIClient()
    for response in (anonymous.get("/api/v1/orders/"), anonymous.post("/api/v1/customers/", {})):
        assert response.status_code in (401, 403)
        _error(response)


# --- idempotency ----------------------------------------------------------------------------------


def test_an_order_posted_twice_with_one_idempotency_key_is_created_once(
    sales_api: APIClient, customer: Customer, bolt: Product,
) -> None:
    key = str(uuid.uuid4())
    payload = {"customer": customer.pk, "lines": [{"sku": "BOLT-M8", "quantity": "2"}]}
    first = sales_api.post("/api/v1/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    second = sales_api.post("/api/v1/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
    assert SalesOrder.objects.count() == 1 and SalesOrderLine.objects.count() == 1

    other = sales_api.post("/api/v1/orders/", {**payload, "customer_reference": "PO-2"}, format="json",
                           HTTP_IDEMPOTENCY_KEY=key)
    assert _error(other, 422)["code"] == "idempotency_key_reused"
    assert SalesOrder.objects.count() == 1

    order_id = first.json()["id"]
    confirm_key = str(uuid.uuid4())
    confirmations = [sales_api.post(f"/api/v1/orders/{order_id}/confirm/", HTTP_IDEMPOTENCY_KEY=confirm_key)
                     for _ in range(2)]
    assert [r.status_code for r in confirmations] == [200, 200]
    assert OutboxEvent.objects.filter(type="order.confirmed").count() == 1
    assert IdempotencyRecord.objects.count() == 2


def test_a_refused_order_is_replayed_as_refused_without_a_second_attempt(
    sales_api: APIClient, customer: Customer, bolt: Product,
) -> None:
    key = str(uuid.uuid4())
    payload = {"customer": customer.pk, "lines": [{"sku": "BOLT-M8", "quantity": "0"}]}
    first = sales_api.post("/api/v1/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    second = sales_api.post("/api/v1/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == second.status_code == 400 and first.json() == second.json()
    assert not SalesOrder.objects.exists()


# --- lists ----------------------------------------------------------------------------------------


def test_orders_are_listed_by_status_customer_creation_day_and_searched_by_number_or_po(
    sales_api: APIClient, customer: Customer, bolt: Product,
) -> None:
    other = CustomerFactory()
    confirmed = draft_order(customer, [(bolt, 1)], customer_reference="PO-ALPHA-1")
    order_confirm(order_id=confirmed.pk, actor=None)
    draft = draft_order(customer, [(bolt, 1)], customer_reference="PO-BETA-2")
    elsewhere = draft_order(other, [(bolt, 1)])
    last_week = timezone.now() - datetime.timedelta(days=7)
    SalesOrder.objects.filter(pk=elsewhere.pk).update(created_at=last_week)

    def numbers(query: str) -> list[str]:
        response = sales_api.get(f"/api/v1/orders/{query}")
        assert response.status_code == 200, response.json()
        return [o["number"] for o in response.json()["results"]]

    assert numbers("") == [elsewhere.number, draft.number, confirmed.number]  # newest first
    assert numbers("?status=confirmed") == [confirmed.number]
    assert numbers(f"?customer={customer.pk}") == [draft.number, confirmed.number]
    assert numbers("?search=alpha") == [confirmed.number]
    assert numbers(f"?search={draft.number[-4:]}") == [draft.number]
    today = timezone.localdate()
    assert numbers(f"?created_from={today}") == [draft.number, confirmed.number]
    assert numbers(f"?created_to={today - datetime.timedelta(days=1)}") == [elsewhere.number]
    assert numbers(f"?status=draft&customer={customer.pk}&created_from={today}&created_to={today}") == [draft.number]
    listed = sales_api.get("/api/v1/orders/").json()["results"][0]
    assert "lines" not in listed and listed["warehouse_code"] == "HAM"
    assert "status" in _error(sales_api.get("/api/v1/orders/?status=shipped"), 400)["details"]
    assert "created_from" in _error(sales_api.get("/api/v1/orders/?created_from=yesterday"), 400)["details"]
    assert "customer" in _error(sales_api.get("/api/v1/orders/?customer=987654"), 400)["details"]


# --- quotes ---------------------------------------------------------------------------------------


def test_a_quote_is_drafted_changed_sent_and_accepted_into_a_draft_order(
    sales_api: APIClient, customer: Customer, bolt: Product, nut: Product,
) -> None:
    valid = timezone.localdate() + datetime.timedelta(days=14)
    created = sales_api.post("/api/v1/quotes/", {
        "customer": customer.pk, "currency": "EUR", "valid_until": str(valid), "notes": "Spring offer",
        "lines": [{"sku": "BOLT-M8", "quantity": "100", "unit_price": "9.00"}],
    }, format="json")
    assert created.status_code == 201, created.json()
    quote = created.json()
    assert (quote["status"], quote["valid_until"], quote["gross_total"]) == ("draft", str(valid), "1071.00")
    url = f"/api/v1/quotes/{quote['id']}/"

    changed = sales_api.patch(url, {"lines": [{"sku": "BOLT-M8", "quantity": "100", "unit_price": "8.50"},
                                              {"product": nut.pk, "quantity": "50"}]}, format="json")
    assert changed.status_code == 200, changed.json()
    assert [line["unit_price"] for line in changed.json()["lines"]] == ["8.50", "2.50"]
    assert _error(sales_api.post(f"{url}accept/"), 409)["code"] == "invalid_transition"  # not sent yet

    sent = sales_api.post(f"{url}send/")
    assert sent.status_code == 200 and sent.json()["status"] == "sent" and sent.json()["sent_at"]
    assert _error(sales_api.patch(url, {"notes": "late"}, format="json"), 409)["code"] == "quote_not_editable"

    accepted = sales_api.post(f"{url}accept/")
    assert accepted.status_code == 201, accepted.json()
    order = accepted.json()
    assert (order["status"], order["quote"], order["notes"]) == ("draft", quote["id"], "Spring offer")
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in order["lines"]] == [
        ("BOLT-M8", "100.000", "8.50"), ("NUT-M8", "50.000", "2.50")]
    assert Quote.objects.get(pk=quote["id"]).status == QuoteStatus.ACCEPTED
    assert _error(sales_api.post(f"{url}accept/"), 409)
    assert SalesOrder.objects.count() == 1
    assert [q["id"] for q in sales_api.get("/api/v1/quotes/?status=accepted").json()["results"]] == [quote["id"]]


def test_a_quote_is_rejected_and_bad_quotes_are_refused(
    sales_api: APIClient, customer: Customer, bolt: Product,
) -> None:
    quote = quote_create(customer=customer, lines=[{"product": bolt.pk, "quantity": "1"}], actor=None)
    sales_api.post(f"/api/v1/quotes/{quote.pk}/send/")
    rejected = sales_api.post(f"/api/v1/quotes/{quote.pk}/reject/", {"reason": "Too expensive"}, format="json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"

    before = _documents()
    for body, field in [
        ({"valid_until": "2001-01-01"}, "valid_until"),
        ({"currency": "CHF"}, "currency"),
        ({"lines": [{"sku": "BOLT-M8", "quantity": "1", "discount_percent": "101"}]}, "lines"),
    ]:
        response = sales_api.post("/api/v1/quotes/", {"customer": customer.pk, "lines": [
            {"sku": "BOLT-M8", "quantity": "1"}], **body}, format="json")
        assert field in _error(response, 400)["details"], body
    no_contact = CustomerFactory()
    draft = quote_create(customer=no_contact, lines=[{"product": bolt.pk, "quantity": "1"}], actor=None)
    before = _documents()
    assert _error(sales_api.post(f"/api/v1/quotes/{draft.pk}/send/"), 400)["code"] == "no_recipient"
    assert _documents() == before and Quote.objects.get(pk=draft.pk).status == QuoteStatus.DRAFT


# --- product lookup -------------------------------------------------------------------------------


def test_product_offers_show_availability_and_a_promise_date(sales_api: APIClient, bolt: Product, nut: Product,
                                                             ham: Warehouse) -> None:
    ready = warehouse_calendar(ham, timezone.localdate()).next_working(timezone.localdate())
    response = sales_api.get("/api/v1/product-offers/?search=m8&warehouse=ham&quantity=5")
    assert response.status_code == 200, response.json()
    offers = {o["sku"]: o for o in response.json()}
    assert offers["BOLT-M8"] == {"id": bolt.pk, "sku": "BOLT-M8", "name": "Bolt M8", "list_price": "10.00",
                                 "currency": "EUR", "available": "10.000", "promise_date": str(ready)}
    assert offers["NUT-M8"]["available"] == "3.000" and offers["NUT-M8"]["promise_date"] > str(ready)
    assert [o["sku"] for o in sales_api.get("/api/v1/product-offers/?search=nut").json()] == ["NUT-M8"]
    assert "warehouse" in _error(sales_api.get("/api/v1/product-offers/?warehouse=NOPE"), 400)["details"]
    assert "quantity" in _error(sales_api.get("/api/v1/product-offers/?quantity=0"), 400)["details"]
