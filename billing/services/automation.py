"""Automated invoicing, per the customer's invoicing policy (orders.enums.InvoicingPolicy):

- per shipment, when it ships (`shipment.shipped`) or when it is delivered (`shipment.delivered`);
- up front, per order, when it is confirmed (`order.confirmed`);
- consolidated weekly (ISO week) or monthly: a daily beat task invoices, for every completed period,
  everything shipped and not yet invoiced, one invoice per customer and currency.

A nightly sweep finds what one of these should have invoiced and did not (a lost event, a customer
whose policy changed) and invoices it the same way. Every path ends in `invoice_build`, whose unique
keys make a repeat a no-op. Invoices made here are issued at once, by nobody (touchless).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from fulfillment.enums import ShipmentStatus
from fulfillment.models import Shipment, ShipmentLine
from o2c.errors import Conflict, DomainError, NotFound
from orders.enums import InvoicingPolicy, OrderStatus
from orders.models import Customer, SalesOrder

from ..enums import InvoiceOrigin
from ..models import Invoice, InvoicingQueueItem
from .invoices import (
    Billable,
    InvoicePlan,
    billables_from_shipments,
    close_if_complete,
    invoice_build,
    invoiceable,
    invoices_build,
    lock_order_lines,
    lock_orders,
    uninvoiced_shipment_lines,
)

log = logging.getLogger(__name__)
SHIPPED_STATUSES = (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)
# per-shipment policies: the shipment statuses at which its invoice is due
PER_SHIPMENT = {InvoicingPolicy.ON_SHIPMENT: SHIPPED_STATUSES, InvoicingPolicy.ON_DELIVERY: (ShipmentStatus.DELIVERED,)}


def shipment_key(shipment_id: int) -> str:
    return f"shipment:{shipment_id}"


def order_key(order_id: int) -> str:
    return f"order:{order_id}"


def period_key(customer_id: int, currency: str, start: datetime.date) -> str:
    return f"period:{customer_id}:{currency}:{start.isoformat()}"


@transaction.atomic
def invoices_create_for_shipments(*, shipment_ids: Sequence[int], actor: AbstractBaseUser | None = None,
                                  ) -> list[Invoice]:
    """Invoice shipped shipments, one invoice each, in one transaction and a fixed number of statements
    (the sweep and a burst of shipping hand them over in chunks). Shipments invoiced already, not
    shipped, or with nothing left to invoice are skipped; orders completed by them are done."""
    rows = dict(Shipment.objects.filter(pk__in=shipment_ids, status__in=SHIPPED_STATUSES)
                .values_list("pk", "order_id"))
    if not rows:
        return []
    orders = lock_orders(rows.values())
    order_lines = lock_order_lines(orders)
    pending: dict[int, list[tuple[int, int, Decimal]]] = {}
    for shipment_id, shipment_line_id, order_line_id, quantity in uninvoiced_shipment_lines(
            shipment_id__in=list(rows), with_shipment=True):
        pending.setdefault(shipment_id, []).append((shipment_line_id, order_line_id, quantity))
    plans = []
    room = {pk: invoiceable(line) for pk, line in order_lines.items()}
    for shipment_id in sorted(rows):
        order = orders[rows[shipment_id]]
        billables = billables_from_shipments(pending.get(shipment_id, []), order_lines, room)
        plans.append(InvoicePlan(order.customer, order.currency, billables, InvoiceOrigin.SHIPMENT,
                                 source_key=shipment_key(shipment_id), shipment_id=shipment_id))
    invoices = invoices_build(plans=plans, orders=orders, order_lines=order_lines, actor=actor)
    invoiced = {invoice.shipment_id for invoice in invoices}
    untouched = {rows[pk] for pk in rows if pk not in invoiced} - {rows[pk] for pk in invoiced}
    if untouched:  # invoiced already (up front, say): their last shipment may complete them
        close_if_complete([orders[pk] for pk in sorted(untouched)],
                          [line for line in order_lines.values() if line.order_id in untouched], actor)
    return invoices


def invoicing_queue_add(*, shipment_ids: Sequence[int]) -> None:
    """Queue shipments for invoicing (a shipment queued twice is queued once)."""
    InvoicingQueueItem.objects.bulk_create([InvoicingQueueItem(shipment_id=pk) for pk in shipment_ids],
                                           ignore_conflicts=True)


@transaction.atomic
def invoicing_queue_take(*, limit: int = 100) -> int:
    """Invoice up to `limit` queued shipments in one transaction (rows other workers hold are skipped)
    and take them off the queue; returns how many were taken (0: the queue is empty)."""
    items = list(InvoicingQueueItem.objects.select_for_update(skip_locked=True).order_by("id")
                 .values_list("id", "shipment_id")[:limit])
    if not items:
        return 0
    try:
        with transaction.atomic():
            invoices_create_for_shipments(shipment_ids=[shipment_id for _, shipment_id in items])
    except DomainError:  # one shipment spoils the batch: the others go one by one, the culprit is logged
        for _, shipment_id in items:
            try:
                with transaction.atomic():
                    invoices_create_for_shipments(shipment_ids=[shipment_id])
            except DomainError as exc:
                log.error("shipment %s could not be invoiced: %s", shipment_id, exc.message)
    InvoicingQueueItem.objects.filter(id__in=[pk for pk, _ in items]).delete()
    return len(items)


@transaction.atomic
def invoice_create_for_shipment(*, shipment_id: int, actor: AbstractBaseUser | None = None) -> Invoice | None:
    """Invoice a shipped shipment's lines (None: invoiced already, or nothing of it left to invoice)."""
    status = Shipment.objects.filter(pk=shipment_id).values_list("status", flat=True).first()
    if status is None:
        raise NotFound(f"Shipment {shipment_id} does not exist.")
    if status not in SHIPPED_STATUSES:
        raise Conflict(f"Shipment {shipment_id} has not shipped; only shipped goods are invoiced.",
                       code="not_shipped", details={"status": status})
    made = invoices_create_for_shipments(shipment_ids=[shipment_id], actor=actor)
    return made[0] if made else None


@transaction.atomic
def invoice_create_for_order(*, order_id: int, actor: AbstractBaseUser | None = None,
                             upfront: bool = False, issue: bool = True) -> Invoice | None:
    """Up front: the whole order as confirmed. Otherwise (by hand): everything of the order shipped and
    not yet invoiced — a draft for Finance to check when `issue` is False."""
    orders = lock_orders([order_id])
    if order_id not in orders:
        raise NotFound(f"Order {order_id} does not exist.")
    order = orders[order_id]
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.DONE):
        raise Conflict(f"Order {order.number} is {order.get_status_display().lower()}; only a confirmed order is "
                       "invoiced.", code="order_not_confirmed", details={"status": order.status})
    order_lines = lock_order_lines(orders)
    if upfront:
        billables = [Billable(line, invoiceable(line, upfront=True)) for line in order_lines.values()]
        billables = [b for b in billables if b.quantity > 0]
    else:
        billables = billables_from_shipments(uninvoiced_shipment_lines(shipment__order_id=order_id), order_lines)
    plan = InvoicePlan(order.customer, order.currency, billables,
                       InvoiceOrigin.ORDER if upfront else InvoiceOrigin.MANUAL,
                       source_key=order_key(order_id) if upfront else None)
    return invoice_build(plan=plan, orders=orders, order_lines=order_lines, actor=actor, issue=issue)


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive

    @property
    def until(self) -> datetime.datetime:
        """The first moment after the period (shipped before it: in the period or earlier)."""
        return timezone.make_aware(datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time()))


def last_completed_period(policy: str, today: datetime.date) -> Period:
    if policy == InvoicingPolicy.WEEKLY:
        monday = today - datetime.timedelta(days=today.weekday())
        return Period(monday - datetime.timedelta(days=7), monday - datetime.timedelta(days=1))
    first = today.replace(day=1)
    end = first - datetime.timedelta(days=1)
    return Period(end.replace(day=1), end)


@transaction.atomic
def invoice_create_for_period(*, customer_id: int, currency: str, start: datetime.date, end: datetime.date,
                              actor: AbstractBaseUser | None = None) -> Invoice | None:
    """One invoice for everything the customer was shipped up to the end of the period (in one currency)
    and not yet invoiced."""
    rows = uninvoiced_shipment_lines(shipment__customer_id=customer_id, shipment__order__currency=currency,
                                     shipment__shipped_at__lt=Period(start, end).until)
    if not rows:
        return None
    order_ids = set(ShipmentLine.objects.filter(pk__in=[r[0] for r in rows]).values_list("order_line__order_id",
                                                                                         flat=True))
    orders = lock_orders(order_ids)
    order_lines = lock_order_lines(orders)
    rows = uninvoiced_shipment_lines(pk__in=[r[0] for r in rows])  # again, under the locks
    customer = Customer.objects.select_related("payment_term").get(pk=customer_id)
    plan = InvoicePlan(customer, currency, billables_from_shipments(rows, order_lines), InvoiceOrigin.PERIOD,
                       source_key=period_key(customer_id, currency, start), period=(start, end))
    return invoice_build(plan=plan, orders=orders, order_lines=order_lines, actor=actor)


@dataclass(frozen=True)
class InvoicingWork:
    """What should have been invoiced by now and is not: the sweep hands each to its task."""

    shipments: list[int]
    upfront_orders: list[int]
    periods: list[tuple[int, str, datetime.date, datetime.date]]


def invoicing_backlog(*, today: datetime.date | None = None, limit: int = 50_000) -> InvoicingWork:
    """Shipments of per-shipment customers with uninvoiced lines (shipped or delivered, by policy),
    confirmed orders of up-front customers without their invoice, and completed periods of consolidating
    customers with uninvoiced shipments. A few queries, whatever the backlog."""
    today = today or timezone.localdate()
    uninvoiced = ShipmentLine.objects.filter(shipment=OuterRef("pk"), invoice_lines__isnull=True)
    per_shipment = Q()
    for policy, statuses in PER_SHIPMENT.items():
        per_shipment |= Q(customer__invoicing_policy=policy, status__in=statuses)
    shipments = list(Shipment.objects.filter(per_shipment).filter(Exists(uninvoiced))
                     .exclude(order__invoices__source_key__startswith="order:")
                     .order_by("pk").values_list("pk", flat=True)[:limit])
    upfront = list(SalesOrder.objects.filter(customer__invoicing_policy=InvoicingPolicy.UPFRONT,
                                             status=OrderStatus.CONFIRMED)
                   .exclude(invoices__origin=InvoiceOrigin.ORDER)
                   .order_by("pk").values_list("pk", flat=True)[:limit])
    periods = []
    for policy in (InvoicingPolicy.WEEKLY, InvoicingPolicy.MONTHLY):
        period = last_completed_period(policy, today)
        pairs = (ShipmentLine.objects.filter(invoice_lines__isnull=True, shipment__shipped_at__lt=period.until,
                                             shipment__customer__invoicing_policy=policy)
                 .values_list("shipment__customer_id", "shipment__order__currency").distinct())
        periods += [(customer_id, currency, period.start, period.end) for customer_id, currency in sorted(pairs)]
    return InvoicingWork(shipments, upfront, periods[:limit])


def policy_of(customer_id: int) -> str:
    return Customer.objects.filter(pk=customer_id).values_list("invoicing_policy", flat=True).first() or ""

