"""What the collection pages share: permissions, page sizes, and running one action form.

Sales reads a customer's account, the aging and the disputes; Finance works the worklist and the
reminders, and acts (permissions below, given to the roles by `o2c.roles`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from o2c.errors import call_for_form
from orders.views.common import form_errors_text

VIEW_ACCOUNT = "receivables.view_payment"      # the aging, a customer's account, its statement, the panels
VIEW_DISPUTE = "receivables.view_dispute"
COLLECT = "receivables.add_reminder"           # Finance's collection work: the worklist, the reminders
ADD_PROMISE = "receivables.add_promisetopay"
ADD_DISPUTE = "receivables.add_dispute"
CHANGE_DISPUTE = "receivables.change_dispute"  # resolve (with billing's credit note) or reject
ADD_WRITE_OFF = "receivables.add_writeoff"
SEND_REMINDER = "receivables.add_reminder"
MANAGE_CREDIT = "orders.manage_credit"         # orders' credit rules: hold and release
ADD_CREDIT_NOTE = "billing.add_creditnote"

AGING_ROWS_PER_PAGE = 100
DRILL_DOWN_LIMIT = 1000
DRILL_DOWN_PER_PAGE = 100
WORKLIST_LIMIT = 250
WORKLIST_PER_PAGE = 50
REMINDERS_PER_PAGE = 25
DISPUTES_PER_PAGE = 50
LEDGER_MONTHS = 12
RECENT = 20


def run_form(request: HttpRequest, form: forms.BaseForm, service: Callable[..., Any], **kwargs: Any) -> Any:
    """Validate the form and run the service with its values (`form.service_kwargs()`) and `kwargs`. A
    refusal — the form's or the service's, turned into form errors by the project's helper — is shown as
    an error message and gives None; nothing is written then."""
    result = None
    if form.is_valid():
        result = call_for_form(form, service, **kwargs, **form.service_kwargs())  # type: ignore[attr-defined]
    if result is None:
        messages.error(request, form_errors_text(form) or "Nothing was done.")
    return result
