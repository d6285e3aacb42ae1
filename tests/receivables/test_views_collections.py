"""Finance's collection pages in the browser: the receivables home (KPIs, charts), the aging as of any day
with its drill-down and exports, the collector worklist, a customer's account and its actions (promise to
pay, dispute, write-off, reminder now, credit hold), reminders (preview, history, run now), disputes
(resolve, reject), the panels on the invoice and customer pages; access per role (Finance acts, Sales
reads the account, aging and disputes, Warehouse sees nothing); a refusal shows its message and writes
nothing; a fixed number of queries per page (real PostgreSQL)."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pytest_django.fixtures import Settings

from billing.enums import InvoiceStatus
from billing.models import CreditNote, Invoice
from o2c.models import AuditEvent
from orders.models import Customer
from receivables.enums import Direction, DisputeStatus, LineStatus, StatementFormat
from receivables.models import (
    BankStatement,
    BankStatementLine,
    Dispute,
    PromiseToPay,
    Reminder,
    ReminderLog,
    WriteOff,
)
from receivables.services.disputes import dispute_open
from receivables.services.dunning import reminder_send_manual
from receivables.services.payments import promise_to_pay_record
from receivables.views.collections import register_panels
from tests.billing.factories import billing_customer, issued_invoice, issued_on, overdue_invoice
from tests.conftest import client_for, page_queries, pdf_text
from tests.receivables.factories import payment_of

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.timedelta(days=1)
HUNDRED = [(1, "100.00", "standard")]  # 119.00 gross
SMALL = [(1, "3.00", "standard")]  # 3.57 gross: under the default write-off limit (5.00)


@pytest.fixture(autouse=True)
def panels() -> None:
    """The panels on the invoice and customer pages (what `ReceivablesConfig.ready()` registers)."""
    register_panels()


@pytest.fixture(autouse=True)
def media(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _today() -> datetime.date:
    return timezone.localdate()


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def said(response) -> str:
    """The message the action left (the last one: earlier ones wait, unread, until a page shows them)."""
    return messages_of(response)[-1]


def _url(name: str, *args: object) -> str:
    return reverse(f"receivables:{name}", args=args)


def _bank_line(n: int, *, status: str = LineStatus.UNMATCHED, direction: str = Direction.CREDIT) -> BankStatementLine:
    statement = BankStatement.objects.create(format=StatementFormat.CSV, statement_ref=f"S{n}", sha256=f"{n:064d}",
                                             filename=f"s{n}.csv", currency="EUR")
    return BankStatementLine.objects.create(statement=statement, position=1, bank_transaction_id=f"TX-{n}",
                                            booking_date=_today(), direction=direction, amount=D("50.00"),
                                            currency="EUR", status=status)


def _account_data() -> dict[str, object]:
    """A customer with: an invoice 40 days overdue (reminded at level 2 by hand), one 10 days overdue
    (disputed), one not yet due (promised), one paid; another customer 7 days overdue."""
    customer = billing_customer(legal_name="Nordwind Handel GmbH")
    late = overdue_invoice(40, HUNDRED, customer=customer)
    disputed = overdue_invoice(10, HUNDRED, customer=customer)
    current = issued_invoice(HUNDRED, customer=customer)
    paid = issued_invoice(HUNDRED, customer=customer)
    payment = payment_of(customer, "150.00", invoices=[paid])  # 31.00 left as credit
    reminder = reminder_send_manual(invoice_id=late.pk, actor=None, level=2)
    dispute = dispute_open(invoice_id=disputed.pk, reason="price", amount="19.00", note="Price agreed was 84.03",
                           actor=None)
    promise = promise_to_pay_record(invoice_id=current.pk, promised_date=_today() + 20 * DAY, actor=None)
    other = billing_customer(legal_name="Südstern AG")
    other_late = overdue_invoice(7, HUNDRED, customer=other)
    return {"customer": customer, "late": late, "disputed": disputed, "current": current, "paid": paid,
            "payment": payment, "reminder": reminder, "dispute": dispute, "promise": promise, "other": other,
            "other_late": other_late}


# --- pages with their content ---------------------------------------------------------------------


def test_pages_render_for_finance_with_their_content(finance_user) -> None:
    data = _account_data()
    customer, late, disputed = data["customer"], data["late"], data["disputed"]
    _bank_line(1)
    _bank_line(2, status=LineStatus.IGNORED)  # not waiting
    _bank_line(3, direction=Direction.DEBIT)  # a debit: not a payment to match
    client = client_for(finance_user)

    home = client.get(_url("home"))
    assert home.status_code == 200
    page = home.content.decode()
    assert "sales method, 90 days" in page and "CEI" in page and "Average days to pay" in page
    assert 'data-testid="kpi-unmatched"' in page
    assert re.search(r'data-testid="kpi-unmatched".*?fs-4 fw-semibold text-body">1<', page, re.S)
    assert re.search(r'data-testid="kpi-disputes".*?fs-4 fw-semibold text-body">1<', page, re.S)
    assert "vendor/chart.js/chart.umd.min.js" in page and "receivables/charts.js" in page
    charts = json.loads(re.search(r'<script id="receivables-charts" type="application/json">(.*?)</script>', page,
                                  re.S).group(1))
    # open: current 119, disputed (10 days) and other's (7 days) 1–30, late (40 days) 31–60; the paid one: none
    assert [D(v) for v in charts["aging"]["values"]] == [D("119.00"), D("238.00"), D("119.00"), 0, 0]
    assert len(charts["dso"]["labels"]) == 12 and charts["dso"]["labels"][-1] == f"{_today():%Y-%m}"
    assert charts["dso"]["values"][-1] is not None
    assert 'data-testid="kpi-overdue"' in page and "476.00 EUR" in page  # open AR: 4 × 119.00

    aging = client.get(_url("aging")).content.decode()
    rows = re.findall(r'data-testid="aging-row" data-customer="([^"]+)"', aging)
    assert rows == [customer.number, data["other"].number]  # the largest balance first
    assert f'?as_of={_today():%Y-%m-%d}&amp;bucket=31_60&amp;customer={customer.pk}">119.00<' in aging
    assert 'data-testid="aging-total" data-currency="EUR"' in aging and ">476.00<" in aging

    worklist = client.get(_url("worklist")).content.decode()
    ranked = re.findall(r'data-testid="worklist-row" data-customer="([^"]+)"', worklist)
    assert ranked == [customer.number, data["other"].number]  # 119×40 + 119×10 before 119×7
    assert "238.00 EUR" in worklist and "40 days" in worklist and "level 2" in worklist
    assert 'data-testid="disputes">1 dispute<' in worklist

    account = client.get(_url("customer", customer.pk)).content.decode()
    assert "Nordwind Handel GmbH" in account and 'data-testid="open-balance">357.00 EUR' in account
    assert 'data-testid="overdue-total">238.00 EUR' in account and 'data-testid="credit">31.00 EUR' in account
    assert re.findall(r'data-testid="open-invoice" data-number="([^"]+)"', account) == [
        late.number, disputed.number, data["current"].number]  # oldest due first; the paid one is not open
    assert 'data-testid="disputed">disputed' in account and "promised by" in account
    assert 'data-testid="last-level">reminded, level 2' in account
    assert data["payment"].number in account and "31.00 EUR" in account  # its unapplied credit
    assert data["paid"].number in account and 'data-kind="opening"' in account  # the ledger, brought forward
    assert 'data-testid="customer-reminder"' in account and 'data-testid="customer-dispute"' in account
    assert "days to pay" in account  # the paid invoice: paying habit
    assert "dispute_opened" in account  # the customer's timeline
    assert _url("customer-statement-pdf", customer.pk) in account
    assert 'data-testid="hold-form"' in account and "Put on credit hold" in account
    # the actions: the late one can be reminded (level 3 left), the disputed one cannot, nor disputed again
    def actions_of(invoice: Invoice) -> str:
        return re.search(rf'"collection-actions" data-number="{invoice.number}">(.*?)</div>\s*</td>', account,
                         re.S).group(1)

    late_actions, disputed_actions = actions_of(late), actions_of(disputed)
    assert "Send reminder now (level 3)" in late_actions and 'data-testid="dispute-form"' in late_actions
    assert "Send reminder now" not in disputed_actions and 'data-testid="dispute-form"' not in disputed_actions
    assert 'data-testid="write-off-form"' not in late_actions  # 119.00 is over the write-off limit

    preview = client.get(_url("reminder-list")).content.decode()
    assert "Tomorrow&#x27;s run (preview)" in preview or "Tomorrow's run (preview)" in preview
    planned = re.findall(r'data-testid="planned-reminder" data-customer="([^"]+)" data-level="(\d)"', preview)
    # tomorrow the late one (41 days) reaches level 3, the other's (8 days) level 1; the disputed one waits
    assert planned == [(customer.number, "3"), (data["other"].number, "1")]
    assert "Run today&#x27;s reminders now" in preview or "Run today's reminders now" in preview
    history = client.get(_url("reminder-list") + "?tab=history").content.decode()
    assert re.findall(r'data-testid="reminder-row" data-customer="([^"]+)" data-level="(\d)"', history) == [
        (customer.number, "2")]
    assert late.number in history and 'data-testid="manual"' in history

    disputes = client.get(_url("dispute-list")).content.decode()
    assert re.findall(r'data-testid="dispute-row" data-status="(\w+)" data-invoice="([^"]+)"', disputes) == [
        ("open", disputed.number)]
    detail = client.get(_url("dispute-detail", data["dispute"].pk)).content.decode()
    assert "Price or discount disagreed" in detail and "19.00 EUR" in detail and "Price agreed was 84.03" in detail
    assert 'data-testid="resolve-form"' in detail and 'data-testid="reject-form"' in detail
    assert 'data-testid="timeline"' in detail and "opened" in detail

    invoice_page = client.get(reverse("billing:invoice-detail", args=[data["paid"].pk])).content.decode()
    assert 'data-testid="invoice-receivables"' in invoice_page and 'data-testid="allocation"' in invoice_page
    assert data["payment"].number in invoice_page
    late_page = client.get(reverse("billing:invoice-detail", args=[late.pk])).content.decode()
    assert 'data-testid="reminder-log"' in late_page and "level 2 (by hand)" in late_page
    assert 'data-testid="remind-form"' in late_page and 'data-testid="promise-form"' in late_page
    disputed_page = client.get(reverse("billing:invoice-detail", args=[disputed.pk])).content.decode()
    assert 'data-testid="invoice-dispute"' in disputed_page and 'data-testid="dispute-form"' not in disputed_page

    customer_page = client.get(reverse("orders:customer-detail", args=[customer.pk])).content.decode()
    assert 'data-testid="customer-receivables"' in customer_page and _url("customer", customer.pk) in customer_page
    assert 'data-testid="panel-overdue">238.00 EUR' in customer_page


def test_the_statement_pdf_of_the_account(finance_user) -> None:
    data = _account_data()
    client = client_for(finance_user)
    customer = data["customer"]
    response = client.get(_url("customer-statement-pdf", customer.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'filename="statement-{customer.number}-{_today():%Y-%m-%d}.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert data["late"].number in text and "357.00" in text
    bad = client.get(_url("customer-statement-pdf", customer.pk) + "?as_of=31.12.2025")
    assert bad.status_code == 302 and bad["Location"] == _url("customer", customer.pk)
    assert "is not a day" in said(bad)


# --- access per role --------------------------------------------------------------------------------


def _every_page(data: dict) -> list[str]:
    return [_url("home"), _url("aging"), _url("aging") + f"?bucket=1_30&customer={data['customer'].pk}",
            _url("worklist"), _url("customer", data["customer"].pk), _url("reminder-list"),
            _url("reminder-list") + "?tab=history", _url("dispute-list"), _url("dispute-detail", data["dispute"].pk),
            _url("customer-statement-pdf", data["customer"].pk)]


def _every_action(data: dict) -> list[tuple[str, dict]]:
    late, customer = data["late"], data["customer"]
    return [
        (_url("invoice-promise", late.pk), {"promised_date": f"{_today() + 5 * DAY:%Y-%m-%d}"}),
        (_url("invoice-dispute", late.pk), {"reason": "price", "amount": "10.00"}),
        (_url("invoice-write-off", late.pk), {"reason": "small_balance"}),
        (_url("invoice-remind", late.pk), {}),
        (_url("customer-credit-hold", customer.pk), {"hold": "1", "reason": "Calls unanswered"}),
        (_url("reminder-run"), {}),
        (_url("dispute-resolve", data["dispute"].pk), {"amount": "19.00"}),
        (_url("dispute-reject", data["dispute"].pk), {"note": "No"}),
    ]


def _nothing_written(data: dict) -> None:
    assert PromiseToPay.objects.count() == 1 and Dispute.objects.count() == 1 and WriteOff.objects.count() == 0
    assert Reminder.objects.count() == 1 and CreditNote.objects.count() == 0
    assert Dispute.objects.get().status == DisputeStatus.OPEN
    assert not Customer.objects.get(pk=data["customer"].pk).credit_hold


def test_warehouse_is_refused_every_page_and_action(warehouse_user) -> None:
    data = _account_data()
    client = client_for(warehouse_user)
    for url in _every_page(data):
        assert client.get(url).status_code == 403, url
    for url, body in _every_action(data):
        assert client.post(url, body).status_code == 403, url
    _nothing_written(data)
    invoice_page = client.get(reverse("billing:invoice-detail", args=[data["late"].pk]))
    assert invoice_page.status_code == 403  # billing's own rule; no panel leaks through
    customer_page = client.get(reverse("orders:customer-detail", args=[data["customer"].pk])).content.decode()
    assert 'data-testid="customer-receivables"' not in customer_page


def test_sales_reads_the_account_aging_and_disputes_and_is_refused_the_rest(sales_user) -> None:
    data = _account_data()
    client = client_for(sales_user)
    readable = [_url("aging"), _url("aging") + f"?bucket=1_30&customer={data['customer'].pk}",
                _url("customer", data["customer"].pk), _url("dispute-list"),
                _url("dispute-detail", data["dispute"].pk)]
    for url in readable:
        assert client.get(url).status_code == 200, url
    for url in (_url("home"), _url("worklist"), _url("reminder-list"), _url("reminder-list") + "?tab=history"):
        assert client.get(url).status_code == 403, url  # Finance's work
    account = client.get(_url("customer", data["customer"].pk)).content.decode()
    for form in ("remind-form", "promise-form", "dispute-form", "write-off-form", "hold-form"):
        assert f'data-testid="{form}"' not in account, form
    detail = client.get(_url("dispute-detail", data["dispute"].pk)).content.decode()
    assert 'data-testid="resolve-form"' not in detail and 'data-testid="reject-form"' not in detail
    invoice_page = client.get(reverse("billing:invoice-detail", args=[data["late"].pk])).content.decode()
    assert 'data-testid="invoice-receivables"' in invoice_page
    assert 'data-testid="collection-actions"' not in invoice_page
    for url, body in _every_action(data):
        assert client.post(url, body).status_code == 403, url
    _nothing_written(data)


# --- the aging ----------------------------------------------------------------------------------------


def test_the_aging_as_of_a_past_day_counts_what_was_open_then(finance_user) -> None:
    customer = billing_customer()
    settled = overdue_invoice(10, HUNDRED, customer=customer)  # due 10 days ago, paid today
    payment_of(customer, "119.00", invoices=[settled])
    later = issued_on(_today() - 3 * DAY, HUNDRED, customer=customer)  # issued 3 days ago
    client = client_for(finance_user)

    today = client.get(_url("aging")).content.decode()
    assert 'data-testid="aging-row"' in today and ">119.00<" in today  # only `later`, current
    past = client.get(_url("aging") + f"?as_of={_today() - 5 * DAY:%Y-%m-%d}")
    assert past.status_code == 200
    page = past.content.decode()
    # five days ago: `settled` was 5 days overdue and unpaid; `later` was not issued yet
    assert re.search(r'data-bucket="1_30"><a [^>]*bucket=1_30&amp;customer=\d+">119.00</a>', page)
    assert re.search(r'data-bucket="current"><span class="text-secondary">–</span>', page)
    assert "payments, credit notes and write-offs dated later do not count" in page
    drill = client.get(_url("aging") + f"?as_of={_today() - 5 * DAY:%Y-%m-%d}&bucket=1_30&customer={customer.pk}")
    assert re.findall(r'data-testid="aging-invoice" data-number="([^"]+)"', drill.content.decode()) == [settled.number]
    drill_today = client.get(_url("aging") + f"?customer={customer.pk}").content.decode()
    assert re.findall(r'data-testid="aging-invoice" data-number="([^"]+)"', drill_today) == [later.number]


def test_a_bad_aging_day_or_drill_down_is_a_form_error_not_a_500(finance_user) -> None:
    client = client_for(finance_user)
    for query, message in (("?as_of=31.12.2025", "Enter the day as YYYY-MM-DD."),
                           ("?as_of=2025-02-30", "Enter the day as YYYY-MM-DD."),
                           ("?as_of=1900-01-01", "Choose a day from 2000 on."),
                           ("?customer=999999", "No such customer."),
                           ("?customer=abc", "No such customer."),
                           ("?bucket=2_days", "Select a valid choice."),
                           ("?as_of=2025-01-01&format=pdf", "Select a valid choice.")):
        response = client.get(_url("aging") + query)
        assert response.status_code == 400, query
        assert message in response.content.decode(), query


def test_the_drill_down_lists_the_invoices_behind_an_amount(finance_user) -> None:
    customer, other = billing_customer(), billing_customer()
    a = overdue_invoice(15, HUNDRED, customer=customer)
    b = overdue_invoice(45, HUNDRED, customer=customer)
    c = overdue_invoice(20, HUNDRED, customer=other)
    issued_invoice(HUNDRED, customer=customer)  # current
    client = client_for(finance_user)

    def numbers(query: str) -> list[str]:
        page = client.get(_url("aging") + query).content.decode()
        return re.findall(r'data-testid="aging-invoice" data-number="([^"]+)"', page)

    assert numbers(f"?bucket=1_30&customer={customer.pk}") == [a.number]
    assert numbers("?bucket=1_30") == [c.number, a.number]  # most overdue first
    assert numbers("?bucket=overdue") == [b.number, c.number, a.number]
    assert numbers(f"?bucket=31_60&customer={other.pk}") == []
    page = client.get(_url("aging") + f"?bucket=overdue&customer={customer.pk}").content.decode()
    assert "238.00 EUR" in page and customer.legal_name in page


def test_the_aging_exports_as_csv_and_xlsx(finance_user) -> None:
    customer, other = billing_customer(legal_name="Alpha, Beta & Co"), billing_customer()
    late = overdue_invoice(40, HUNDRED, customer=customer)
    issued_invoice(HUNDRED, customer=customer)
    overdue_invoice(95, [(3, "100.00", "standard")], customer=other)  # 357.00: the largest balance first
    client = client_for(finance_user)
    as_of = f"{_today():%Y-%m-%d}"

    response = client.get(_url("aging") + "?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f'filename="aging-{as_of}.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Customer number", "Customer", "Currency", "Invoices", "Current", "1–30", "31–60", "61–90",
                       "90+", "Total"]
    assert rows[1][:4] == [other.number, other.legal_name, "EUR", "1"]
    assert [D(v) for v in rows[1][4:]] == [0, 0, 0, 0, D("357.00"), D("357.00")]
    assert rows[2][:4] == [customer.number, "Alpha, Beta & Co", "EUR", "2"]
    assert [D(v) for v in rows[2][4:]] == [D("119.00"), 0, D("119.00"), 0, 0, D("238.00")]
    assert rows[3][:4] == ["", "Company total", "EUR", "3"] and D(rows[3][-1]) == D("595.00")
    assert len(rows) == 4

    response = client.get(_url("aging") + f"?as_of={as_of}&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Customer number" and values[0][-1] == "Total"
    assert values[2][:4] == [customer.number, "Alpha, Beta & Co", "EUR", 2]
    assert [D(str(v)) for v in values[2][4:]] == [D("119.00"), 0, D("119.00"), 0, 0, D("238.00")]
    assert values[3][1] == "Company total" and D(str(values[3][-1])) == D("595.00")

    drill = client.get(_url("aging") + f"?bucket=31_60&customer={customer.pk}&format=csv")
    rows = list(csv.reader(io.StringIO(drill.content.decode())))
    assert f'filename="aging-{as_of}-{customer.number}-31_60-invoices.csv"' in drill["Content-Disposition"]
    assert rows[0][0] == "Invoice" and [r[0] for r in rows[1:]] == [late.number]
    assert rows[1][6:] == ["40", "31–60", "119.00", "119.00"]
    xlsx = client.get(_url("aging") + f"?bucket=31_60&customer={customer.pk}&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [row[0].value for row in sheet.iter_rows()] == ["Invoice", late.number]
    assert sheet["F2"].value.date() == late.due_date  # a real date, not text


# --- actions on an invoice ------------------------------------------------------------------------


def test_promise_to_pay_from_the_account_and_a_refusal(finance_user) -> None:
    customer = billing_customer()
    invoice = overdue_invoice(10, HUNDRED, customer=customer)
    client = client_for(finance_user)
    account = _url("customer", customer.pk)
    promised = _today() + 7 * DAY

    done = client.post(_url("invoice-promise", invoice.pk), {"promised_date": f"{promised:%Y-%m-%d}",
                                                             "amount": "60.00", "note": "CFO on the phone",
                                                             "next": account})
    assert done.status_code == 302 and done["Location"] == account
    assert f"Promise to pay 60.00 EUR by {promised:%Y-%m-%d} noted for {invoice.number}" in said(done)
    promise = PromiseToPay.objects.get()
    assert (promise.invoice_id, promise.promised_date, promise.amount, promise.note, promise.created_by) == (
        invoice.pk, promised, D("60.00"), "CFO on the phone", finance_user)
    assert f"promised by {promised:%Y-%m-%d}" in client.get(account).content.decode()

    for body, message in (({"promised_date": f"{_today() - DAY:%Y-%m-%d}"}, "A promise to pay is for today or later."),
                          ({"promised_date": "tomorrow"}, "Enter the day as YYYY-MM-DD."),
                          ({}, "Enter the day the customer promised to pay by."),
                          ({"promised_date": f"{promised:%Y-%m-%d}", "amount": "500.00"}, "owes 119.00"),
                          ({"promised_date": f"{promised:%Y-%m-%d}", "amount": "-1"}, "At least 0.01.")):
        refused = client.post(_url("invoice-promise", invoice.pk), {**body, "next": account})
        assert refused.status_code == 302 and refused["Location"] == account, body
        assert message in said(refused), body
    assert PromiseToPay.objects.count() == 1
    # an unsafe `next` is not followed: back to the account
    elsewhere = client.post(_url("invoice-promise", invoice.pk), {"promised_date": f"{promised:%Y-%m-%d}",
                                                                  "next": "https://evil.example/"})
    assert elsewhere["Location"] == account


def test_open_a_dispute_from_the_invoice_page_and_refusals(finance_user) -> None:
    invoice = overdue_invoice(10, HUNDRED)
    client = client_for(finance_user)
    page = reverse("billing:invoice-detail", args=[invoice.pk])
    done = client.post(_url("invoice-dispute", invoice.pk), {"reason": "damaged", "amount": "40.00", "note": "Dented",
                                                             "owner": finance_user.pk, "next": page})
    assert done.status_code == 302 and done["Location"] == page
    assert f"Dispute opened on {invoice.number} for 40.00 EUR" in said(done)
    dispute = Dispute.objects.get()
    assert (dispute.reason, dispute.amount, dispute.note, dispute.owner, dispute.status) == (
        "damaged", D("40.00"), "Dented", finance_user, DisputeStatus.OPEN)
    assert AuditEvent.objects.filter(action="dispute_opened", object_id=str(invoice.customer_id)).exists()
    shown = client.get(page).content.decode()
    assert 'data-testid="invoice-dispute"' in shown and "Goods damaged" in shown

    for body, message in (({"reason": "price", "amount": "5.00"}, "has an open dispute already"),
                          ({"reason": "", "amount": "5.00"}, "Choose a reason."),
                          ({"reason": "price"}, "Enter the disputed amount."),
                          ({"reason": "price", "amount": "0"}, "At least 0.01."),
                          ({"reason": "price", "amount": "1.005"}, "decimal places")):
        refused = client.post(_url("invoice-dispute", invoice.pk), {**body, "next": page})
        assert refused["Location"] == page and message in said(refused), body
    other = overdue_invoice(10, HUNDRED)
    over = client.post(_url("invoice-dispute", other.pk), {"reason": "price", "amount": "500.00"})
    assert over["Location"] == _url("customer", other.customer_id)
    assert "a dispute is at most that" in said(over)
    assert Dispute.objects.count() == 1


def test_write_off_a_small_balance_and_not_a_large_one(finance_user) -> None:
    customer = billing_customer()
    small = issued_invoice(SMALL, customer=customer)  # 3.57
    large = issued_invoice(HUNDRED, customer=customer)
    client = client_for(finance_user)
    account = _url("customer", customer.pk)
    page = client.get(account).content.decode()
    small_actions = re.search(rf'"collection-actions" data-number="{small.number}">(.*?)</div>\s*</td>', page,
                              re.S).group(1)
    large_actions = re.search(rf'"collection-actions" data-number="{large.number}">(.*?)</div>\s*</td>', page,
                              re.S).group(1)
    assert "Write off 3.57 EUR" in small_actions and "Write off" not in large_actions

    missing = client.post(_url("invoice-write-off", small.pk), {"next": account})
    assert "Choose a reason." in said(missing) and WriteOff.objects.count() == 0
    refused = client.post(_url("invoice-write-off", large.pk), {"reason": "small_balance", "next": account})
    assert refused["Location"] == account and "only balances up to 5.00 may be written off" in said(refused)
    assert WriteOff.objects.count() == 0 and Invoice.objects.get(pk=large.pk).amount_due == D("119.00")

    done = client.post(_url("invoice-write-off", small.pk), {"reason": "small_balance", "note": "Not worth a call",
                                                             "next": account})
    assert "3.57 EUR of" in said(done) and "written off (Small residual balance)" in said(done)
    small.refresh_from_db()
    assert small.status == InvoiceStatus.PAID and small.amount_due == 0
    assert WriteOff.objects.get().created_by == finance_user
    assert Customer.objects.get(pk=customer.pk).open_balance == D("119.00")
    again = client.post(_url("invoice-write-off", small.pk), {"reason": "small_balance"})
    assert messages_of(again) and WriteOff.objects.count() == 1


def test_send_a_reminder_now_and_refusals(finance_user) -> None:
    customer = billing_customer()
    late = overdue_invoice(10, HUNDRED, customer=customer)
    not_due = issued_invoice(HUNDRED, customer=customer)
    client = client_for(finance_user)
    account = _url("customer", customer.pk)

    done = client.post(_url("invoice-remind", late.pk), {"next": account})
    assert done["Location"] == account
    assert f"Level 1 reminder for {late.number} written" in said(done)
    reminder = Reminder.objects.get()
    assert reminder.manual and reminder.level == 1 and reminder.created_by == finance_user
    assert list(ReminderLog.objects.values_list("invoice_id", "level")) == [(late.pk, 1)]

    again = client.post(_url("invoice-remind", late.pk), {"level": "1", "next": account})
    assert said(again) == f"The level 1 reminder for {late.number} was sent already."
    early = client.post(_url("invoice-remind", not_due.pk), {"next": account})
    assert "it is not overdue yet" in said(early)
    bad_level = client.post(_url("invoice-remind", late.pk), {"level": "7", "next": account})
    assert "The dunning policy has no level 7." in said(bad_level)
    assert Reminder.objects.count() == 1 and ReminderLog.objects.count() == 1


# --- the customer: credit hold ------------------------------------------------------------------------


def test_hold_and_release_the_customer_by_hand(finance_user) -> None:
    customer = billing_customer()
    client = client_for(finance_user)
    account = _url("customer", customer.pk)
    refused = client.post(_url("customer-credit-hold", customer.pk), {"hold": "1", "reason": " ", "next": account})
    assert refused["Location"] == account and "Say why the customer goes on credit hold." in said(refused)
    assert not Customer.objects.get(pk=customer.pk).credit_hold
    bad = client.post(_url("customer-credit-hold", customer.pk), {"hold": "maybe", "reason": "x"})
    assert "Select a valid choice." in said(bad)

    held = client.post(_url("customer-credit-hold", customer.pk), {"hold": "1", "reason": "Cheque bounced",
                                                                   "next": account})
    assert "is on credit hold" in said(held)
    customer.refresh_from_db()
    assert customer.credit_hold and customer.credit_hold_reason == "Cheque bounced"
    assert customer.credit_hold_by == finance_user
    page = client.get(account).content.decode()
    assert 'data-testid="credit-hold">credit hold' in page and "Cheque bounced" in page
    assert "Release the credit hold" in page

    released = client.post(_url("customer-credit-hold", customer.pk), {"hold": "0", "next": account})
    assert "is off credit hold" in said(released)
    assert not Customer.objects.get(pk=customer.pk).credit_hold
    assert AuditEvent.objects.filter(action="credit_changed", object_id=str(customer.pk)).count() == 2


# --- reminders: run now ---------------------------------------------------------------------------


def test_run_todays_reminders_now_once(finance_user) -> None:
    first, second = billing_customer(), billing_customer()
    a = overdue_invoice(8, HUNDRED, customer=first)
    b = overdue_invoice(25, HUNDRED, customer=first)
    overdue_invoice(9, HUNDRED, customer=second)
    overdue_invoice(3, HUNDRED, customer=second)  # not yet at level 1 (7 days)
    client = client_for(finance_user)
    preview = client.get(_url("reminder-list") + f"?customer={first.pk}").content.decode()
    assert re.findall(r'data-testid="planned-reminder" data-customer="([^"]+)" data-level="(\d)"', preview) == [
        (first.number, "1"), (first.number, "2")]
    assert "Total EUR" in preview and "5.00" in preview  # level 2's fee

    ran = client.post(_url("reminder-run"))
    assert ran["Location"] == _url("reminder-list")
    assert said(ran) == "3 reminders to 2 customers written; they are being e-mailed."
    assert sorted(ReminderLog.objects.values_list("invoice__number", "level")) == sorted(
        [(a.number, 1), (b.number, 2), (Invoice.objects.get(customer=second, due_date=_today() - 9 * DAY).number, 1)])
    assert not Reminder.objects.filter(manual=True).exists()
    assert Reminder.objects.filter(created_by=finance_user).count() == 3
    again = client.post(_url("reminder-run"))
    assert "Nothing to remind today" in said(again) and Reminder.objects.count() == 3

    history = client.get(_url("reminder-list") + f"?tab=history&customer={first.pk}&level=2").content.decode()
    assert re.findall(r'data-testid="reminder-row" data-customer="([^"]+)" data-level="(\d)"', history) == [
        (first.number, "2")]
    assert b.number in history and a.number not in history


# --- disputes: resolve, reject ------------------------------------------------------------------------


def test_resolve_a_dispute_by_a_credit_note(finance_user) -> None:
    invoice = overdue_invoice(10, HUNDRED)
    dispute = dispute_open(invoice_id=invoice.pk, reason="price", amount="30.00", actor=None)
    client = client_for(finance_user)
    url = _url("dispute-resolve", dispute.pk)

    too_much = client.post(url, {"amount": "500.00", "note": "x"})
    assert too_much.status_code == 400 and 'data-testid="form-errors"' in too_much.content.decode()
    assert CreditNote.objects.count() == 0 and Dispute.objects.get().status == DisputeStatus.OPEN
    bad = client.post(url, {"amount": "abc"})
    assert bad.status_code == 400 and "Enter a number." in bad.content.decode()

    done = client.post(url, {"amount": "25.00", "note": "Agreed on the phone"})
    assert done.status_code == 302 and done["Location"] == _url("dispute-detail", dispute.pk)
    note = CreditNote.objects.get()
    assert f"credit note {note.number} issued for 25.00 EUR" in said(done)
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED and dispute.credit_note == note
    assert dispute.resolution_note == "Agreed on the phone" and dispute.resolved_by == finance_user
    assert Invoice.objects.get(pk=invoice.pk).amount_due == D("94.00")
    page = client.get(_url("dispute-detail", dispute.pk)).content.decode()
    assert note.number in page and 'data-testid="resolve-form"' not in page and "resolved" in page
    twice = client.post(url, {"amount": "1.00"})
    assert twice.status_code == 400 and "already" in twice.content.decode() and CreditNote.objects.count() == 1


def test_reject_a_dispute_with_a_reason(finance_user) -> None:
    invoice = overdue_invoice(10, HUNDRED)
    dispute = dispute_open(invoice_id=invoice.pk, reason="quantity", amount="30.00", actor=None)
    client = client_for(finance_user)
    empty = client.post(_url("dispute-reject", dispute.pk), {"note": "  "})
    assert empty.status_code == 400 and "Say why the dispute is rejected." in empty.content.decode()
    assert Dispute.objects.get().status == DisputeStatus.OPEN
    done = client.post(_url("dispute-reject", dispute.pk), {"note": "Delivery note signed in full"})
    assert done["Location"] == _url("dispute-detail", dispute.pk)
    assert f"reminders for {invoice.number} resume" in said(done)
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.REJECTED and dispute.resolution_note == "Delivery note signed in full"
    listed = client.get(_url("dispute-list") + "?status=rejected").content.decode()
    assert re.findall(r'data-testid="dispute-row" data-status="(\w+)"', listed) == ["rejected"]
    assert re.findall(r'data-testid="dispute-row"', client.get(_url("dispute-list") + "?status=open")
                      .content.decode()) == []


def test_the_dispute_list_filters_by_status_owner_and_customer(finance_user) -> None:
    mine = dispute_open(invoice_id=overdue_invoice(10, HUNDRED).pk, reason="price", amount="1.00",
                        owner_id=finance_user.pk, actor=None)
    nobodys = dispute_open(invoice_id=overdue_invoice(10, HUNDRED).pk, reason="price", amount="1.00", actor=None)
    client = client_for(finance_user)

    def listed(query: str) -> list[str]:
        page = client.get(_url("dispute-list") + query).content.decode()
        return re.findall(r'href="/receivables/disputes/(\d+)/"', page)

    assert listed("") == [str(nobodys.pk), str(mine.pk)]  # the newest first
    assert listed(f"?owner={finance_user.pk}") == [str(mine.pk)]
    assert listed("?owner=none") == [str(nobodys.pk)]
    assert listed(f"?customer={mine.customer_id}") == [str(mine.pk)]
    assert listed("?status=resolved") == []
    assert client.get(_url("dispute-list") + "?customer=x&status=bogus").status_code == 200  # ignored, not an error
    assert client.get(_url("dispute-detail", 999999)).status_code == 404


# --- a fixed number of queries ------------------------------------------------------------------------


def test_collection_pages_keep_a_fixed_number_of_queries(finance_user, capsys) -> None:
    from receivables.services.dunning import reminder_run

    client = client_for(finance_user)
    main = billing_customer()
    made: list[int] = []

    def grow(rounds: int) -> None:
        """Per round: a new customer 60 days late and one 7 days late (level 1 tomorrow); for `main` an
        invoice 60 days late, a disputed one, a promised one, one paid with 1.00 left as credit; then a
        reminder run dated that many days back (so each round has its own reminders)."""
        while len(made) < rounds:
            k = len(made)
            overdue_invoice(60, HUNDRED, customer=billing_customer())
            overdue_invoice(7, HUNDRED, customer=billing_customer())
            overdue_invoice(60, HUNDRED, customer=main)
            dispute_open(invoice_id=overdue_invoice(15, HUNDRED, customer=main).pk, reason="price", amount="9.00",
                         owner_id=finance_user.pk, actor=None)
            promise_to_pay_record(invoice_id=issued_invoice(HUNDRED, customer=main).pk,
                                  promised_date=_today() + 9 * DAY, actor=None)
            payment_of(main, "120.00", invoices=[issued_invoice(HUNDRED, customer=main)])
            reminder_run(today=_today() - (k + 1) * DAY)
            made.append(k)

    past = f"{_today() - 2 * DAY:%Y-%m-%d}"
    pages = [
        (_url("aging"), r'data-testid="aging-row"'),
        (_url("aging") + f"?as_of={past}", r'data-testid="aging-row"'),
        (_url("aging") + "?bucket=overdue", r'data-testid="aging-invoice"'),
        (_url("aging") + f"?as_of={past}&customer={main.pk}", r'data-testid="aging-invoice"'),
        (_url("worklist"), r'data-testid="worklist-row"'),
        (_url("customer", main.pk), r'data-testid="(?:open-invoice|ledger-entry|customer-dispute|customer-reminder'
                                    r'|credit-payment)"'),
        (_url("reminder-list"), r'data-testid="planned-reminder"'),
        (_url("reminder-list") + "?tab=history", r'data-testid="reminder-row"'),
        (_url("dispute-list"), r'data-testid="dispute-row"'),
        (_url("dispute-list") + f"?status=open&owner={finance_user.pk}&customer={main.pk}",
         r'data-testid="dispute-row"'),
        (_url("home"), r"<tr>"),
    ]
    measured: dict[str, list[tuple[int, int]]] = {}
    for rounds in (2, 5):
        grow(rounds)
        for url, marker in pages:
            measured.setdefault(url, []).append(page_queries(client, url, marker))

    # the invoice page's panel: nothing recorded yet, or 3 payments, 2 reminders, 2 disputes, 2 promises
    small = overdue_invoice(40, HUNDRED)
    big = overdue_invoice(40, [(1, "300.00", "standard")])
    for amount in ("10.00", "20.00", "30.00"):
        payment_of(big.customer, amount, invoices=[(big, amount)])
    for level in (1, 2):
        reminder_send_manual(invoice_id=big.pk, actor=None, level=level)
    from receivables.services.disputes import dispute_reject

    dispute_reject(dispute_id=dispute_open(invoice_id=big.pk, reason="price", amount="5.00", actor=None).pk,
                   note="No", actor=None)
    for days in (5, 9):
        promise_to_pay_record(invoice_id=big.pk, promised_date=_today() + days * DAY, actor=None)
    dispute_open(invoice_id=small.pk, reason="price", amount="5.00", actor=None)
    dispute_reject(dispute_id=Dispute.objects.get(invoice=small).pk, note="No", actor=None)
    measured["invoice page"] = [page_queries(client, reverse("billing:invoice-detail", args=[invoice.pk]),
                                             r'data-testid="(?:allocation|reminder-log|invoice-dispute|promise-row)"')
                                for invoice in (small, big)]
    with capsys.disabled():
        print("\ncollection pages (queries, rows), few → many:", measured)
    for url, ((queries_few, rows_few), (queries_many, rows_many)) in measured.items():
        assert queries_few == queries_many, url
        if url != _url("home"):
            assert rows_few < rows_many, url
    assert measured[_url("worklist")][1][1] == 11  # 5 × 2 customers late, and `main`
    assert measured[_url("reminder-list")][1][1] == 5  # the 7-days-late ones: level 1 tomorrow
