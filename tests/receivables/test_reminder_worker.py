"""Reminders with a real Celery worker and Redis: the beat's run writes the reminders, the worker renders
each PDF and e-mails it once; racing runs remind each (invoice, level) once and send one e-mail per customer
and level."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core import mail
from pytest_django.fixtures import Settings

from receivables import tasks
from receivables.models import Reminder, ReminderLog
from receivables.services.dunning import reminder_run
from tests.billing.factories import billing_customer, overdue_invoice
from tests.conftest import pdf_text, race, wait_for


@pytest.fixture(autouse=True)
def media(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _reminder_mails() -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if any(name.startswith("reminder-") for name, _, _ in m.attachments)]


def test_the_daily_task_reminds_and_the_worker_sends_the_pdf_once(celery_worker) -> None:
    customer = billing_customer(legal_name="Spät & Söhne KG")
    invoice = overdue_invoice(25, customer=customer)

    tasks.reminder_run.delay()  # what the beat starts each morning
    assert wait_for(lambda: Reminder.objects.filter(sent_at__isnull=False).exists())
    reminder = Reminder.objects.get()
    assert (reminder.customer_id, reminder.level, reminder.manual) == (customer.pk, 2, False)
    assert reminder.email_to == f"billing-{customer.number.lower()}@customer.example"
    (message,) = _reminder_mails()
    assert message.subject == "Second reminder: overdue invoices of Spät & Söhne KG"
    assert message.to == [reminder.email_to] and invoice.number in message.body
    ((name, content, _),) = message.attachments
    assert invoice.number in pdf_text(content) and name.endswith("-level-2.pdf")
    with reminder.pdf.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == hashlib.sha256(content).hexdigest()

    # the task delivered again, and the run again: nothing new
    assert tasks.reminder_send.apply(args=[reminder.pk]).get() is False
    assert tasks.reminder_run.apply().get() == 0
    assert len(_reminder_mails()) == 1 and Reminder.objects.count() == 1 and ReminderLog.objects.count() == 1


def test_racing_runs_remind_each_invoice_and_level_once_and_send_one_mail_per_customer_and_level(
        celery_worker) -> None:
    first, second, third = billing_customer(), billing_customer(), billing_customer()
    invoices = [overdue_invoice(8, customer=first), overdue_invoice(12, customer=first),
                overdue_invoice(22, customer=first), overdue_invoice(9, customer=second),
                overdue_invoice(50, customer=third), overdue_invoice(36, customer=third)]
    expected = {(first.pk, 1), (first.pk, 2), (second.pk, 1), (third.pk, 3)}

    results, refusals = race([reminder_run for _ in range(4)])

    assert refusals == []
    assert sorted((r.customer_id, r.level) for made in results for r in made) == sorted(expected)
    assert set(Reminder.objects.values_list("customer_id", "level")) == expected and Reminder.objects.count() == 4
    logged = list(ReminderLog.objects.values_list("invoice_id", "level"))
    assert sorted(logged) == sorted([(invoices[0].pk, 1), (invoices[1].pk, 1), (invoices[2].pk, 2),
                                     (invoices[3].pk, 1), (invoices[4].pk, 3), (invoices[5].pk, 3)])
    assert wait_for(lambda: Reminder.objects.filter(sent_at__isnull=True).count() == 0)
    sent = _reminder_mails()
    assert len(sent) == 4
    recipients = sorted(tuple(m.to) for m in sent)
    assert recipients == sorted([(f"billing-{c.number.lower()}@customer.example",)
                                 for c in (first, first, second, third)])
    third_mail = next(m for m in sent if m.to == [f"billing-{third.number.lower()}@customer.example"])
    assert invoices[4].number in third_mail.body and invoices[5].number in third_mail.body
