"""Browser forms of the sales desk: they parse input; the services decide what is allowed.

Model forms here only validate (field types, lengths, choices): nothing calls `form.save()`; the
views pass `service_kwargs()` to a service, which writes and audits. Order-entry lines are not a
Django formset: they travel as parallel `line_*` lists and are priced by `orders.pricing`, which
gives the per-line errors the page shows.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from inventory.models import Warehouse, normalize_code

from .enums import OrderStatus, QuoteStatus
from .models import Contact, Customer, PaymentTerm, ShippingAddress

LINE_FIELDS = ("product", "quantity", "unit_price", "discount_percent", "description")


class _UpperCodes:
    """Country and currency codes are typed in any case and stored upper-case (the model's validators,
    which run after these, want ^[A-Z]{2}$ and ^[A-Z]{3}$)."""

    def clean_country(self) -> str:
        return normalize_code(self.cleaned_data.get("country") or "")  # type: ignore[attr-defined]

    def clean_currency(self) -> str:
        return normalize_code(self.cleaned_data.get("currency") or "")  # type: ignore[attr-defined]



class CustomerForm(_UpperCodes, forms.ModelForm):
    """The customer's master data as Sales keeps it (the credit limit and hold are Finance's)."""

    class Meta:
        model = Customer
        fields = ["legal_name", "vat_id", "country", "billing_address", "currency", "payment_term",
                  "discount_percent", "invoicing_policy", "language", "do_not_dun", "is_active"]
        widgets = {"billing_address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_term"].queryset = PaymentTerm.objects.filter(is_active=True)
        self.fields["country"].widget.attrs.update(placeholder="DE", maxlength=2)
        self.fields["currency"].widget.attrs.update(placeholder="EUR", maxlength=3)
        if self.instance.pk is None:
            del self.fields["is_active"]

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ShippingAddressForm(_UpperCodes, forms.ModelForm):
    prefix = "address"

    class Meta:
        model = ShippingAddress
        fields = ["label", "recipient", "address", "country", "is_default"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}
        labels = {"is_default": "Default ship-to"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].widget.attrs.update(placeholder="DE", maxlength=2)

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ContactForm(forms.ModelForm):
    prefix = "contact"

    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "role"]

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class CreditForm(forms.Form):
    """Finance: the credit limit (empty: none) and the credit hold."""

    credit_limit = forms.DecimalField(required=False, min_value=0, max_digits=18, decimal_places=2,
                                      help_text="Empty: no limit.",
                                      widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    credit_hold = forms.BooleanField(required=False, label="On credit hold")
    reason = forms.CharField(required=False, max_length=200, help_text="Required to put the customer on hold.")

    @classmethod
    def for_customer(cls, customer: Customer) -> CreditForm:
        return cls(initial={"credit_limit": customer.credit_limit, "credit_hold": customer.credit_hold,
                            "reason": customer.credit_hold_reason})

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"credit_limit": data["credit_limit"], "credit_hold": data["credit_hold"], "reason": data["reason"]}


class WarehouseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Warehouse) -> str:  # type: ignore[override]
        return f"{obj.code} · {obj.name}"


class OrderEntryForm(forms.Form):
    """The header of the order-entry page (quotes use the customer, validity and notes)."""

    customer = forms.ModelChoiceField(queryset=Customer.objects.filter(is_active=True),
                                      error_messages={"required": "Choose a customer."})
    warehouse = WarehouseChoiceField(queryset=Warehouse.objects.filter(is_active=True), empty_label=None,
                                     required=False, help_text="Ships from here; the product search shows its stock.")
    ship_to = forms.ModelChoiceField(queryset=ShippingAddress.objects.none(), required=False, label="Ship to",
                                     empty_label="Billing address")
    requested_date = forms.DateField(required=False, label="Requested delivery",
                                     widget=forms.DateInput(attrs={"type": "date"}))
    customer_reference = forms.CharField(required=False, max_length=60, label="Customer PO")
    valid_until = forms.DateField(required=False, label="Quote valid until", help_text="Quotes only; default 30 days.",
                                  widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    ORDER_FIELDS = ("warehouse", "ship_to", "requested_date", "customer_reference", "notes")

    def __init__(self, *args: Any, customer: Customer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if customer is None and self.is_bound:
            customer = self.chosen_customer()
        self.customer_obj = customer
        ship_to = self.fields["ship_to"]
        assert isinstance(ship_to, forms.ModelChoiceField)
        ship_to.queryset = (ShippingAddress.objects.filter(customer=customer) if customer is not None
                            else ShippingAddress.objects.none())

    def chosen_customer(self) -> Customer | None:
        """The customer named by the bound data (None when missing or unknown): one query."""
        value = str(self.data.get(self.add_prefix("customer")) or "").strip()
        if not value.isdigit():
            return None
        return Customer.objects.filter(pk=int(value), is_active=True).select_related("payment_term").first()

    def order_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.ORDER_FIELDS}

    def quote_kwargs(self) -> dict[str, Any]:
        return {"valid_until": self.cleaned_data["valid_until"], "notes": self.cleaned_data["notes"]}


def entry_lines(data: QueryDict) -> list[dict[str, str]]:
    """The lines of the order-entry form: `line_<field>` lists, one item per line, in order."""
    columns = {name: data.getlist(f"line_{name}") for name in LINE_FIELDS}
    count = len(columns["product"])
    return [{name: (values[i] if i < len(values) else "") for name, values in columns.items()} for i in range(count)]


def new_line(data: QueryDict) -> dict[str, str]:
    """The line typed in the add-line row (`new_<field>`); an empty quantity means 1."""
    line = {name: str(data.get(f"new_{name}", "")).strip() for name in LINE_FIELDS}
    line["quantity"] = line["quantity"] or "1"
    return line


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=200, error_messages={"required": "Say why the order is cancelled."})


class ReleaseForm(forms.Form):
    note = forms.CharField(max_length=200, required=False)


class RejectHoldForm(forms.Form):
    reason = forms.CharField(max_length=200, error_messages={"required": "Say why the credit is refused."})


class QuoteRejectForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False)


def _status_field(choices: list[tuple[str, str]]) -> forms.ChoiceField:
    return forms.ChoiceField(choices=[("", "Any status"), *choices], required=False)


class OrderFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=60)
    status = _status_field(OrderStatus.choices)
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False)
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def filters(self) -> dict[str, Any]:
        """The selector's keyword arguments (invalid filters are ignored, not errors)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {"search": data.get("q", ""), "status": data.get("status", ""), "customer": data.get("customer"),
                "date_from": data.get("date_from"), "date_to": data.get("date_to")}


class QuoteFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=60)
    status = _status_field(QuoteStatus.choices)

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {"search": data.get("q", ""), "status": data.get("status", "")}
