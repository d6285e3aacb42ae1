"""The receivables API: payments (record, allocate, oldest first, refund), bank statements (upload) and the
reconciliation queue, aging, ledger, KPIs, reminders, disputes and the invoice actions — real HTTP
requests on a real PostgreSQL through the real services. Refused input answers a 4xx in the one error
shape and writes nothing; who may do what is the role's."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from billing.enums import InvoiceStatus
from billing.models import CreditNote, Invoice
from billing.services import credit_note_create
from o2c.models import AuditEvent, IdempotencyRecord, OutboxEvent
from orders.models import Customer
from receivables.demo import camt053
from receivables.models import (
    Allocation,
    BankStatement,
    BankStatementLine,
    Dispute,
    Payment,
    PromiseToPay,
    Refund,
    Reminder,
    ReminderLog,
    WriteOff,
)
from receivables.services.disputes import dispute_open
from tests.billing.factories import billing_customer, issued_invoice, overdue_invoice
from tests.receivables.factories import payment_of

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/v1/payments/"
STATEMENTS = "/api/v1/bank-statements/"
LINES = "/api/v1/bank-statement-lines/"
AGING = "/api/v1/aging/"
KPIS = "/api/v1/kpis/"
REMINDERS = "/api/v1/reminders/"
DISPUTES = "/api/v1/disputes/"
ACCOUNT = "DE89370400440532013000"


def _today() -> datetime.date:
    return timezone.localdate()


def _days(n: int) -> datetime.date:
    return _today() + datetime.timedelta(days=n)


def _error(response: Any, status: int | None = None) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert response.status_code // 100 == 4, response.status_code
    if status is not None:
        assert response.status_code == status, body
    return body["error"]


def _post(client: APIClient, url: str, body: Any = None, **extra: Any) -> Any:
    return client.post(url, body if body is not None else {}, format="json", **extra)


def _ok(response: Any, status: int = 200) -> dict:
    assert response.status_code == status, response.json()
    return response.json()


def _state() -> tuple:
    """Everything a refused write must leave as it was."""
    return (
        list(Payment.objects.order_by("pk").values_list("pk", "amount", "allocated_amount", "refunded_amount",
                                                        "unapplied_amount", "updated_at")),
        Allocation.objects.count(), Refund.objects.count(), WriteOff.objects.count(), PromiseToPay.objects.count(),
        list(Dispute.objects.order_by("pk").values_list("pk", "status", "note", "owner_id", "amount")),
        BankStatement.objects.count(),
        list(BankStatementLine.objects.order_by("pk").values_list("pk", "status", "payment_id")),
        Reminder.objects.count(), ReminderLog.objects.count(), CreditNote.objects.count(),
        list(Invoice.objects.order_by("pk").values_list("pk", "status", "amount_due", "paid_amount")),
        list(Customer.objects.order_by("pk").values_list("pk", "open_balance", "credit_hold")),
        OutboxEvent.objects.count(), AuditEvent.objects.count(),
    )


def _pay(customer: Customer, amount: str, **fields: Any) -> dict:
    return {"customer": customer.pk, "amount": amount, "method": "bank_transfer", "received_date": str(_today()),
            **fields}


def _invoice(customer: Customer, net: str = "100.00") -> Invoice:
    return issued_invoice([(1, net, "standard")], customer=customer)


# --- payments ---------------------------------------------------------------------------------------


def test_a_payment_is_recorded_applied_to_invoices_and_the_rest_kept_as_credit(
    finance_api: APIClient, finance_user: User,
) -> None:
    customer = billing_customer()
    a, b = _invoice(customer), _invoice(customer, "200.00")  # 119.00, 238.00
    response = _post(finance_api, PAYMENTS, _pay(customer, "300.00", reference=f"{a.number} {b.number}",
                                                 bank_transaction_id="TX-0001", note="By phone",
                                                 allocations=[{"invoice": a.pk}, {"invoice": b.pk,
                                                                                  "amount": "19.00"}]))
    body = _ok(response, 201)
    assert body["number"].startswith(f"PAY-{_today().year}-")
    assert (body["customer"], body["customer_number"], body["customer_name"]) == (
        customer.pk, customer.number, customer.legal_name)
    assert (body["amount"], body["allocated_amount"], body["refunded_amount"], body["unapplied_amount"]) == (
        "300.00", "138.00", "0.00", "162.00")
    assert (body["method"], body["received_date"], body["bank_transaction_id"], body["currency"]) == (
        "bank_transfer", str(_today()), "TX-0001", "EUR")
    assert (body["note"], body["created_by"], body["statement_line"], body["refunds"]) == (
        "By phone", finance_user.username, None, [])
    assert [(x["invoice"], x["invoice_number"], x["amount"], x["discount_amount"], x["settled"])
            for x in body["allocations"]] == [(a.pk, a.number, "119.00", "0.00", "119.00"),
                                              (b.pk, b.number, "19.00", "0.00", "19.00")]
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.amount_due, b.status, b.amount_due) == (InvoiceStatus.PAID, 0, InvoiceStatus.PARTIALLY_PAID,
                                                               Decimal("219.00"))
    assert Customer.objects.get(pk=customer.pk).open_balance == Decimal("219.00")
    assert OutboxEvent.objects.filter(type="payment.received", payload__payment=body["id"]).count() == 1
    assert _ok(finance_api.get(f"{PAYMENTS}{body['id']}/")) == body

    without = _ok(_post(finance_api, PAYMENTS, _pay(customer, "5", method="cash")), 201)  # nothing allocated
    assert (without["amount"], without["unapplied_amount"], without["allocations"]) == ("5.00", "5.00", [])


def test_payments_are_listed_newest_first_and_each_filter_filters(finance_api: APIClient) -> None:
    alpha = billing_customer(legal_name="Alpha Maschinenbau GmbH")
    beta = billing_customer(legal_name="Beta Logistik AG")
    invoice = _invoice(alpha)
    p1 = payment_of(alpha, "50.00", received=_days(-10), reference="Abschlag")  # all unapplied
    p2 = payment_of(alpha, "119.00", invoices=[invoice], method="card")  # used up
    p3 = payment_of(beta, "20.00", received=_days(-3), method="cheque", reference="CHQ-99",
                    bank_transaction_id="BANK-77")

    def ids(query: str = "") -> list[int]:
        body = _ok(finance_api.get(f"{PAYMENTS}{query}"))
        assert body["count"] == len(body["results"])
        return [row["id"] for row in body["results"]]

    assert ids() == [p2.pk, p3.pk, p1.pk]
    assert ids(f"?customer={alpha.pk}") == [p2.pk, p1.pk]
    assert ids("?method=cheque") == [p3.pk]
    assert ids(f"?received_from={_days(-5)}") == [p2.pk, p3.pk]
    assert ids(f"?received_to={_days(-5)}") == [p1.pk]
    assert ids("?unapplied=true") == [p3.pk, p1.pk]
    assert ids("?unapplied=false") == [p2.pk]
    assert ids("?search=chq-99") == [p3.pk]
    assert ids("?search=BANK-77") == [p3.pk]
    assert ids("?search=Maschinenbau") == [p2.pk, p1.pk]
    assert ids(f"?search={p1.number}") == [p1.pk]
    assert ids("?ordering=amount") == [p3.pk, p1.pk, p2.pk]
    assert ids("?customer=987654") == []
    row = finance_api.get(f"{PAYMENTS}?method=card").json()["results"][0]
    assert (row["amount"], row["unapplied_amount"], row["customer_number"]) == ("119.00", "0.00", alpha.number)
    assert "allocations" not in row
    for query, field in (("?method=bitcoin", "method"), ("?received_from=yesterday", "received_from"),
                         ("?unapplied=maybe", "unapplied"), ("?customer=abc", "customer"), ("?customer=0", "customer")):
        assert field in _error(finance_api.get(f"{PAYMENTS}{query}"), 400)["details"], query
    assert _error(finance_api.get(f"{PAYMENTS}987654/"), 404)["code"] == "not_found"
    assert _error(finance_api.get(f"{PAYMENTS}abc/"), 404)["code"] == "not_found"


def test_a_payment_is_allocated_by_hand_oldest_first_and_refunded(finance_api: APIClient) -> None:
    customer = billing_customer()
    current = _invoice(customer, "300.00")  # 357.00, due in 30 days
    oldest = overdue_invoice(20, [(1, "100.00", "standard")], customer=customer)  # 119.00
    newer = overdue_invoice(5, [(1, "100.00", "standard")], customer=customer)  # 119.00
    payment = payment_of(customer, "500.00")
    url = f"{PAYMENTS}{payment.pk}/"

    body = _ok(_post(finance_api, f"{url}allocate/", {"allocations": [{"invoice": current.pk, "amount": "57.00"}]}))
    assert (body["allocated_amount"], body["unapplied_amount"]) == ("57.00", "443.00")
    assert Invoice.objects.get(pk=current.pk).amount_due == Decimal("300.00")

    body = _ok(_post(finance_api, f"{url}allocate-oldest/"))
    assert [(x["invoice"], x["amount"]) for x in body["allocations"]] == [
        (current.pk, "57.00"), (oldest.pk, "119.00"), (newer.pk, "119.00"), (current.pk, "205.00")]
    assert body["unapplied_amount"] == "0.00"
    assert [Invoice.objects.get(pk=i.pk).amount_due for i in (oldest, newer, current)] == [0, 0, Decimal("95.00")]
    before = _state()
    assert _error(_post(finance_api, f"{url}allocate-oldest/"), 409)["code"] == "nothing_to_allocate"
    assert _error(_post(finance_api, f"{url}refund/", {"amount": "1.00"}), 409)["code"] == "over_refund"
    assert _state() == before

    credit = payment_of(customer, "80.00")
    url = f"{PAYMENTS}{credit.pk}/"
    body = _ok(_post(finance_api, f"{url}refund/", {"amount": "30.00", "reference": "SEPA back", "date":
                                                   str(_days(-1))}))
    assert (body["refunded_amount"], body["unapplied_amount"]) == ("30.00", "50.00")
    assert [(r["amount"], r["date"], r["reference"]) for r in body["refunds"]] == [("30.00", str(_days(-1)),
                                                                                    "SEPA back")]
    before = _state()
    assert _error(_post(finance_api, f"{url}refund/", {"amount": "50.01"}), 409)["code"] == "over_refund"
    over = _post(finance_api, f"{url}allocate/", {"allocations": [{"invoice": current.pk, "amount": "60.00"}]})
    assert _error(over, 400)["code"] == "over_allocated"
    only = _post(finance_api, f"{url}allocate-oldest/", {"invoices": [987654]})
    assert _error(only, 409)["code"] == "nothing_to_allocate"
    for body, field in (({}, "allocations"), ({"allocations": []}, "allocations"), ({"allocations": "all"},
                        "allocations"), ({"allocations": [{"invoice": current.pk, "amount": 1.5}]}, "allocations")):
        assert field in _error(_post(finance_api, f"{url}allocate/", body), 400)["details"], body
    for body, field in (({}, "amount"), ({"amount": 5.5}, "amount"), ({"amount": "-1"}, "amount"),
                        ({"amount": "1", "date": "soon"}, "date"), ({"amount": "1", "reference": "x" * 201},
                                                                   "reference")):
        assert field in _error(_post(finance_api, f"{url}refund/", body), 400)["details"], body
    assert _error(_post(finance_api, f"{PAYMENTS}987654/allocate/", {"allocations": [{"invoice": current.pk}]}), 404)
    assert _error(_post(finance_api, f"{PAYMENTS}abc/refund/", {"amount": "1"}), 404)
    assert _state() == before


def test_bad_payment_input_is_a_400_and_writes_nothing(finance_api: APIClient) -> None:
    customer = billing_customer()
    invoice = _invoice(customer)  # 119.00
    foreign = _invoice(billing_customer())
    good = _pay(customer, "100.00")
    cases: list[tuple[Any, str]] = [
        ({**good, "customer": None}, "customer"),
        ({k: v for k, v in good.items() if k != "customer"}, "customer"),
        ({**good, "customer": "abc"}, "customer"),
        ({**good, "customer": 987654}, "customer"),
        ({**good, "customer": 2**70}, "customer"),
        ({k: v for k, v in good.items() if k != "amount"}, "amount"),
        ({**good, "amount": 10.5}, "amount"),
        ({**good, "amount": "-5"}, "amount"),
        ({**good, "amount": "0"}, "amount"),
        ({**good, "amount": "1.001"}, "amount"),
        ({**good, "amount": "ten"}, "amount"),
        ({**good, "amount": "NaN"}, "amount"),
        ({**good, "amount": "1e30"}, "amount"),
        ({**good, "method": "credit_note"}, "method"),
        ({**good, "method": "bitcoin"}, "method"),
        ({**good, "received_date": str(_days(1))}, "received_date"),
        ({**good, "received_date": "yesterday"}, "received_date"),
        ({**good, "currency": "USD"}, "currency"),
        ({**good, "currency": "EURO"}, "currency"),
        ({**good, "reference": "x" * 301}, "reference"),
        ({**good, "note": "x" * 2001}, "note"),
        ({**good, "bank_transaction_id": "x" * 121}, "bank_transaction_id"),
        ({**good, "allocations": "all"}, "allocations"),
        ({**good, "allocations": [{}]}, "allocations"),
        ({**good, "allocations": [{"invoice": "abc"}]}, "allocations"),
        ({**good, "allocations": [{"invoice": 2**70}]}, "allocations"),
        ({**good, "allocations": [{"invoice": 987654}]}, "allocations"),
        ({**good, "allocations": [{"invoice": foreign.pk}]}, "allocations"),
        ({**good, "allocations": [{"invoice": invoice.pk, "amount": 1.5}]}, "allocations"),
        ({**good, "allocations": [{"invoice": invoice.pk, "amount": "119.01"}]}, "allocations"),
        ({**good, "allocations": [{"invoice": invoice.pk, "amount": "100.01"}]}, "allocations"),
        ({**good, "allocations": [{"invoice": invoice.pk}, {"invoice": invoice.pk}]}, "allocations"),
        (["customer", customer.pk], "non_field_errors"),
    ]
    payment_of(customer, "1.00", bank_transaction_id="TX-TAKEN")
    paid = _invoice(customer)
    payment_of(customer, "119.00", invoices=[paid])
    before = _state()
    for body, field in cases:
        error = _error(_post(finance_api, PAYMENTS, body), 400)
        assert field in error["details"], (body, error)
    duplicate = _post(finance_api, PAYMENTS, {**good, "bank_transaction_id": "TX-TAKEN"})
    assert _error(duplicate, 409)["code"] == "duplicate_transaction"
    on_paid = _post(finance_api, PAYMENTS, {**good, "allocations": [{"invoice": paid.pk}]})
    assert _error(on_paid, 409)["code"] == "invoice_not_open"
    assert _state() == before
    for method in (finance_api.put, finance_api.patch, finance_api.delete):  # a payment never changes
        assert _error(method(f"{PAYMENTS}{Payment.objects.first().pk}/", {"amount": "1"}, format="json"), 405)
    assert _state() == before


def test_a_payment_posted_twice_with_one_key_is_recorded_once(finance_api: APIClient) -> None:
    customer = billing_customer()
    invoice = _invoice(customer)
    key = str(uuid.uuid4())
    body = _pay(customer, "119.00", allocations=[{"invoice": invoice.pk}])
    first = _post(finance_api, PAYMENTS, body, HTTP_IDEMPOTENCY_KEY=key)
    second = _post(finance_api, PAYMENTS, body, HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == second.status_code == 201, first.json()
    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1 and Allocation.objects.count() == 1
    assert Invoice.objects.get(pk=invoice.pk).amount_due == 0
    other = _post(finance_api, PAYMENTS, {**body, "amount": "120.00"}, HTTP_IDEMPOTENCY_KEY=key)
    assert _error(other, 422)["code"] == "idempotency_key_reused"
    assert Payment.objects.count() == 1 and IdempotencyRecord.objects.count() == 1


# --- bank statements and the reconciliation queue ---------------------------------------------------


def _statement(invoice: Invoice, *, ref: str = "STMT-1", prefix: str = "TX") -> bytes:
    return camt053(account_iban=ACCOUNT, statement_id=ref, currency="EUR", day=_days(-1), entries=[
        {"amount": invoice.amount_due, "credit": True, "ref": f"{prefix}-1", "name": "Alpha GmbH",
         "iban": "DE02120300000000202051", "text": f"Invoice {invoice.number}"},
        {"amount": Decimal("42.00"), "credit": True, "ref": f"{prefix}-2", "name": "Somebody",
         "iban": "DE02500105170137075030", "text": "thanks"},
        {"amount": Decimal("7.00"), "credit": True, "ref": f"{prefix}-3", "name": "Somebody else",
         "iban": "DE02100500000054540402", "text": "refund?"},
        {"amount": Decimal("12.50"), "credit": False, "ref": f"{prefix}-4", "name": "The Bank",
         "iban": ACCOUNT, "text": "fees"},
    ])


def _upload(client: APIClient, content: bytes, name: str = "statement.xml", **extra: Any) -> Any:
    return client.post(f"{STATEMENTS}upload/", {"file": SimpleUploadedFile(name, content, "application/xml")},
                       format="multipart", **extra)


def test_a_statement_is_uploaded_matched_and_imported_once(finance_api: APIClient) -> None:
    invoice = _invoice(billing_customer())
    content = _statement(invoice)
    body = _ok(_upload(finance_api, content), 201)
    assert (body["created"], body["lines"], body["auto_matched"], body["unmatched"], body["duplicates"]) == (
        True, 4, 1, 2, 0)
    statement = body["statement"]
    assert (statement["format"], statement["statement_ref"], statement["account_iban"], statement["currency"]) == (
        "camt053", "STMT-1", ACCOUNT, "EUR")
    assert (statement["line_count"], statement["credit_count"], statement["auto_matched_count"]) == (4, 3, 1)
    assert [(x["position"], x["direction"], x["amount"], x["status"], x["match_rule"]) for x in statement["lines"]] == [
        (1, "credit", str(invoice.amount_due), "matched", "invoice_number"), (2, "credit", "42.00", "unmatched", ""),
        (3, "credit", "7.00", "unmatched", ""), (4, "debit", "12.50", "shown", "")]
    matched = statement["lines"][0]
    assert matched["payment_number"] and matched["customer"] == invoice.customer_id
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
    assert Payment.objects.get(pk=matched["payment"]).bank_transaction_id == "TX-1"
    assert _ok(finance_api.get(f"{STATEMENTS}{statement['id']}/")) == statement
    listed = _ok(finance_api.get(STATEMENTS))["results"]
    assert [(s["id"], s["auto_matched_count"]) for s in listed] == [(statement["id"], 1)] and "lines" not in listed[0]

    before = _state()
    again = _ok(_upload(finance_api, content, "again.xml"), 200)
    assert (again["created"], again["statement"]["id"], again["auto_matched"]) == (False, statement["id"], 1)
    same_statement = _ok(_upload(finance_api, _statement(invoice, prefix="OTHER")), 200)  # same account and id
    assert same_statement["created"] is False
    assert _state() == before


def test_bad_statement_files_are_refused_with_the_reason_and_import_nothing(
    finance_api: APIClient, settings: Any,
) -> None:
    content = _statement(_invoice(billing_customer()))
    pain = content.replace(b"camt.053.001.08", b"pain.001.001.09")
    before = _state()
    for bad, name in ((b"hello, this is not a statement", "s.txt"), (b"", "s.xml"), (b"<a>not camt</a>", "s.xml"),
                      (pain, "s.xml"), (content[: len(content) // 2], "s.xml")):
        error = _error(_upload(finance_api, bad, name), 400)
        assert error["code"] in ("invalid_statement", "validation_error") and error["details"], (name, error)
        assert error["message"]
    settings.RECEIVABLES_STATEMENT_MAX_BYTES = 1000
    too_big = _error(_upload(finance_api, content), 400)
    assert too_big["code"] == "invalid_statement" and "MB" in too_big["message"]
    assert "file" in _error(finance_api.post(f"{STATEMENTS}upload/", {}, format="multipart"), 400)["details"]
    assert _error(_post(finance_api, f"{STATEMENTS}upload/", {"file": "x"}), 415)
    assert _state() == before and not BankStatement.objects.exists()


def test_the_queue_lines_are_matched_by_hand_ignored_and_put_back(finance_api: APIClient) -> None:
    invoice = _invoice(billing_customer())
    other = billing_customer()
    owed = _invoice(other, "35.29")  # 42.00: what the first queued line brings
    statement = _ok(_upload(finance_api, _statement(invoice)), 201)["statement"]
    matched, first, second, debit = (line["id"] for line in statement["lines"])
    [suggestion] = _ok(finance_api.get(f"{LINES}{first}/suggestions/"))
    assert (suggestion["invoice"], suggestion["customer"], suggestion["amount_due"], suggestion["score"]) == (
        owed.pk, other.pk, "42.00", 30)
    assert "what the invoice owes" in suggestion["reasons"][0]
    assert _ok(finance_api.get(f"{LINES}{second}/suggestions/")) == []

    def ids(query: str) -> list[int]:
        return [row["id"] for row in _ok(finance_api.get(f"{LINES}{query}"))["results"]]

    assert ids("?status=unmatched") == [first, second]
    assert ids(f"?statement={statement['id']}") == [matched, first, second, debit]
    assert ids("?status=shown") == [debit] and ids("?statement=987654") == []
    assert "status" in _error(finance_api.get(f"{LINES}?status=lost"), 400)["details"]

    body = _ok(_post(finance_api, f"{LINES}{first}/match/", {"customer": other.pk,
                                                            "allocations": [{"invoice": owed.pk}]}))
    assert (body["status"], body["match_rule"], body["customer"]) == ("matched", "manual", other.pk)
    payment = Payment.objects.get(pk=body["payment"])
    assert (payment.amount, payment.allocated_amount, payment.unapplied_amount) == (
        Decimal("42.00"), Decimal("42.00"), Decimal("0.00"))
    assert Invoice.objects.get(pk=owed.pk).status == InvoiceStatus.PAID

    before = _state()
    assert _error(_post(finance_api, f"{LINES}{first}/match/", {"customer": other.pk}), 409)["code"] == (
        "line_not_unmatched")
    assert _error(_post(finance_api, f"{LINES}{debit}/match/", {"customer": other.pk}), 409)
    for body, field in (({}, "customer"), ({"customer": 987654}, "customer"), ({"customer": "x"}, "customer"),
                        ({"customer": other.pk, "allocations": [{"invoice": owed.pk, "amount": 2.0}]},
                         "allocations")):
        assert field in _error(_post(finance_api, f"{LINES}{second}/match/", body), 400)["details"], body
    assert "note" in _error(_post(finance_api, f"{LINES}{second}/ignore/", {}), 400)["details"]
    assert "note" in _error(_post(finance_api, f"{LINES}{second}/ignore/", {"note": "  "}), 400)["details"]
    assert _error(_post(finance_api, f"{LINES}{second}/unignore/"), 409)
    assert _error(_post(finance_api, f"{LINES}987654/ignore/", {"note": "x"}), 404)
    assert _state() == before

    assert _ok(_post(finance_api, f"{LINES}{second}/ignore/", {"note": "Supplier refund"}))["status"] == "ignored"
    assert ids("?status=unmatched") == []
    assert _ok(_post(finance_api, f"{LINES}{second}/unignore/"))["status"] == "unmatched"
    assert ids("?status=unmatched") == [second]
    assert _ok(finance_api.get(f"{LINES}{second}/"))["remittance"] == "refund?"


# --- aging, ledger, KPIs ------------------------------------------------------------------------------


def test_the_aging_per_customer_the_totals_and_the_drill_down(finance_api: APIClient) -> None:
    alpha = billing_customer(legal_name="Alpha GmbH")
    beta = billing_customer(legal_name="Beta AG")
    current = _invoice(alpha)  # 119.00, due in 30 days
    late = overdue_invoice(10, [(1, "100.00", "standard")], customer=alpha)
    later = overdue_invoice(45, [(2, "100.00", "standard")], customer=alpha)  # 238.00
    oldest = overdue_invoice(100, [(1, "50.00", "standard")], customer=beta)  # 59.50
    payment_of(alpha, "19.00", invoices=[(late, "19.00")])  # 100.00 left

    body = _ok(finance_api.get(AGING))
    assert body["as_of"] == str(_today())
    rows = {row["customer"]: row for row in body["rows"]}
    assert rows[alpha.pk]["buckets"] == {"current": "119.00", "1_30": "100.00", "31_60": "238.00", "61_90": "0.00",
                                         "90_plus": "0.00"}
    assert (rows[alpha.pk]["total"], rows[alpha.pk]["overdue"], rows[alpha.pk]["invoices"]) == ("457.00", "338.00", 3)
    assert (rows[alpha.pk]["customer_number"], rows[alpha.pk]["customer_name"], rows[alpha.pk]["currency"]) == (
        alpha.number, "Alpha GmbH", "EUR")
    assert rows[beta.pk]["buckets"]["90_plus"] == "59.50" and rows[beta.pk]["total"] == "59.50"
    assert [row["customer"] for row in body["rows"]] == [alpha.pk, beta.pk]  # the largest total first
    [total] = body["totals"]
    assert (total["customer"], total["currency"], total["total"], total["overdue"], total["invoices"]) == (
        None, "EUR", "516.50", "397.50", 4)
    assert total["total"] == str(sum(i.amount_due for i in Invoice.objects.all()))

    only = _ok(finance_api.get(f"{AGING}?customer={beta.pk}"))
    assert [row["customer"] for row in only["rows"]] == [beta.pk] and only["totals"][0]["total"] == "59.50"

    drill = _ok(finance_api.get(f"{AGING}?invoices=true"))
    assert [(i["invoice"], i["bucket"], i["outstanding"]) for i in drill["invoices"]] == [
        (oldest.pk, "90_plus", "59.50"), (later.pk, "31_60", "238.00"), (late.pk, "1_30", "100.00"),
        (current.pk, "current", "119.00")]
    assert drill["invoices"][0]["days_overdue"] == 100 and drill["invoices"][0]["number"] == oldest.number
    bucket = _ok(finance_api.get(f"{AGING}?invoices=true&bucket=31_60"))
    assert (bucket["bucket"], [i["invoice"] for i in bucket["invoices"]]) == ("31_60", [later.pk])
    mine = _ok(finance_api.get(f"{AGING}?invoices=1&customer={alpha.pk}&bucket=90_plus"))
    assert mine["invoices"] == []

    past = _ok(finance_api.get(f"{AGING}?as_of={_days(-1)}"))  # before today's payment and invoice
    rows = {row["customer"]: row for row in past["rows"]}
    assert rows[alpha.pk]["buckets"]["current"] == "0.00" and rows[alpha.pk]["buckets"]["1_30"] == "119.00"
    for query, field in (("?as_of=x", "as_of"), ("?bucket=120", "bucket"), ("?customer=0", "customer"),
                         ("?invoices=maybe", "invoices")):
        assert field in _error(finance_api.get(f"{AGING}{query}"), 400)["details"], query


def test_the_customer_ledger_with_its_running_balance(finance_api: APIClient) -> None:
    customer = billing_customer()
    invoice = overdue_invoice(10, [(1, "100.00", "standard")], customer=customer)  # 119.00
    note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="goodwill", amount="19.00")
    payment = payment_of(customer, "150.00", invoices=[invoice])  # 100.00 applied, 50.00 credit
    url = f"/api/v1/receivables/customers/{customer.pk}/ledger/"
    body = _ok(finance_api.get(url))
    assert (body["customer"], body["customer_number"], body["currency"]) == (customer.pk, customer.number, "EUR")
    assert (body["open_balance"], body["credit"], body["credit_hold"]) == ("0.00", "50.00", False)
    entries = [(e["kind"], e["number"], e["debit"], e["credit"], e["balance"], e["document"]) for e in body["entries"]]
    assert entries == [
        ("invoice", invoice.number, "119.00", "0.00", "119.00", invoice.pk),
        ("credit_note", note.number, "0.00", "19.00", "100.00", note.pk),
        ("payment", payment.number, "0.00", "150.00", "-50.00", payment.pk)]
    assert (body["since"], body["until"]) == (None, None)
    since = _ok(finance_api.get(f"{url}?since={_today()}"))
    assert [(e["kind"], e["balance"]) for e in since["entries"]] == [("opening", "119.00"), ("credit_note", "100.00"),
                                                                     ("payment", "-50.00")]
    until = _ok(finance_api.get(f"{url}?until={_days(-1)}"))
    assert [e["kind"] for e in until["entries"]] == ["invoice"]
    assert "until" in _error(finance_api.get(f"{url}?since={_today()}&until={_days(-1)}"), 400)["details"]
    assert _error(finance_api.get("/api/v1/receivables/customers/987654/ledger/"), 404)
    assert _error(finance_api.get("/api/v1/receivables/customers/abc/ledger/"), 404)


def test_the_kpis_and_the_dso_trend(finance_api: APIClient) -> None:
    customer = billing_customer()
    _invoice(customer)  # 119.00 current
    late = overdue_invoice(10, [(1, "300.00", "standard")], customer=customer)  # 357.00 overdue
    dispute_open(invoice_id=late.pk, reason="price", amount="10.00", actor=None)
    payment_of(customer, "20.00")
    body = _ok(finance_api.get(f"{KPIS}?months=3"))
    assert (body["as_of"], body["currency"], body["open_ar"], body["overdue_ar"]) == (
        str(_today()), "EUR", "476.00", "357.00")
    assert (body["overdue_percent"], body["unapplied_credit"], body["open_disputes"]) == ("75.0", "20.00", 1)
    assert body["credit_sales_90"] == "476.00" and body["dso"] == "90.0"
    assert [point["date"] for point in body["dso_trend"]][-1] == str(_today()) and len(body["dso_trend"]) == 3
    assert body["dso_trend"][-1]["ar"] == "476.00"
    usd = _ok(finance_api.get(f"{KPIS}?currency=usd"))
    assert (usd["currency"], usd["open_ar"], usd["dso"], len(usd["dso_trend"])) == ("USD", "0.00", None, 12)
    for query, field in (("?months=0", "months"), ("?months=37", "months"), ("?currency=euro", "currency"),
                         ("?as_of=later", "as_of")):
        assert field in _error(finance_api.get(f"{KPIS}{query}"), 400)["details"], query


# --- reminders ----------------------------------------------------------------------------------------


def test_reminders_previewed_run_once_and_listed(finance_api: APIClient, finance_user: User) -> None:
    first = billing_customer(legal_name="Aachen Papier GmbH")
    second = billing_customer(legal_name="Bremen Tinte AG")
    ten = overdue_invoice(10, [(1, "100.00", "standard")], customer=first)  # level 1 (7 days)
    twenty_five = overdue_invoice(25, [(1, "100.00", "standard")], customer=second)  # level 2 (21 days)
    overdue_invoice(3, customer=second)  # not yet

    preview = _ok(finance_api.get(f"{REMINDERS}preview/?date={_today()}"))
    assert preview["date"] == str(_today())
    assert [(r["customer"], r["level"], r["currency"], [i["invoice"] for i in r["invoices"]])
            for r in preview["reminders"]] == [(first.pk, 1, "EUR", [ten.pk]), (second.pk, 2, "EUR",
                                                                                [twenty_five.pk])]
    level_2 = preview["reminders"][1]
    assert (level_2["totals"]["amount_due"], level_2["totals"]["fee"], level_2["totals"]["compensation"]) == (
        "119.00", "5.00", "40.00")
    assert level_2["invoices"][0]["days_overdue"] == 25 and Decimal(level_2["invoices"][0]["interest"]) > 0
    tomorrow = _ok(finance_api.get(f"{REMINDERS}preview/"))
    assert tomorrow["date"] == str(_days(1)) and len(tomorrow["reminders"]) == 2
    assert _ok(finance_api.get(f"{REMINDERS}preview/?customer={first.pk}&date={_today()}"))["reminders"][0][
        "customer"] == first.pk
    assert not Reminder.objects.exists()  # a preview writes nothing

    run = _ok(_post(finance_api, f"{REMINDERS}run/"))
    assert (run["date"], run["sent"]) == (str(_today()), 2)
    assert sorted((r["customer"], r["level"]) for r in run["reminders"]) == [(first.pk, 1), (second.pk, 2)]
    before = _state()
    again = _ok(_post(finance_api, f"{REMINDERS}run/"))
    assert (again["sent"], again["reminders"]) == (0, [])
    assert _state() == before
    assert _ok(finance_api.get(f"{REMINDERS}preview/?date={_today()}"))["reminders"] == []

    def ids(query: str = "") -> list[int]:
        return [row["id"] for row in _ok(finance_api.get(f"{REMINDERS}{query}"))["results"]]

    one, two = (Reminder.objects.get(customer=c) for c in (first, second))
    assert set(ids()) == {one.pk, two.pk}
    assert ids(f"?customer={first.pk}") == [one.pk] and ids("?level=2") == [two.pk]
    assert set(ids(f"?date={_today()}")) == {one.pk, two.pk} and ids(f"?date={_days(-1)}") == []
    assert set(ids(f"?date_from={_today()}&date_to={_today()}")) == {one.pk, two.pk}
    assert ids(f"?date_to={_days(-1)}") == []
    detail = _ok(finance_api.get(f"{REMINDERS}{two.pk}/"))
    assert (detail["level"], detail["total_due"], detail["fee"], detail["compensation"], detail["manual"]) == (
        2, "119.00", "5.00", "40.00", False)
    assert detail["total"] == str(Decimal("164.00") + Decimal(detail["interest"]))
    assert [(x["invoice"], x["invoice_number"], x["level"], x["days_overdue"]) for x in detail["logs"]] == [
        (twenty_five.pk, twenty_five.number, 2, 25)]
    for query, field in (("?level=0", "level"), ("?date=today", "date"), ("?customer=x", "customer")):
        assert field in _error(finance_api.get(f"{REMINDERS}{query}"), 400)["details"], query
    assert "date" in _error(finance_api.get(f"{REMINDERS}preview/?date=x"), 400)["details"]
    assert _error(finance_api.put(f"{REMINDERS}{one.pk}/", {}, format="json"), 405)
    assert _error(finance_api.delete(f"{REMINDERS}{one.pk}/"), 405)


# --- disputes -----------------------------------------------------------------------------------------


def test_a_dispute_is_opened_changed_while_open_and_rejected(finance_api: APIClient, finance_user: User,
                                                             sales_user: User) -> None:
    invoice = overdue_invoice(10, [(1, "100.00", "standard")])  # 119.00
    body = _ok(_post(finance_api, DISPUTES, {"invoice": invoice.pk, "reason": "damaged", "amount": "50.00",
                                             "note": "Scratched", "owner": finance_user.pk}), 201)
    assert (body["status"], body["invoice"], body["invoice_number"], body["customer"], body["amount"]) == (
        "open", invoice.pk, invoice.number, invoice.customer_id, "50.00")
    assert (body["reason"], body["note"], body["owner"], body["owner_name"], body["opened_by"]) == (
        "damaged", "Scratched", finance_user.pk, "fiona", "fiona")
    url = f"{DISPUTES}{body['id']}/"
    assert _ok(finance_api.get(f"{REMINDERS}preview/?date={_today()}"))["reminders"] == []  # paused
    before = _state()
    assert _error(_post(finance_api, DISPUTES, {"invoice": invoice.pk, "reason": "price", "amount": "1"}), 409)[
        "code"] == "dispute_open"
    for bad, field in (({"invoice": invoice.pk, "reason": "whim", "amount": "1"}, "reason"),
                       ({"invoice": invoice.pk, "reason": "price", "amount": 1.5}, "amount"),
                       ({"invoice": invoice.pk, "reason": "price", "amount": "0"}, "amount"),
                       ({"invoice": invoice.pk, "reason": "price"}, "amount"),
                       ({"reason": "price", "amount": "1"}, "invoice"),
                       ({"invoice": invoice.pk, "reason": "price", "amount": "1", "note": "x" * 4001}, "note"),
                       ({"invoice": invoice.pk, "reason": "price", "amount": "1", "owner": 987654}, "owner")):
        assert field in _error(_post(finance_api, DISPUTES, bad), 400)["details"], bad
    assert _error(_post(finance_api, DISPUTES, {"invoice": 987654, "reason": "price", "amount": "1"}), 404)
    patched = finance_api.patch(url, {"note": "Two chairs scratched", "owner": sales_user.pk}, format="json")
    assert _ok(patched)["note"] == "Two chairs scratched" and patched.json()["owner"] == sales_user.pk
    assert AuditEvent.objects.filter(content_type__model="dispute", object_id=str(body["id"]), action="updated",
                                     actor=finance_user).count() == 1
    assert _ok(finance_api.patch(url, {"owner": None}, format="json"))["owner"] is None
    for bad in ({}, {"amount": "1.00"}, {"status": "resolved"}, {"note": "x" * 4001}, {"owner": "nobody"}):
        _error(finance_api.patch(url, bad, format="json"), 400)
    assert _error(finance_api.put(url, {"note": "x"}, format="json"), 405)
    assert _error(finance_api.delete(url), 405)
    assert Dispute.objects.get(pk=body["id"]).amount == Decimal("50.00")

    assert "note" in _error(_post(finance_api, f"{url}reject/", {}), 400)["details"]
    rejected = _ok(_post(finance_api, f"{url}reject/", {"note": "Damage came after delivery."}))
    assert (rejected["status"], rejected["resolution_note"], rejected["resolved_by"]) == (
        "rejected", "Damage came after delivery.", "fiona")
    before = _state()
    assert _error(finance_api.patch(url, {"note": "x"}, format="json"), 409)["code"] == "dispute_closed"
    assert _error(_post(finance_api, f"{url}reject/", {"note": "again"}), 409)["code"] == "dispute_closed"
    assert _error(_post(finance_api, f"{url}resolve/"), 409)["code"] == "dispute_closed"
    assert _state() == before
    assert len(_ok(finance_api.get(f"{REMINDERS}preview/?date={_today()}"))["reminders"]) == 1  # resumed


def test_a_dispute_resolved_by_a_credit_note_and_the_list_filters(finance_api: APIClient, finance_user: User) -> None:
    alpha, beta = billing_customer(), billing_customer()
    a, b = _invoice(alpha), _invoice(beta)
    one = dispute_open(invoice_id=a.pk, reason="price", amount="19.00", actor=None, owner_id=finance_user.pk)
    two = dispute_open(invoice_id=b.pk, reason="quantity", amount="10.00", actor=None)

    def ids(query: str = "") -> list[int]:
        return [row["id"] for row in _ok(finance_api.get(f"{DISPUTES}{query}"))["results"]]

    assert ids() == [two.pk, one.pk]
    assert ids("?status=open") == [two.pk, one.pk] and ids("?status=resolved") == []
    assert ids(f"?customer={alpha.pk}") == [one.pk] and ids(f"?invoice={b.pk}") == [two.pk]
    assert ids("?reason=quantity") == [two.pk] and ids(f"?owner={finance_user.pk}") == [one.pk]
    assert "status" in _error(finance_api.get(f"{DISPUTES}?status=lost"), 400)["details"]

    for bad, field in (({"amount": 1.5}, "amount"), ({"amount": "-1"}, "amount"), ({"note": "x" * 2001}, "note")):
        assert field in _error(_post(finance_api, f"{DISPUTES}{one.pk}/resolve/", bad), 400)["details"]
    resolved = _ok(_post(finance_api, f"{DISPUTES}{one.pk}/resolve/", {"note": "Agreed on the phone"}))
    assert resolved["status"] == "resolved" and resolved["credit_note_number"]
    note = CreditNote.objects.get(pk=resolved["credit_note"])
    assert (note.invoice_id, note.gross_total) == (a.pk, Decimal("19.00"))
    assert Invoice.objects.get(pk=a.pk).amount_due == Decimal("100.00")
    partly = _ok(_post(finance_api, f"{DISPUTES}{two.pk}/resolve/", {"amount": "4.00"}))
    assert CreditNote.objects.get(pk=partly["credit_note"]).gross_total == Decimal("4.00")
    assert ids("?status=resolved") == [two.pk, one.pk]


# --- the receivables actions on an invoice ---------------------------------------------------------------


def test_an_invoice_is_written_off_promised_and_reminded_by_hand(finance_api: APIClient) -> None:
    customer = billing_customer()
    residual = _invoice(customer)  # 119.00
    payment_of(customer, "116.00", invoices=[(residual, "116.00")])  # 3.00 left: under the policy's 5.00
    big = overdue_invoice(10, [(1, "100.00", "standard")], customer=customer)
    base = "/api/v1/receivables/invoices"

    before = _state()
    assert _error(_post(finance_api, f"{base}/{big.pk}/write-off/", {"reason": "small_balance"}), 409)["code"] == (
        "over_write_off_limit")
    assert "reason" in _error(_post(finance_api, f"{base}/{residual.pk}/write-off/", {"reason": "whim"}), 400)[
        "details"]
    assert _error(_post(finance_api, f"{base}/987654/write-off/", {"reason": "rounding"}), 404)
    assert _error(_post(finance_api, f"{base}/abc/write-off/", {"reason": "rounding"}), 404)
    assert _state() == before
    written = _ok(_post(finance_api, f"{base}/{residual.pk}/write-off/", {"reason": "small_balance",
                                                                         "note": "bank fee"}), 201)
    assert (written["invoice"], written["amount"], written["reason"], written["date"]) == (
        residual.pk, "3.00", "small_balance", str(_today()))
    assert Invoice.objects.get(pk=residual.pk).status == InvoiceStatus.PAID
    assert _error(_post(finance_api, f"{base}/{residual.pk}/write-off/", {"reason": "rounding"}), 409)["code"] == (
        "invoice_not_open")

    before = _state()
    for bad, field in (({"promised_date": str(_days(-1))}, "promised_date"), ({}, "promised_date"),
                       ({"promised_date": str(_days(3)), "amount": 9.5}, "amount"),
                       ({"promised_date": str(_days(3)), "amount": "500.00"}, "amount")):
        assert field in _error(_post(finance_api, f"{base}/{big.pk}/promise/", bad), 400)["details"], bad
    assert _state() == before
    promise = _ok(_post(finance_api, f"{base}/{big.pk}/promise/", {"promised_date": str(_days(7)),
                                                                   "amount": "50.00", "note": "Friday"}), 201)
    assert (promise["invoice"], promise["promised_date"], promise["amount"], promise["note"]) == (
        big.pk, str(_days(7)), "50.00", "Friday")
    assert _ok(finance_api.get(f"{REMINDERS}preview/?date={_today()}"))["reminders"] == []  # it waits

    reminded = _ok(_post(finance_api, f"{base}/{big.pk}/remind/", {"level": 1}), 201)  # a person may still send
    assert (reminded["level"], reminded["manual"], [x["invoice"] for x in reminded["logs"]]) == (1, True, [big.pk])
    not_due = _invoice(customer)
    before = _state()
    assert _error(_post(finance_api, f"{base}/{big.pk}/remind/", {"level": 1}), 409)["code"] == "level_sent"
    assert "level" in _error(_post(finance_api, f"{base}/{big.pk}/remind/", {"level": 0}), 400)["details"]
    assert "level" in _error(_post(finance_api, f"{base}/{big.pk}/remind/", {"level": 9}), 400)["details"]
    assert _error(_post(finance_api, f"{base}/{not_due.pk}/remind/"), 409)["code"] == "invoice_not_overdue"
    assert _state() == before
    assert _ok(_post(finance_api, f"{base}/{big.pk}/remind/"), 201)["level"] == 2  # the next level not yet sent


# --- permissions ------------------------------------------------------------------------------------------


def test_sales_reads_payments_disputes_reminders_and_the_aging_but_changes_nothing(sales_api: APIClient) -> None:
    customer = billing_customer()
    invoice = overdue_invoice(30, [(1, "100.00", "standard")], customer=customer)
    payment = payment_of(customer, "10.00")
    dispute = dispute_open(invoice_id=invoice.pk, reason="price", amount="5.00", actor=None)
    for url in (PAYMENTS, f"{PAYMENTS}{payment.pk}/", DISPUTES, f"{DISPUTES}{dispute.pk}/", REMINDERS,
                f"{REMINDERS}preview/", AGING, f"{AGING}?invoices=true", KPIS,
                f"/api/v1/receivables/customers/{customer.pk}/ledger/"):
        assert sales_api.get(url).status_code == 200, url
    for url in (STATEMENTS, LINES):  # the bank's statements are Finance's
        assert _error(sales_api.get(url), 403)
    before = _state()
    writes = [
        _post(sales_api, PAYMENTS, _pay(customer, "1.00")),
        _post(sales_api, f"{PAYMENTS}{payment.pk}/allocate/", {"allocations": [{"invoice": invoice.pk}]}),
        _post(sales_api, f"{PAYMENTS}{payment.pk}/allocate-oldest/"),
        _post(sales_api, f"{PAYMENTS}{payment.pk}/refund/", {"amount": "1.00"}),
        sales_api.post(f"{STATEMENTS}upload/", {"file": SimpleUploadedFile("s.xml", b"<x/>")}, format="multipart"),
        _post(sales_api, f"{REMINDERS}run/"),
        _post(sales_api, DISPUTES, {"invoice": invoice.pk, "reason": "price", "amount": "1"}),
        sales_api.patch(f"{DISPUTES}{dispute.pk}/", {"note": "x"}, format="json"),
        _post(sales_api, f"{DISPUTES}{dispute.pk}/reject/", {"note": "x"}),
        _post(sales_api, f"{DISPUTES}{dispute.pk}/resolve/"),
        _post(sales_api, f"/api/v1/receivables/invoices/{invoice.pk}/write-off/", {"reason": "rounding"}),
        _post(sales_api, f"/api/v1/receivables/invoices/{invoice.pk}/promise/", {"promised_date": str(_today())}),
        _post(sales_api, f"/api/v1/receivables/invoices/{invoice.pk}/remind/"),
    ]
    assert [r.status_code for r in writes] == [403] * len(writes)
    assert {_error(r)["code"] for r in writes} == {"permission_denied"}
    assert _state() == before


def test_the_warehouse_and_anonymous_get_nothing(warehouse_api: APIClient) -> None:
    customer = billing_customer()
    invoice = overdue_invoice(30, customer=customer)
    payment = payment_of(customer, "10.00")
    anonymous = APIClient()
    before = _state()
    for client in (warehouse_api, anonymous):
        for response in (client.get(PAYMENTS), client.get(f"{PAYMENTS}{payment.pk}/"), client.get(AGING),
                         client.get(KPIS), client.get(REMINDERS), client.get(f"{REMINDERS}preview/"),
                         client.get(DISPUTES), client.get(STATEMENTS), client.get(LINES),
                         client.get(f"/api/v1/receivables/customers/{customer.pk}/ledger/"),
                         _post(client, PAYMENTS, _pay(customer, "1.00")), _post(client, f"{REMINDERS}run/"),
                         _post(client, f"/api/v1/receivables/invoices/{invoice.pk}/remind/")):
            assert response.status_code in (401, 403), response.request
            _error(response)
    assert _state() == before


def test_a_large_upload_with_an_idempotency_key_is_imported_once_and_replayed(finance_api: APIClient) -> None:
    invoice = _invoice(billing_customer())
    content = _statement(invoice)
    padded = content.replace(b"</Document>", b"<!--" + b"x" * (3 * 1024 * 1024) + b"--></Document>")
    assert len(padded) > 2_621_440  # more than Django keeps in memory (DATA_UPLOAD_MAX_MEMORY_SIZE)
    first = _ok(_upload(finance_api, padded, HTTP_IDEMPOTENCY_KEY="upload-1"), 201)
    replay = _upload(finance_api, padded, HTTP_IDEMPOTENCY_KEY="upload-1")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["statement"]["id"] == first["statement"]["id"]
    other = _upload(finance_api, content, HTTP_IDEMPOTENCY_KEY="upload-1")
    assert other.status_code == 422 and _error(other, 422)["code"] == "idempotency_key_reused"
    assert BankStatement.objects.count() == 1
