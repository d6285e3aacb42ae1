"""The receivables API runs a fixed number of SQL queries whatever the size of a list or a record: the lists
(payments, statements and their lines, reminders, disputes, the aging and its drill-down, the reminder
preview) cost the same for 2 rows as for 20, and a payment of 20 allocations, a statement of 20 lines, a
reminder of 20 invoices or a ledger of 20 invoices is read with the queries of one of 2."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import Invoice
from orders.models import Customer
from receivables.demo import camt053
from receivables.models import BankStatement, BankStatementLine, Dispute, Payment, Reminder
from receivables.services.disputes import dispute_open
from receivables.services.dunning import reminder_run
from receivables.services.statements import bank_statement_import
from tests.billing.factories import billing_customer, issued_invoice, overdue_invoice
from tests.conftest import api_queries
from tests.receivables.factories import payment_of

pytestmark = pytest.mark.django_db

STATEMENTS = 0


def _statement(lines: int) -> BankStatement:
    """A statement of `lines` credits nobody can place (they wait in the queue)."""
    global STATEMENTS
    STATEMENTS += 1
    entries = [{"amount": Decimal(f"{10 + n}.00"), "credit": True, "ref": f"Q-{STATEMENTS}-{n}", "name": f"Payer {n}",
                "iban": "DE02120300000000202051", "text": f"transfer {n}"} for n in range(lines)]
    content = camt053(account_iban="DE89370400440532013000", statement_id=f"S-{STATEMENTS}", currency="EUR",
                      day=timezone.localdate(), entries=entries)
    return bank_statement_import(content=content, filename="s.xml", actor=None).statement


def _customer_with_overdue(count: int, days: int = 10) -> Customer:
    customer = billing_customer()
    for _ in range(count):
        overdue_invoice(days, [(1, "100.00", "standard")], customer=customer)
    return customer


def test_the_lists_run_a_fixed_number_of_queries(finance_user: User) -> None:
    client = APIClient()
    preview_day = timezone.localdate() + datetime.timedelta(days=15)

    def grow(n: int) -> None:
        for _ in range(n):
            customer = _customer_with_overdue(1)
            invoice = Invoice.objects.get(customer=customer)
            payment_of(customer, "50.00", invoices=[(invoice, "20.00")], reference="Q")
            current = issued_invoice([(1, "10.00", "standard")], customer=customer)  # a second bucket
            dispute_open(invoice_id=current.pk, reason="price", amount="5.00", actor=None, owner_id=finance_user.pk)
            _statement(1)
        reminder_run(actor=None)  # a reminder per new customer

    urls = ["/api/v1/payments/", "/api/v1/payments/?unapplied=true&search=Q&ordering=-amount",
            "/api/v1/bank-statements/", "/api/v1/bank-statement-lines/?status=unmatched",
            "/api/v1/bank-statement-lines/", "/api/v1/reminders/", "/api/v1/reminders/?level=1",
            "/api/v1/disputes/", "/api/v1/disputes/?status=open", "/api/v1/aging/", "/api/v1/aging/?invoices=true",
            "/api/v1/aging/?invoices=true&bucket=1_30", f"/api/v1/reminders/preview/?date={preview_day}",
            "/api/v1/kpis/"]

    def measure() -> dict[str, int]:
        return {url: api_queries(client, finance_user, lambda c, url=url: c.get(url), 200) for url in urls}

    grow(2)
    measure()  # warm up (content types, permissions)
    few = measure()
    grow(18)
    many = measure()
    assert Payment.objects.count() == Dispute.objects.count() == Reminder.objects.count() == 20
    assert BankStatement.objects.count() == BankStatementLine.objects.count() == 20
    client.force_authenticate(finance_user)
    for url in urls[:9]:
        assert client.get(url).json()["count"] >= 20, url  # every list really grew
    assert len(client.get("/api/v1/aging/").json()["rows"]) == 20
    assert len(client.get("/api/v1/aging/?invoices=true").json()["invoices"]) == 40
    assert len(client.get(f"/api/v1/reminders/preview/?date={preview_day}").json()["reminders"]) == 20
    print("\nqueries per list (2 → 20 rows):", {k: f"{few[k]}→{many[k]}" for k in few})
    assert many == few


def test_a_record_of_20_parts_costs_the_queries_of_one_of_2(finance_user: User) -> None:
    client = APIClient()

    def read(count: int) -> tuple[int, int, int, int]:
        customer = _customer_with_overdue(count)
        invoices = list(Invoice.objects.filter(customer=customer).order_by("pk"))
        payment = payment_of(customer, str(sum(i.amount_due for i in invoices)), invoices=invoices)
        assert payment.allocations.count() == count
        statement = _statement(count)
        other = _customer_with_overdue(count)
        [reminder] = [r for r in reminder_run(actor=None) if r.customer_id == other.pk]
        assert reminder.logs.count() == count
        return (
            api_queries(client, finance_user, lambda c: c.get(f"/api/v1/payments/{payment.pk}/"), 200),
            api_queries(client, finance_user, lambda c: c.get(f"/api/v1/bank-statements/{statement.pk}/"), 200),
            api_queries(client, finance_user, lambda c: c.get(f"/api/v1/reminders/{reminder.pk}/"), 200),
            api_queries(client, finance_user,
                        lambda c: c.get(f"/api/v1/receivables/customers/{customer.pk}/ledger/"), 200),
        )

    read(2)  # warm up
    two, twenty = read(2), read(20)
    print(f"\npayment, statement, reminder, ledger: {two} for 2 parts, {twenty} for 20")
    assert two == twenty
