"""Reminders: tomorrow's run as a preview (nothing written), the history of what was sent, and running
today's reminders now (the daily beat does it too; a second run the same day sends nothing twice)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from billing.forms import ConfirmForm
from o2c.errors import DomainError
from o2c.views import paginate, query_without_page
from orders.views.common import back_to

from ...forms import ReminderFilterForm
from ...models import ReminderLog
from ...selectors.dunning import ReminderTotals, reminder_list, reminder_preview
from ...services.dunning import reminder_run
from .common import COLLECT, REMINDERS_PER_PAGE, SEND_REMINDER, run_form


def _totals(plans: list[Any]) -> list[tuple[str, ReminderTotals]]:
    """The preview's totals per currency."""
    by_currency: dict[str, list[Any]] = {}
    for plan in plans:
        by_currency.setdefault(plan.currency, []).append(plan)
    result = []
    for currency, group in sorted(by_currency.items()):
        lines = [line for plan in group for line in plan.lines]
        fee = sum((plan.level.fee for plan in group), Decimal(0))
        result.append((currency, ReminderTotals.of(lines, fee)))
    return result


class ReminderListView(PermissionRequiredMixin, View):
    permission_required = COLLECT
    raise_exception = True

    def get(self, request: HttpRequest) -> HttpResponse:
        filters = ReminderFilterForm(request.GET).filters()
        customer, level = filters["customer"], filters["level"]
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        context: dict[str, Any] = {"filters": filters, "tabs": ReminderFilterForm.TABS, "tomorrow": tomorrow,
                                   "page_base": query_without_page(request),
                                   "can_run": request.user.has_perm(SEND_REMINDER)}
        if filters["tab"] == "history":
            reminders = reminder_list(customer_id=customer.pk if customer else None).prefetch_related(
                Prefetch("logs", queryset=ReminderLog.objects.select_related("invoice").order_by("invoice__due_date",
                                                                                                 "invoice_id")))
            if level is not None:
                reminders = reminders.filter(level=level)
            context["page_obj"] = paginate(request, reminders, REMINDERS_PER_PAGE)
        else:
            try:
                plans = reminder_preview(tomorrow, customer_id=customer.pk if customer else None)
            except DomainError as err:
                plans = []
                context["refused"] = err.message
            if level is not None:
                plans = [plan for plan in plans if plan.level.level == level]
            context.update(plans=plans, totals=_totals(plans))
        return render(request, "receivables/reminder_list.html", context)


class ReminderRunView(PermissionRequiredMixin, View):
    """Run today's reminders now, as the daily beat would: each reminder e-mailed after its commit."""

    permission_required = SEND_REMINDER
    raise_exception = True

    def post(self, request: HttpRequest) -> HttpResponse:
        sent = run_form(request, ConfirmForm(request.POST), reminder_run, actor=request.user)
        if sent is not None:
            if sent:
                customers = len({reminder.customer_id for reminder in sent})
                messages.success(request, f"{len(sent)} reminder{'s' if len(sent) != 1 else ''} to {customers} "
                                          f"customer{'s' if customers != 1 else ''} written; they are being e-mailed.")
            else:
                messages.info(request, "Nothing to remind today: every overdue invoice got its reminder already, "
                                       "or waits for a dispute or a promise to pay.")
        return back_to(request, "receivables:reminder-list")
