"""Receivables tasks: take ids or dates, call one service, safe to run twice (unique keys and row locks).

Beat: `reminder_run` daily, `credit_holds` daily, `statements_monthly` on the first of the month.
"""

from __future__ import annotations

import datetime

from celery import shared_task

from .services import credit_control, customer_statements, dunning

RETRY = {"acks_late": True, "autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 6}


def _day(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@shared_task(name="receivables.reminder_run", **RETRY)
def reminder_run(today: str | None = None) -> int:
    """Beat (daily): write today's reminders, one per customer, level and currency; each is e-mailed by
    `reminder_send` after its commit. A second run the same day writes nothing."""
    return len(dunning.reminder_run(today=_day(today)))


@shared_task(name="receivables.reminder_send", **RETRY)
def reminder_send(reminder_id: int) -> bool:
    """Render the reminder's PDF and e-mail it to the customer's billing contacts, once."""
    return dunning.reminder_email_send(reminder_id=reminder_id)


@shared_task(name="receivables.statements_monthly", **RETRY)
def statements_monthly(as_of: str | None = None) -> int:
    """Beat (the first of the month): a statement as of the last day of the previous month for every
    customer with an open balance; each is e-mailed by `statement_send`."""
    day = _day(as_of) or customer_statements.previous_month_end()
    return customer_statements.statements_send_monthly(as_of=day)


@shared_task(name="receivables.statement_send", **RETRY)
def statement_send(statement_id: int) -> bool:
    """Render the statement PDF and e-mail it to the customer's billing contacts, once."""
    return customer_statements.statement_email_send(statement_id=statement_id)


@shared_task(name="receivables.credit_holds", **RETRY)
def credit_holds(today: str | None = None) -> dict[str, list[int]]:
    """Beat (daily): the policy's credit holds — customers long overdue held, those who paid released."""
    held, released = credit_control.credit_holds_apply(today=_day(today))
    return {"held": held, "released": released}
