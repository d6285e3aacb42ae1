"""A customer's account (balance, credit, credit hold, aging, open invoices with their actions, ledger,
reminders, disputes, paying habit, history, statement PDF), the actions on one invoice (promise to pay,
dispute, write-off, reminder now), and the panels receivables adds to billing's invoice page and to the
orders customer page.

Every action is a POST to one service, then back to the page it came from (`next`) with a message; a
refusal is an error message and writes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from billing.enums import OPEN_STATUSES
from billing.models import Invoice
from o2c.audit import timeline
from o2c.errors import DomainError
from o2c.panels import register_panel
from o2c.views import pdf_response
from orders.models import Customer
from orders.views.common import back_to

from ...enums import DisputeReason, WriteOffReason
from ...forms import CreditHoldForm, DisputeOpenForm, PromiseForm, ReminderSendForm, WriteOffForm, collectors
from ...selectors.aging import aging_report
from ...selectors.collections import (
    CollectionPolicy,
    collection_invoices,
    collection_policy,
    customer_credits,
    customer_disputes,
    customer_reminders,
    invoice_collection_state,
    invoice_receivables,
)
from ...selectors.kpis import days_to_pay
from ...selectors.ledger import customer_credit, customer_ledger
from ...services.credit_control import customer_credit_hold
from ...services.customer_statements import customer_statement_pdf
from ...services.disputes import dispute_open
from ...services.dunning import reminder_send_manual
from ...services.payments import invoice_write_off, promise_to_pay_record
from .common import (
    ADD_DISPUTE,
    ADD_PROMISE,
    ADD_WRITE_OFF,
    LEDGER_MONTHS,
    MANAGE_CREDIT,
    RECENT,
    SEND_REMINDER,
    VIEW_ACCOUNT,
    run_form,
)
from .overview import BUCKETS, in_cents

ZERO = Decimal(0)
ZERO_MONEY = Decimal("0.00")

# --- what may be done to an invoice ---------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceActions:
    """The actions the user may take on an open invoice now (each still checked by its service)."""

    remind: bool = False
    promise: bool = False
    dispute: bool = False
    write_off: bool = False

    @property
    def any(self) -> bool:
        return self.remind or self.promise or self.dispute or self.write_off


def invoice_actions(invoice: Invoice, policy: CollectionPolicy, perms: dict[str, bool]) -> InvoiceActions:
    """`invoice` annotated as `collection_invoices` does; `perms` as `action_perms` gives."""
    if invoice.status not in OPEN_STATUSES or invoice.amount_due <= 0:
        return InvoiceActions()
    overdue = invoice.due_date is not None and invoice.due_date < timezone.localdate()
    limit = policy.write_off_limit
    return InvoiceActions(
        remind=(perms["remind"] and overdue and not invoice.open_dispute
                and (invoice.last_level or 0) < policy.last_level),
        promise=perms["promise"],
        dispute=perms["dispute"] and not invoice.open_dispute,
        write_off=perms["write_off"] and limit is not None and invoice.amount_due <= limit,
    )


def action_perms(request: HttpRequest) -> dict[str, bool]:
    user = request.user
    return {"remind": user.has_perm(SEND_REMINDER), "promise": user.has_perm(ADD_PROMISE),
            "dispute": user.has_perm(ADD_DISPUTE), "write_off": user.has_perm(ADD_WRITE_OFF)}


def action_choices(perms: dict[str, bool]) -> dict[str, Any]:
    """What the action forms offer (read once per page, whatever the number of invoices)."""
    return {"owners": list(collectors()) if perms["dispute"] else [],
            "dispute_reasons": DisputeReason.choices, "write_off_reasons": WriteOffReason.choices}


def ledger_since(today: datetime.date, months: int = LEDGER_MONTHS) -> datetime.date:
    """The first day of the month `months − 1` months before today's: 12 months, the current one included."""
    month = today.year * 12 + today.month - 1 - (months - 1)
    return datetime.date(month // 12, month % 12 + 1, 1)


# --- the customer's account -----------------------------------------------------------------------


def account_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    today = timezone.localdate()
    policy = collection_policy()
    perms = action_perms(request)
    invoices = collection_invoices(customer.pk, today)
    for invoice in invoices:
        invoice.actions = invoice_actions(invoice, policy, perms)
    since = ledger_since(today)
    credits = customer_credits(customer.pk)
    habit = days_to_pay(today, currency=customer.currency, customer_id=customer.pk).get(customer.pk)
    can_hold = request.user.has_perm(MANAGE_CREDIT)
    aging = aging_report(today, customer_id=customer.pk).rows
    in_cents(aging)
    return {
        "customer": customer, "today": today, "policy": policy, "buckets": BUCKETS,
        "aging": aging, "invoices": invoices,
        "overdue_total": sum((i.amount_due for i in invoices if i.days_overdue is not None and
                              i.currency == customer.currency), ZERO),
        "credit": sum((p.unapplied_amount for p in credits if p.currency == customer.currency),
                      ZERO),
        "credits": credits, "ledger": customer_ledger(customer, since=since), "ledger_since": since,
        "reminders": customer_reminders(customer.pk, limit=RECENT),
        "disputes": customer_disputes(customer.pk, limit=RECENT), "habit": habit,
        "timeline": timeline(customer)[:50], "next": request.get_full_path(),
        "hold_form": CreditHoldForm(initial={"hold": "0" if customer.credit_hold else "1"}) if can_hold else None,
        **action_choices(perms),
    }


def _customer(pk: int) -> Customer:
    return get_object_or_404(Customer.objects.select_related("credit_hold_by", "payment_term"), pk=pk)


class CustomerAccountView(PermissionRequiredMixin, View):
    permission_required = VIEW_ACCOUNT
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "receivables/customer.html", account_context(request, _customer(pk)))


class CustomerStatementView(PermissionRequiredMixin, View):
    """The customer's statement of account as PDF, as of a day (`?as_of=`, default today)."""

    permission_required = VIEW_ACCOUNT
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        customer = get_object_or_404(Customer, pk=pk)
        raw = request.GET.get("as_of", "").strip()
        try:
            as_of = datetime.date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError:
            messages.error(request, f"“{raw}” is not a day: enter it as YYYY-MM-DD.")
            return redirect("receivables:customer", pk=customer.pk)
        try:
            content = customer_statement_pdf(customer, as_of)
        except DomainError as err:
            messages.error(request, err.message)
            return redirect("receivables:customer", pk=customer.pk)
        return pdf_response(content, f"statement-{customer.number}-{as_of:%Y-%m-%d}.pdf",
                            inline=request.GET.get("inline") == "1")


class CreditHoldView(PermissionRequiredMixin, View):
    """Finance holds or releases the customer by hand (audited by orders' credit service)."""

    permission_required = MANAGE_CREDIT
    raise_exception = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        customer = get_object_or_404(Customer, pk=pk)
        done = run_form(request, CreditHoldForm(request.POST), customer_credit_hold, customer_id=customer.pk,
                        actor=request.user)
        if done is not None:
            if done.credit_hold:
                messages.success(request, f"{done.number} {done.legal_name} is on credit hold: its new orders wait "
                                          "for Finance's release.")
            else:
                messages.success(request, f"{done.number} {done.legal_name} is off credit hold.")
        return back_to(request, "receivables:customer", customer.pk)


# --- actions on one invoice -----------------------------------------------------------------------


def _promised(promise: Any, invoice: Invoice) -> str:
    amount = f" {promise.amount} {invoice.currency}" if promise.amount is not None else ""
    return (f"Promise to pay{amount} by {promise.promised_date:%Y-%m-%d} noted for {invoice.number}: no reminders "
            "for it until then.")


def _disputed(dispute: Any, invoice: Invoice) -> str:
    return (f"Dispute opened on {invoice.number} for {dispute.amount} {invoice.currency}: its reminders pause until "
            "it is resolved or rejected.")


def _written_off(write_off: Any, invoice: Invoice) -> str:
    return f"{write_off.amount} {invoice.currency} of {invoice.number} written off ({write_off.get_reason_display()})."


def _reminded(reminder: Any, invoice: Invoice) -> str:
    return (f"Level {reminder.level} reminder for {invoice.number} written; it is being e-mailed to "
            f"{invoice.customer_name}.")


ACTIONS: dict[str, tuple[type, Any, str, Any]] = {
    # name: (form, service, permission, success message)
    "promise": (PromiseForm, promise_to_pay_record, ADD_PROMISE, _promised),
    "dispute": (DisputeOpenForm, dispute_open, ADD_DISPUTE, _disputed),
    "write-off": (WriteOffForm, invoice_write_off, ADD_WRITE_OFF, _written_off),
    "remind": (ReminderSendForm, reminder_send_manual, SEND_REMINDER, _reminded),
}


class InvoiceActionView(PermissionRequiredMixin, View):
    """promise to pay, open a dispute, write off a small balance, or send a reminder now."""

    raise_exception = True
    action = ""

    def get_permission_required(self) -> list[str]:
        return [ACTIONS[self.action][2]]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = get_object_or_404(Invoice, pk=pk)
        form_class, service, _, done_message = ACTIONS[self.action]
        done = run_form(request, form_class(request.POST), service, invoice_id=invoice.pk, actor=request.user)
        if done is not None:
            messages.success(request, done_message(done, invoice))
        return back_to(request, "receivables:customer", invoice.customer_id)


# --- panels on other apps' pages ------------------------------------------------------------------


def invoice_panel(invoice: Invoice, request: HttpRequest) -> dict[str, Any] | None:
    """Receivables on the invoice page: its allocations, write-offs, reminders, disputes and promises, and
    the actions — the context of receivables/partials/invoice_receivables.html. Nothing on a draft."""
    if not invoice.number:
        return None
    policy = collection_policy()
    perms = action_perms(request)
    state = invoice_collection_state(invoice.pk, timezone.localdate())
    actions = invoice_actions(state, policy, perms)
    return {"invoice": state, "records": invoice_receivables(invoice), "actions": actions, "policy": policy,
            "next": request.get_full_path(), **(action_choices(perms) if actions.any else {})}


def customer_panel(customer: Customer, request: HttpRequest) -> dict[str, Any]:
    """The receivables summary on the orders customer page, linking to the account (two queries)."""
    today = timezone.localdate()
    open_invoices = Invoice.objects.filter(customer=customer, status__in=OPEN_STATUSES, amount_due__gt=0,
                                           currency=customer.currency)
    figures = open_invoices.aggregate(overdue=Sum("amount_due", filter=Q(due_date__lt=today)),
                                      overdue_count=Count("pk", filter=Q(due_date__lt=today)))
    return {"customer": customer, "overdue": figures["overdue"] or ZERO_MONEY,
            "overdue_count": figures["overdue_count"], "credit": customer_credit(customer),
            "url": reverse("receivables:customer", args=[customer.pk])}


def register_panels() -> None:
    """Show receivables on billing's invoice page and on the orders customer page (call in `ready()`;
    registering again replaces, so calling twice is harmless)."""
    register_panel(Invoice, template="receivables/partials/invoice_receivables.html", permission=VIEW_ACCOUNT,
                   context=invoice_panel, position=100)
    register_panel(Customer, template="receivables/partials/customer_account.html", permission=VIEW_ACCOUNT,
                   context=customer_panel, position=100)
