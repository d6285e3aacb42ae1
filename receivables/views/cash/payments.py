"""Payments: the list, recording a payment with its allocations, and the payment page with its actions
(allocate the unapplied credit by hand or oldest first, refund it).

Every write is a POST (with CSRF) to one service. A refusal changes nothing: the page comes back (400)
with the form and the service's message.
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

from ...cash_forms import AllocateForm, PaymentFilterForm, PaymentForm, RefundForm, customer_of, open_invoices
from ...enums import PaymentMethod
from ...models import BankStatementLine, Payment
from ...selectors.payments import payment_list
from ...selectors.statements import reconciliation_queue
from ...services.payments import payment_allocate, payment_allocate_oldest, payment_record, payment_refund
from .common import APPLY_CASH, PAYMENTS_PER_PAGE, VIEW_PAYMENT, invoices_context

# --- list -----------------------------------------------------------------------------------------


class PaymentListView(PermissionRequiredMixin, TemplateView):
    """Payments by customer, method, received dates and unapplied credit: a fixed number of queries."""

    permission_required = VIEW_PAYMENT
    raise_exception = True
    template_name = "receivables/payment_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        filters = PaymentFilterForm(self.request.GET).filters()
        customer = filters["customer"]
        page_obj = paginate(self.request, payment_list(**{**filters, "customer": customer.pk if customer else None}),
                            PAYMENTS_PER_PAGE)
        return {**super().get_context_data(**kwargs), "filters": filters, "page_obj": page_obj,
                "page_base": query_without_page(self.request), "methods": PaymentMethod.choices,
                "unapplied_choices": PaymentFilterForm.UNAPPLIED,
                "can_record": self.request.user.has_perm(APPLY_CASH)}


# --- record a payment -----------------------------------------------------------------------------


def _payment_form(request: HttpRequest) -> PaymentForm:
    """The form, with the open invoices of the customer chosen (posted, or ?customer= on the way in)."""
    if request.method == "POST":
        form = PaymentForm(request.POST)
    else:
        customer = customer_of(request.GET.get("customer"))
        form = PaymentForm(initial={"customer": customer} if customer else None)
    customer = form.customer_obj
    form.add_allocation_fields(open_invoices(customer.pk if customer else None,
                                             customer.currency if customer else None, form.received_on))
    return form


def _render_create(request: HttpRequest, form: PaymentForm, status: int = 200) -> HttpResponse:
    customer = form.customer_obj
    return render(request, "receivables/payment_create.html", {
        "form": form, "customer": customer,
        **invoices_context(form, customer, received=form.received_on)}, status=status)


def _allocated_text(payment: Payment) -> str:
    if payment.allocated_amount and payment.unapplied_amount:
        return (f"{payment.allocated_amount} applied to invoices, {payment.unapplied_amount} {payment.currency} "
                "left as the customer's credit")
    if payment.allocated_amount:
        return "applied to invoices in full"
    return f"{payment.unapplied_amount} {payment.currency} unapplied, the customer's credit"


class PaymentCreateView(PermissionRequiredMixin, View):
    """Money received: the customer, the amount, how and when; then what it pays of the customer's open
    invoices (loaded by htmx when the customer is chosen). Nothing is written unless all of it holds."""

    permission_required = APPLY_CASH
    raise_exception = True

    def get(self, request: HttpRequest) -> HttpResponse:
        return _render_create(request, _payment_form(request))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = _payment_form(request)
        payment = None
        if form.is_valid():
            payment = call_for_form(form, payment_record, actor=request.user, **form.service_kwargs())
        if payment is None:
            return _render_create(request, form, status=400)
        payment.refresh_from_db()
        messages.success(request, f"Payment {payment.number} recorded: {payment.amount} {payment.currency} from "
                                  f"{payment.customer.legal_name}, {_allocated_text(payment)}.")
        return redirect("receivables:payment-detail", pk=payment.pk)


# --- the payment page -----------------------------------------------------------------------------


def _payment(pk: int) -> Payment:
    return get_object_or_404(Payment.objects.select_related("customer", "created_by", "credit_note"), pk=pk)


def _statement_line(payment: Payment) -> BankStatementLine | None:
    return BankStatementLine.objects.select_related("statement").filter(payment=payment).first()


ACTIONS: dict[str, tuple[type[forms.Form], Any]] = {
    # name: (form, service); every one needs receivables.apply_cash
    "allocate": (AllocateForm, payment_allocate),
    "oldest": (ConfirmForm, payment_allocate_oldest),
    "refund": (RefundForm, payment_refund),
}


def _blank_form(name: str, payment: Payment) -> forms.Form:
    if name == "allocate":
        return AllocateForm()
    if name == "refund":
        return RefundForm(initial={"amount": payment.unapplied_amount})
    return ConfirmForm()


def payment_context(request: HttpRequest, payment: Payment, *, bound: tuple[str, forms.Form] | None = None,
                    ) -> dict[str, Any]:
    forms_: dict[str, forms.Form] = {}
    rows = []
    if request.user.has_perm(APPLY_CASH) and payment.unapplied_amount > 0:
        rows = open_invoices(payment.customer_id, payment.currency, payment.received_date)
        for name in ACTIONS:
            if name != "refund" and not rows:
                continue
            forms_[name] = bound[1] if bound is not None and bound[0] == name else _blank_form(name, payment)
        if "allocate" in forms_:
            form = forms_["allocate"]
            assert isinstance(form, AllocateForm)
            if not hasattr(form, "rows"):
                form.add_allocation_fields(rows)
    allocations = list(payment.allocations.select_related("invoice").order_by("id"))
    line = _statement_line(payment)
    next_line = reconciliation_queue().values_list("pk", flat=True).first() if line is not None else None
    return {
        "payment": payment, "allocations": allocations, "refunds": list(payment.refunds.all()),
        "discount_total": sum((a.discount_amount for a in allocations), Decimal(0)),
        "line": line, "timeline": timeline(payment), "forms": forms_,
        "next_line": next_line, "open_count": len(rows),
        **invoices_context(forms_.get("allocate"), payment.customer, currency=payment.currency,  # type: ignore[arg-type]
                           amount=payment.unapplied_amount, received=payment.received_date),
        # a refused action whose form the page does not show (the credit is used up meanwhile): on top
        "refused": form_errors_text(bound[1]) if bound is not None and bound[0] not in forms_ else "",
    }


class PaymentDetailView(PermissionRequiredMixin, View):
    permission_required = VIEW_PAYMENT
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "receivables/payment_detail.html", payment_context(request, _payment(pk)))


def _done_message(action: str, payment: Payment, done: Any) -> str:
    if action == "refund":
        return (f"Refund of {done.amount} {payment.currency} recorded; {payment.unapplied_amount} "
                f"{payment.currency} is left unapplied. Make the transfer in the bank.")
    if not done:
        return "Nothing to allocate: the customer has no open invoice in the payment's currency."
    numbers = ", ".join(a.invoice.number for a in done)
    total = sum((a.amount for a in done), Decimal(0))
    return (f"{total} {payment.currency} applied to {numbers}; {payment.unapplied_amount} {payment.currency} "
            "left unapplied.")


class PaymentActionView(PermissionRequiredMixin, View):
    """allocate the unapplied credit (to chosen invoices, or oldest first), or refund it."""

    permission_required = APPLY_CASH
    raise_exception = True
    action = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        payment = _payment(pk)
        form_class, service = ACTIONS[self.action]
        form = form_class(request.POST)
        if isinstance(form, AllocateForm):
            form.add_allocation_fields(open_invoices(payment.customer_id, payment.currency, payment.received_date))
        done = None
        if form.is_valid():
            done = call_for_form(form, service, payment_id=payment.pk, actor=request.user,
                                 **form.service_kwargs())  # type: ignore[attr-defined]
        if done is None:
            context = payment_context(request, _payment(pk), bound=(self.action, form))
            return render(request, "receivables/payment_detail.html", context, status=400)
        payment.refresh_from_db()
        messages.success(request, _done_message(self.action, payment, done))
        return redirect("receivables:payment-detail", pk=payment.pk)

