"""The billing API: invoices (list filters, detail, invoice an order by hand, issue, notes, discard,
send, credit, downloads) and credit notes — real HTTP requests on a real PostgreSQL through the real
services. Issued documents never change; refused input answers a 4xx in the one error shape and
writes nothing."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone
from lxml import etree
from rest_framework.test import APIClient

from billing.enums import InvoiceStatus
from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from billing.services import credit_note_create, invoice_create_for_order
from billing.services.documents import document_render_pdf
from o2c.models import AuditEvent, IdempotencyRecord, OutboxEvent
from orders.models import Customer, SalesOrderLine
from tests.billing.factories import billing_customer, issued_invoice, issued_on, priced_order, shipped_order
from tests.conftest import api_client_for, make_user
from tests.orders.factories import CustomerFactory, PaymentTermFactory

pytestmark = pytest.mark.django_db

INVOICES = "/api/v1/invoices/"
CREDIT_NOTES = "/api/v1/credit-notes/"
CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM_NS = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def _error(response: Any, status: int | None = None) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert response.status_code // 100 == 4, response.status_code
    if status is not None:
        assert response.status_code == status, body
    return body["error"]


def _post(client: APIClient, url: str, body: dict | None = None, **extra: Any) -> Any:
    return client.post(url, body if body is not None else {}, format="json", **extra)


def _state() -> tuple:
    """Everything a refused write must leave as it was."""
    return (
        list(Invoice.objects.order_by("pk").values_list(
            "pk", "number", "status", "notes", "issue_date", "due_date", "net_total", "tax_total", "gross_total",
            "amount_due", "credited_amount", "paid_amount", "emailed_at", "updated_at")),
        list(InvoiceLine.objects.order_by("pk").values_list("pk", "invoice_id", "quantity", "credited_quantity",
                                                            "net_amount", "tax_amount")),
        list(CreditNote.objects.order_by("pk").values_list("pk", "number", "gross_total", "applied_amount")),
        CreditNoteLine.objects.count(),
        list(SalesOrderLine.objects.order_by("pk").values_list("pk", "invoiced_quantity")),
        list(Customer.objects.order_by("pk").values_list("pk", "open_balance")),
        OutboxEvent.objects.count(),
        AuditEvent.objects.count(),
    )


def _draft(lines: list | None = None, **kwargs: Any) -> Invoice:
    order, _ = shipped_order(lines or [(2, "50.00", "standard")], **kwargs)
    invoice = invoice_create_for_order(order_id=order.pk, issue=False)
    assert invoice is not None and invoice.status == InvoiceStatus.DRAFT
    return invoice


def _lines(invoice: Invoice) -> list[InvoiceLine]:
    return list(invoice.lines.order_by("position"))


# --- list -----------------------------------------------------------------------------------------


def test_invoices_are_listed_newest_first_and_each_filter_filters(finance_api: APIClient) -> None:
    today = timezone.localdate()
    alpha = billing_customer(legal_name="Alpha Maschinenbau GmbH")
    beta = billing_customer(legal_name="Beta Logistik AG")
    a = issued_invoice([(3, "100.00", "standard")], customer=alpha, customer_reference="PO-ALPHA")  # 357.00
    b = issued_on(today - datetime.timedelta(days=60), [(1, "10.00", "reduced")], customer=beta)  # 10.70, overdue
    c = _draft([(1, "50.00", "standard")], customer=alpha)  # 59.50
    assert (a.gross_total, b.gross_total, c.gross_total) == (Decimal("357.00"), Decimal("10.70"), Decimal("59.50"))

    def ids(query: str = "") -> list[int]:
        response = finance_api.get(f"{INVOICES}{query}")
        assert response.status_code == 200, response.json()
        assert response.json()["count"] == len(response.json()["results"])
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [c.pk, a.pk, b.pk]  # drafts, then by issue day, newest first
    assert ids("?status=draft") == [c.pk]
    assert ids("?status=issued") == [a.pk, b.pk]
    assert ids("?status=paid") == []
    assert ids("?overdue=true") == [b.pk]
    assert ids("?overdue=false") == [c.pk, a.pk]
    assert ids(f"?customer={alpha.pk}") == [c.pk, a.pk]
    assert ids(f"?customer={beta.pk}") == [b.pk]
    assert ids(f"?order={b.order_id}") == [b.pk]
    assert ids(f"?order={c.order_id}") == [c.pk]
    assert ids(f"?issued_from={today}") == [a.pk]
    assert ids(f"?issued_to={today - datetime.timedelta(days=1)}") == [b.pk]
    assert ids(f"?issued_from={today - datetime.timedelta(days=60)}&issued_to={today}") == [a.pk, b.pk]
    assert ids("?amount_min=100") == [a.pk]
    assert ids("?amount_max=20") == [b.pk]
    assert ids("?amount_min=50&amount_max=60") == [c.pk]
    assert ids("?search=po-alpha") == [a.pk]
    assert ids(f"?search={beta.number}") == [b.pk]
    assert ids(f"?search={a.number}") == [a.pk]
    assert ids("?search=Logistik") == [b.pk]
    assert ids(f"?status=issued&customer={alpha.pk}") == [a.pk]
    assert ids("?ordering=gross_total") == [b.pk, c.pk, a.pk]
    assert ids("?customer=987654") == []

    row = finance_api.get(f"{INVOICES}?overdue=true").json()["results"][0]
    assert (row["number"], row["status"], row["customer"], row["customer_number"]) == (b.number, "issued", beta.pk,
                                                                                      beta.number)
    assert (row["gross_total"], row["amount_due"], row["overdue"]) == ("10.70", "10.70", True)
    assert row["due_date"] == str(today - datetime.timedelta(days=30))
    assert row["pdf_url"].endswith(f"{INVOICES}{b.pk}/pdf/") and "lines" not in row
    draft_row = finance_api.get(f"{INVOICES}?status=draft").json()["results"][0]
    assert (draft_row["number"], draft_row["issue_date"], draft_row["pdf_url"], draft_row["overdue"]) == (
        None, None, None, False)

    for query, field in (("?status=lost", "status"), ("?overdue=maybe", "overdue"), ("?issued_from=yesterday",
                         "issued_from"), ("?amount_min=abc", "amount_min"), ("?customer=abc", "customer"),
                         ("?amount_max=1e400", "amount_max"), ("?order=0", "order")):
        assert field in _error(finance_api.get(f"{INVOICES}{query}"), 400)["details"], query


def test_credit_notes_are_listed_and_filtered_and_read_with_their_lines(finance_api: APIClient) -> None:
    alpha, beta = billing_customer(), billing_customer()
    a = issued_invoice([(3, "100.00", "standard"), (2, "10.00", "reduced")], customer=alpha)
    b = issued_invoice(customer=beta)
    first, second = _lines(a)
    by_lines = credit_note_create(invoice_id=a.pk, actor=None, reason="price",
                                  lines=[{"invoice_line": first.pk, "quantity": "1"},
                                         {"invoice_line": second.pk, "quantity": "2"}])
    damaged = credit_note_create(invoice_id=b.pk, actor=None, reason="damaged", amount="11.90")
    goodwill = credit_note_create(invoice_id=a.pk, actor=None, reason="goodwill", amount="5.00", note="Sorry")

    def ids(query: str = "") -> list[int]:
        response = finance_api.get(f"{CREDIT_NOTES}{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [goodwill.pk, damaged.pk, by_lines.pk]
    assert ids(f"?customer={alpha.pk}") == [goodwill.pk, by_lines.pk]
    assert ids(f"?invoice={b.pk}") == [damaged.pk]
    assert ids("?reason=damaged") == [damaged.pk]
    assert ids(f"?search={a.number}") == [goodwill.pk, by_lines.pk]
    assert ids(f"?search={damaged.number}") == [damaged.pk]
    assert ids(f"?invoice={a.pk}&reason=price") == [by_lines.pk]
    assert "reason" in _error(finance_api.get(f"{CREDIT_NOTES}?reason=whim"), 400)["details"]

    body = finance_api.get(f"{CREDIT_NOTES}{by_lines.pk}/").json()
    assert (body["number"], body["invoice"], body["invoice_number"], body["reason"], body["origin"]) == (
        by_lines.number, a.pk, a.number, "price", "manual")
    assert (body["net_total"], body["tax_total"], body["gross_total"]) == ("120.00", "20.40", "140.40")
    assert (body["applied_amount"], body["customer_credit"]) == ("140.40", "0.00")
    assert body["tax_summary"] == [{"rate": "7.00", "net": "20.00", "tax": "1.40"},
                                   {"rate": "19.00", "net": "100.00", "tax": "19.00"}]
    assert [(ln["position"], ln["invoice_line"], ln["quantity"], ln["unit_price"], ln["net_amount"],
             ln["tax_amount"]) for ln in body["lines"]] == [
        (1, first.pk, "1.000", "100.00", "100.00", "19.00"), (2, second.pk, "2.000", "10.00", "20.00", "1.40")]
    assert body["pdf_url"].endswith(f"{CREDIT_NOTES}{by_lines.pk}/pdf/")
    assert body["ubl_url"].endswith(f"{CREDIT_NOTES}{by_lines.pk}/ubl/")
    amount = finance_api.get(f"{CREDIT_NOTES}{goodwill.pk}/").json()
    assert [(ln["invoice_line"], ln["quantity"], ln["tax_rate"]) for ln in amount["lines"]] == [
        (None, "1.000", "19.00")]
    assert amount["notes"] == "Sorry" and amount["gross_total"] == "5.00"
    assert "lines" not in finance_api.get(CREDIT_NOTES).json()["results"][0]
    for method in (finance_api.put, finance_api.patch, finance_api.delete):  # made by crediting, never changed
        assert _error(method(f"{CREDIT_NOTES}{goodwill.pk}/", {"notes": "x"}, format="json"), 405)
    assert _error(finance_api.post(CREDIT_NOTES, {"invoice": a.pk}, format="json"), 405)


# --- detail ---------------------------------------------------------------------------------------


def test_an_invoice_is_read_with_lines_taxes_terms_amounts_links_and_credit_notes(finance_api: APIClient) -> None:
    term = PaymentTermFactory(code="SKONTO", name="2 % in 10 days, 30 days net", net_days=30,
                              discount_percent=Decimal("2.00"), discount_days=10)
    customer = billing_customer(payment_term=term)
    invoice = issued_invoice([(3, "100.00", "standard"), (2, "10.00", "reduced")], customer=customer,
                             customer_reference="PO-77")
    first, second = _lines(invoice)
    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="price",
                              lines=[{"invoice_line": first.pk, "quantity": "1"}])

    response = finance_api.get(f"{INVOICES}{invoice.pk}/")
    assert response.status_code == 200, response.json()
    body = response.json()
    day = timezone.localdate()
    assert (body["number"], body["status"], body["origin"], body["currency"]) == (invoice.number, "issued",
                                                                                 "shipment", "EUR")
    assert (body["customer"], body["customer_number"], body["customer_name"]) == (customer.pk, customer.number,
                                                                                  customer.legal_name)
    assert body["customer_address"] == customer.billing_address and body["customer_country"] == "DE"
    assert (body["order"], body["order_number"]) == (invoice.order_id, invoice.order.number)
    assert (body["shipment"], body["shipment_number"]) == (invoice.shipment_id, invoice.shipment.number)
    assert body["customer_reference"] == "PO-77"
    assert (body["issue_date"], body["due_date"]) == (str(day), str(day + datetime.timedelta(days=30)))
    assert (body["payment_term_code"], body["payment_term_text"]) == ("SKONTO", "2 % in 10 days, 30 days net")
    assert (body["discount_percent"], body["discount_date"], body["discount_amount"]) == (
        "2.00", str(day + datetime.timedelta(days=10)), "7.57")
    assert body["payment_reference"] == invoice.payment_reference and body["payment_reference"].startswith("RF")
    assert (body["net_total"], body["tax_total"], body["gross_total"]) == ("320.00", "58.40", "378.40")
    assert body["tax_summary"] == [{"rate": "7.00", "net": "20.00", "tax": "1.40"},
                                   {"rate": "19.00", "net": "300.00", "tax": "57.00"}]
    assert (body["credited_amount"], body["paid_amount"], body["amount_due"]) == ("119.00", "0.00", "259.40")
    assert body["overdue"] is False
    assert [(ln["id"], ln["position"], ln["sku"], ln["quantity"], ln["unit_price"], ln["tax_rate"], ln["net_amount"],
             ln["tax_amount"], ln["gross_amount"], ln["credited_quantity"], ln["creditable_quantity"], ln["order"],
             ln["order_number"]) for ln in body["lines"]] == [
        (first.pk, 1, first.product.sku, "3.000", "100.00", "19.00", "300.00", "57.00", "357.00", "1.000", "2.000",
         invoice.order_id, invoice.order.number),
        (second.pk, 2, second.product.sku, "2.000", "10.00", "7.00", "20.00", "1.40", "21.40", "0.000", "2.000",
         invoice.order_id, invoice.order.number),
    ]
    assert body["lines"][0]["order_line"] == first.order_line_id
    assert body["lines"][0]["shipment_line"] == first.shipment_line_id
    assert body["credit_notes"] == [{"id": note.pk, "number": note.number, "issue_date": str(day), "reason": "price",
                                     "origin": "manual", "gross_total": "119.00", "applied_amount": "119.00",
                                     "customer_credit": "0.00"}]
    for name in ("pdf", "facturx", "ubl"):
        assert body[f"{name}_url"] == f"http://testserver{INVOICES}{invoice.pk}/{name}/"
    assert (body["pdf_ready"], body["pdf_sha256"], body["emailed_at"]) == (False, "", None)
    assert _error(finance_api.get(f"{INVOICES}987654/"), 404)["code"] == "not_found"
    assert _error(finance_api.get(f"{INVOICES}abc/"), 404)["code"] == "not_found"


# --- make, issue, change, discard -------------------------------------------------------------------


def test_an_order_is_invoiced_by_hand_as_a_draft_then_issued(finance_api: APIClient, finance_user: User) -> None:
    order, _ = shipped_order([(3, "100.00", "standard"), (2, "10.00", "reduced")])
    response = _post(finance_api, INVOICES, {"order": order.pk})
    assert response.status_code == 201, response.json()
    draft = response.json()
    assert (draft["status"], draft["number"], draft["origin"], draft["order"]) == ("draft", None, "manual", order.pk)
    assert (draft["gross_total"], draft["issue_date"], draft["due_date"]) == ("378.40", None, None)
    assert (draft["pdf_url"], draft["facturx_url"], draft["ubl_url"]) == (None, None, None)
    assert [ln["quantity"] for ln in draft["lines"]] == ["3.000", "2.000"]
    assert [line.invoiced_quantity for line in order.lines.order_by("position")] == [3, 2]
    assert finance_api.get(f"{INVOICES}{draft['id']}/").json() == draft

    before = _state()
    again = _post(finance_api, INVOICES, {"order": order.pk})
    assert _error(again, 409)["code"] == "nothing_to_invoice"
    assert _state() == before

    url = f"{INVOICES}{draft['id']}/"
    noted = finance_api.patch(url, {"notes": "Delivered to gate 4."}, format="json")
    assert noted.status_code == 200, noted.json()
    assert noted.json()["notes"] == "Delivered to gate 4." and noted.json()["status"] == "draft"

    issued = _post(finance_api, f"{url}issue/")
    assert issued.status_code == 200, issued.json()
    body = issued.json()
    assert body["status"] == "issued" and body["number"].startswith(f"INV-{timezone.localdate().year}-")
    assert (body["amount_due"], body["issue_date"], body["notes"]) == ("378.40", str(timezone.localdate()),
                                                                       "Delivered to gate 4.")
    assert body["due_date"] and body["payment_reference"].startswith("RF") and body["pdf_url"]
    invoice = Invoice.objects.get(pk=draft["id"])
    assert invoice.issued_by == finance_user
    assert OutboxEvent.objects.filter(type="invoice.issued", payload__invoice=invoice.pk).count() == 1

    before = _state()
    assert _error(_post(finance_api, f"{url}issue/"), 409)["code"] == "invoice_issued"
    assert _state() == before


def test_an_order_is_invoiced_and_issued_in_one_request(finance_api: APIClient) -> None:
    order, _ = shipped_order([(1, "80.00", "standard")])
    response = _post(finance_api, INVOICES, {"order": order.pk, "issue": True})
    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["gross_total"]) == ("issued", "95.20")
    assert response.json()["number"]


def test_an_order_that_is_not_confirmed_or_not_known_is_not_invoiced(
    finance_api: APIClient, sales_api: APIClient,
) -> None:
    order = priced_order([(1, "10.00", "standard")])
    cancel = _post(sales_api, f"/api/v1/orders/{order.pk}/cancel/", {"reason": "x"})
    assert cancel.status_code == 200, cancel.json()
    confirmed_not_shipped = priced_order([(1, "10.00", "standard")])
    before = _state()
    assert _error(_post(finance_api, INVOICES, {"order": order.pk}), 409)["code"] == "order_not_confirmed"
    assert _error(_post(finance_api, INVOICES, {"order": confirmed_not_shipped.pk}), 409)["code"] == (
        "nothing_to_invoice")
    for body in ({}, {"order": 987654}, {"order": "abc"}, {"order": confirmed_not_shipped.pk, "issue": "perhaps"}):
        _error(_post(finance_api, INVOICES, body), 400)
    assert _state() == before


def test_an_issued_invoice_never_changes_through_the_api(finance_api: APIClient) -> None:
    invoice = issued_invoice()
    url = f"{INVOICES}{invoice.pk}/"
    before = _state()
    read_before = finance_api.get(url).json()

    patched = finance_api.patch(url, {"notes": "changed"}, format="json")
    assert _error(patched, 409)["code"] == "invoice_issued"
    other_fields = finance_api.patch(url, {"gross_total": "1.00", "status": "draft"}, format="json")
    assert set(_error(other_fields, 400)["details"]) >= {"gross_total", "status"}
    assert _error(finance_api.put(url, {**read_before, "notes": "changed"}, format="json"), 405)
    deleted = finance_api.delete(url)
    assert _error(deleted, 409)["code"] == "invoice_issued"
    assert _error(_post(finance_api, f"{url}discard/"), 409)["code"] == "invoice_issued"

    assert _state() == before
    assert finance_api.get(url).json() == read_before
    assert Invoice.objects.filter(pk=invoice.pk, number=invoice.number, status="issued").exists()


def test_a_draft_changes_only_its_notes_and_can_be_discarded(finance_api: APIClient) -> None:
    draft = _draft([(2, "50.00", "standard")])
    url = f"{INVOICES}{draft.pk}/"
    before = _state()
    for body in ({}, {"notes": "x" * 2001}, {"notes": None}, {"notes": "ok", "gross_total": "1.00"}, ["notes"]):
        _error(finance_api.patch(url, body, format="json"), 400)
    assert _state() == before
    assert finance_api.patch(url, {"notes": "  Call before delivery.  "}, format="json").json()["notes"] == (
        "Call before delivery.")

    order_lines = list(draft.lines.values_list("order_line", flat=True))
    deleted = finance_api.delete(url)
    assert deleted.status_code == 204
    assert not Invoice.objects.filter(pk=draft.pk).exists()
    assert set(SalesOrderLine.objects.filter(pk__in=order_lines).values_list("invoiced_quantity", flat=True)) == {0}
    assert _error(finance_api.get(url), 404)

    again = _post(finance_api, INVOICES, {"order": draft.order_id})  # its goods are invoiceable again
    assert again.status_code == 201, again.json()
    discarded = _post(finance_api, f"{INVOICES}{again.json()['id']}/discard/")
    assert discarded.status_code == 204
    assert not Invoice.objects.exists()


# --- credit ---------------------------------------------------------------------------------------


def test_an_invoice_is_credited_by_lines_and_by_amount_and_its_amount_due_drops(finance_api: APIClient) -> None:
    invoice = issued_invoice([(3, "100.00", "standard"), (2, "10.00", "reduced")])
    first, second = _lines(invoice)
    url = f"{INVOICES}{invoice.pk}/"

    by_lines = _post(finance_api, f"{url}credit/", {"reason": "damaged", "note": "Two dented",
                                                   "lines": [{"invoice_line": first.pk, "quantity": "1"},
                                                             {"invoice_line": second.pk, "quantity": 2}]})
    assert by_lines.status_code == 201, by_lines.json()
    note = by_lines.json()
    assert note["number"].startswith(f"CN-{timezone.localdate().year}-") and note["invoice"] == invoice.pk
    assert (note["reason"], note["notes"], note["gross_total"], note["applied_amount"]) == ("damaged", "Two dented",
                                                                                          "140.40", "140.40")
    assert [(ln["invoice_line"], ln["quantity"]) for ln in note["lines"]] == [(first.pk, "1.000"),
                                                                             (second.pk, "2.000")]
    read = finance_api.get(url).json()
    assert (read["amount_due"], read["credited_amount"], read["status"]) == ("238.00", "140.40", "issued")
    assert [ln["creditable_quantity"] for ln in read["lines"]] == ["2.000", "0.000"]
    assert [c["id"] for c in read["credit_notes"]] == [note["id"]]

    by_amount = _post(finance_api, f"{url}credit/", {"reason": "goodwill", "amount": "50.00"})
    assert by_amount.status_code == 201, by_amount.json()
    assert (by_amount.json()["gross_total"], by_amount.json()["lines"][0]["tax_rate"]) == ("50.00", "19.00")
    assert finance_api.get(url).json()["amount_due"] == "188.00"

    rest = _post(finance_api, f"{url}credit/", {"reason": "cancellation", "amount": "188.00", "tax_rate": "19"})
    assert rest.status_code == 201, rest.json()
    read = finance_api.get(url).json()
    assert (read["amount_due"], read["credited_amount"], read["status"]) == ("0.00", "378.40", "cancelled")
    before = _state()
    assert _error(_post(finance_api, f"{url}credit/", {"reason": "other", "amount": "1"}), 409)["code"] == (
        "invoice_cancelled")
    assert _state() == before
    assert Customer.objects.get(pk=invoice.customer_id).open_balance == 0


def test_over_crediting_is_refused_and_writes_nothing(finance_api: APIClient) -> None:
    invoice = issued_invoice([(3, "100.00", "standard"), (2, "10.00", "reduced")])
    first, second = _lines(invoice)
    url = f"{INVOICES}{invoice.pk}/credit/"
    assert _post(finance_api, url, {"reason": "price", "lines": [{"invoice_line": first.pk,
                                                                  "quantity": "1"}]}).status_code == 201
    before = _state()
    over_line = _post(finance_api, url, {"reason": "price", "lines": [{"invoice_line": second.pk, "quantity": "1"},
                                                                      {"invoice_line": first.pk, "quantity": "2.5"}]})
    error = _error(over_line, 400)
    assert error["code"] == "invalid_credit"
    assert error["details"]["lines"][0] == {} and "at most 2" in error["details"]["lines"][1]["quantity"][0]
    twice = _post(finance_api, url, {"reason": "price", "lines": [{"invoice_line": first.pk, "quantity": "2"},
                                                                  {"invoice_line": first.pk, "quantity": "1"}]})
    assert _error(twice, 400)["code"] == "invalid_credit"
    over_amount = _post(finance_api, url, {"reason": "price", "amount": "259.41"})  # 378.40 − 119.00 is left
    assert _error(over_amount, 400)["code"] == "over_credit"
    assert _state() == before
    assert _post(finance_api, url, {"reason": "price", "amount": "259.40"}).status_code == 201


def test_bad_credit_input_is_a_400_and_writes_nothing(finance_api: APIClient) -> None:
    invoice = issued_invoice([(3, "100.00", "standard")])
    line = _lines(invoice)[0]
    foreign = _lines(issued_invoice())[0]
    url = f"{INVOICES}{invoice.pk}/credit/"
    good_line = {"invoice_line": line.pk, "quantity": "1"}
    cases: list[tuple[Any, str]] = [
        ({"lines": [good_line]}, "reason"),
        ({"reason": "", "lines": [good_line]}, "reason"),
        ({"reason": "whim", "lines": [good_line]}, "reason"),
        ({"reason": "price", "lines": [{"invoice_line": line.pk, "quantity": "-1"}]}, "lines"),
        ({"reason": "price", "lines": [{"invoice_line": line.pk, "quantity": "0"}]}, "lines"),
        ({"reason": "price", "lines": [{"invoice_line": line.pk, "quantity": 1.5}]}, "lines"),
        ({"reason": "price", "lines": [{"invoice_line": line.pk, "quantity": "1,5"}]}, "lines"),
        ({"reason": "price", "lines": [{"invoice_line": line.pk, "quantity": "NaN"}]}, "lines"),
        ({"reason": "price", "lines": [{"invoice_line": line.pk, "quantity": "0.0001"}]}, "lines"),
        ({"reason": "price", "lines": [{"invoice_line": line.pk}]}, "lines"),
        ({"reason": "price", "lines": [{"invoice_line": foreign.pk, "quantity": "1"}]}, "lines"),
        ({"reason": "price", "lines": [{"invoice_line": 987654, "quantity": "1"}]}, "lines"),
        ({"reason": "price", "lines": [{"invoice_line": "abc", "quantity": "1"}]}, "lines"),
        ({"reason": "price", "lines": [{"invoice_line": 2**70, "quantity": "1"}]}, "lines"),
        ({"reason": "price", "lines": []}, "lines"),
        ({"reason": "price", "lines": "all"}, "lines"),
        ({"reason": "price", "lines": [good_line], "amount": "10.00"}, "lines"),
        ({"reason": "price"}, "lines"),
        ({"reason": "price", "amount": 10.5}, "amount"),
        ({"reason": "price", "amount": "-5"}, "amount"),
        ({"reason": "price", "amount": "0"}, "amount"),
        ({"reason": "price", "amount": "12.345"}, "amount"),
        ({"reason": "price", "amount": "ten"}, "amount"),
        ({"reason": "price", "amount": "Infinity"}, "amount"),
        ({"reason": "price", "amount": "10", "tax_rate": "7"}, "tax_rate"),
        ({"reason": "price", "amount": "10", "tax_rate": "101"}, "tax_rate"),
        ({"reason": "price", "amount": "10", "note": "x" * 2001}, "note"),
        (["reason", "price"], "non_field_errors"),
    ]
    before = _state()
    for body, field in cases:
        error = _error(_post(finance_api, url, body), 400)
        assert field in error["details"], (body, error)
    assert _state() == before
    assert not CreditNote.objects.exists()

    draft = _draft()
    before = _state()
    on_draft = _post(finance_api, f"{INVOICES}{draft.pk}/credit/", {"reason": "price", "amount": "1"})
    assert _error(on_draft, 409)["code"] == "invoice_not_issued"
    assert _error(_post(finance_api, f"{INVOICES}987654/credit/", {"reason": "price", "amount": "1"}), 404)
    assert _state() == before


def test_a_credit_posted_twice_with_one_key_is_made_once(finance_api: APIClient) -> None:
    invoice = issued_invoice([(3, "100.00", "standard")])
    url = f"{INVOICES}{invoice.pk}/credit/"
    key = str(uuid.uuid4())
    body = {"reason": "price", "lines": [{"invoice_line": _lines(invoice)[0].pk, "quantity": "1"}]}
    first = _post(finance_api, url, body, HTTP_IDEMPOTENCY_KEY=key)
    second = _post(finance_api, url, body, HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == second.status_code == 201, first.json()
    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
    assert CreditNote.objects.count() == 1
    assert Invoice.objects.get(pk=invoice.pk).amount_due == Decimal("238.00")  # 357.00 − 119.00, once
    other = _post(finance_api, url, {**body, "reason": "goodwill"}, HTTP_IDEMPOTENCY_KEY=key)
    assert _error(other, 422)["code"] == "idempotency_key_reused"
    assert CreditNote.objects.count() == 1

    draft = _draft()
    issue_key = str(uuid.uuid4())
    issues = [_post(finance_api, f"{INVOICES}{draft.pk}/issue/", HTTP_IDEMPOTENCY_KEY=issue_key) for _ in range(2)]
    assert [r.status_code for r in issues] == [200, 200] and issues[0].json() == issues[1].json()
    assert OutboxEvent.objects.filter(type="invoice.issued", payload__invoice=draft.pk).count() == 1
    assert IdempotencyRecord.objects.count() == 2


# --- send -----------------------------------------------------------------------------------------


def test_an_invoice_is_emailed_once_unless_resent(finance_api: APIClient, mailoutbox: list) -> None:
    invoice = issued_invoice()
    url = f"{INVOICES}{invoice.pk}/send/"
    sent = _post(finance_api, url)
    assert sent.status_code == 200, sent.json()
    assert sent.json()["emailed_at"] and sent.json()["pdf_ready"] is True
    assert len(mailoutbox) == 1 and invoice.number in mailoutbox[0].subject
    assert mailoutbox[0].to == [f"billing-{invoice.customer.number.lower()}@customer.example"]
    assert [name for name, *_ in mailoutbox[0].attachments] == [f"{invoice.number}.pdf", f"{invoice.number}.xml"]

    before = _state()
    again = _post(finance_api, url, {"resend": False})
    assert _error(again, 409)["code"] == "already_sent"
    assert _state() == before and len(mailoutbox) == 1
    assert _post(finance_api, url, {"resend": True}).status_code == 200
    assert len(mailoutbox) == 2

    draft = _draft()
    assert _error(_post(finance_api, f"{INVOICES}{draft.pk}/send/"), 409)["code"] == "invoice_not_issued"
    nobody = issued_invoice(customer=CustomerFactory(credit_limit=Decimal("1000000")))  # no contact at all
    assert _error(_post(finance_api, f"{INVOICES}{nobody.pk}/send/"), 409)["code"] == "no_recipients"
    assert _error(_post(finance_api, url, {"resend": "often"}), 400)
    assert len(mailoutbox) == 2

    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="goodwill", amount="10.00")
    credit_sent = _post(finance_api, f"{CREDIT_NOTES}{note.pk}/send/")
    assert credit_sent.status_code == 200, credit_sent.json()
    assert credit_sent.json()["emailed_at"] and len(mailoutbox) == 3
    assert [name for name, *_ in mailoutbox[2].attachments] == [f"{note.number}.pdf"]


# --- downloads ------------------------------------------------------------------------------------


def test_the_pdf_is_served_once_rendered_and_the_e_invoices_are_well_formed_xml(
    finance_api: APIClient, sales_api: APIClient,
) -> None:
    invoice = issued_invoice([(2, "100.00", "standard")], customer_reference="PO-9")
    url = f"{INVOICES}{invoice.pk}/"
    pending = finance_api.get(f"{url}pdf/")
    assert _error(pending, 409)["code"] == "pdf_pending" and pending["Content-Type"] == "application/json"

    assert document_render_pdf(kind="invoice", document_id=invoice.pk)
    for client in (finance_api, sales_api):
        response = client.get(f"{url}pdf/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
        assert f'filename="{invoice.number}.pdf"' in response["Content-Disposition"]
    asked_for_pdf = finance_api.get(f"{url}pdf/", HTTP_ACCEPT="application/pdf")
    assert asked_for_pdf.status_code == 200 and asked_for_pdf.content.startswith(b"%PDF")
    assert finance_api.get(url).json()["pdf_ready"] is True

    cii = finance_api.get(f"{url}facturx/")
    assert cii.status_code == 200 and cii["Content-Type"] == "application/xml"
    root = etree.fromstring(cii.content)
    assert root.tag == f"{{{CII_NS}}}CrossIndustryInvoice"
    assert root.find(f"{{{CII_NS}}}ExchangedDocument/{{{RAM_NS}}}ID").text == invoice.number
    assert root.find(f"{{{CII_NS}}}ExchangedDocument/{{{RAM_NS}}}TypeCode").text == "380"
    ubl = sales_api.get(f"{url}ubl/", HTTP_ACCEPT="application/xml")
    assert ubl.status_code == 200 and ubl["Content-Type"] == "application/xml"
    root = etree.fromstring(ubl.content)
    assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
    assert root.find(f"{{{CBC_NS}}}ID").text == invoice.number
    assert b"238.00" in ubl.content and b"PO-9" in ubl.content

    draft = _draft()
    for name, code in (("pdf", "pdf_pending"), ("facturx", "invoice_not_issued"), ("ubl", "invoice_not_issued")):
        assert _error(finance_api.get(f"{INVOICES}{draft.pk}/{name}/"), 409)["code"] == code
    missing = finance_api.get(f"{INVOICES}987654/ubl/", HTTP_ACCEPT="application/xml")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert _error(missing)["code"] == "not_found"

    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="price", amount="11.90")
    note_url = f"{CREDIT_NOTES}{note.pk}/"
    assert _error(finance_api.get(f"{note_url}pdf/"), 409)["code"] == "pdf_pending"
    assert document_render_pdf(kind="credit_note", document_id=note.pk)
    pdf = sales_api.get(f"{note_url}pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    ubl_note = etree.fromstring(finance_api.get(f"{note_url}ubl/").content)
    assert ubl_note.tag == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
    assert ubl_note.find(f"{{{CBC_NS}}}ID").text == note.number
    cii_note = etree.fromstring(finance_api.get(f"{note_url}facturx/").content)
    assert cii_note.find(f"{{{CII_NS}}}ExchangedDocument/{{{RAM_NS}}}TypeCode").text == "381"


# --- permissions ----------------------------------------------------------------------------------


def test_sales_reads_invoices_and_credit_notes_but_changes_nothing(sales_api: APIClient) -> None:
    invoice = issued_invoice([(3, "100.00", "standard")])
    line = _lines(invoice)[0]
    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="price", amount="10.00")
    draft = _draft()
    shipped, _ = shipped_order([(1, "10.00", "standard")])
    for url in (INVOICES, f"{INVOICES}{invoice.pk}/", f"{INVOICES}{invoice.pk}/facturx/",
                f"{INVOICES}{invoice.pk}/ubl/", CREDIT_NOTES, f"{CREDIT_NOTES}{note.pk}/",
                f"{CREDIT_NOTES}{note.pk}/ubl/"):
        assert sales_api.get(url).status_code == 200, url
    before = _state()
    writes = [
        _post(sales_api, INVOICES, {"order": shipped.pk}),
        _post(sales_api, f"{INVOICES}{draft.pk}/issue/"),
        _post(sales_api, f"{INVOICES}{draft.pk}/discard/"),
        _post(sales_api, f"{INVOICES}{invoice.pk}/send/"),
        _post(sales_api, f"{INVOICES}{invoice.pk}/credit/", {"reason": "price",
                                                            "lines": [{"invoice_line": line.pk, "quantity": "1"}]}),
        _post(sales_api, f"{CREDIT_NOTES}{note.pk}/send/"),
        sales_api.patch(f"{INVOICES}{draft.pk}/", {"notes": "x"}, format="json"),
        sales_api.delete(f"{INVOICES}{draft.pk}/"),
    ]
    assert [r.status_code for r in writes] == [403] * len(writes)
    assert {_error(r)["code"] for r in writes} == {"permission_denied"}
    assert _state() == before


def test_issuing_needs_the_issue_permission_even_when_making_the_invoice(db: None) -> None:
    clerk = make_user("clara", None)
    clerk.user_permissions.add(*Permission.objects.filter(content_type__app_label="billing",
                                                          codename__in=["add_invoice", "view_invoice"]))
    client = api_client_for(User.objects.get(pk=clerk.pk))
    order, _ = shipped_order([(1, "10.00", "standard")])
    before = _state()
    assert _error(_post(client, INVOICES, {"order": order.pk, "issue": True}), 403)["code"] == "permission_denied"
    assert _state() == before
    draft = _post(client, INVOICES, {"order": order.pk})
    assert draft.status_code == 201, draft.json()
    assert _error(_post(client, f"{INVOICES}{draft.json()['id']}/issue/"), 403)
    assert Invoice.objects.get().status == "draft"


def test_without_login_nothing_is_answered() -> None:
    invoice = issued_invoice()
    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="price", amount="10.00")
    anonymous = APIClient()
    before = _state()
    for response in (anonymous.get(INVOICES), anonymous.get(f"{INVOICES}{invoice.pk}/"),
                     anonymous.get(f"{INVOICES}{invoice.pk}/pdf/"), anonymous.get(f"{INVOICES}{invoice.pk}/ubl/"),
                     anonymous.post(f"{INVOICES}{invoice.pk}/credit/", {"reason": "price", "amount": "1"},
                                    format="json"),
                     anonymous.post(INVOICES, {"order": invoice.order_id}, format="json"),
                     anonymous.delete(f"{INVOICES}{invoice.pk}/"), anonymous.get(CREDIT_NOTES),
                     anonymous.get(f"{CREDIT_NOTES}{note.pk}/pdf/")):
        assert response.status_code in (401, 403)
        _error(response)
    assert _state() == before
