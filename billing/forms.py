"""Browser forms of billing: they parse input; the services decide what is allowed.

Nothing here writes: the views pass the cleaned values to one service each, and a refusal comes
back onto the form (`o2c.errors.call_for_form`). A credit note's per-line quantities are fields
named after the invoice line (`qty_<id>`), as the shipment and return forms name order lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict

from orders.models import Customer

from .enums import CreditReason, InvoiceStatus
from .models import Invoice, InvoiceLine

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
ZERO = Decimal(0)
CENT = Decimal("0.01")


def plain(value: Decimal) -> str:
    """17.500 → '17.5', 100.000 → '100' (never '1E+2')."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


def _amount_field(**kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(required=False, max_digits=18, decimal_places=2,
                              widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}), **kwargs)


# --- filters --------------------------------------------------------------------------------------


class InvoiceFilterForm(forms.Form):
    OVERDUE = [("", "Overdue or not"), ("yes", "Overdue"), ("no", "Not overdue")]

    q = forms.CharField(required=False, label="Search", max_length=60)
    status = forms.ChoiceField(choices=[("", "Any status"), *InvoiceStatus.choices], required=False)
    overdue = forms.ChoiceField(choices=OVERDUE, required=False)
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False)
    issued_from = forms.DateField(required=False, label="Issued from", widget=DATE_INPUT)
    issued_to = forms.DateField(required=False, label="to", widget=DATE_INPUT)
    amount_min = _amount_field(label="Gross from", min_value=ZERO)
    amount_max = _amount_field(label="to", min_value=ZERO)

    def filters(self) -> dict[str, Any]:
        """What the page shows as chosen (an invalid filter is ignored, not an error): the selector's
        keyword arguments, but the customer as an object (`selector_kwargs` turns it into its id)."""
        self.is_valid()
        data = self.cleaned_data
        return {"search": data.get("q", ""), "status": data.get("status", ""),
                "overdue": {"yes": True, "no": False}.get(data.get("overdue") or ""),
                "customer": data.get("customer"), "issued_from": data.get("issued_from"),
                "issued_to": data.get("issued_to"), "amount_min": data.get("amount_min"),
                "amount_max": data.get("amount_max")}

    @staticmethod
    def selector_kwargs(filters: dict[str, Any]) -> dict[str, Any]:
        customer = filters["customer"]
        return {**filters, "customer": customer.pk if customer is not None else None}


class CreditNoteFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=60)
    reason = forms.ChoiceField(choices=[("", "Any reason"), *CreditReason.choices], required=False)

    def filters(self) -> dict[str, Any]:
        self.is_valid()
        data = self.cleaned_data
        return {"search": data.get("q", ""), "reason": data.get("reason", "")}


# --- invoice actions ------------------------------------------------------------------------------


class ConfirmForm(forms.Form):
    """An action without input (issue, discard): a clean bound form that can carry the service's error."""

    def __init__(self, data: QueryDict | None = None, **kwargs: Any) -> None:
        super().__init__(data if data is not None else {}, **kwargs)

    def service_kwargs(self) -> dict[str, Any]:
        return {}


class NotesForm(forms.Form):
    """A draft's note, printed on the invoice."""

    notes = forms.CharField(required=False, max_length=2000, label="Note on the invoice",
                            widget=forms.Textarea(attrs={"rows": 3}),
                            help_text="Printed on the invoice, e.g. a project or delivery reference.")

    def service_kwargs(self) -> dict[str, Any]:
        return {"notes": self.cleaned_data["notes"]}


class SendForm(forms.Form):
    """E-mail the document to the customer's billing contacts; `resend` once it has gone out."""

    resend = forms.BooleanField(required=False)

    def __init__(self, data: QueryDict | None = None, **kwargs: Any) -> None:
        super().__init__(data if data is not None else {}, **kwargs)

    def service_kwargs(self) -> dict[str, Any]:
        return {"resend": self.cleaned_data["resend"]}


# --- credit notes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditRoom:
    """An invoice line with what of it can still be credited."""

    line: InvoiceLine
    left: Decimal


def credit_rooms(lines: list[InvoiceLine]) -> list[CreditRoom]:
    return [CreditRoom(line, line.quantity - line.credited_quantity) for line in lines]


class CreditNoteForm(forms.Form):
    """Credit chosen invoice lines and quantities (each at most what is left of it), or an amount
    (gross, at one of the invoice's tax rates); a reason and a note either way."""

    LINES, AMOUNT = "lines", "amount"

    mode = forms.ChoiceField(choices=[(LINES, "Chosen lines and quantities"), (AMOUNT, "An amount")],
                             initial=LINES, widget=forms.RadioSelect, label="Credit",
                             error_messages={"required": "Choose what to credit: lines or an amount."})
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *CreditReason.choices],
                               error_messages={"required": "Choose a reason."})
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="Printed on the credit note.")
    tax_rate = forms.ChoiceField(choices=[], required=False, label="Tax rate")

    def __init__(self, *args: Any, invoice: Invoice, rooms: list[CreditRoom], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        self.rooms = rooms
        self.left_amount = invoice.gross_total - invoice.credited_amount
        self.fields["amount"] = _amount_field(
            label="Amount (gross)", min_value=CENT, max_value=self.left_amount,
            error_messages={"max_value": f"At most {self.left_amount} {invoice.currency} can still be credited.",
                            "min_value": "At least 0.01."})
        rates = sorted(invoice.tax_summary, key=lambda row: Decimal(row["net"]), reverse=True)
        tax_rate = self.fields["tax_rate"]
        assert isinstance(tax_rate, forms.ChoiceField)
        tax_rate.choices = [(row["rate"], f"{plain(Decimal(row['rate']))} %") for row in rates]
        if rates:
            self.initial.setdefault("tax_rate", rates[0]["rate"])
        for room in rooms:
            if room.left > 0:
                self.fields[f"qty_{room.line.pk}"] = forms.DecimalField(
                    required=False, min_value=ZERO, max_value=room.left, max_digits=14, decimal_places=3,
                    widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
                    error_messages={"max_value": f"At most {plain(room.left)} can still be credited."})

    def rows(self) -> list[tuple[CreditRoom, forms.BoundField | None]]:
        return [(room, self[f"qty_{room.line.pk}"] if room.left > 0 else None) for room in self.rooms]

    @property
    def chosen_mode(self) -> str:
        value = self["mode"].value()
        return value if value in (self.LINES, self.AMOUNT) else self.LINES

    def clean(self) -> dict[str, Any]:
        """Only the chosen way counts: the other one's fields are ignored, errors and all."""
        data = super().clean()
        unused = ("amount", "tax_rate") if data.get("mode") == self.LINES else (
            tuple(name for name in self.fields if name.startswith("qty_")) if data.get("mode") == self.AMOUNT else ())
        for name in unused:
            self._errors.pop(name, None)
            data.pop(name, None)
        if data.get("mode") == self.AMOUNT and "amount" not in self._errors and data.get("amount") is None:
            self.add_error("amount", "Enter the amount to credit.")
        return data

    def chosen_lines(self) -> list[dict[str, Any]]:
        return [{"invoice_line": room.line.pk, "quantity": self.cleaned_data[f"qty_{room.line.pk}"]}
                for room in self.rooms if room.left > 0 and self.cleaned_data.get(f"qty_{room.line.pk}")]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        common = {"reason": data["reason"], "note": data["note"]}
        if data["mode"] == self.AMOUNT:
            return {**common, "amount": data["amount"], "tax_rate": data.get("tax_rate") or None}
        return {**common, "lines": self.chosen_lines()}
