"""Reminders (dunning): the daily run, a reminder sent by hand, and the e-mail with its PDF.

What is due and how much it charges is `receivables.selectors.dunning` (the rules are stated there).
Exactly once: each planned reminder is written in its own transaction, its invoices locked by id; the
`Reminder` row is UNIQUE(customer, level, run date, currency) and each `ReminderLog` UNIQUE(invoice,
level), inserted with ON CONFLICT DO NOTHING, so two runs the same day — or two racing workers — log
each (invoice, level) once: an invoice another run logged first is dropped from this reminder, and a
reminder left without invoices is not written at all (no e-mail). After commit, the task
`receivables.reminder_send` renders the PDF and e-mails it once (the row locked, `sent_at` checked).

Compensation: the policy's fixed amount (EUR 40 under 2011/7) is charged once per late invoice. For an
invoice in another currency the same number is used in that currency (the directive fixes only EUR).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template import Context, Template, TemplateSyntaxError
from django.template.loader import render_to_string
from django.utils import timezone

from billing.enums import OPEN_STATUSES
from billing.models import Invoice
from billing.services.invoices import actor_or_none, lock_invoice
from o2c.audit import audit_record_many
from o2c.documents import render_pdf
from o2c.errors import Conflict, NotFound, ValidationFailed
from o2c.events import publish

from ..enums import DisputeStatus
from ..models import Dispute, DunningLevel, DunningPolicy, Reminder, ReminderLog
from ..selectors.dunning import (
    PlannedReminder,
    ReminderTotals,
    dunnable_invoices,
    dunning_policy,
    plan_reminders,
    reminder_for_sending,
    reminder_line,
    reminder_lines,
    reminder_preview,
    reminders_due,
    statutory_interest,
)
from .mailing import send_once

__all__ = [
    "reminder_email_send",
    "reminder_message",
    "reminder_pdf_bytes",
    "reminder_preview",
    "reminder_run",
    "reminder_send_manual",
    "reminders_due",
    "statutory_interest",
]


class _NothingLeft(Exception):
    """Every invoice of a planned reminder was logged at its level by someone else: write nothing."""


class _RemindedToday(Exception):
    """The customer has its reminder at this level, in this currency, that day already (UNIQUE)."""


def _write(plan: PlannedReminder, *, manual: bool, actor: AbstractBaseUser | None) -> Reminder:
    """Insert the reminder and its logs (the caller holds the invoice locks, in a transaction). The UNIQUE
    constraints decide: `_RemindedToday` when the customer has this reminder that day, `_NothingLeft` when
    every invoice was logged at this level meanwhile (the caller's transaction then rolls back)."""
    totals = plan.totals
    try:
        with transaction.atomic():  # a savepoint: a conflict leaves the caller's transaction usable
            reminder = Reminder.objects.create(
                customer=plan.customer, level=plan.level.level, run_date=plan.run_date, currency=plan.currency,
                total_due=totals.amount_due, fee=totals.fee, interest=totals.interest,
                compensation=totals.compensation, manual=manual, created_by=actor_or_none(actor))
    except IntegrityError as exc:  # a racing worker's row, committed or waited for
        raise _RemindedToday from exc
    ReminderLog.objects.bulk_create(
        [ReminderLog(invoice=line.invoice, level=plan.level.level, reminder=reminder, amount_due=line.amount_due,
                     days_overdue=line.days_overdue, interest=line.interest, compensation=line.compensation,
                     sent_on=plan.run_date) for line in plan.lines],
        ignore_conflicts=True)  # INSERT … ON CONFLICT DO NOTHING: what another run logged stays its own
    mine = set(ReminderLog.objects.filter(reminder=reminder).values_list("invoice_id", flat=True))
    lines = [line for line in plan.lines if line.invoice.pk in mine]
    if not lines:
        raise _NothingLeft
    if len(lines) < len(plan.lines):
        kept = ReminderTotals.of(lines, totals.fee)
        reminder.total_due, reminder.interest, reminder.compensation = kept.amount_due, kept.interest, kept.compensation
        reminder.save(update_fields=["total_due", "interest", "compensation"])
    invoices = [line.invoice for line in lines]
    audit_record_many(objs=invoices, action="reminded", actor=actor,
                      data=lambda invoice: {"level": plan.level.level, "reminder": reminder.pk, "manual": manual})
    publish("reminder.sent", {
        "reminder": reminder.pk, "customer": plan.customer.pk, "level": plan.level.level, "currency": plan.currency,
        "run_date": plan.run_date, "manual": manual, "invoices": [invoice.number for invoice in invoices],
        "total": reminder.total_due + reminder.interest + reminder.compensation + reminder.fee})
    transaction.on_commit(lambda: _enqueue_send(reminder.pk))
    return reminder


def _enqueue_send(reminder_id: int) -> None:
    from ..tasks import reminder_send

    reminder_send.delay(reminder_id)


def _lock_invoices(ids: Sequence[int], today: datetime.date) -> list[Invoice]:
    """The invoices still dunnable, locked in id order (the project's lock order), re-read under the lock."""
    return list(dunnable_invoices(today, invoice_ids=ids).select_for_update(of=("self",)).order_by("pk"))


def _run_one(plan: PlannedReminder, policy: DunningPolicy, actor: AbstractBaseUser | None) -> Reminder | None:
    try:
        with transaction.atomic():
            # re-planned from the locked rows: an invoice paid, disputed or reminded since the plan drops out.
            # (What a racing worker logs while we wait for the locks may not be seen by this statement: the
            # UNIQUE constraints on the reminder and the logs decide then.)
            fresh = plan_reminders(_lock_invoices([line.invoice.pk for line in plan.lines], plan.run_date),
                                   policy, plan.run_date).get(plan.key)
            if fresh is None:
                return None
            return _write(fresh, manual=False, actor=actor)
    except (_RemindedToday, _NothingLeft):  # another worker sent this customer's reminder at this level today
        return None


def reminder_run(*, today: datetime.date | None = None, actor: AbstractBaseUser | None = None) -> list[Reminder]:
    """The daily run: every reminder due today (see `reminders_due`), each written in its own transaction
    and e-mailed after its commit. Safe to run twice and concurrently: the second writes and sends nothing."""
    today = today or timezone.localdate()
    policy = dunning_policy()
    written = []
    for plan in reminders_due(today, policy=policy):
        reminder = _run_one(plan, policy, actor)
        if reminder is not None:
            written.append(reminder)
    return written


def _manual_level(invoice: Invoice, policy: DunningPolicy, level: int | None) -> DunningLevel:
    levels = {row.level: row for row in policy.levels.all()}
    logged = set(ReminderLog.objects.filter(invoice=invoice).values_list("level", flat=True))
    if level is None:
        following = [number for number in sorted(levels) if number > max(logged, default=0)]
        if not following:
            raise Conflict(f"Every reminder level was sent for {invoice} already.", code="all_levels_sent",
                           details={"levels_sent": sorted(logged)})
        return levels[following[0]]
    if level not in levels:
        raise ValidationFailed(f"The dunning policy has no level {level}.",
                               details={"level": [f"One of {', '.join(map(str, sorted(levels)))}."]})
    if level in logged:
        raise Conflict(f"The level {level} reminder for {invoice} was sent already.", code="level_sent",
                       details={"levels_sent": sorted(logged)})
    return levels[level]


@transaction.atomic
def reminder_send_manual(*, invoice_id: int, actor: AbstractBaseUser | None, level: int | None = None) -> Reminder:
    """Finance reminds one invoice by hand: at the next level not yet sent for it, or at `level`. Refused
    for an invoice that is not open (paid, cancelled), not yet overdue, or disputed. A promise to pay or
    the customer's do-not-dun flag does not stop a person who chooses to send. E-mailed after commit."""
    today = timezone.localdate()
    policy = dunning_policy()
    invoice = lock_invoice(invoice_id)
    if invoice.status not in OPEN_STATUSES or invoice.amount_due <= 0:
        raise Conflict(f"Invoice {invoice} is {invoice.get_status_display().lower()} and owes nothing: there is "
                       "nothing to remind.", code="invoice_not_open", details={"status": invoice.status})
    if invoice.due_date >= today:
        raise Conflict(f"Invoice {invoice} is due on {invoice.due_date:%Y-%m-%d}: it is not overdue yet.",
                       code="invoice_not_overdue", details={"due_date": invoice.due_date})
    if Dispute.objects.filter(invoice=invoice, status=DisputeStatus.OPEN).exists():
        raise Conflict(f"Invoice {invoice} is disputed: resolve or reject the dispute before reminding.",
                       code="invoice_disputed")
    chosen = _manual_level(invoice, policy, level)
    dunnable = dunnable_invoices(today, invoice_ids=[invoice.pk], by_hand=True).get()  # locked above
    line = reminder_line(dunnable, chosen, policy, today)
    plan = PlannedReminder(customer=dunnable.customer, level=chosen, currency=invoice.currency, run_date=today,
                           lines=(line,))
    try:
        return _write(plan, manual=True, actor=actor)
    except _RemindedToday:
        raise Conflict(f"{dunnable.customer.legal_name} got its level {chosen.level} reminder in {invoice.currency} "
                       "today already; send this one tomorrow.", code="reminded_today") from None
    except _NothingLeft:
        raise Conflict(f"The level {chosen.level} reminder for {invoice} was sent already.",
                       code="level_sent") from None


# --- the e-mail and its PDF ----------------------------------------------------------------------------------


def _policy_and_level(reminder: Reminder) -> tuple[DunningPolicy | None, DunningLevel]:
    """The policy and its level of the reminder; a generic level if the policy no longer has it."""
    try:
        policy = dunning_policy()
    except Conflict:
        policy = None
    level = next((row for row in policy.levels.all() if row.level == reminder.level), None) if policy else None
    if level is None:
        level = DunningLevel(level=reminder.level, days_after_due=0, fee=reminder.fee,
                             show_interest=bool(reminder.interest or reminder.compensation),
                             subject="Reminder: overdue invoices of {{ customer.legal_name }}",
                             body="Dear customer,\n\nthe invoices below are overdue. Please pay them.\n\n"
                                  "Kind regards,\n{{ company }}")
    return policy, level


def _context(reminder: Reminder) -> dict[str, Any]:
    policy, level = _policy_and_level(reminder)
    totals = ReminderTotals(amount_due=reminder.total_due, interest=reminder.interest,
                            compensation=reminder.compensation, fee=reminder.fee)
    return {"customer": reminder.customer, "invoices": reminder_lines(reminder), "level": level, "totals": totals,
            "reminder": reminder, "currency": reminder.currency, "rate": policy.interest_rate if policy else None}


def _render_text(source: str, context: dict[str, Any], what: str) -> str:
    try:
        return Template(source).render(Context(context, autoescape=False))
    except TemplateSyntaxError as exc:
        raise ValidationFailed(f"The {what} template of the dunning level is broken: {exc}",
                               details={what: [str(exc)]}) from None


def reminder_message(reminder: Reminder) -> tuple[str, str]:
    """(subject, body): the level's templates rendered with {customer, invoices, level, company, totals},
    the invoices listed below the text."""
    context = {**_context(reminder), "company": settings.O2C_COMPANY["name"]}
    subject = " ".join(_render_text(context["level"].subject, context, "subject").split())
    text = _render_text(context["level"].body, context, "body").strip()
    body = render_to_string("receivables/email/reminder.txt", {**context, "text": text, "iban": grouped_iban()})
    body = body.strip() + "\n"
    return subject[:200], body


def grouped_iban() -> str:
    """The company's IBAN in groups of four, as printed."""
    iban = settings.O2C_COMPANY["iban"]
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def _filename(reminder: Reminder) -> str:
    return f"reminder-{reminder.customer.number}-{reminder.run_date:%Y-%m-%d}-level-{reminder.level}.pdf"


def reminder_pdf_bytes(reminder: Reminder) -> bytes:
    """The reminder as PDF (WeasyPrint): the letter, the invoices with interest and compensation, the totals."""
    context = _context(reminder)
    text = _render_text(context["level"].body, {**context, "company": settings.O2C_COMPANY["name"]}, "body")
    return render_pdf("receivables/pdf/reminder.html", {**context, "text": text.strip(), "iban": grouped_iban()})


def _stored_pdf(reminder: Reminder) -> bytes:
    with reminder.pdf.open("rb") as file:
        return file.read()


def reminder_email_send(*, reminder_id: int) -> bool:
    """E-mail the reminder with its PDF to the customer's billing contacts, once: True when it went out.
    The PDF is rendered once, before the row is locked, and stored with the reminder; under the lock
    `sent_at` says whether another worker sent it meanwhile. Without a contact nothing is sent (audited)."""
    try:
        reminder = reminder_for_sending(reminder_id)
    except Reminder.DoesNotExist:
        raise NotFound(f"Reminder {reminder_id} does not exist.") from None
    if reminder.sent_at is not None:
        return False
    if not reminder.pdf:
        pdf = reminder_pdf_bytes(reminder)
        with transaction.atomic():  # stored on its own: a failed e-mail does not lose it
            locked = Reminder.objects.select_for_update().get(pk=reminder_id)
            if not locked.pdf:
                locked.pdf.save(_filename(reminder), ContentFile(pdf), save=False)
                locked.save(update_fields=["pdf"])
    return send_once(model=Reminder, pk=reminder_id, customer=reminder.customer, message=reminder_message(reminder),
                     filename=_filename(reminder), pdf=_stored_pdf)
