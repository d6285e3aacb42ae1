"""Disputes: the list (status, owner, customer) and the dispute page, where Finance resolves it by a credit
note (through billing) or rejects it with a reason. Opening one is an invoice action (see accounts)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView

from o2c.audit import timeline
from o2c.errors import call_for_form
from o2c.views import paginate, query_without_page
from orders.views.common import form_errors_text

from ...enums import DisputeStatus
from ...forms import DisputeFilterForm, DisputeRejectForm, DisputeResolveForm, collectors
from ...models import Dispute
from ...selectors.collections import dispute_detail, dispute_list
from ...services.disputes import dispute_reject, dispute_resolve
from .common import ADD_CREDIT_NOTE, CHANGE_DISPUTE, DISPUTES_PER_PAGE, VIEW_DISPUTE


class DisputeListView(PermissionRequiredMixin, TemplateView):
    permission_required = VIEW_DISPUTE
    raise_exception = True
    template_name = "receivables/dispute_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        filters = DisputeFilterForm(self.request.GET).filters()
        page_obj = paginate(self.request, dispute_list(**DisputeFilterForm.selector_kwargs(filters)), DISPUTES_PER_PAGE)
        return {**super().get_context_data(**kwargs), "filters": filters, "page_obj": page_obj,
                "page_base": query_without_page(self.request), "statuses": DisputeStatus.choices,
                "owners": list(collectors())}


def _dispute(pk: int) -> Dispute:
    try:
        return dispute_detail(pk)
    except Dispute.DoesNotExist:
        raise Http404("No such dispute.") from None


def dispute_context(request: HttpRequest, dispute: Dispute, *, bound: tuple[str, forms.Form] | None = None,
                    ) -> dict[str, Any]:
    user = request.user
    forms_: dict[str, forms.Form] = {}
    if dispute.status == DisputeStatus.OPEN and user.has_perm(CHANGE_DISPUTE):
        if user.has_perm(ADD_CREDIT_NOTE):
            forms_["resolve"] = DisputeResolveForm(initial={"amount": dispute.amount})
        forms_["reject"] = DisputeRejectForm()
        if bound is not None:
            forms_[bound[0]] = bound[1]
    return {"dispute": dispute, "invoice": dispute.invoice, "timeline": timeline(dispute), "forms": forms_,
            "refused": form_errors_text(bound[1]) if bound is not None and bound[0] not in forms_ else ""}


class DisputeDetailView(PermissionRequiredMixin, View):
    permission_required = VIEW_DISPUTE
    raise_exception = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "receivables/dispute_detail.html", dispute_context(request, _dispute(pk)))


ACTIONS: dict[str, tuple[type[forms.Form], Any, list[str]]] = {
    "resolve": (DisputeResolveForm, dispute_resolve, [CHANGE_DISPUTE, ADD_CREDIT_NOTE]),
    "reject": (DisputeRejectForm, dispute_reject, [CHANGE_DISPUTE]),
}


class DisputeActionView(PermissionRequiredMixin, View):
    """Resolve (a credit note of the amount) or reject (with a reason). A refusal: the page again (400)
    with the form and the service's message."""

    raise_exception = True
    action = ""

    def get_permission_required(self) -> list[str]:
        return ACTIONS[self.action][2]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        dispute = _dispute(pk)
        form_class, service, _ = ACTIONS[self.action]
        form = form_class(request.POST)
        done = None
        if form.is_valid():
            done = call_for_form(form, service, dispute_id=dispute.pk, actor=request.user,
                                 **form.service_kwargs())  # type: ignore[attr-defined]
        if done is None:
            context = dispute_context(request, _dispute(pk), bound=(self.action, form))
            return render(request, "receivables/dispute_detail.html", context, status=400)
        if self.action == "resolve":
            messages.success(request, f"Dispute resolved: credit note {done.credit_note.number} issued for "
                                      f"{done.credit_note.gross_total} {done.credit_note.currency}.")
        else:
            messages.success(request, f"Dispute rejected: reminders for {done.invoice.number} resume.")
        return redirect("receivables:dispute-detail", pk=dispute.pk)
