"""Finance's cash pages: access per role (Finance acts, Sales reads, Warehouse is refused), recording a
payment with allocations through the form (bad input shows its message and writes nothing), the payment
page's actions, importing a statement file (twice, a bad file, a 50 MB file), matching and ignoring a line
from the reconciliation queue, and a fixed number of queries per list page (real PostgreSQL)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from billing.enums import InvoiceStatus
from billing.models import Invoice
from o2c.models import AuditEvent, OutboxEvent
from orders.models import Customer
from receivables.enums import LineStatus, MatchRule
from receivables.models import Allocation, BankStatement, BankStatementLine, CustomerBankAccount, Payment, Refund
from receivables.services.statements import bank_statement_import
from tests.billing.factories import billing_customer, issued_invoice, issued_on
from tests.conftest import client_for, page_queries
from tests.orders.factories import PaymentTermFactory
from tests.receivables.factories import payment_of
from tests.receivables.statement_files import IBANS, camt_v02, statement_csv

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def url(name: str, *args: object) -> str:
    return reverse(f"receivables:{name}", args=args)


def reload(obj):
    return type(obj).objects.get(pk=obj.pk)


def upload(client, content: bytes, name: str = "statement.csv"):
    return client.post(url("statement-list"), {"file": SimpleUploadedFile(name, content, "text/csv")})


def two_credits(invoice: Invoice, *, other: Decimal | str = "55.55") -> bytes:
    """A CSV statement: a credit naming `invoice` (matched at import), a credit naming nothing (the queue),
    a debit and a reversal."""
    return statement_csv(amount_1=invoice.gross_total, remittance_1=invoice.number, name_1="Someone Else",
                         amount_2=other, name_2="Unknown Payer", remittance_2="March goods")


def written() -> tuple[int, ...]:
    return (Payment.objects.count(), Allocation.objects.count(), Refund.objects.count(),
            BankStatement.objects.count(), BankStatementLine.objects.count(), AuditEvent.objects.count(),
            OutboxEvent.objects.count())


# --- access per role ------------------------------------------------------------------------------


def test_pages_render_for_finance_read_for_sales_and_refused_for_warehouse(finance_user, sales_user,
                                                                            warehouse_user) -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    payment = payment_of(invoice.customer, "150.00", invoices=[invoice], reference="Wire 0815")
    still_open = issued_invoice([(1, "50.00", "standard")], customer=invoice.customer)
    result = bank_statement_import(content=two_credits(issued_invoice([(2, "10.00", "standard")])),
                                   filename="march.csv", actor=None)
    queued = result.statement.lines.get(status=LineStatus.UNMATCHED)
    client = client_for(finance_user)
    pages = {
        url("payment-list"): payment.number,
        url("payment-create"): "Record payment",
        url("payment-invoices") + f"?customer={invoice.customer_id}": still_open.number,
        url("payment-detail", payment.pk): "Wire 0815",
        url("statement-list"): "Import a statement",
        url("statement-detail", result.statement.pk): "Shown, not applied",
        url("queue"): "March goods",
        url("queue-line", queued.pk): "Match and record payment",
        url("queue-suggestion", queued.pk): "No suggestion",
    }
    for page, text in pages.items():
        response = client.get(page)
        assert response.status_code == 200, page
        assert text in response.content.decode(), page

    detail = client.get(url("payment-detail", payment.pk)).content.decode()
    assert "Apply the unapplied credit" in detail and f'name="alloc_{still_open.pk}"' in detail
    assert 'data-testid="unapplied-amount">31.00 EUR' in detail and "Record refund" in detail
    assert invoice.number in detail and 'data-testid="timeline"' in detail and "received" in detail

    payment_reads = [url("payment-list"), url("payment-detail", payment.pk)]
    bank_reads = [url("statement-list"), url("statement-detail", result.statement.pk), url("queue"),
                  url("queue-line", queued.pk), url("queue-suggestion", queued.pk)]
    writes = [(url("payment-create"), {"customer": invoice.customer_id, "amount": "1", "method": "cash",
                                       "received_date": TODAY().isoformat()}),
              (url("payment-allocate", payment.pk), {}), (url("payment-allocate-oldest", payment.pk), {}),
              (url("payment-refund", payment.pk), {"amount": "1"}),
              (url("statement-list"), {"file": SimpleUploadedFile("x.csv", b"x")}),
              (url("queue-line", queued.pk), {"customer": invoice.customer_id}),
              (url("queue-line-ignore", queued.pk), {"note": "x"}), (url("queue-line-unignore", queued.pk), {})]
    before = written()
    sales = client_for(sales_user)
    for page in payment_reads:  # Sales sees what a customer paid, not the bank's statements
        assert sales.get(page).status_code == 200, page
    for page in (*bank_reads, url("payment-create"), url("payment-invoices")):
        assert sales.get(page).status_code == 403, page
    sales_pages = sales.get(url("payment-list")).content.decode() + \
        sales.get(url("payment-detail", payment.pk)).content.decode()
    for action in ("Record a payment", "Record refund", "Apply the unapplied credit", "Oldest first",
                   "Bank statements</a>"):
        assert action not in sales_pages, action

    warehouse = client_for(warehouse_user)
    for page in [*payment_reads, *bank_reads, url("payment-create")]:
        assert warehouse.get(page).status_code == 403, page
    for who in (sales, warehouse):
        for page, data in writes:
            assert who.post(page, data).status_code == 403, page
    assert written() == before


# --- record a payment -----------------------------------------------------------------------------


def test_finance_records_a_payment_with_allocations_through_the_page(finance_user) -> None:
    customer = billing_customer()
    older = issued_on(TODAY() - datetime.timedelta(days=40), [(1, "100.00", "standard")], customer=customer)
    newer = issued_invoice([(2, "100.00", "standard")], customer=customer)  # 238.00
    untouched = issued_invoice([(1, "10.00", "standard")], customer=customer)
    client = client_for(finance_user)

    # choosing the customer loads its open invoices (htmx), oldest due first, overdue marked
    table = client.get(url("payment-invoices") + f"?customer={customer.pk}&received_date={TODAY()}",
                       HTTP_HX_REQUEST="true").content.decode()
    assert re.findall(r'data-testid="open-invoice" data-number="([^"]+)"', table) == [
        older.number, newer.number, untouched.number]
    assert "10 days overdue" in table and f'name="alloc_{newer.pk}"' in table
    assert client.get(url("payment-create") + f"?customer={customer.pk}").content.decode().count(
        'data-testid="open-invoice"') == 3

    response = client.post(url("payment-create"), {
        "customer": customer.pk, "amount": "300.00", "method": "bank_transfer", "received_date": TODAY().isoformat(),
        "reference": "Transfer 4711", "bank_transaction_id": "BANK-TX-1", "note": "By phone",
        f"alloc_{older.pk}": "119.00", f"alloc_{newer.pk}": "100.00", f"alloc_{untouched.pk}": ""})
    payment = Payment.objects.get()
    assert response.status_code == 302 and response["Location"] == url("payment-detail", payment.pk)
    assert messages_of(response) == [
        f"Payment {payment.number} recorded: 300.00 EUR from {customer.legal_name}, 219.00 applied to invoices, "
        "81.00 EUR left as the customer's credit."]
    assert (payment.amount, payment.allocated_amount, payment.unapplied_amount) == (
        Decimal("300.00"), Decimal("219.00"), Decimal("81.00"))
    assert (payment.reference, payment.bank_transaction_id, payment.note, payment.created_by) == (
        "Transfer 4711", "BANK-TX-1", "By phone", finance_user)
    assert reload(older).status == InvoiceStatus.PAID and reload(older).amount_due == 0
    assert reload(newer).status == InvoiceStatus.PARTIALLY_PAID and reload(newer).amount_due == Decimal("138.00")
    assert reload(untouched).amount_due == Decimal("11.90")
    assert Customer.objects.get(pk=customer.pk).open_balance == Decimal("149.90")

    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="allocated-amount">219.00 EUR' in page and 'data-testid="unapplied-amount">81.00 EUR' in page
    assert re.findall(r'data-testid="allocation" data-number="([^"]+)"', page) == [older.number, newer.number]
    # what is left can go to the open invoices: the same table, only those still open
    assert re.findall(r'data-testid="open-invoice" data-number="([^"]+)"', page) == [newer.number, untouched.number]


def test_the_open_invoices_show_the_early_payment_discount_a_payment_earns(finance_user) -> None:
    skonto = PaymentTermFactory(code="2-10-30", name="2 % within 10 days, 30 days net", net_days=30,
                                discount_percent=Decimal("2.00"), discount_days=10)
    customer = billing_customer(payment_term=skonto)
    invoice = issued_invoice([(1, "100.00", "standard")], customer=customer)  # 119.00, 2.38 discount
    client = client_for(finance_user)
    today = client.get(url("payment-invoices") + f"?customer={customer.pk}&received_date={TODAY()}").content.decode()
    row = re.search(r'<tr data-testid="open-invoice".*?</tr>', today, re.S).group(0)
    assert f'data-discount="{invoice.discount_amount}"' in row and invoice.discount_amount == Decimal("2.38")
    assert f"if paid by {invoice.discount_date:%Y-%m-%d}" in row and "d-none" not in row  # earned today
    late = TODAY() + datetime.timedelta(days=11)
    later = client.get(url("payment-invoices") + f"?customer={customer.pk}&received_date={late}").content.decode()
    assert "d-none\" data-earned" in later  # not earned when received after the discount date

    # paying 116.62 today settles it: the discount is granted
    response = client.post(url("payment-create"), {
        "customer": customer.pk, "amount": "116.62", "method": "bank_transfer", "received_date": TODAY().isoformat(),
        f"alloc_{invoice.pk}": "116.62"})
    assert response.status_code == 302
    assert reload(invoice).status == InvoiceStatus.PAID
    assert Allocation.objects.get().discount_amount == Decimal("2.38")


def test_bad_input_shows_a_message_on_the_form_and_writes_nothing(finance_user) -> None:
    customer = billing_customer()
    invoice = issued_invoice([(1, "100.00", "standard")], customer=customer)  # 119.00
    other = issued_invoice([(1, "50.00", "standard")])  # another customer's
    payment_of(customer, "1.00", bank_transaction_id="TX-TAKEN")
    client = client_for(finance_user)
    base = {"customer": customer.pk, "amount": "100.00", "method": "bank_transfer",
            "received_date": TODAY().isoformat()}
    cases = [
        ({f"alloc_{invoice.pk}": "119.00"},
         "The payment has 100.00 EUR left to allocate; the allocations ask for 119.00."),
        ({f"alloc_{invoice.pk}": "500"}, "At most 119.00: it owes no more."),
        ({f"alloc_{invoice.pk}": "-5"}, "At least 0.01 (blank: leave the invoice open)."),
        ({f"alloc_{invoice.pk}": "ten"}, "Enter a number."),
        ({f"alloc_{other.pk}": "10.00"}, f"Invoice {other.number} is another customer&#x27;s."),
        ({f"alloc_{999999}": "10.00"}, "Invoice 999999 does not exist."),
        ({"customer": ""}, "Choose the customer who paid."),
        ({"customer": "999999"}, "Choose the customer who paid."),
        ({"amount": ""}, "Enter the amount received."),
        ({"amount": "0"}, "Ensure this value is greater than or equal to 0.01."),
        ({"amount": "1e30"}, "Ensure that there are no more than 18 digits in total."),
        ({"method": "credit_note"}, "Select a valid choice."),
        ({"received_date": "yesterday"}, "Enter a valid date."),
        ({"received_date": (TODAY() + datetime.timedelta(days=1)).isoformat()},
         "A payment cannot be received in the future."),
        ({"bank_transaction_id": "TX-TAKEN"}, "Bank transaction TX-TAKEN is recorded already"),
    ]
    before = written()
    for change, message in cases:
        response = client.post(url("payment-create"), {**base, **change})
        assert response.status_code == 400, change
        page = response.content.decode()
        assert message in page, (change, message)
        assert 'data-testid="payment-form"' in page
        assert written() == before, change
    assert reload(invoice).amount_due == Decimal("119.00")
    # the entered values come back with the message
    page = client.post(url("payment-create"), {**base, f"alloc_{invoice.pk}": "119.00", "reference": "Wire 77"})
    assert 'value="Wire 77"' in page.content.decode() and 'value="119.00"' in page.content.decode()
    assert f'<option value="{customer.pk}" selected>' in page.content.decode()


# --- the payment page's actions -------------------------------------------------------------------


def test_the_payment_page_allocates_oldest_first_and_refunds_and_refuses_too_much(finance_user) -> None:
    customer = billing_customer()
    first = issued_on(TODAY() - datetime.timedelta(days=20), [(1, "100.00", "standard")], customer=customer)  # 119
    second = issued_on(TODAY() - datetime.timedelta(days=10), [(2, "100.00", "standard")], customer=customer)  # 238
    third = issued_invoice([(1, "10.00", "standard")], customer=customer)  # 11.90
    payment = payment_of(customer, "400.00")
    client = client_for(finance_user)
    detail = url("payment-detail", payment.pk)
    assert "Apply the unapplied credit" in client.get(detail).content.decode()

    before = written()
    empty = client.post(url("payment-allocate", payment.pk), {})
    assert empty.status_code == 400 and "Enter an amount for at least one invoice" in empty.content.decode()
    assert written() == before

    done = client.post(url("payment-allocate", payment.pk), {f"alloc_{third.pk}": "11.90"})
    assert done.status_code == 302 and done["Location"] == detail
    assert messages_of(done) == [f"11.90 EUR applied to {third.number}; 388.10 EUR left unapplied."]
    assert reload(third).status == InvoiceStatus.PAID

    oldest = client.post(url("payment-allocate-oldest", payment.pk))
    assert oldest.status_code == 302
    assert messages_of(oldest)[-1] == (f"357.00 EUR applied to {first.number}, {second.number}; "
                                       "31.10 EUR left unapplied.")
    assert reload(first).status == reload(second).status == InvoiceStatus.PAID
    page = client.get(detail).content.decode()
    assert "Oldest first" not in page and "Apply the unapplied credit" not in page  # nothing open any more
    assert "has no open invoice in EUR" in page

    before = written()
    too_much = client.post(url("payment-refund", payment.pk), {"amount": "50.00", "reference": "R-1"})
    assert too_much.status_code == 400
    assert f"{payment.number} has 31.10 EUR unapplied; 50.00 cannot be refunded." in too_much.content.decode()
    assert written() == before
    refund = client.post(url("payment-refund", payment.pk), {"amount": "31.10", "reference": "R-1"})
    assert refund.status_code == 302
    assert messages_of(refund)[-1].startswith("Refund of 31.10 EUR recorded; 0.00 EUR is left unapplied.")
    payment = reload(payment)
    assert (payment.allocated_amount, payment.refunded_amount, payment.unapplied_amount) == (
        Decimal("368.90"), Decimal("31.10"), 0)
    page = client.get(detail).content.decode()
    assert 'data-testid="refund"' in page and "R-1" in page and "Record refund" not in page
    assert "refunded" in page and "allocated" in page  # the timeline


def test_allocating_more_than_the_credit_is_refused_with_the_services_message(finance_user) -> None:
    customer = billing_customer()
    first = issued_invoice([(1, "100.00", "standard")], customer=customer)  # 119.00
    second = issued_invoice([(1, "100.00", "standard")], customer=customer)
    payment = payment_of(customer, "150.00")
    before = written()
    response = client_for(finance_user).post(url("payment-allocate", payment.pk), {
        f"alloc_{first.pk}": "119.00", f"alloc_{second.pk}": "119.00"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The payment has 150.00 EUR left to allocate; the allocations ask for 238.00." in page
    assert 'value="119.00"' in page  # what was entered comes back
    assert written() == before and reload(first).amount_due == Decimal("119.00")


# --- bank statements ------------------------------------------------------------------------------


def test_uploading_a_statement_reports_what_it_did_and_the_same_file_twice_imports_nothing(finance_user) -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    content = two_credits(invoice)
    client = client_for(finance_user)
    response = upload(client, content, "march.csv")
    statement = BankStatement.objects.get()
    assert response.status_code == 302 and response["Location"] == url("statement-detail", statement.pk)
    assert messages_of(response) == ["march.csv imported: 4 lines, 2 credits, 1 auto-matched, 0 duplicates; "
                                     "1 waits in the reconciliation queue."]
    assert statement.imported_by == finance_user and reload(invoice).status == InvoiceStatus.PAID

    page = client.get(response["Location"]).content.decode()
    statuses = re.findall(r'data-testid="statement-line" data-status="(\w+)"', page)
    assert statuses == ["matched", "unmatched", "shown", "shown"]
    assert "Invoice number in the remittance text" in page and page.count(">Shown, not applied<") == 2
    assert Payment.objects.get().number in page and "March goods" in page
    listing = client.get(url("statement-list")).content.decode()
    assert 'data-testid="auto-matched">1<' in listing and "march.csv" in listing

    again = upload(client, content, "march-again.csv")
    assert again.status_code == 302 and again["Location"] == url("statement-detail", statement.pk)
    assert "already imported" in messages_of(again)[0] and "nothing was imported again" in messages_of(again)[0]
    assert BankStatement.objects.count() == 1 and Payment.objects.count() == 1


def test_a_camt053_upload_is_read_and_its_lines_shown(finance_user) -> None:
    invoice = issued_invoice([(1, "100.00", "standard")])
    response = upload(client_for(finance_user), camt_v02(amount_1=invoice.gross_total,
                                                         remittance_1=f"Invoice {invoice.number}"), "camt.xml")
    assert response.status_code == 302
    assert messages_of(response)[0].startswith("camt.xml imported: 7 lines, 5 credits, 1 auto-matched, 0 duplicates")
    assert BankStatement.objects.get().format == "camt053"


def test_a_bad_or_too_large_file_gives_a_clear_message_and_imports_nothing(finance_user, settings) -> None:
    client = client_for(finance_user)
    cases = [
        (b"", "x.csv", "The file is empty."),
        (b"hello, this is not a statement", "notes.txt", "The file is not a bank statement this import reads"),
        (b"<html><body>not camt</body></html>", "x.xml", "is not an ISO 20022 CAMT.053 statement"),
        (camt_v02()[:-200], "cut.xml", "The XML file ends too early"),
        (b"booking_date,amount,currency\n2026-03-02,10.00,EUR\n", "x.csv", "missing column(s)"),
    ]
    before = written()
    for content, name, message in cases:
        response = upload(client, content, name)
        assert response.status_code == 400, name
        page = response.content.decode()
        assert page.count('data-testid="form-errors"') == 1 and page.count(message) == 1, name
        assert message in page, (name, message)
    missing = client.post(url("statement-list"), {})
    assert missing.status_code == 400 and "Choose the statement file to upload." in missing.content.decode()
    assert written() == before

    big = upload(client, b"booking_date,amount\n" + b"0" * (50 * 1024 * 1024), "huge.csv")
    assert big.status_code == 400
    assert "The file is 50.0 MB: statements up to 10 MB are accepted." in big.content.decode()
    assert written() == before
    settings.RECEIVABLES_STATEMENT_MAX_BYTES = 1_048_576  # the service's own limit is the one the page applies
    smaller = upload(client, b"x" * 2_097_152, "a.csv")
    assert smaller.status_code == 400
    assert "The file is 2.0 MB: statements up to 1 MB are accepted." in smaller.content.decode()
    assert written() == before


# --- the reconciliation queue ---------------------------------------------------------------------


def test_finance_matches_a_queued_line_by_hand_from_a_suggestion(finance_user) -> None:
    auto = issued_invoice([(1, "100.00", "standard")])
    customer = billing_customer(legal_name="Kieler Werft AG")
    wanted = issued_invoice([(2, "100.00", "standard")], customer=customer)  # 238.00
    other = issued_invoice([(1, "10.00", "standard")], customer=customer)
    result = bank_statement_import(content=two_credits(auto, other="238.00"), filename="s.csv", actor=None)
    line = result.statement.lines.get(status=LineStatus.UNMATCHED)
    client = client_for(finance_user)

    queue = client.get(url("queue")).content.decode()
    assert re.findall(r'data-testid="queue-row" data-line="(\d+)"', queue) == [str(line.pk)]
    best = client.get(url("queue-suggestion", line.pk)).content.decode()
    assert wanted.number in best and "Kieler Werft AG" in best

    page = client.get(url("queue-line", line.pk)).content.decode()
    assert re.findall(r'data-testid="suggestion" data-number="([^"]+)"', page)[0] == wanted.number
    assert "The amount is what the invoice owes (238.00 EUR)." in page
    picked = client.get(url("queue-line", line.pk) + f"?customer={customer.pk}&invoice={wanted.pk}").content.decode()
    assert f'<option value="{customer.pk}" selected>' in picked
    assert re.search(rf'name="alloc_{wanted.pk}"[^>]*value="238.00"', picked)
    assert re.search(rf'name="alloc_{other.pk}"[^>]*value=""', picked)

    # the wrong currency's customer is refused, nothing written
    before = written()
    usd = billing_customer(currency="USD")
    refused = client.post(url("queue-line", line.pk), {"customer": usd.pk})
    assert refused.status_code == 400 and f"{usd} pays in USD; the line is in EUR." in refused.content.decode()
    assert written() == before

    response = client.post(url("queue-line", line.pk), {"customer": customer.pk, f"alloc_{wanted.pk}": "238.00",
                                                        f"alloc_{other.pk}": ""})
    payment = Payment.objects.get(statement_line=line)
    assert response.status_code == 302 and response["Location"] == url("payment-detail", payment.pk)
    assert messages_of(response) == [f"Line matched: payment {payment.number} of 238.00 EUR from Kieler Werft AG, "
                                     f"applied to {wanted.number}."]
    line = reload(line)
    assert (line.status, line.match_rule, line.matched_by) == (LineStatus.MATCHED, MatchRule.MANUAL, finance_user)
    assert reload(wanted).status == InvoiceStatus.PAID and reload(other).status == InvoiceStatus.ISSUED
    assert CustomerBankAccount.objects.filter(customer=customer, iban=IBANS[2]).exists()
    assert "Nothing waits" in client.get(url("queue")).content.decode()
    matched = client.get(url("queue-line", line.pk)).content.decode()
    assert payment.number in matched and "Match and record payment" not in matched

    again = client.post(url("queue-line", line.pk), {"customer": customer.pk})
    assert again.status_code == 400 and "only lines waiting in the queue can be matched" in again.content.decode()


def test_a_queued_line_is_ignored_with_a_reason_and_put_back(finance_user) -> None:
    result = bank_statement_import(content=two_credits(issued_invoice()), filename="s.csv", actor=None)
    line = result.statement.lines.get(status=LineStatus.UNMATCHED)
    client = client_for(finance_user)
    before = written()
    no_reason = client.post(url("queue-line-ignore", line.pk), {"note": ""})
    assert no_reason.status_code == 400 and "Say why the line is ignored." in no_reason.content.decode()
    assert written() == before

    ignored = client.post(url("queue-line-ignore", line.pk), {"note": "Interest from the bank"})
    assert ignored.status_code == 302 and ignored["Location"] == url("queue")
    assert reload(line).status == LineStatus.IGNORED
    assert "Nothing waits" in client.get(url("queue")).content.decode()
    assert str(line.pk) in client.get(url("queue") + "?show=ignored").content.decode()
    page = client.get(url("queue-line", line.pk)).content.decode()
    assert "Interest from the bank" in page and "Back to the queue" in page and "Ignore line" not in page

    back = client.post(url("queue-line-unignore", line.pk))
    assert back.status_code == 302 and reload(line).status == LineStatus.UNMATCHED
    again = client.post(url("queue-line-unignore", line.pk))
    assert again.status_code == 400  # not ignored any more: the transition is refused, on the page
    assert reload(line).status == LineStatus.UNMATCHED


# --- a fixed number of queries ------------------------------------------------------------------


def test_list_pages_keep_a_fixed_number_of_queries(finance_user, capsys) -> None:
    client = client_for(finance_user)
    measured: dict[str, list[tuple[int, int]]] = {}
    statements: list[BankStatement] = []

    def grow(count: int) -> None:
        while len(statements) < count:
            customer = billing_customer()
            invoice = issued_invoice([(1, "10.00", "standard")], customer=customer)
            payment_of(customer, "20.00", invoices=[invoice], reference=f"round {len(statements)}")
            result = bank_statement_import(content=two_credits(issued_invoice([(1, "20.00", "standard")]),
                                                               other=f"{len(statements) + 1}.11"),
                                           filename=f"s{len(statements)}.csv", actor=None)
            statements.append(result.statement)

    pages = [
        (url("payment-list"), r'data-testid="payment-row"'),
        (url("payment-list") + "?unapplied=yes&method=bank_transfer&q=round", r'data-testid="payment-row"'),
        (url("statement-list"), r'data-testid="statement-row"'),
        (url("queue"), r'data-testid="queue-row"'),
    ]
    for rounds in (2, 6):
        grow(rounds)
        for page, marker in pages:
            measured.setdefault(page, []).append(page_queries(client, page, marker))
    small = bank_statement_import(content=statement_csv(), filename="small.csv", actor=None).statement
    big = bank_statement_import(content=camt_v02(), filename="big.xml", actor=None).statement
    measured["statement-detail"] = [page_queries(client, url("statement-detail", s.pk), r'data-testid="statement-line"')
                                    for s in (small, big)]
    with capsys.disabled():
        print("\ncash pages (queries, rows), few → many:", measured)
    for page, ((queries_few, rows_few), (queries_many, rows_many)) in measured.items():
        assert queries_few == queries_many, page
        assert rows_few < rows_many, page
    assert measured[url("queue")][1][1] == 6
