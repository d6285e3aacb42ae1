"""Reminders: statutory interest by hand, levels by days overdue, one e-mail per customer and level with
its PDF, what is skipped (disputes, promises to pay, do-not-dun), fee / interest / compensation, a reminder
by hand, and the run twice the same day changing nothing."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings

from billing.models import Invoice
from o2c.audit import timeline
from o2c.errors import Conflict, ValidationFailed
from o2c.models import AuditEvent, OutboxEvent
from orders.models import Customer
from receivables.models import DunningPolicy, Reminder, ReminderLog
from receivables.selectors.dunning import dunning_policy, reminder_preview, reminders_due
from receivables.services.disputes import dispute_open, dispute_reject
from receivables.services.dunning import (
    reminder_email_send,
    reminder_run,
    reminder_send_manual,
    statutory_interest,
)
from receivables.services.payments import promise_to_pay_record
from tests.billing.factories import billing_customer, issued_invoice, overdue_invoice
from tests.conftest import pdf_text
from tests.orders.factories import ContactFactory
from tests.receivables.factories import payment_of

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.timedelta(days=1)
THOUSAND = [(1, "840.34", "standard")]  # 840.34 + 159.66 VAT = 1000.00


@pytest.fixture(autouse=True)
def media(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _today() -> datetime.date:
    return timezone.localdate()


def _levels(plans) -> list[tuple[str, int, list[str]]]:
    return [(plan.customer.number, plan.level.level, [line.number for line in plan.lines]) for plan in plans]


def _reminder_mails() -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if any(name.startswith("reminder-") for name, _, _ in m.attachments)]


def _send_all(reminders: list[Reminder]) -> None:
    """What the `receivables.reminder_send` task does after each reminder's commit."""
    for reminder in reminders:
        reminder_email_send(reminder_id=reminder.pk)


# --- interest -------------------------------------------------------------------------------------------------


def test_statutory_interest_is_simple_actual_365_from_the_day_after_the_due_date() -> None:
    due = datetime.date(2026, 1, 31)
    # 1000.00 × 10.15 % × 30 / 365 = 8.3424… → 8.34
    assert statutory_interest(D("1000.00"), due, due + 30 * DAY, D("10.15")) == D("8.34")
    # one day late: 1000 × 10.15 % / 365 = 0.2780… → 0.28; on the due date itself and before: nothing
    assert statutory_interest(D("1000.00"), due, due + DAY, D("10.15")) == D("0.28")
    assert statutory_interest(D("1000.00"), due, due, D("10.15")) == D("0.00")
    assert statutory_interest(D("1000.00"), due, due - 5 * DAY, D("10.15")) == D("0.00")
    # half up at the cent: 91.25 × 10 % × 1 / 365 = 0.025 exactly → 0.03 (banker's rounding would say 0.02)
    assert statutory_interest(D("91.25"), due, due + DAY, D("10")) == D("0.03")
    # actual/365 in a leap year too: 28 Feb → 1 Mar 2024 is 2 days; 365 days is a whole year's rate
    assert statutory_interest(D("3650.00"), datetime.date(2024, 2, 28), datetime.date(2024, 3, 1), D("10")) == D("2.00")
    assert statutory_interest(D("1000.00"), due, due + 365 * DAY, D("10.15")) == D("101.50")


def test_the_default_policy_follows_the_directive() -> None:
    policy = dunning_policy()
    assert policy.interest_rate == D("10.15") and policy.compensation_amount == D("40.00")
    assert [(lv.level, lv.days_after_due, lv.fee, lv.show_interest) for lv in policy.levels.all()] == [
        (1, 7, D("0.00"), False), (2, 21, D("5.00"), True), (3, 35, D("10.00"), True)]


def test_without_a_default_policy_the_run_says_so() -> None:
    DunningPolicy.objects.update(is_default=False)
    with pytest.raises(Conflict, match="No default dunning policy"):
        reminder_run()


# --- levels ---------------------------------------------------------------------------------------------------


def test_levels_by_days_overdue_and_an_invoice_first_seen_late_gets_the_last_level_only() -> None:
    invoice = overdue_invoice(0)  # due today
    due = invoice.due_date
    assert reminders_due(due + 6 * DAY) == []  # day 6: nothing yet
    assert _levels(reminders_due(due + 7 * DAY)) == [(invoice.customer.number, 1, [invoice.number])]
    assert len(reminder_run(today=due + 7 * DAY)) == 1
    assert reminders_due(due + 20 * DAY) == []  # level 1 sent, level 2 not reached
    assert _levels(reminders_due(due + 21 * DAY)) == [(invoice.customer.number, 2, [invoice.number])]
    reminder_run(today=due + 21 * DAY)
    assert reminders_due(due + 34 * DAY) == []
    assert _levels(reminders_due(due + 35 * DAY)) == [(invoice.customer.number, 3, [invoice.number])]
    reminder_run(today=due + 35 * DAY)
    assert reminders_due(due + 90 * DAY) == []  # every level sent
    assert list(ReminderLog.objects.filter(invoice=invoice).values_list("level", "days_overdue")) == [
        (1, 7), (2, 21), (3, 35)]

    late = overdue_invoice(40)
    reminders = reminder_run()
    assert [(r.customer_id, r.level) for r in reminders] == [(late.customer_id, 3)]
    assert list(ReminderLog.objects.filter(invoice=late).values_list("level", flat=True)) == [3]
    assert reminders_due(_today() + 30 * DAY) == []  # the skipped levels never come


def test_one_email_per_customer_per_level_listing_all_its_invoices() -> None:
    first, second = billing_customer(legal_name="Alpha Bau GmbH"), billing_customer(legal_name="Beta Handel AG")
    a8, a10 = overdue_invoice(8, customer=first), overdue_invoice(10, customer=first)
    a25 = overdue_invoice(25, customer=first)
    b9 = overdue_invoice(9, customer=second)
    not_yet = overdue_invoice(6, customer=second)

    reminders = reminder_run()
    assert sorted((r.customer_id, r.level) for r in reminders) == sorted(
        [(first.pk, 1), (first.pk, 2), (second.pk, 1)])
    _send_all(reminders)
    sent = _reminder_mails()
    assert len(sent) == 3
    by_subject = {m.subject: m for m in sent}
    level1 = by_subject["Friendly reminder: open invoices of Alpha Bau GmbH"]
    assert level1.to == [f"billing-{first.number.lower()}@customer.example"]
    assert a8.number in level1.body and a10.number in level1.body and a25.number not in level1.body
    assert "Demo Trading GmbH" in level1.body  # {{ company }} in the level's text
    level2 = by_subject["Second reminder: overdue invoices of Alpha Bau GmbH"]
    assert a25.number in level2.body and a8.number not in level2.body
    level1b = by_subject["Friendly reminder: open invoices of Beta Handel AG"]
    assert b9.number in level1b.body and not_yet.number not in level1b.body
    assert not ReminderLog.objects.filter(invoice=not_yet).exists()
    assert Reminder.objects.filter(sent_at__isnull=False).count() == 3
    assert all(r.email_to for r in Reminder.objects.all())


def test_the_run_twice_the_same_day_sends_nothing_and_writes_nothing() -> None:
    customer = billing_customer()
    overdue_invoice(8, customer=customer)
    overdue_invoice(30, customer=customer)
    first = reminder_run()
    _send_all(first)
    rows = (Reminder.objects.count(), ReminderLog.objects.count(), len(mail.outbox))
    assert rows[:2] == (2, 2)

    assert reminder_run() == []
    _send_all(first)  # the task again (a redelivery): no second e-mail
    assert reminder_email_send(reminder_id=first[0].pk) is False
    assert (Reminder.objects.count(), ReminderLog.objects.count(), len(mail.outbox)) == rows


def test_the_preview_of_tomorrow_is_what_tomorrows_run_sends() -> None:
    customer = billing_customer()
    overdue_invoice(6, customer=customer)  # level 1 tomorrow
    overdue_invoice(20, customer=customer)  # level 2 tomorrow
    overdue_invoice(3, customer=customer)  # nothing tomorrow
    preview = reminder_preview(_today() + DAY)
    assert _levels(reminder_preview()) == _levels(preview)  # the default: tomorrow
    assert reminders_due(_today()) != preview
    assert Reminder.objects.count() == 0  # a preview writes nothing
    sent = reminder_run(today=_today() + DAY)
    assert sorted((r.customer_id, r.level, sorted(r.logs.values_list("invoice__number", flat=True))) for r in sent) \
        == sorted((p.customer.pk, p.level.level, sorted(line.number for line in p.lines)) for p in preview)


def test_the_plan_takes_a_fixed_number_of_queries_whatever_the_count() -> None:
    overdue_invoice(8)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            reminders_due(_today())
        return len(queries)

    few = count()
    for days in (9, 22, 40):
        customer = billing_customer()
        overdue_invoice(days, customer=customer)
        overdue_invoice(days + 1, customer=customer)
    assert len(reminders_due(_today())) == 4
    assert count() == few <= 4


# --- what is skipped ------------------------------------------------------------------------------------------


def test_a_disputed_invoice_is_skipped_until_the_dispute_is_rejected(finance_user) -> None:
    customer = billing_customer()
    disputed = overdue_invoice(10, customer=customer)
    other = overdue_invoice(10, customer=customer)
    dispute = dispute_open(invoice_id=disputed.pk, reason="price", amount="10.00", actor=finance_user)
    assert _levels(reminders_due(_today())) == [(customer.number, 1, [other.number])]
    reminder_run()
    assert not ReminderLog.objects.filter(invoice=disputed).exists()

    dispute_reject(dispute_id=dispute.pk, note="The price was agreed.", actor=finance_user)
    assert _levels(reminders_due(_today() + DAY)) == [(customer.number, 1, [disputed.number])]


def test_a_promise_to_pay_holds_reminders_until_its_date(finance_user) -> None:
    invoice = overdue_invoice(10)
    promise_to_pay_record(invoice_id=invoice.pk, promised_date=_today() + 3 * DAY, actor=finance_user)
    assert reminders_due(_today()) == []
    assert reminders_due(_today() + 3 * DAY) == []  # on the promised day still waiting
    assert _levels(reminders_due(_today() + 4 * DAY)) == [(invoice.customer.number, 1, [invoice.number])]


def test_customers_flagged_do_not_dun_get_no_reminders() -> None:
    flagged, other = billing_customer(), billing_customer()
    overdue_invoice(30, customer=flagged)
    invoice = overdue_invoice(30, customer=other)
    Customer.objects.filter(pk=flagged.pk).update(do_not_dun=True)
    assert _levels(reminders_due(_today())) == [(other.number, 2, [invoice.number])]
    assert [r.customer_id for r in reminder_run()] == [other.pk]


def test_paid_and_credited_invoices_are_not_reminded() -> None:
    customer = billing_customer()
    paid = overdue_invoice(10, customer=customer)
    part = overdue_invoice(10, customer=customer)
    payment_of(customer, "119.00", invoices=[paid])
    payment_of(customer, "19.00", invoices=[(part, "19.00")])
    (plan,) = reminders_due(_today())
    assert [(line.number, line.amount_due) for line in plan.lines] == [(part.number, D("100.00"))]


# --- amounts --------------------------------------------------------------------------------------------------


def test_fee_interest_and_compensation_on_the_reminder_and_compensation_once_per_invoice() -> None:
    invoice = overdue_invoice(30, THOUSAND)
    assert invoice.amount_due == D("1000.00")
    (reminder,) = reminder_run()
    # level 2 (30 days ≥ 21): interest 1000 × 10.15 % × 30/365 = 8.34, compensation 40.00, fee 5.00
    assert (reminder.level, reminder.total_due, reminder.interest, reminder.compensation, reminder.fee) == (
        2, D("1000.00"), D("8.34"), D("40.00"), D("5.00"))
    log = ReminderLog.objects.get(invoice=invoice)
    assert (log.days_overdue, log.amount_due, log.interest, log.compensation) == (30, D("1000.00"), D("8.34"),
                                                                                 D("40.00"))
    reminder_email_send(reminder_id=reminder.pk)
    (message,) = _reminder_mails()
    assert "Total to pay: 1053.34 EUR" in message.body and "Reminder fee: 5.00 EUR" in message.body
    assert "(10.15 % a year): 8.34 EUR" in message.body and "recovery costs: 40.00 EUR" in message.body

    # level 3 five days later: the interest to that day (1000 × 10.15 % × 35/365 = 9.73), no second 40.00
    (final,) = reminder_run(today=_today() + 5 * DAY)
    assert (final.level, final.interest, final.compensation, final.fee) == (3, D("9.73"), D("0.00"), D("10.00"))
    assert reminder_preview(_today() + 30 * DAY) == []  # nothing left for this invoice


def test_level_one_shows_no_interest_or_compensation() -> None:
    overdue_invoice(8, THOUSAND)
    (reminder,) = reminder_run()
    assert (reminder.level, reminder.interest, reminder.compensation, reminder.fee) == (1, 0, 0, 0)
    reminder_email_send(reminder_id=reminder.pk)
    (message,) = _reminder_mails()
    assert "Total to pay: 1000.00 EUR" in message.body and "Interest" not in message.body


def test_the_pdf_is_attached_with_the_invoices_and_amounts(settings: Settings) -> None:
    customer = billing_customer(legal_name="Nordlicht Möbel GmbH")
    one = overdue_invoice(30, THOUSAND, customer=customer)
    two = overdue_invoice(25, customer=customer)  # 119.00: 119 × 10.15 % × 25/365 = 0.83
    (reminder,) = reminder_run()
    assert reminder_email_send(reminder_id=reminder.pk) is True
    (message,) = _reminder_mails()
    ((name, content, mimetype),) = message.attachments
    assert name == f"reminder-{customer.number}-{_today():%Y-%m-%d}-level-2.pdf" and mimetype == "application/pdf"
    text = " ".join(pdf_text(content).split())
    assert "Payment reminder (level 2)" in text and "Nordlicht Möbel GmbH" in text and customer.number in text
    assert one.number in text and two.number in text
    assert f"{one.due_date:%Y-%m-%d}" in text and "1000.00 8.34 40.00 1048.34" in text
    assert "119.00 0.83 40.00 159.83" in text
    assert "Reminder fee 5.00 EUR" in text and "Total to pay 1213.17 EUR" in text  # 1119 + 9.17 + 80 + 5
    assert "DE89 3704 0044 0532 0130 00" in text and "2011/7" in text
    reminder.refresh_from_db()
    with reminder.pdf.open("rb") as stored:
        assert stored.read() == content  # stored with the reminder


def test_a_customer_without_contacts_gets_nothing_and_the_reminder_stays_unsent() -> None:
    invoice = overdue_invoice(10)
    invoice.customer.contacts.all().delete()
    (reminder,) = reminder_run()
    assert reminder_email_send(reminder_id=reminder.pk) is False
    assert mail.outbox == [] and Reminder.objects.get().sent_at is None
    ContactFactory(customer=invoice.customer, role="billing", email="ap@late.example")
    assert reminder_email_send(reminder_id=reminder.pk) is True
    assert _reminder_mails()[0].to == ["ap@late.example"]


def test_each_reminded_invoice_is_audited_and_the_event_published() -> None:
    invoice = overdue_invoice(10)
    (reminder,) = reminder_run()
    (event,) = timeline(invoice).filter(action="reminded")
    assert event.data == {"level": 1, "reminder": reminder.pk, "manual": False}
    payload = OutboxEvent.objects.get(type="reminder.sent").payload
    assert payload["reminder"] == reminder.pk and payload["invoices"] == [invoice.number]
    assert payload["level"] == 1 and payload["customer"] == invoice.customer_id


def test_the_log_constraint_decides_an_invoice_another_worker_logged_drops_out_and_empty_writes_nothing() -> None:
    from receivables.services.dunning import _NothingLeft, _write  # the insert step of a reminder

    customer = billing_customer()
    one, two = overdue_invoice(10, customer=customer), overdue_invoice(10, customer=customer)
    (plan,) = reminders_due(_today())
    # another worker logged `one` at level 1 after this plan was made
    other = Reminder.objects.create(customer=customer, level=1, run_date=_today() - DAY, currency="EUR")
    ReminderLog.objects.create(invoice=one, level=1, reminder=other, amount_due=one.amount_due, days_overdue=9,
                               sent_on=other.run_date)
    with transaction.atomic():
        reminder = _write(plan, manual=False, actor=None)
    assert list(reminder.logs.values_list("invoice_id", flat=True)) == [two.pk]
    assert Reminder.objects.get(pk=reminder.pk).total_due == two.amount_due == D("119.00")
    assert [e.object_id for e in AuditEvent.objects.filter(action="reminded")] == [str(two.pk)]

    # both logged now: a plan for another day writes nothing at all (its reminder row rolls back)
    with pytest.raises(_NothingLeft), transaction.atomic():
        _write(dataclasses.replace(plan, run_date=_today() + DAY), manual=False, actor=None)
    assert Reminder.objects.count() == 2 and ReminderLog.objects.count() == 2


# --- by hand --------------------------------------------------------------------------------------------------


def test_finance_sends_a_reminder_by_hand_at_the_next_level_or_a_chosen_one(finance_user) -> None:
    invoice = overdue_invoice(3, THOUSAND)  # not yet at level 1 for the run
    first = reminder_send_manual(invoice_id=invoice.pk, actor=finance_user)
    assert (first.level, first.manual, first.created_by, first.total_due) == (1, True, finance_user, D("1000.00"))
    second = reminder_send_manual(invoice_id=invoice.pk, actor=finance_user)
    # level 2 shows interest for 3 days (1000 × 10.15 % × 3/365 = 0.83) and the compensation
    assert (second.level, second.interest, second.compensation, second.fee) == (2, D("0.83"), D("40.00"), D("5.00"))
    with pytest.raises(Conflict, match=r"level 2 reminder .* was sent already"):
        reminder_send_manual(invoice_id=invoice.pk, actor=finance_user, level=2)
    with pytest.raises(ValidationFailed, match="no level 9"):
        reminder_send_manual(invoice_id=invoice.pk, actor=finance_user, level=9)
    third = reminder_send_manual(invoice_id=invoice.pk, actor=finance_user, level=3)
    assert third.compensation == 0  # charged on level 2 already
    with pytest.raises(Conflict, match="Every reminder level was sent"):
        reminder_send_manual(invoice_id=invoice.pk, actor=finance_user)
    assert timeline(invoice).filter(action="reminded", actor=finance_user).count() == 3
    reminder_email_send(reminder_id=first.pk)
    assert len(_reminder_mails()) == 1


def test_a_reminder_by_hand_is_refused_for_paid_not_yet_due_and_disputed_invoices(finance_user) -> None:
    paid = overdue_invoice(10)
    payment_of(paid.customer, paid.amount_due, invoices=[paid])
    with pytest.raises(Conflict, match="paid and owes nothing"):
        reminder_send_manual(invoice_id=paid.pk, actor=finance_user)
    fresh = issued_invoice()
    with pytest.raises(Conflict, match="not overdue yet"):
        reminder_send_manual(invoice_id=fresh.pk, actor=finance_user)
    disputed = overdue_invoice(10)
    dispute_open(invoice_id=disputed.pk, reason="damaged", amount="5.00", actor=finance_user)
    with pytest.raises(Conflict, match="is disputed"):
        reminder_send_manual(invoice_id=disputed.pk, actor=finance_user)
    assert not Reminder.objects.exists()


def test_by_hand_after_the_run_reminded_the_customer_at_that_level_today(finance_user) -> None:
    customer = billing_customer()
    overdue_invoice(10, customer=customer)
    (run,) = reminder_run()
    later = overdue_invoice(2, customer=customer)
    with pytest.raises(Conflict, match="got its level 1 reminder in EUR today already"):
        reminder_send_manual(invoice_id=later.pk, actor=finance_user)
    assert ReminderLog.objects.filter(invoice=later).count() == 0 and Reminder.objects.get() == run


def test_a_broken_level_template_is_a_clear_error() -> None:
    overdue_invoice(10)
    dunning_policy().levels.filter(level=1).update(subject="Reminder {% if %}")
    (reminder,) = reminder_run()
    with pytest.raises(ValidationFailed, match="subject template of the dunning level is broken"):
        reminder_email_send(reminder_id=reminder.pk)
    assert Reminder.objects.get().sent_at is None and Invoice.objects.count() == 1
