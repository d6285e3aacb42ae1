"""The reconciliation queue: money received that no rule matched, oldest first; a line's page with its ranked
suggestions, matching it to a customer and invoices by hand, ignoring it (with why) and taking it back.

The queue page runs a fixed number of queries; each row's top suggestion is loaded by htmx when the row
is shown (`queue-suggestion`: one query each), so a long queue never makes one slow page.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import TemplateView

from billing.forms import ConfirmForm
from o2c.audit import timeline
from o2c.errors import call_for_form
from o2c.views import paginate, query_without_page
from orders.views.common import form_errors_text

from ...cash_forms import IgnoreForm, MatchForm, customer_of, open_invoices
from ...enums import LineStatus
from ...models import BankStatementLine
from ...selectors.statements import match_suggestions, reconciliation_queue
from ...services.statements import is_credit, statement_line_ignore, statement_line_match, statement_line_unignore
from .common import APPLY_CASH, QUEUE_PER_PAGE, VIEW_LINE, invoices_context

SUGGESTIONS = 5


class QueueView(PermissionRequiredMixin, TemplateView):
    """Lines waiting for Finance, oldest first (or those ignored, `?show=ignored`)."""

    permission_required = VIEW_LINE
    raise_exception = True
    template_name = "receivables/queue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ignored = self.request.GET.get("show") == "ignored"
        lines = (BankStatementLine.objects.filter(status=LineStatus.IGNORED).select_related("statement")
                 .order_by("booking_date", "pk")) if ignored else reconciliation_queue()
        return {**super().get_context_data(**kwargs), "page_obj": paginate(self.request, lines, QUEUE_PER_PAGE),
                "page_base": query_without_page(self.request), "ignored": ignored}


class QueueSuggestionView(PermissionRequiredMixin, View):
    """htmx: a queued line's best suggestion, for its row in the queue."""

    permission_required = VIEW_LINE
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        line = get_object_or_404(BankStatementLine, pk=pk)
        best = match_suggestions(line, limit=1) if line.status == LineStatus.UNMATCHED and is_credit(line) else []
        return render(request, "receivables/partials/cash_suggestion.html",
                      {"line": line, "suggestion": best[0] if best else None})


# --- one line -------------------------------------------------------------------------------------


def _line(pk: int) -> BankStatementLine:
    return get_object_or_404(BankStatementLine.objects.select_related("statement", "payment__customer", "matched_by"),
                             pk=pk)


def _match_form(line: BankStatementLine, data: Any = None, *, query: Any = None) -> MatchForm:
    """The match form with the chosen customer's open invoices in the line's currency: bound to `data`
    (a POST), or fresh, where ?customer=&invoice= in `query` (a suggestion picked) pre-fills the customer
    and what the invoice gets (what settles it, at most the line's amount)."""
    query = query or {}
    if data is not None:
        form = MatchForm(data)
    else:
        customer = customer_of(query.get("customer"))
        form = MatchForm(initial={"customer": customer} if customer else None)
    customer = form.customer_obj
    rows = open_invoices(customer.pk if customer else None, line.currency if customer else None, line.booking_date)
    picked = str(query.get("invoice", "") or "")
    initial: dict[int, Decimal] = {row.invoice.pk: min(row.full, line.amount) for row in rows
                                   if data is None and picked.isdigit() and row.invoice.pk == int(picked)}
    form.add_allocation_fields(rows, initial)
    return form


def line_context(request: HttpRequest, line: BankStatementLine, *, match: MatchForm | None = None,
                 bound: tuple[str, forms.Form] | None = None) -> dict[str, Any]:
    can_act = request.user.has_perm(APPLY_CASH)
    waiting = line.status == LineStatus.UNMATCHED and is_credit(line)
    forms_: dict[str, forms.Form] = {}
    if can_act and waiting:
        forms_["match"] = match or _match_form(line, query=request.GET)
        forms_["ignore"] = bound[1] if bound is not None and bound[0] == "ignore" else IgnoreForm()
    if can_act and line.status == LineStatus.IGNORED:
        forms_["unignore"] = bound[1] if bound is not None and bound[0] == "unignore" else ConfirmForm()
    form = forms_.get("match")
    customer = form.customer_obj if isinstance(form, MatchForm) else None
    events = list(timeline(line))
    return {
        "line": line, "waiting": waiting, "forms": forms_, "timeline": events,
        "suggestions": match_suggestions(line, limit=SUGGESTIONS) if waiting else [],
        "ignored_note": next((e.data.get("note", "") for e in events if e.action == "ignored"), "")
        if line.status == LineStatus.IGNORED else "",
        "refused": form_errors_text(bound[1]) if bound is not None and bound[0] not in forms_ else "",
        **invoices_context(form if isinstance(form, MatchForm) else None, customer, currency=line.currency,
                           amount=line.amount, received=line.booking_date),
    }


class QueueLineView(PermissionRequiredMixin, View):
    """A line with its suggestions; POST matches it (a payment of the line's amount, applied as entered)."""

    raise_exception = True

    def get_permission_required(self) -> list[str]:
        return [APPLY_CASH if self.request.method == "POST" else VIEW_LINE]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "receivables/queue_line.html", line_context(request, _line(pk)))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        line = _line(pk)
        form = _match_form(line, request.POST)
        payment = None
        if form.is_valid():
            payment = call_for_form(form, statement_line_match, line_id=line.pk, actor=request.user,
                                    **form.service_kwargs())
        if payment is None:
            line = _line(pk)
            context = line_context(request, line, match=form)
            if "match" not in context["forms"]:  # the line left the queue meanwhile: say why on top
                context["refused"] = form_errors_text(form)
            return render(request, "receivables/queue_line.html", context, status=400)
        payment.refresh_from_db()
        applied = ", ".join(a.invoice.number for a in payment.allocations.select_related("invoice"))
        rest = (f"applied to {applied}" + (f", {payment.unapplied_amount} {payment.currency} left as credit"
                                           if payment.unapplied_amount else "")
                if applied else f"all of it the customer's credit ({payment.unapplied_amount} {payment.currency})")
        messages.success(request, f"Line matched: payment {payment.number} of {payment.amount} {payment.currency} "
                                  f"from {payment.customer.legal_name}, {rest}.")
        return redirect("receivables:payment-detail", pk=payment.pk)


ACTIONS: dict[str, tuple[type[forms.Form], Any, str]] = {
    "ignore": (IgnoreForm, statement_line_ignore, "Line ignored: it left the reconciliation queue."),
    "unignore": (ConfirmForm, statement_line_unignore, "Line back in the reconciliation queue."),
}


class QueueLineActionView(PermissionRequiredMixin, View):
    """ignore a queued line (with why), or put an ignored one back."""

    permission_required = APPLY_CASH
    raise_exception = True
    action = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        line = get_object_or_404(BankStatementLine, pk=pk)
        form_class, service, done_text = ACTIONS[self.action]
        form = form_class(request.POST)
        done = None
        if form.is_valid():
            done = call_for_form(form, service, line_id=line.pk, actor=request.user,
                                 **form.service_kwargs())  # type: ignore[attr-defined]
        if done is None:
            context = line_context(request, _line(pk), bound=(self.action, form))
            return render(request, "receivables/queue_line.html", context, status=400)
        messages.success(request, done_text)
        if self.action == "ignore":
            return redirect("receivables:queue")
        return redirect("receivables:queue-line", pk=line.pk)
