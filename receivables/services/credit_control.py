"""Credit control: the policy puts customers with long-overdue invoices on credit hold and lifts the hold
when they have paid; Finance may hold or release by hand (audited by orders' `customer_set_credit`).

Only holds the policy put on (`PolicyCreditHold`) are lifted by the policy: a hold Finance set by hand
stays until Finance lifts it. A policy hold Finance lifts by hand comes back on the next daily run if
the invoices are still overdue beyond the policy's days.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from billing.enums import OPEN_STATUSES
from billing.models import Invoice
from orders.models import Customer
from orders.services.customers import customer_set_credit

from ..models import DunningPolicy, PolicyCreditHold


def _overdue_since(cutoff: datetime.date, customer_ids: list[int] | None = None) -> dict[int, datetime.date]:
    """Customers with an open invoice due before `cutoff`, with their oldest such due date."""
    rows = Invoice.objects.filter(status__in=OPEN_STATUSES, amount_due__gt=0, due_date__lt=cutoff)
    if customer_ids is not None:
        rows = rows.filter(customer_id__in=customer_ids)
    return dict(rows.values("customer_id").annotate(oldest=Min("due_date")).values_list("customer_id", "oldest"))


def _policy_days() -> int | None:
    policy = DunningPolicy.objects.filter(is_default=True).only("credit_hold_days").first()
    return None if policy is None else policy.credit_hold_days


def _release(customer_id: int, reason: str) -> None:
    PolicyCreditHold.objects.filter(customer_id=customer_id).delete()
    if Customer.objects.filter(pk=customer_id, credit_hold=True).exists():
        customer_set_credit(customer_id=customer_id, actor=None, credit_hold=False, reason=reason)


@transaction.atomic
def credit_holds_apply(*, today: datetime.date | None = None) -> tuple[list[int], list[int]]:
    """The daily run: hold customers with an invoice more than the policy's days overdue, lift the
    policy's holds of customers who no longer have one. Returns (held, released) customer ids."""
    today = today or timezone.localdate()
    days = _policy_days()
    late = {} if days is None else _overdue_since(today - datetime.timedelta(days=days))
    held_by_policy = set(PolicyCreditHold.objects.values_list("customer_id", flat=True))
    released = sorted(held_by_policy - set(late))
    for customer_id in released:
        _release(customer_id, f"Paid: no invoice more than {days} days overdue.")
    held = []
    for customer_id, oldest in sorted(late.items()):
        if customer_id in held_by_policy:
            continue
        customer = Customer.objects.select_for_update().only("credit_hold").get(pk=customer_id)
        if customer.credit_hold:
            continue  # held by hand already: Finance decides when it ends
        customer_set_credit(customer_id=customer_id, actor=None, credit_hold=True,
                            reason=f"Invoices more than {days} days overdue (oldest due {oldest:%Y-%m-%d}).")
        PolicyCreditHold.objects.create(customer_id=customer_id, since=today, oldest_due_date=oldest)
        held.append(customer_id)
    return held, released


def credit_hold_release_if_settled(*, customer_id: int) -> bool:
    """After a payment or write-off: lift the policy's hold at once when nothing is overdue beyond the
    policy's days any more (the caller's transaction; the customer row is locked last)."""
    if not PolicyCreditHold.objects.filter(customer_id=customer_id).exists():
        return False
    days = _policy_days()
    if days is not None and _overdue_since(timezone.localdate() - datetime.timedelta(days=days), [customer_id]):
        return False
    _release(customer_id, "Paid: no invoice overdue beyond the policy any more.")
    return True


@transaction.atomic
def customer_credit_hold(*, customer_id: int, hold: bool, actor: AbstractBaseUser | None, reason: str = "") -> Customer:
    """Finance holds or releases a customer by hand (orders' credit rules: Finance only, a reason to hold)."""
    customer = customer_set_credit(customer_id=customer_id, actor=actor, credit_hold=hold, reason=reason)
    if not hold:
        PolicyCreditHold.objects.filter(customer_id=customer_id).delete()
    return customer
