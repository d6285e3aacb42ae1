"""Browser forms of receivables' collection pages: they parse input; the services decide what is allowed.

Nothing here writes: the views pass the cleaned values to one service each, and a refusal comes back
onto the form (`o2c.errors.call_for_form`). The cash pages' forms live in `receivables.cash_forms`.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import QueryDict

from o2c.money import CENT
from o2c.roles import FINANCE
from orders.models import Customer

from .enums import AgingBucket, DisputeReason, DisputeStatus, WriteOffReason

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


def _amount_field(*, error_messages: dict[str, str] | None = None, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(max_digits=18, decimal_places=2, min_value=CENT,
                              widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
                              error_messages={"min_value": "At least 0.01.", **(error_messages or {})}, **kwargs)


def collectors() -> QuerySet:
    """Who may own a dispute: active Finance users (and superusers), by name."""
    return (get_user_model().objects.filter(Q(groups__name=FINANCE) | Q(is_superuser=True), is_active=True)
            .distinct().order_by("first_name", "username"))


class CollectorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


# --- report filters ---------------------------------------------------------------------------------


class AgingForm(forms.Form):
    """The aging as of a day (default today), and the drill-down: a bucket and/or a customer."""

    FORMATS = [("", "Page"), ("csv", "CSV"), ("xlsx", "XLSX")]

    as_of = forms.DateField(required=False, label="As of", widget=DATE_INPUT,
                            error_messages={"invalid": "Enter the day as YYYY-MM-DD."})
    bucket = forms.ChoiceField(choices=[("", "Every bucket"), ("overdue", "Overdue"), *AgingBucket.choices],
                               required=False)
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False,
                                      error_messages={"invalid_choice": "No such customer."})
    format = forms.ChoiceField(choices=FORMATS, required=False)

    def __init__(self, data: QueryDict | None = None, *, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(data if data is not None else {}, **kwargs)
        self.today = today

    def clean_as_of(self) -> datetime.date:
        value = self.cleaned_data.get("as_of") or self.today
        if value.year < 2000:
            raise forms.ValidationError("Choose a day from 2000 on.")
        return value

    @property
    def drill_down(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return bool(data.get("bucket") or data.get("customer"))


class WorklistForm(forms.Form):
    as_of = forms.DateField(required=False, label="As of", widget=DATE_INPUT,
                            error_messages={"invalid": "Enter the day as YYYY-MM-DD."})


class ReminderFilterForm(forms.Form):
    TABS = [("preview", "Tomorrow's run (preview)"), ("history", "History")]

    tab = forms.ChoiceField(choices=TABS, required=False)
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False)
    level = forms.TypedChoiceField(choices=[("", "Any level"), *[(n, f"Level {n}") for n in range(1, 10)]],
                                   coerce=int, required=False, empty_value=None)

    def filters(self) -> dict[str, Any]:
        """The chosen filters (an invalid one is ignored, not an error)."""
        self.is_valid()
        data = self.cleaned_data
        return {"tab": data.get("tab") or "preview", "customer": data.get("customer"), "level": data.get("level")}


class DisputeFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *DisputeStatus.choices], required=False)
    owner = forms.CharField(required=False)  # a user id, "none" (nobody), or empty (anyone)
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False)

    def filters(self) -> dict[str, Any]:
        self.is_valid()
        data = self.cleaned_data
        owner = (data.get("owner") or "").strip()
        return {"status": data.get("status", ""), "owner": owner, "customer": data.get("customer")}

    @staticmethod
    def selector_kwargs(filters: dict[str, Any]) -> dict[str, Any]:
        owner, customer = filters["owner"], filters["customer"]
        return {"status": filters["status"], "unowned": owner == "none",
                "owner_id": int(owner) if owner.isdigit() else None,
                "customer_id": customer.pk if customer is not None else None}


# --- actions on a customer ------------------------------------------------------------------------------


class CreditHoldForm(forms.Form):
    """Hold or release the customer by hand (a reason to hold)."""

    hold = forms.TypedChoiceField(choices=[("1", "Put on credit hold"), ("0", "Release the credit hold")],
                                  coerce=lambda value: value == "1", widget=forms.HiddenInput,
                                  error_messages={"required": "Hold or release?"})
    reason = forms.CharField(required=False, max_length=200, label="Reason",
                             help_text="Required to put the customer on hold.")

    def service_kwargs(self) -> dict[str, Any]:
        return {"hold": self.cleaned_data["hold"], "reason": self.cleaned_data["reason"]}


# --- actions on an invoice ------------------------------------------------------------------------------


class PromiseForm(forms.Form):
    promised_date = forms.DateField(label="Pays by", widget=DATE_INPUT,
                                    error_messages={"required": "Enter the day the customer promised to pay by.",
                                                    "invalid": "Enter the day as YYYY-MM-DD."})
    amount = _amount_field(required=False, label="Amount", help_text="Empty: what the invoice owes.")
    note = forms.CharField(required=False, max_length=500, label="Note")

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"promised_date": data["promised_date"], "amount": data["amount"], "note": data["note"]}


class DisputeOpenForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *DisputeReason.choices],
                               error_messages={"required": "Choose a reason."})
    amount = _amount_field(label="Disputed amount", error_messages={"required": "Enter the disputed amount."})
    owner = CollectorChoiceField(queryset=get_user_model().objects.none(), required=False, empty_label="Nobody yet",
                                 label="Owner")
    note = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}), label="Note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = collectors()

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        owner = data.get("owner")
        return {"reason": data["reason"], "amount": data["amount"], "note": data["note"],
                "owner_id": owner.pk if owner is not None else None}


class WriteOffForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *WriteOffReason.choices],
                               error_messages={"required": "Choose a reason."})
    note = forms.CharField(required=False, max_length=500, label="Note")

    def service_kwargs(self) -> dict[str, Any]:
        return {"reason": self.cleaned_data["reason"], "note": self.cleaned_data["note"]}


class ReminderSendForm(forms.Form):
    """Remind one invoice now: at the next level not sent yet (or a chosen one)."""

    level = forms.TypedChoiceField(choices=[("", "Next level"), *[(n, f"Level {n}") for n in range(1, 10)]],
                                   coerce=int, required=False, empty_value=None)

    def service_kwargs(self) -> dict[str, Any]:
        return {"level": self.cleaned_data["level"]}


# --- disputes -------------------------------------------------------------------------------------------


class DisputeResolveForm(forms.Form):
    """Resolve in the customer's favour: a credit note of the amount (default: the disputed amount)."""

    amount = _amount_field(required=False, label="Credit note amount (gross)",
                           help_text="Empty: the disputed amount.")
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Note")

    def service_kwargs(self) -> dict[str, Any]:
        return {"amount": self.cleaned_data["amount"], "note": self.cleaned_data["note"]}


class DisputeRejectForm(forms.Form):
    note = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 2}), label="Why it is rejected",
                           error_messages={"required": "Say why the dispute is rejected."})

    def service_kwargs(self) -> dict[str, Any]:
        return {"note": self.cleaned_data["note"]}
