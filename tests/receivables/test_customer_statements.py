"""Customer statements: the PDF (real WeasyPrint, read back with pdftotext) shows the open invoices with
their days overdue and aging, the credit, the ledger and the balance; the monthly run makes one statement
per customer with an open balance, however often it runs, and the worker e-mails it once."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from orders.models import Customer
from receivables import tasks
from receivables.models import CustomerStatement
from receivables.services.customer_statements import (
    customer_statement_pdf,
    ledger_since,
    previous_month_end,
    statement_email_send,
    statements_send_monthly,
)
from tests.billing.factories import billing_customer, issued_invoice, overdue_invoice
from tests.conftest import pdf_text, wait_for
from tests.receivables.factories import payment_of

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def _text(pdf: bytes) -> str:
    return " ".join(pdf_text(pdf).split())


def _statement_mails() -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if any(name.startswith("statement-") for name, _, _ in m.attachments)]


def test_the_month_end_and_the_ledger_window() -> None:
    assert previous_month_end(datetime.date(2026, 3, 1)) == datetime.date(2026, 2, 28)
    assert previous_month_end(datetime.date(2024, 3, 15)) == datetime.date(2024, 2, 29)
    assert previous_month_end(datetime.date(2026, 1, 1)) == datetime.date(2025, 12, 31)
    assert ledger_since(datetime.date(2026, 3, 31)) == datetime.date(2026, 1, 1)
    assert ledger_since(datetime.date(2026, 2, 28)) == datetime.date(2025, 12, 1)


def test_the_statement_shows_the_open_invoices_aging_credit_ledger_and_balance() -> None:
    customer = billing_customer(legal_name="Nordlicht Möbel GmbH")
    recent = overdue_invoice(10, customer=customer)  # 119.00, 1–30
    older = overdue_invoice(45, [(2, "100.00", "standard")], customer=customer)  # 238.00, 31–60
    current = issued_invoice(customer=customer)  # 357.00 (3 × 100 + VAT), not yet due
    part = payment_of(customer, "19.00", invoices=[(older, "19.00")])  # 219.00 left
    credit = payment_of(customer, "50.00")  # not applied: a credit
    today = timezone.localdate()

    text = _text(customer_statement_pdf(Customer.objects.get(pk=customer.pk), today))

    assert "Statement of account" in text and "Nordlicht Möbel GmbH" in text and customer.number in text
    assert f"Open invoices as of {today:%Y-%m-%d}" in text
    assert (f"{older.number} {older.issue_date:%Y-%m-%d} {older.due_date:%Y-%m-%d} 45 238.00 EUR 219.00 EUR"
            in text)
    assert f"{recent.number} {recent.issue_date:%Y-%m-%d} {recent.due_date:%Y-%m-%d} 10 119.00 EUR 119.00 EUR" in text
    assert f"{current.number}" in text and "357.00 EUR 357.00 EUR" in text
    # aging: current, 1–30, 31–60, 61–90, 90+, total
    assert "Current 1–30 31–60 61–90 90+ Total" in text
    assert "EUR 357.00 119.00 219.00 0.00 0.00 695.00" in text
    assert f"{credit.number} {today:%Y-%m-%d} 50.00 EUR" in text
    assert "Open invoices 695.00 EUR" in text and "Less credit on account −50.00 EUR" in text
    assert "Balance 645.00 EUR" in text
    # the ledger: the invoices and both payments, the running balance ending at the balance
    assert part.number in text and "Account activity" in text
    activity = text.split("Account activity")[1]
    # the ledger starts on the first day of the month two months back: the older invoice (75 days old) is in
    # it from the 15th of a month on, before that in the balance brought forward
    if older.issue_date >= ledger_since(today):
        assert older.number in activity
    else:
        assert older.number not in activity and "Balance brought forward" in activity
    assert recent.number in activity and current.number in activity
    assert "645.00" in activity


def test_a_statement_as_of_a_past_day_shows_what_was_open_then() -> None:
    customer = billing_customer()
    paid_today = overdue_invoice(5, customer=customer)
    payment_of(customer, paid_today.amount_due, invoices=[paid_today])
    yesterday = timezone.localdate() - DAY

    then = _text(customer_statement_pdf(customer, yesterday))
    now = _text(customer_statement_pdf(customer, timezone.localdate()))

    assert f"{paid_today.number} {paid_today.issue_date:%Y-%m-%d} {paid_today.due_date:%Y-%m-%d} 4 119.00 EUR" in then
    assert "No open invoices." in now and "No open invoices." not in then


def test_the_monthly_run_makes_one_statement_per_customer_with_an_open_balance_however_often_it_runs() -> None:
    owing, silent, settled = billing_customer(), billing_customer(), billing_customer()
    invoice = overdue_invoice(10, customer=owing)
    overdue_invoice(10, customer=silent)
    silent.contacts.all().delete()  # no one to send it to
    paid = overdue_invoice(10, customer=settled)
    payment_of(settled, paid.amount_due, invoices=[paid])
    as_of = timezone.localdate()

    assert statements_send_monthly(as_of=as_of) == 1
    assert statements_send_monthly(as_of=as_of) == 0
    statement = CustomerStatement.objects.get()
    assert (statement.customer_id, statement.as_of, statement.open_balance) == (owing.pk, as_of, Decimal("119.00"))

    assert statement_email_send(statement_id=statement.pk) is True
    assert statement_email_send(statement_id=statement.pk) is False  # the task again: nothing more
    (message,) = _statement_mails()
    assert message.to == [f"billing-{owing.number.lower()}@customer.example"]
    assert message.subject == f"Statement of account {owing.number} as of {as_of:%Y-%m-%d} from Demo Trading GmbH"
    assert "Open invoices: 119.00 EUR" in message.body
    ((name, content, _),) = message.attachments
    assert name == f"statement-{owing.number}-{as_of:%Y-%m-%d}.pdf" and invoice.number in pdf_text(content)
    statement.refresh_from_db()
    assert statement.sent_at is not None and statement.email_to == message.to[0]

    assert statements_send_monthly(as_of=as_of + DAY) == 1  # another month's statement is another row


@pytest.mark.django_db(transaction=True)
def test_the_monthly_task_e_mails_each_statement_once_on_the_worker(celery_worker) -> None:
    customer = billing_customer()
    invoice = overdue_invoice(40, customer=customer)
    as_of = timezone.localdate()

    tasks.statements_monthly.delay(as_of.isoformat())
    assert wait_for(lambda: CustomerStatement.objects.filter(sent_at__isnull=False).exists())
    assert tasks.statements_monthly.apply(args=[as_of.isoformat()]).get() == 0
    statement = CustomerStatement.objects.get()
    assert tasks.statement_send.apply(args=[statement.pk]).get() is False
    (message,) = _statement_mails()
    assert invoice.number in pdf_text(message.attachments[0][1])
