"""Reads of Finance's collection pages: a customer's open invoices with what holds their reminders back,
what receivables knows of one invoice (its panel on the invoice page), disputes, and the policy limits
the pages offer actions by. Each a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Exists, Max, OuterRef, Prefetch, QuerySet, Subquery, Value, When

from billing.enums import OPEN_STATUSES
from billing.models import Invoice
from o2c.errors import Conflict

from ..enums import DisputeStatus
from ..models import Allocation, Dispute, Payment, PromiseToPay, Reminder, ReminderLog, WriteOff
from .dunning import dunning_policy


@dataclass(frozen=True)
class CollectionPolicy:
    """What the default dunning policy allows by hand: write-offs up to a limit, reminders up to a level."""

    write_off_limit: Decimal | None = None
    last_level: int = 0
    levels: tuple[int, ...] = field(default_factory=tuple)


def collection_policy() -> CollectionPolicy:
    """The default policy's write-off limit and levels (two queries); nothing allowed when there is none."""
    try:
        policy = dunning_policy()
    except Conflict:
        return CollectionPolicy()
    levels = tuple(level.level for level in policy.levels.all())
    return CollectionPolicy(policy.write_off_limit, max(levels, default=0), levels)


def _collection_annotations(today: datetime.date) -> dict[str, object]:
    promises = PromiseToPay.objects.filter(invoice=OuterRef("pk"), promised_date__gte=today)
    return {
        "open_dispute": Exists(Dispute.objects.filter(invoice=OuterRef("pk"), status=DisputeStatus.OPEN)),
        "promised_until": Subquery(promises.order_by("-promised_date").values("promised_date")[:1]),
        "last_level": Subquery(ReminderLog.objects.filter(invoice=OuterRef("pk")).order_by()
                               .values("invoice").annotate(m=Max("level")).values("m")[:1]),
    }


def collection_invoices(customer_id: int, today: datetime.date) -> list[Invoice]:
    """The customer's open invoices that owe something, oldest due first, each annotated with
    `open_dispute`, `promised_until` (the latest promise to pay dated today or later) and `last_level`
    (the highest reminder level sent), and `days_overdue` (None when not yet due). One query."""
    invoices = list(Invoice.objects.filter(customer_id=customer_id, status__in=OPEN_STATUSES, amount_due__gt=0)
                    .annotate(**_collection_annotations(today)).order_by("due_date", "pk"))
    for invoice in invoices:
        invoice.days_overdue = (today - invoice.due_date).days if invoice.due_date < today else None
    return invoices


def invoice_collection_state(invoice_id: int, today: datetime.date) -> Invoice:
    """One invoice with the annotations of `collection_invoices` (for its actions)."""
    return Invoice.objects.annotate(**_collection_annotations(today)).get(pk=invoice_id)


@dataclass
class InvoiceReceivables:
    allocations: list[Allocation]
    write_offs: list[WriteOff]
    reminders: list[ReminderLog]
    disputes: list[Dispute]
    promises: list[PromiseToPay]

    @property
    def empty(self) -> bool:
        return not (self.allocations or self.write_offs or self.reminders or self.disputes or self.promises)


def invoice_receivables(invoice: Invoice) -> InvoiceReceivables:
    """What receivables recorded on an invoice, oldest first: five queries."""
    return InvoiceReceivables(
        allocations=list(Allocation.objects.filter(invoice=invoice).select_related("payment").order_by("date", "pk")),
        write_offs=list(WriteOff.objects.filter(invoice=invoice).select_related("created_by").order_by("pk")),
        reminders=list(ReminderLog.objects.filter(invoice=invoice).select_related("reminder").order_by("level")),
        disputes=list(Dispute.objects.filter(invoice=invoice).select_related("owner", "credit_note")
                      .order_by("opened_at", "pk")),
        promises=list(PromiseToPay.objects.filter(invoice=invoice).select_related("created_by")
                      .order_by("created_at", "pk")),
    )


def dispute_list(*, status: str = "", owner_id: int | None = None, customer_id: int | None = None,
                 unowned: bool = False) -> QuerySet[Dispute]:
    """Disputes, the open ones first and then the newest, with their invoice, customer and owner."""
    disputes = (Dispute.objects.select_related("invoice", "customer", "owner", "credit_note")
                .annotate(closed=Case(When(status=DisputeStatus.OPEN, then=Value(0)), default=Value(1)))
                .order_by("closed", "-opened_at", "-pk"))
    if status:
        disputes = disputes.filter(status=status)
    if unowned:
        disputes = disputes.filter(owner__isnull=True)
    elif owner_id is not None:
        disputes = disputes.filter(owner_id=owner_id)
    if customer_id is not None:
        disputes = disputes.filter(customer_id=customer_id)
    return disputes


def dispute_detail(dispute_id: int) -> Dispute:
    return (Dispute.objects.select_related("invoice", "customer", "owner", "credit_note", "opened_by", "resolved_by")
            .get(pk=dispute_id))


def customer_reminders(customer_id: int, *, limit: int = 20) -> list[Reminder]:
    """The customer's latest reminders with their invoices (two queries)."""
    logs = Prefetch("logs", queryset=ReminderLog.objects.select_related("invoice").order_by("invoice__due_date"))
    return list(Reminder.objects.filter(customer_id=customer_id).prefetch_related(logs)
                .order_by("-run_date", "-pk")[:limit])


def customer_disputes(customer_id: int, *, limit: int = 20) -> list[Dispute]:
    return list(dispute_list(customer_id=customer_id)[:limit])


def customer_credits(customer_id: int) -> list[Payment]:
    """The customer's payments with unapplied credit, oldest first."""
    return list(Payment.objects.filter(customer_id=customer_id, unapplied_amount__gt=0)
                .order_by("received_date", "pk"))
