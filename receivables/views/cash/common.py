"""What the cash pages share: permissions, page sizes, the open-invoices table (htmx) and lookups."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from orders.models import Customer

from ...cash_forms import OPEN_INVOICES_SHOWN, AllocationsMixin, PaymentForm, customer_of, open_invoices, parse_day
from ...models import APPLY_CASH

VIEW_PAYMENT = "receivables.view_payment"
VIEW_STATEMENT = "receivables.view_bankstatement"
VIEW_LINE = "receivables.view_bankstatementline"

PAYMENTS_PER_PAGE = 50
STATEMENTS_PER_PAGE = 50
LINES_PER_PAGE = 100
QUEUE_PER_PAGE = 50


def invoices_context(form: AllocationsMixin | None, customer: Customer | None, *, currency: str | None = None,
                     amount: object = None, received: datetime.date | None = None) -> dict[str, Any]:
    """The context of partials/cash_invoices.html: the customer's open invoices with their inputs."""
    rows = getattr(form, "rows", [])
    return {"rows": rows, "customer": customer, "currency": currency or (customer.currency if customer else ""),
            "fixed_amount": amount, "received": received,
            "rows_cut": OPEN_INVOICES_SHOWN if len(rows) >= OPEN_INVOICES_SHOWN else None}


class OpenInvoicesView(PermissionRequiredMixin, View):
    """htmx: the chosen customer's open invoices, each with an amount input, for the payment and the
    statement-line forms (`customer`, `received_date`; `amount` when the money is fixed). Writes nothing."""

    permission_required = APPLY_CASH
    raise_exception = True

    def get(self, request: HttpRequest) -> HttpResponse:
        customer = customer_of(request.GET.get("customer"))
        received = parse_day(request.GET.get("received_date"))
        form = PaymentForm(initial={"customer": customer})
        form.add_allocation_fields(open_invoices(customer.pk if customer else None,
                                                 customer.currency if customer else None, received))
        return render(request, "receivables/partials/cash_invoices.html",
                      invoices_context(form, customer, amount=request.GET.get("amount") or None, received=received))
