"""Browser forms of Finance's cash pages: they parse input; the services decide what is allowed.

Nothing here writes: the views pass the cleaned values to one service each, and a refusal comes back
onto the form (`o2c.errors.call_for_form`). An allocation to an invoice is a field named after the
invoice (`alloc_<id>`), as billing's credit-note form names invoice lines: blank skips the invoice.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils import timezone

from billing.enums import OPEN_STATUSES
from billing.models import Invoice
from o2c.money import CENT
from orders.models import Customer

from .bankfiles import max_statement_bytes
from .enums import CASH_METHODS, PaymentMethod
from .models import Allocation
from .services.payments import discount_available

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ZERO = Decimal(0)
ALLOCATION = re.compile(r"^alloc_(\d{1,12})$")
OPEN_INVOICES_SHOWN = 200  # the oldest; a form stays well under Django's DATA_UPLOAD_MAX_NUMBER_FIELDS


def parse_day(raw: object) -> datetime.date | None:
    """A day given as a date or as YYYY-MM-DD text (None: none, or not a day)."""
    if isinstance(raw, datetime.date):
        return raw
    try:
        return datetime.date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


def customer_of(raw: object) -> Customer | None:
    """The customer given as itself or by its id (None: none, or no such customer)."""
    if isinstance(raw, Customer):
        return raw
    text = str(raw or "").strip()
    return Customer.objects.filter(pk=int(text)).first() if text.isdigit() and len(text) < 12 else None


def _amount_field(**kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(max_digits=18, decimal_places=2,
                              widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}), **kwargs)


# --- the customer's open invoices, each with its allocation field ---------------------------------


@dataclass
class OpenInvoice:
    """An open invoice offered for allocation: what it owes, the early-payment discount a payment made
    `on` may still take, and what settles it in full that day (`full`)."""

    invoice: Invoice
    discount: Decimal  # the discount still available (0: none, or taken already)
    earned: bool  # a payment made on the day given takes it
    field: forms.BoundField | None = None

    @property
    def full(self) -> Decimal:
        return self.invoice.amount_due - (self.discount if self.earned else ZERO)

    @property
    def days_overdue(self) -> int | None:
        due, today = self.invoice.due_date, timezone.localdate()
        return (today - due).days if due is not None and due < today else None


def open_invoices(customer_id: int | None, currency: str | None, on: datetime.date | None = None,
                  ) -> list[OpenInvoice]:
    """The customer's open invoices in the currency, oldest due first, at most `OPEN_INVOICES_SHOWN`
    (two queries)."""
    if not customer_id or not currency:
        return []
    invoices = list(Invoice.objects.filter(customer_id=customer_id, currency=currency, status__in=OPEN_STATUSES,
                                           amount_due__gt=0).order_by("due_date", "pk")[:OPEN_INVOICES_SHOWN])
    discounted = set(Allocation.objects.filter(invoice__in=invoices, discount_amount__gt=0)
                     .values_list("invoice_id", flat=True)) if invoices else set()
    on = on or timezone.localdate()
    rows = []
    for invoice in invoices:
        # what is left of the discount whatever the day (the day decides whether it is earned)
        left = discount_available(invoice, invoice.discount_date or on, discounted=discounted)
        paid_on = max(on, invoice.issue_date) if invoice.issue_date else on
        rows.append(OpenInvoice(invoice, left, left > 0 and invoice.discount_date is not None
                                and paid_on <= invoice.discount_date))
    return rows


class AllocationsMixin:
    """Fields `alloc_<invoice id>` for the open invoices given (blank: skip the invoice). An allocation
    posted for an invoice not offered (paid meanwhile, another customer's) is passed on as it is, so the
    service says why it cannot be."""

    fields: dict[str, forms.Field]
    data: QueryDict | Mapping[str, Any]
    cleaned_data: dict[str, Any]
    is_bound: bool

    def add_allocation_fields(self, rows: list[OpenInvoice], initial: Mapping[int, Decimal] | None = None) -> None:
        self.rows = rows
        for row in rows:
            name = f"alloc_{row.invoice.pk}"
            self.fields[name] = _amount_field(
                required=False, min_value=CENT, max_value=row.invoice.amount_due, label=f"Apply to {row.invoice}",
                initial=(initial or {}).get(row.invoice.pk),
                error_messages={"max_value": f"At most {row.invoice.amount_due}: it owes no more.",
                                "min_value": "At least 0.01 (blank: leave the invoice open)."})
        for row in rows:
            row.field = self[f"alloc_{row.invoice.pk}"]  # type: ignore[index]

    def allocations(self) -> list[dict[str, Any]]:
        """[{invoice: id, amount}] for the amounts entered, in the table's order, then any others posted."""
        chosen = [{"invoice": row.invoice.pk, "amount": self.cleaned_data[f"alloc_{row.invoice.pk}"]}
                  for row in self.rows if self.cleaned_data.get(f"alloc_{row.invoice.pk}") is not None]
        offered = {row.invoice.pk for row in self.rows}
        if self.is_bound:
            for key in self.data:
                match = ALLOCATION.match(key)
                value = str(self.data.get(key) or "").strip()
                if match and value and int(match.group(1)) not in offered:
                    chosen.append({"invoice": int(match.group(1)), "amount": value})
        return chosen


# --- filters --------------------------------------------------------------------------------------


class PaymentFilterForm(forms.Form):
    UNAPPLIED = [("", "Any"), ("yes", "Has unapplied credit"), ("no", "Fully applied")]

    q = forms.CharField(required=False, label="Search", max_length=60)
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False)
    method = forms.ChoiceField(choices=[("", "Any method"), *PaymentMethod.choices], required=False)
    received_from = forms.DateField(required=False, label="Received from", widget=DATE_INPUT)
    received_to = forms.DateField(required=False, label="to", widget=DATE_INPUT)
    unapplied = forms.ChoiceField(choices=UNAPPLIED, required=False, label="Unapplied credit")

    def filters(self) -> dict[str, Any]:
        """What the page shows as chosen (an invalid filter is ignored, not an error)."""
        self.is_valid()
        data = self.cleaned_data
        return {"search": data.get("q", ""), "customer": data.get("customer"), "method": data.get("method", ""),
                "received_from": data.get("received_from"), "received_to": data.get("received_to"),
                "unapplied": {"yes": True, "no": False}.get(data.get("unapplied") or "")}


# --- record a payment -----------------------------------------------------------------------------


class PaymentForm(AllocationsMixin, forms.Form):
    """Money received from a customer, and the invoices it pays (the rest stays the customer's credit)."""

    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), error_messages={
        "required": "Choose the customer who paid.", "invalid_choice": "Choose the customer who paid."})
    amount = _amount_field(min_value=CENT, label="Amount received",
                           error_messages={"required": "Enter the amount received."})
    method = forms.ChoiceField(choices=[(m, PaymentMethod(m).label) for m in CASH_METHODS],
                               initial=PaymentMethod.BANK_TRANSFER, label="Method")
    received_date = forms.DateField(label="Received on", widget=DATE_INPUT,
                                    error_messages={"required": "Enter the day the money came in."})
    reference = forms.CharField(required=False, max_length=300, help_text="Remittance text, cheque number, …")
    bank_transaction_id = forms.CharField(required=False, max_length=120, label="Bank transaction id",
                                          help_text="The bank's id of the transaction: recorded once.")
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("received_date", timezone.localdate())
        self.fields["customer"].widget.attrs.update(autocomplete="off")

    @property
    def customer_obj(self) -> Customer | None:
        """The customer chosen (bound) or given (initial), whatever the rest of the form says."""
        return customer_of(self["customer"].value())

    @property
    def received_on(self) -> datetime.date:
        return parse_day(self["received_date"].value()) or timezone.localdate()

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"customer_id": data["customer"].pk, "amount": data["amount"], "method": data["method"],
                "received_date": data["received_date"], "reference": data["reference"],
                "bank_transaction_id": data["bank_transaction_id"] or None, "note": data["note"],
                "allocations": self.allocations() or None}


# --- the payment page's actions -------------------------------------------------------------------


class AllocateForm(AllocationsMixin, forms.Form):
    """Apply a payment's unapplied credit to chosen open invoices of its customer."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not self.allocations():
            raise forms.ValidationError("Enter an amount for at least one invoice (or use “Oldest first”).")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        return {"allocations": self.allocations()}


class RefundForm(forms.Form):
    amount = _amount_field(min_value=CENT, label="Amount to refund",
                           error_messages={"required": "Enter the amount to refund."})
    date = forms.DateField(required=False, label="Refunded on", widget=DATE_INPUT, help_text="Empty: today.")
    reference = forms.CharField(required=False, max_length=200, help_text="The bank transfer's reference.")

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"amount": data["amount"], "date": data["date"], "reference": data["reference"]}


# --- bank statements ------------------------------------------------------------------------------


def megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"


class StatementUploadForm(forms.Form):
    file = forms.FileField(label="Statement file", allow_empty_file=True,
                           help_text="CAMT.053 (XML), MT940 or the statement CSV layout.",
                           error_messages={"required": "Choose the statement file to upload."})

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = max_statement_bytes()
        if (upload.size or 0) > limit:  # refused before it is read (the service's own limit and words)
            raise forms.ValidationError(f"The file is {megabytes(upload.size or 0)}: statements up to "
                                        f"{limit / 1_048_576:.0f} MB are accepted.")
        return upload

    def service_kwargs(self) -> dict[str, Any]:
        upload: UploadedFile = self.cleaned_data["file"]
        return {"content": upload.read(), "filename": upload.name or ""}


# --- the reconciliation queue ---------------------------------------------------------------------


class MatchForm(AllocationsMixin, forms.Form):
    """A statement line is the customer's payment, applied to the invoices entered (the rest: credit)."""

    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), error_messages={
        "required": "Choose the customer who paid.", "invalid_choice": "Choose the customer who paid."})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].widget.attrs.update(autocomplete="off")

    customer_obj = PaymentForm.customer_obj

    def service_kwargs(self) -> dict[str, Any]:
        return {"customer_id": self.cleaned_data["customer"].pk, "allocations": self.allocations() or None}


class IgnoreForm(forms.Form):
    note = forms.CharField(max_length=500, label="Why", widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="E.g. an internal transfer, interest, a refund from a supplier.",
                           error_messages={"required": "Say why the line is ignored."})

    def service_kwargs(self) -> dict[str, Any]:
        return {"note": self.cleaned_data["note"]}
