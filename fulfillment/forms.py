"""Browser forms of fulfillment: they parse input; the services decide what is allowed.

Nothing here writes: the views pass the cleaned values to one service each, and a refusal comes
back onto the form (`o2c.errors.call_for_form`). Per-line quantities (create a shipment, authorise
a return) are fields named after the order line (`qty_<id>`); packages travel as parallel lists,
one item per package row, as the order-entry lines do.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone

from inventory.models import Warehouse
from orders.forms import WarehouseChoiceField

from .enums import ReturnDisposition, ReturnReason, ReturnStatus, ShipmentStatus
from .models import Carrier, ReturnLine
from .selectors import LineRoom, ReturnRoom

PACKAGE_FIELDS = ("weight_kg", "length_cm", "width_cm", "height_cm")
GRAM, MILLIMETRE = Decimal("0.001"), Decimal("0.1")
FAR_AHEAD = datetime.timedelta(days=3 * 365)  # a board further away is a typing mistake (and overflows calendars)
DATE_INPUT = forms.DateInput(attrs={"type": "date"})


def active_carriers() -> Any:
    return Carrier.objects.filter(is_active=True).order_by("-is_default", "code")


class CarrierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Carrier) -> str:  # type: ignore[override]
        days = f"{obj.transit_days} day{'s' if obj.transit_days != 1 else ''}"
        return f"{obj} · {days}"


def _quantity_field(maximum: Decimal) -> forms.DecimalField:
    return forms.DecimalField(required=False, min_value=Decimal(0), max_value=maximum, max_digits=14,
                              decimal_places=3, widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))


# --- filters --------------------------------------------------------------------------------------


class ShipmentFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=60)
    status = forms.ChoiceField(choices=[("", "Any status"), *ShipmentStatus.choices], required=False)
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.all(), required=False)
    carrier = forms.ModelChoiceField(queryset=Carrier.objects.all(), required=False)
    date_from = forms.DateField(required=False, label="Ships from", widget=DATE_INPUT)
    date_to = forms.DateField(required=False, label="to", widget=DATE_INPUT)

    def filters(self) -> dict[str, Any]:
        """The selector's keyword arguments (an invalid filter is ignored, not an error)."""
        self.is_valid()
        data = self.cleaned_data
        carrier = data.get("carrier")
        return {"search": data.get("q", ""), "status": data.get("status", ""), "warehouse": data.get("warehouse"),
                "carrier_id": carrier.pk if carrier else None, "date_from": data.get("date_from"),
                "date_to": data.get("date_to")}


class ReturnFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=60)
    status = forms.ChoiceField(choices=[("", "Any status"), *ReturnStatus.choices], required=False)

    def filters(self) -> dict[str, Any]:
        self.is_valid()
        data = self.cleaned_data
        return {"search": data.get("q", ""), "status": data.get("status", "")}


class WarehouseFilterForm(forms.Form):
    """The warehouse of the work queue (empty: all) and of the scheduling board, with its span."""

    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.filter(is_active=True), required=False)
    days = forms.TypedChoiceField(choices=[], coerce=int, required=False, empty_value=None)
    start = forms.DateField(required=False)

    def __init__(self, *args: Any, spans: tuple[int, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        days = self.fields["days"]
        assert isinstance(days, forms.TypedChoiceField)
        days.choices = [(n, f"{n // 7} weeks") for n in spans]

    def clean_start(self) -> datetime.date | None:
        start = self.cleaned_data.get("start")
        if start is not None and abs(start - timezone.localdate()) > FAR_AHEAD:
            raise forms.ValidationError("Within three years of today.")
        return start

    def value(self, name: str) -> Any:
        """The field's clean value (None when missing or invalid: a bad filter is ignored, not an error)."""
        self.is_valid()
        return self.cleaned_data.get(name)


# --- shipment actions -----------------------------------------------------------------------------


class ConfirmForm(forms.Form):
    """An action without input (start picking): a clean bound form that can carry the service's error."""

    def __init__(self, data: QueryDict | None = None, **kwargs: Any) -> None:
        super().__init__(data if data is not None else {}, **kwargs)

    def service_kwargs(self) -> dict[str, Any]:
        return {}


class PackForm(forms.Form):
    """Package rows (weight, length, width, height); rows left empty are skipped, and no row at all
    means one package weighing what the goods weigh."""

    MAX_ROWS = 50

    def __init__(self, data: QueryDict | None = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.rows: list[dict[str, str]] = self._rows(data) if data is not None else []
        if not self.rows:
            self.rows = [dict.fromkeys(PACKAGE_FIELDS, "")]

    @staticmethod
    def _rows(data: QueryDict) -> list[dict[str, str]]:
        columns = {name: data.getlist(name)[:PackForm.MAX_ROWS + 1] for name in PACKAGE_FIELDS}
        count = max(len(values) for values in columns.values())
        rows = [{name: str(values[i] if i < len(values) else "").strip() for name, values in columns.items()}
                for i in range(count)]
        return [row for row in rows if any(row.values())]

    def service_kwargs(self) -> dict[str, Any]:
        return {"packages": [dict(row) for row in self.rows if any(row.values())] or None}


class ShipForm(forms.Form):
    carrier = CarrierChoiceField(queryset=Carrier.objects.none(), empty_label=None)
    tracking_number = forms.CharField(required=False, max_length=60)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        carrier = self.fields["carrier"]
        assert isinstance(carrier, forms.ModelChoiceField)
        carrier.queryset = active_carriers()
        self.fields["tracking_number"].widget.attrs.update(autocomplete="off", spellcheck="false")

    def service_kwargs(self) -> dict[str, Any]:
        return {"carrier": self.cleaned_data["carrier"], "tracking_number": self.cleaned_data["tracking_number"]}


class DeliverForm(forms.Form):
    received_by = forms.CharField(max_length=100, label="Received by",
                                  error_messages={"required": "Say who received the goods."})
    delivered_on = forms.DateField(label="Delivered on", widget=DATE_INPUT,
                                   error_messages={"required": "Enter the delivery day."})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"delivered_on": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict[str, Any]:
        return {"received_by": self.cleaned_data["received_by"], "delivered_on": self.cleaned_data["delivered_on"]}


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=200, error_messages={"required": "Say why it is cancelled."})

    def service_kwargs(self) -> dict[str, Any]:
        return {"reason": self.cleaned_data["reason"]}


class RescheduleForm(forms.Form):
    planned_ship_date = forms.DateField(label="New ship date", widget=DATE_INPUT,
                                        error_messages={"required": "Choose a date."})
    over_capacity = forms.BooleanField(required=False, label="Book over capacity",
                                       help_text="Even when the day is full.")

    def service_kwargs(self) -> dict[str, Any]:
        return {"planned_ship_date": self.cleaned_data["planned_ship_date"],
                "over_capacity": self.cleaned_data["over_capacity"]}


# --- create a shipment from an order ----------------------------------------------------------------


class ShipmentCreateForm(forms.Form):
    """The lines of an order with what may still go on a shipment: a quantity per line (prefilled
    with what is reserved and unscheduled, at most what is open and unscheduled), and the carrier."""

    carrier = CarrierChoiceField(queryset=Carrier.objects.none(), empty_label=None, required=False,
                                 help_text="Not given: the default carrier.")

    def __init__(self, *args: Any, rooms: list[LineRoom], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        carrier = self.fields["carrier"]
        assert isinstance(carrier, forms.ModelChoiceField)
        carrier.queryset = active_carriers()
        self.rooms = rooms
        for room in rooms:
            self.fields[f"qty_{room.line.pk}"] = _quantity_field(room.room)
            self.initial.setdefault(f"qty_{room.line.pk}", room.ready.normalize() if room.ready else "")

    def rows(self) -> list[tuple[LineRoom, forms.BoundField]]:
        return [(room, self[f"qty_{room.line.pk}"]) for room in self.rooms]

    def chosen_lines(self) -> list[dict[str, Any]]:
        return [{"order_line": room.line.pk, "quantity": self.cleaned_data[f"qty_{room.line.pk}"]}
                for room in self.rooms if self.cleaned_data.get(f"qty_{room.line.pk}")]


# --- returns --------------------------------------------------------------------------------------


class ReturnAuthorizeForm(forms.Form):
    """Goods of shipped lines to come back: a quantity and a disposition per line, the reason, a note
    and the warehouse that takes them in."""

    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *ReturnReason.choices],
                               error_messages={"required": "Choose a return reason."})
    warehouse = WarehouseChoiceField(queryset=Warehouse.objects.filter(is_active=True), empty_label=None,
                                     help_text="Where the goods come back to.")
    note = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, rooms: list[ReturnRoom], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rooms = rooms
        for room in rooms:
            self.fields[f"qty_{room.line.pk}"] = _quantity_field(room.returnable)
            self.fields[f"disposition_{room.line.pk}"] = forms.ChoiceField(
                choices=ReturnDisposition.choices, initial=ReturnDisposition.RESTOCK, required=False)

    def rows(self) -> list[tuple[ReturnRoom, forms.BoundField, forms.BoundField]]:
        return [(room, self[f"qty_{room.line.pk}"], self[f"disposition_{room.line.pk}"]) for room in self.rooms]

    def chosen_lines(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [{"order_line": room.line.pk, "quantity": data[f"qty_{room.line.pk}"],
                 "disposition": data[f"disposition_{room.line.pk}"] or ReturnDisposition.RESTOCK}
                for room in self.rooms if data.get(f"qty_{room.line.pk}")]

    def service_kwargs(self) -> dict[str, Any]:
        return {"lines": self.chosen_lines(), "reason": self.cleaned_data["reason"],
                "note": self.cleaned_data["note"], "warehouse": self.cleaned_data["warehouse"]}


class ReturnReceiveForm(forms.Form):
    """What becomes of each returned line: back to stock or scrapped (prefilled as authorised)."""

    def __init__(self, *args: Any, items: list[ReturnLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"disposition_{item.pk}"] = forms.ChoiceField(choices=ReturnDisposition.choices,
                                                                      initial=item.disposition)

    def rows(self) -> list[tuple[ReturnLine, forms.BoundField]]:
        return [(item, self[f"disposition_{item.pk}"]) for item in self.items]

    def service_kwargs(self) -> dict[str, Any]:
        return {"dispositions": {item.pk: self.cleaned_data[f"disposition_{item.pk}"] for item in self.items}}


# --- carriers and the holiday calendar (the Warehouse's settings pages) --------------------------


class CarrierForm(forms.Form):
    """A carrier as `carrier_create` / `carrier_update` take it; the code's format, its uniqueness and
    the tracking page's {tracking} are the service's (the model's) to check."""

    code = forms.CharField(max_length=20, help_text="2 to 10 letters or digits, stored in capitals, e.g. DHL.")
    name = forms.CharField(max_length=100)
    service_level = forms.CharField(required=False, max_length=60, help_text="e.g. Standard, Express, Pallet.")
    transit_days = forms.IntegerField(initial=2, label="Transit days", help_text="Working days from ship to delivery.",
                                      widget=forms.NumberInput(attrs={"min": 0, "step": 1}))
    tracking_url_template = forms.CharField(
        required=False, max_length=300, label="Tracking page",
        help_text="The carrier's tracking address with {tracking} where the tracking number goes, e.g. "
                  "https://track.example.com/?id={tracking}.")
    is_default = forms.BooleanField(required=False, label="Default carrier",
                                    help_text="Used when a shipment is scheduled without one; takes the flag from "
                                              "the carrier that had it.")
    is_active = forms.BooleanField(required=False, initial=True, label="Active",
                                   help_text="Only active carriers are offered for new shipments.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("code", "tracking_url_template"):
            self.fields[name].widget.attrs.update(autocomplete="off", spellcheck="false")

    @classmethod
    def for_carrier(cls, carrier: Carrier) -> CarrierForm:
        return cls(initial={name: getattr(carrier, name) for name in cls.base_fields})

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.base_fields}


HOLIDAY_YEARS = (2000, 2100)  # the year filter's range: further away is a typing mistake


class HolidayFilterForm(forms.Form):
    """The year (default: this one) and what the holidays apply to: every row, the public ones, or one
    warehouse (its own and the public ones: the days it does not ship)."""

    PUBLIC = "public"

    year = forms.IntegerField(required=False, min_value=HOLIDAY_YEARS[0], max_value=HOLIDAY_YEARS[1])
    warehouse = forms.ChoiceField(choices=[], required=False)

    def __init__(self, *args: Any, warehouses: list[Warehouse], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.warehouses = {str(w.pk): w for w in warehouses}
        warehouse = self.fields["warehouse"]
        assert isinstance(warehouse, forms.ChoiceField)
        warehouse.choices = [("", "All holidays"), (self.PUBLIC, "Public holidays only"),
                             *((pk, f"{w.code} · {w.name}") for pk, w in self.warehouses.items())]

    def filters(self) -> dict[str, Any]:
        """{"year": int, "public_only": bool, "warehouse": Warehouse | None}; an invalid filter is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        scope = data.get("warehouse") or ""
        return {"year": data.get("year") or timezone.localdate().year, "public_only": scope == self.PUBLIC,
                "warehouse": self.warehouses.get(scope)}


class HolidayForm(forms.Form):
    """A day nobody ships, for one warehouse or (none chosen) a public holiday for every warehouse and
    the carriers; one per day and warehouse is the service's to check."""

    date = forms.DateField(widget=DATE_INPUT, error_messages={"required": "Choose the day."})
    name = forms.CharField(max_length=100, error_messages={"required": "Name the holiday."})
    warehouse = WarehouseChoiceField(queryset=Warehouse.objects.filter(is_active=True).order_by("code"),
                                     required=False, empty_label="Every warehouse (public)",
                                     label="Applies to")

    def service_kwargs(self) -> dict[str, Any]:
        return {"date": self.cleaned_data["date"], "name": self.cleaned_data["name"],
                "warehouse": self.cleaned_data["warehouse"]}
