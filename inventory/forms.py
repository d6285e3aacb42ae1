"""Browser forms of inventory: they only parse input; the services decide what is allowed.

A quantity of zero, a negative receipt, a missing reason or a transfer into the same warehouse
are refused by the services (one rule, one message for the API and the browser), so these forms
deliberately leave such checks to them.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

from .models import Warehouse


def _quantity(label: str = "Quantity", *, required: bool = True, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, max_digits=14, decimal_places=3, help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


class WarehouseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Warehouse) -> str:  # type: ignore[override]
        return f"{obj.code} · {obj.name}"


def _warehouses(label: str = "Warehouse") -> WarehouseChoiceField:
    return WarehouseChoiceField(queryset=Warehouse.objects.filter(is_active=True), label=label, empty_label=None)


class StockActionForm(forms.Form):
    """A form whose cleaned data are passed to one stock service as keyword arguments."""

    prefix_name = ""

    def __init__(self, *args: Any, warehouses: list[Warehouse] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", self.prefix_name)
        super().__init__(*args, **kwargs)
        if warehouses is not None:  # one query for all the forms of a page
            for name, field in self.fields.items():
                if isinstance(field, forms.ModelChoiceField):
                    self.limit_choices(name, warehouses)

    def limit_choices(self, name: str, warehouses: list[Warehouse]) -> None:
        field = self.fields[name]
        assert isinstance(field, WarehouseChoiceField)
        field.queryset = Warehouse.objects.filter(pk__in=[w.pk for w in warehouses])
        field.choices = [(w.pk, field.label_from_instance(w)) for w in warehouses]

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ReceiveForm(StockActionForm):
    prefix_name = "receive"
    warehouse = _warehouses()
    quantity = _quantity(help_text="Goods arriving, in the product's unit.")
    reference = forms.CharField(max_length=100, required=False, help_text="Delivery note or purchase order.")


class AdjustForm(StockActionForm):
    prefix_name = "adjust"
    warehouse = _warehouses()
    quantity = _quantity("Change", help_text="Signed: +3 found, −2 missing.")
    reason = forms.CharField(max_length=200, required=False, help_text="Required: why the count differs.")


class TransferForm(StockActionForm):
    prefix_name = "transfer"
    from_warehouse = _warehouses("From")
    to_warehouse = _warehouses("To")
    quantity = _quantity()
    reference = forms.CharField(max_length=100, required=False)

    def __init__(
        self, *args: Any, warehouses: list[Warehouse] | None = None, closed_with_stock: list[Warehouse] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, warehouses=warehouses, **kwargs)
        if closed_with_stock:  # a closed warehouse may still be emptied (never filled)
            active = warehouses if warehouses is not None else list(Warehouse.objects.filter(is_active=True))
            self.limit_choices("from_warehouse", [*active, *closed_with_stock])


class ReceiptReceiveForm(forms.Form):
    """Receive an expected receipt: all of its open quantity, or the part given."""

    quantity = _quantity(required=False, help_text="Empty: everything still open.")


class MarkOrderedForm(forms.Form):
    expected_date = forms.DateField(label="Expected", widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(max_length=100, required=False, label="Reference",
                                widget=forms.TextInput(attrs={"placeholder": "PO number"}))

    @classmethod
    def for_request(cls, expected: datetime.date, **kwargs: Any) -> MarkOrderedForm:
        return cls(initial={"expected_date": expected.isoformat()}, **kwargs)


class EmptyForm(forms.Form):
    """For actions without input (cancel, run now): carries the domain error, if any."""
