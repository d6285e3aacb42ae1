"""The billing API runs a fixed number of SQL queries whatever the size of a list or a document: a list
of 22 invoices (with credit notes, drafts, several lines each) costs the queries of a list of 2, an
invoice or credit note of 50 lines is read, and credited, with exactly the queries of one of 5."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import CreditNote, Invoice
from billing.services import credit_note_create, invoice_create_for_order
from orders.models import Customer
from tests.billing.factories import billing_customer, issued_invoice, issued_on, shipped_order
from tests.conftest import api_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer() -> Customer:
    return billing_customer()


def test_invoice_and_credit_note_lists_run_a_fixed_number_of_queries(admin_user: User, customer: Customer) -> None:
    client = APIClient()
    past = timezone.localdate() - datetime.timedelta(days=60)

    def grow(n: int) -> None:
        for _ in range(n):
            invoice = issued_invoice([(2, "100.00", "standard"), (1, "10.00", "reduced")], customer=customer,
                                     customer_reference="PO-Q")
            line = invoice.lines.order_by("position").first()
            credit_note_create(invoice_id=invoice.pk, actor=None, reason="price",
                               lines=[{"invoice_line": line.pk, "quantity": "1"}])
            credit_note_create(invoice_id=invoice.pk, actor=None, reason="goodwill", amount="5.00")
            issued_on(past, customer=customer)  # overdue
            order, _ = shipped_order([(1, "30.00", "standard")], customer=customer)
            invoice_create_for_order(order_id=order.pk, issue=False)  # a draft

    urls = ["/api/v1/invoices/", f"/api/v1/invoices/?status=issued&customer={customer.pk}&search=INV",
            "/api/v1/invoices/?overdue=true&amount_min=1&ordering=-gross_total",
            f"/api/v1/invoices/?overdue=false&issued_from={past}&issued_to={timezone.localdate()}",
            "/api/v1/invoices/?search=po-q", "/api/v1/credit-notes/",
            f"/api/v1/credit-notes/?customer={customer.pk}&reason=price&search=CN"]

    def measure() -> dict[str, int]:
        return {url: api_queries(client, admin_user, lambda c, url=url: c.get(url), 200) for url in urls}

    grow(2)
    measure()  # warm up (content types, permissions)
    few = measure()
    grow(20)
    many = measure()
    assert Invoice.objects.count() == 66 and CreditNote.objects.count() == 44
    client.force_authenticate(admin_user)
    assert all(client.get(url).json()["count"] >= 20 for url in urls)  # every list really grew
    print("\nqueries per list (2 → 22 of each):", {k: f"{few[k]}→{many[k]}" for k in few})
    assert many == few


def test_reading_and_crediting_an_invoice_costs_the_same_queries_for_5_and_50_lines(
    finance_user: User, customer: Customer,
) -> None:
    client = APIClient()

    def read_and_credit(count: int) -> tuple[int, int, int, int]:
        invoice = issued_invoice([(2, f"{10 + n}.00", "standard" if n % 2 else "reduced") for n in range(count)],
                                 customer=customer)
        lines = list(invoice.lines.order_by("position"))
        assert len(lines) == count
        credit_note_create(invoice_id=invoice.pk, actor=None, reason="goodwill", amount="1.00")
        url = f"/api/v1/invoices/{invoice.pk}/"
        body = {"reason": "price", "lines": [{"invoice_line": line.pk, "quantity": "1"} for line in lines]}
        credited = api_queries(client, finance_user, lambda c: c.post(f"{url}credit/", body, format="json"), 201)
        note = CreditNote.objects.filter(invoice=invoice).latest("pk")
        assert note.lines.count() == count
        read = api_queries(client, finance_user, lambda c: c.get(url), 200)
        read_note = api_queries(client, finance_user, lambda c: c.get(f"/api/v1/credit-notes/{note.pk}/"), 200)
        ubl = api_queries(client, finance_user, lambda c: c.get(f"{url}ubl/"), 200)
        return credited, read, read_note, ubl

    read_and_credit(5)  # warm up (content types, the first numbers of the year)
    five, fifty = read_and_credit(5), read_and_credit(50)
    print(f"\nPOST credit, GET invoice, GET credit note, GET ubl: {five} for 5 lines, {fifty} for 50 lines")
    assert five == fifty
