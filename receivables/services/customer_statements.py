"""Customer statements of account: the PDF (open invoices with their aging, credit, the ledger of the last
months, the balance) and the monthly run that e-mails it to every customer with an open balance.

Exactly once: `CustomerStatement` is UNIQUE(customer, as_of); the run inserts the month's rows with
INSERT … ON CONFLICT DO NOTHING and hands only the rows it inserted to the task `receivables.statement_send`
after commit, so a second run (or a racing one) sends nothing. The task locks the row and checks `sent_at`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from billing.selectors import billing_recipients
from o2c.documents import render_pdf
from o2c.errors import NotFound
from orders.models import Contact, Customer

from ..enums import AgingBucket
from ..models import CustomerStatement
from ..selectors.aging import aging_invoices, aging_report
from ..selectors.collections import customer_credits
from ..selectors.ledger import customer_ledger
from .dunning import grouped_iban
from .mailing import send_once

LEDGER_MONTHS = 3  # the statement shows the ledger from the first day of the month this many months back


def ledger_since(as_of: datetime.date, months: int = LEDGER_MONTHS) -> datetime.date:
    """The first day of the month `months − 1` months before `as_of`'s (3 months: Jan, Feb, Mar for March)."""
    month = as_of.year * 12 + as_of.month - 1 - (months - 1)
    return datetime.date(month // 12, month % 12 + 1, 1)


def _context(customer: Customer, as_of: datetime.date) -> dict[str, Any]:
    report = aging_report(as_of, customer_id=customer.pk)
    items = sorted(aging_invoices(as_of, customer_id=customer.pk), key=lambda item: (item.due_date, item.number))
    since = ledger_since(as_of)
    credits = customer_credits(customer.pk)
    credit = sum((payment.unapplied_amount for payment in credits), Decimal(0))
    # the balance is stated in the customer's currency; invoices in another show in the aging table only
    open_total = sum((row.total for row in report.rows if row.currency == customer.currency), Decimal(0))
    return {
        "customer": customer, "as_of": as_of, "since": since, "invoices": items, "aging": report.rows,
        "buckets": [(bucket.value, bucket.label) for bucket in AgingBucket], "credits": credits, "credit": credit,
        "open_total": open_total, "balance": open_total - credit, "currency": customer.currency,
        "ledger": customer_ledger(customer, since=since, until=as_of), "iban": grouped_iban(),
    }


def customer_statement_pdf(customer: Customer, as_of: datetime.date) -> bytes:
    """The customer's statement of account as of a day, as PDF (WeasyPrint). The credit (unapplied
    payments) is today's; everything else is as of the day."""
    return render_pdf("receivables/pdf/statement.html", _context(customer, as_of))


def previous_month_end(today: datetime.date | None = None) -> datetime.date:
    """The last day of the month before `today`'s: what the monthly run states."""
    return (today or timezone.localdate()).replace(day=1) - datetime.timedelta(days=1)


_STATEMENT = CustomerStatement._meta.db_table
_CUSTOMER = Customer._meta.db_table
_CONTACT = Contact._meta.db_table
_INSERT = f"""
INSERT INTO {_STATEMENT} (customer_id, as_of, open_balance, email_to, sent_at)
SELECT c.id, %(as_of)s, c.open_balance, '', NULL
  FROM {_CUSTOMER} c
 WHERE c.open_balance > 0 AND EXISTS (SELECT 1 FROM {_CONTACT} k WHERE k.customer_id = c.id)
 ORDER BY c.id
    ON CONFLICT (customer_id, as_of) DO NOTHING
RETURNING id"""


@transaction.atomic
def statements_send_monthly(*, as_of: datetime.date) -> int:
    """The monthly run: a statement as of `as_of` for every customer with an open balance and a contact to
    send it to (a billing contact, else whom invoices go to), e-mailed after commit. Returns how many were
    made: a second run for the same day makes (and sends) none."""
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, {"as_of": as_of})
        ids = [row[0] for row in cursor.fetchall()]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


def _enqueue(ids: list[int]) -> None:
    from ..tasks import statement_send

    for pk in ids:
        statement_send.delay(pk)


def _filename(statement: CustomerStatement) -> str:
    return f"statement-{statement.customer.number}-{statement.as_of:%Y-%m-%d}.pdf"


def statement_message(statement: CustomerStatement) -> tuple[str, str]:
    context = {"customer": statement.customer, "statement": statement, "company": settings.O2C_COMPANY["name"],
               "iban": grouped_iban()}
    subject = " ".join(render_to_string("receivables/email/statement_subject.txt", context).split())
    return subject, render_to_string("receivables/email/statement.txt", context)


def statement_email_send(*, statement_id: int) -> bool:
    """E-mail the statement PDF to the customer's billing contacts, once: True when it went out. The PDF
    is rendered before the row is locked; under the lock `sent_at` says whether it went out meanwhile."""
    try:
        statement = (CustomerStatement.objects.select_related("customer").prefetch_related("customer__contacts")
                     .get(pk=statement_id))
    except CustomerStatement.DoesNotExist:
        raise NotFound(f"Statement {statement_id} does not exist.") from None
    if statement.sent_at is not None:
        return False
    pdf = customer_statement_pdf(statement.customer, statement.as_of) if billing_recipients(statement.customer) \
        else b""
    return send_once(model=CustomerStatement, pk=statement_id, customer=statement.customer,
                     message=statement_message(statement), filename=_filename(statement), pdf=lambda _: pdf)
