"""The KPI page's filters: a month, a quarter or custom days; a customer; a warehouse."""

from __future__ import annotations

from django import forms

from inventory.models import Warehouse
from orders.models import Customer

from .enums import Period
from .periods import PeriodError, period_bounds
from .selectors.kpis import KpiFilter

DATE_INPUT = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})
SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})


class KpiFilterForm(forms.Form):
    period = forms.ChoiceField(choices=Period.choices, required=False, initial=Period.MONTH, widget=SELECT)
    on = forms.DateField(required=False, widget=DATE_INPUT, label="Month or quarter of",
                         help_text="Any day of the month or quarter (default: today).")
    start = forms.DateField(required=False, widget=DATE_INPUT, label="From")
    end = forms.DateField(required=False, widget=DATE_INPUT, label="To")
    customer = forms.ModelChoiceField(queryset=Customer.objects.order_by("number"), required=False, widget=SELECT)
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.order_by("code"), required=False, widget=SELECT)

    def clean(self) -> dict:
        data = super().clean()
        data["period"] = data.get("period") or Period.MONTH
        try:
            data["start"], data["end"] = period_bounds(data["period"], on=data.get("on"), start=data.get("start"),
                                                       end=data.get("end"))
        except PeriodError as err:
            self.add_error(err.field if err.field in self.fields else None, err.message)
        return data

    def kpi_filter(self) -> KpiFilter:
        data = self.cleaned_data
        customer, warehouse = data.get("customer"), data.get("warehouse")
        return KpiFilter(data["start"], data["end"], customer.pk if customer else None,
                         warehouse.pk if warehouse else None)
