"""Reminders (dunning): which invoices are reminded at which level on a day, with the interest and
compensation EU Directive 2011/7 allows, grouped into one reminder per customer, level and currency.

The rules, stated once:
- An invoice is dunnable when it is open (issued or partially paid) and owes something, its due date has
  passed, it has no open dispute, no promise to pay dated today or later, and its customer is not flagged
  do-not-dun.
- Its days overdue are `today − due_date`; the level it reached is the highest whose `days_after_due` it
  has reached. It is reminded at that level only, and only if neither that level nor a higher one was
  logged for it (`ReminderLog`, UNIQUE(invoice, level)): an invoice first seen 40 days late gets the last
  level, never the ones it skipped.
- Interest (levels with `show_interest`): simple, actual/365, on the amount still due, from the day after
  the due date up to and including the run date, at the policy's reference rate + points. Compensation
  (same levels): the policy's fixed amount once per invoice, ever. The fee: the level's, once per reminder.
- A customer gets one reminder per level, currency and day (`Reminder` UNIQUE): a group that already has
  its reminder that day waits for the next run.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from billing.enums import OPEN_STATUSES
from billing.models import Invoice
from o2c.errors import Conflict
from o2c.money import quantize_money
from orders.models import Customer

from ..enums import DisputeStatus
from ..models import Dispute, DunningLevel, DunningPolicy, PromiseToPay, Reminder, ReminderLog

ZERO = Decimal("0.00")
DAYS_A_YEAR = Decimal(365)


def dunning_policy() -> DunningPolicy:
    """The default policy with its levels (`policy.levels.all()`, by level), in two queries."""
    levels = Prefetch("levels", queryset=DunningLevel.objects.order_by("level"))
    policy = DunningPolicy.objects.filter(is_default=True).prefetch_related(levels).first()
    if policy is None:
        raise Conflict("No default dunning policy: mark one as the default in the admin (Receivables › Dunning "
                       "policies).", code="no_policy")
    return policy


def statutory_interest(amount: Decimal, due_date: datetime.date, until: datetime.date,
                       rate_percent: Decimal) -> Decimal:
    """Late-payment interest per EU Directive 2011/7: simple interest at `rate_percent` a year on `amount`,
    from the day after the due date up to and including `until` (that is `until − due_date` days),
    actual/365 (a leap year too), rounded half up to the cent. Nothing before the due date has passed.

    1000.00 at 10.15 % for 30 days: 1000 × 10.15 / 100 × 30 / 365 = 8.342… → 8.34."""
    days = (until - due_date).days
    if days <= 0 or amount <= 0:
        return ZERO
    return quantize_money(amount * rate_percent * days / (100 * DAYS_A_YEAR))


@dataclass(frozen=True)
class ReminderLine:
    """One invoice on a reminder: what it owes, how late, and what the reminder adds for it."""

    invoice: Invoice
    days_overdue: int
    amount_due: Decimal
    interest: Decimal = ZERO
    compensation: Decimal = ZERO

    @property
    def number(self) -> str:
        return self.invoice.number or ""

    @property
    def due_date(self) -> datetime.date:
        return self.invoice.due_date

    @property
    def total(self) -> Decimal:
        return self.amount_due + self.interest + self.compensation


@dataclass(frozen=True)
class ReminderTotals:
    amount_due: Decimal
    interest: Decimal
    compensation: Decimal
    fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.amount_due + self.interest + self.compensation + self.fee

    @classmethod
    def of(cls, lines: Iterable[ReminderLine], fee: Decimal) -> ReminderTotals:
        lines = list(lines)
        return cls(amount_due=sum((line.amount_due for line in lines), ZERO),
                   interest=sum((line.interest for line in lines), ZERO),
                   compensation=sum((line.compensation for line in lines), ZERO), fee=fee)


@dataclass(frozen=True)
class PlannedReminder:
    """A reminder the run would send: one customer, one level, one currency, its invoices (oldest due first)."""

    customer: Customer
    level: DunningLevel
    currency: str
    run_date: datetime.date
    lines: tuple[ReminderLine, ...] = field(default_factory=tuple)

    @property
    def totals(self) -> ReminderTotals:
        return ReminderTotals.of(self.lines, self.level.fee)

    @property
    def key(self) -> tuple[int, int, str]:
        return self.customer.pk, self.level.level, self.currency


def dunnable_invoices(today: datetime.date, *, customer_id: int | None = None,
                      invoice_ids: Sequence[int] | None = None, by_hand: bool = False) -> QuerySet[Invoice]:
    """Open, overdue invoices owing something, without an open dispute or a promise to pay dated today or
    later, of customers not flagged do-not-dun, with their customer; each annotated with `last_level` (the
    highest level logged, or None) and `compensated` (whether an earlier reminder already charged the
    compensation). One query. `by_hand`: a person sends, so promises and do-not-dun do not hold it back."""
    logs = ReminderLog.objects.filter(invoice=OuterRef("pk"))
    invoices = (Invoice.objects.filter(status__in=OPEN_STATUSES, amount_due__gt=0, due_date__lt=today)
                .exclude(Exists(Dispute.objects.filter(invoice=OuterRef("pk"), status=DisputeStatus.OPEN)))
                .select_related("customer")
                .annotate(last_level=Subquery(logs.order_by("-level").values("level")[:1]),
                          compensated=Exists(logs.filter(compensation__gt=0))))
    if not by_hand:
        invoices = (invoices.filter(customer__do_not_dun=False)
                    .exclude(Exists(PromiseToPay.objects.filter(invoice=OuterRef("pk"), promised_date__gte=today))))
    if customer_id is not None:
        invoices = invoices.filter(customer_id=customer_id)
    if invoice_ids is not None:
        invoices = invoices.filter(pk__in=invoice_ids)
    return invoices


def reminder_line(invoice: Invoice, level: DunningLevel, policy: DunningPolicy, today: datetime.date) -> ReminderLine:
    """The invoice as it appears on a reminder at `level` sent `today` (`invoice.compensated` annotated)."""
    days = (today - invoice.due_date).days
    if not level.show_interest:
        return ReminderLine(invoice=invoice, days_overdue=days, amount_due=invoice.amount_due)
    interest = statutory_interest(invoice.amount_due, invoice.due_date, today, policy.interest_rate)
    compensation = ZERO if getattr(invoice, "compensated", False) else quantize_money(policy.compensation_amount)
    return ReminderLine(invoice=invoice, days_overdue=days, amount_due=invoice.amount_due, interest=interest,
                        compensation=compensation)


def level_reached(levels: Sequence[DunningLevel], days_overdue: int) -> DunningLevel | None:
    """The highest level whose days after due the invoice has reached (levels in any order)."""
    reached = [level for level in levels if days_overdue >= level.days_after_due]
    return max(reached, key=lambda level: level.days_after_due) if reached else None


def plan_reminders(invoices: Iterable[Invoice], policy: DunningPolicy,
                   today: datetime.date) -> dict[tuple[int, int, str], PlannedReminder]:
    """Group dunnable invoices (as `dunnable_invoices` annotates them) into reminders per (customer,
    level, currency): each at the level it reached, unless that level or a higher one was logged."""
    levels = list(policy.levels.all())
    groups: dict[tuple[int, int, str], list[ReminderLine]] = defaultdict(list)
    heads: dict[tuple[int, int, str], tuple[Customer, DunningLevel]] = {}
    for invoice in invoices:
        level = level_reached(levels, (today - invoice.due_date).days)
        if level is None or (invoice.last_level or 0) >= level.level:
            continue
        key = (invoice.customer_id, level.level, invoice.currency)
        groups[key].append(reminder_line(invoice, level, policy, today))
        heads[key] = (invoice.customer, level)
    return {key: PlannedReminder(customer=heads[key][0], level=heads[key][1], currency=key[2], run_date=today,
                                 lines=tuple(sorted(lines, key=lambda line: (line.due_date, line.number))))
            for key, lines in groups.items()}


def reminders_due(today: datetime.date, *, customer_id: int | None = None,
                  policy: DunningPolicy | None = None) -> list[PlannedReminder]:
    """The reminders a run on `today` sends, by customer number, level and currency. Four queries, whatever
    the number of invoices and customers: the policy, its levels, that day's reminders, the invoices."""
    policy = policy or dunning_policy()
    levels = list(policy.levels.all())
    if not levels:
        return []
    first = min(level.days_after_due for level in levels)
    sent_today = Reminder.objects.filter(run_date=today)
    if customer_id is not None:
        sent_today = sent_today.filter(customer_id=customer_id)
    done = set(sent_today.values_list("customer_id", "level", "currency"))
    invoices = (dunnable_invoices(today, customer_id=customer_id)
                .filter(due_date__lte=today - datetime.timedelta(days=first)).order_by("due_date", "pk"))
    planned = [plan for key, plan in plan_reminders(invoices, policy, today).items() if key not in done]
    return sorted(planned, key=lambda plan: (plan.customer.number, plan.level.level, plan.currency))


def reminder_preview(today: datetime.date | None = None, *, customer_id: int | None = None) -> list[PlannedReminder]:
    """What `reminder_run(today=today)` would send, nothing written. Finance previews tomorrow's run with
    `reminder_preview(today + 1 day)` (the default: tomorrow)."""
    if today is None:
        today = timezone.localdate() + datetime.timedelta(days=1)
    return reminders_due(today, customer_id=customer_id)


def reminder_lines(reminder: Reminder) -> list[ReminderLine]:
    """The invoices of a reminder as it was sent, from its logs (prefetch `logs__invoice` to save queries)."""
    logs = sorted(reminder.logs.all(), key=lambda log: (log.invoice.due_date, log.invoice.number or ""))
    return [ReminderLine(invoice=log.invoice, days_overdue=log.days_overdue, amount_due=log.amount_due,
                         interest=log.interest, compensation=log.compensation) for log in logs]


def reminder_for_sending(reminder_id: int) -> Reminder:
    """A reminder with its customer (and contacts) and its logged invoices, in a fixed number of queries."""
    return (Reminder.objects.select_related("customer")
            .prefetch_related("customer__contacts", Prefetch("logs", queryset=ReminderLog.objects
                                                             .select_related("invoice")))
            .get(pk=reminder_id))


def reminder_list(*, customer_id: int | None = None, run_date: datetime.date | None = None) -> QuerySet[Reminder]:
    """Reminders newest first, with their customer (for the history page and the API)."""
    reminders = Reminder.objects.select_related("customer").order_by("-run_date", "-id")
    if customer_id is not None:
        reminders = reminders.filter(customer_id=customer_id)
    if run_date is not None:
        reminders = reminders.filter(run_date=run_date)
    return reminders
