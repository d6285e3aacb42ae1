"""Fulfillment API serializers: the shapes in and out. They validate input; the services do the writes.

Conventions (the same as the inventory and orders APIs):
- Quantities, weights and dimensions are decimals sent and returned as strings; a JSON floating-point
  number is refused (400), an integer is accepted.
- A warehouse is named by its code (e.g. "HAM"); a carrier by its code (e.g. "DHL") or its id.
- An order line is named by its id (`order_line`); what it may still ship or return is the services'
  rule: their errors come back under `details.lines`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.api.serializers import WarehouseCodeField
from inventory.models import Holiday, normalize_code
from o2c.money import QUANTITY_DIGITS
from orders.api.serializers import MAX_ID, BuiltOnce, LineListSerializer
from orders.models import SalesOrder
from orders.pricing import MAX_LINES

from ..enums import ReturnDisposition, ReturnReason
from ..models import Carrier, Package, ReturnAuthorization, ReturnLine, Shipment, ShipmentLine
from ..services.masterdata import CARRIER_FIELDS
from ..services.shipments import MAX_PACKAGES

# --- fields ---------------------------------------------------------------------------------------


class ExactDecimalField(serializers.DecimalField):
    """A decimal given as a string (or an integer): a floating-point number is refused, never rounded."""

    default_error_messages = {
        "float": 'Send decimals as strings (e.g. "4.5"), not floating-point numbers.',
    }

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, float | bool):
            self.fail("float" if isinstance(data, float) else "invalid")
        return super().to_internal_value(data)


def InputQuantity(**kwargs: Any) -> ExactDecimalField:
    kwargs.setdefault("help_text", "Greater than zero, at most 3 decimal places, as a string.")
    return ExactDecimalField(**QUANTITY_DIGITS, min_value=Decimal("0.001"), **kwargs)


@extend_schema_field({"oneOf": [{"type": "string", "maxLength": 10}, {"type": "integer", "minimum": 1}],
                      "description": "The carrier's code (e.g. DHL) or its id."})
class CarrierRefField(serializers.Field):
    """A carrier named by its code (any case) or its id; the value is the Carrier."""

    default_error_messages = {
        "unknown": "No carrier {value}.",
        "invalid": "Give the carrier's code or its id.",
    }

    def to_internal_value(self, data: Any) -> Carrier:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        text = str(data).strip()
        if not text or len(text) > 20:
            self.fail("invalid")
        if not (text.isascii() and text.isalnum()):  # a code is letters and digits (and never a NUL)
            self.fail("unknown", value=text.encode("unicode_escape").decode())
        carrier = Carrier.objects.filter(code=normalize_code(text)).first()
        if carrier is None and text.isdigit() and 0 < int(text) <= MAX_ID:
            carrier = Carrier.objects.filter(pk=int(text)).first()
        if carrier is None:
            self.fail("unknown", value=text)
        return carrier

    def to_representation(self, value: Carrier) -> str:
        return value.code


def OrderField(**kwargs: Any) -> serializers.PrimaryKeyRelatedField:
    kwargs.setdefault("help_text", "The sales order's id.")
    return serializers.PrimaryKeyRelatedField(queryset=SalesOrder.objects.all(), **kwargs)


# --- carriers and holidays ------------------------------------------------------------------------


class CarrierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Carrier
        fields = ["id", *CARRIER_FIELDS]
        # The code's format (A-Z, 0-9, upper-cased by the service) and uniqueness are the service's.
        extra_kwargs = {
            "code": {"validators": [], "help_text": "2 to 10 letters or digits, stored upper-case, e.g. DHL."},
            "is_default": {"validators": [],
                           "help_text": "Used when a shipment is scheduled without a carrier; setting it takes "
                                        "the flag from the carrier that had it."},
        }
        validators: list = []


class HolidaySerializer(serializers.ModelSerializer):
    warehouse = WarehouseCodeField(required=False, allow_null=True,
                                   help_text="The warehouse's code; null: a public holiday for every warehouse "
                                             "and for the carriers' transit days.")

    class Meta:
        model = Holiday
        fields = ["id", "date", "name", "warehouse"]
        validators: list = []  # one holiday per day and warehouse: the service's full_clean (one error shape)


# --- shipments ------------------------------------------------------------------------------------


class ShipmentLineSerializer(BuiltOnce, serializers.ModelSerializer):
    """What of an order line goes on the shipment."""

    position = serializers.IntegerField(source="order_line.position", read_only=True)
    sku = serializers.CharField(source="order_line.product.sku", read_only=True)
    description = serializers.CharField(source="order_line.description", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = ["id", "order_line", "position", "sku", "description", "quantity"]
        read_only_fields = fields


class PackageSerializer(BuiltOnce, serializers.ModelSerializer):
    """A package as packed: its weight and, if measured, its dimensions."""

    class Meta:
        model = Package
        fields = ["id", "weight_kg", "length_cm", "width_cm", "height_cm"]
        read_only_fields = fields


class ShipmentSerializer(BuiltOnce, serializers.ModelSerializer):
    """A shipment with its lines and packages, its carrier and tracking, its plan and its proof of delivery."""

    order_number = serializers.CharField(source="order.number", read_only=True)
    customer_name = serializers.CharField(source="customer.legal_name", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    carrier_code = serializers.CharField(source="carrier.code", read_only=True, allow_null=True)
    carrier_name = serializers.CharField(source="carrier.name", read_only=True, allow_null=True)
    tracking_url = serializers.CharField(read_only=True, help_text="The carrier's tracking page for this "
                                                                   "shipment; empty without a tracking number.")
    lines = ShipmentLineSerializer(many=True, read_only=True)
    packages = PackageSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = ["id", "number", "status", "order", "order_number", "customer", "customer_name", "warehouse",
                  "warehouse_code", "ship_to_text", "carrier", "carrier_code", "carrier_name", "tracking_number",
                  "tracking_url", "planned_ship_date", "planned_delivery_date", "promised_date", "picked_at",
                  "packed_at", "shipped_at", "delivered_on", "received_by", "on_time", "in_full", "cancel_reason",
                  "created_at", "updated_at", "lines", "packages"]
        read_only_fields = fields


class ShipmentLineInputSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The order line's id.")
    quantity = InputQuantity(help_text="At most what the line still has open and not on another shipment.")

    class Meta:
        list_serializer_class = LineListSerializer


class ShipmentCreateSerializer(serializers.Serializer):
    order = OrderField(help_text="A confirmed sales order's id.")
    lines = ShipmentLineInputSerializer(
        many=True, required=False, min_length=1, max_length=MAX_LINES,
        help_text="Chosen lines and quantities; left out: every line's reserved quantity not yet on a shipment.",
    )
    carrier = CarrierRefField(required=False, help_text="The carrier's code or id; the default carrier when "
                                                        "left out.")


class PackageInputSerializer(serializers.Serializer):
    weight_kg = ExactDecimalField(max_digits=10, decimal_places=3, min_value=Decimal("0.001"),
                                  max_value=Decimal("999999.999"), help_text="Greater than zero.")
    length_cm = ExactDecimalField(max_digits=8, decimal_places=1, min_value=Decimal("0.1"), required=False,
                                  allow_null=True)
    width_cm = ExactDecimalField(max_digits=8, decimal_places=1, min_value=Decimal("0.1"), required=False,
                                 allow_null=True)
    height_cm = ExactDecimalField(max_digits=8, decimal_places=1, min_value=Decimal("0.1"), required=False,
                                  allow_null=True)

    class Meta:
        list_serializer_class = LineListSerializer


class PackInputSerializer(serializers.Serializer):
    packages = PackageInputSerializer(
        many=True, required=False, max_length=MAX_PACKAGES,
        help_text="The packages; left out or empty: one package weighing what the goods weigh.",
    )


class ShipInputSerializer(serializers.Serializer):
    tracking_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=60,
                                            help_text="Required when the carrier tracks parcels.")
    carrier = CarrierRefField(required=False, help_text="Another carrier than the planned one (code or id).")


class DeliverInputSerializer(serializers.Serializer):
    received_by = serializers.CharField(max_length=100, help_text="Who signed for the goods.")
    delivered_on = serializers.DateField(required=False, help_text="Between the ship day and today; today when "
                                                                   "left out.")


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="Why (required; audited).")


class RescheduleInputSerializer(serializers.Serializer):
    planned_ship_date = serializers.DateField(help_text="A working day of the warehouse, today or later (at most "
                                                        "a year ahead).")
    over_capacity = serializers.BooleanField(required=False, default=False,
                                             help_text="Book the day even when it is full.")


# --- returns --------------------------------------------------------------------------------------


class ReturnLineSerializer(BuiltOnce, serializers.ModelSerializer):
    """What of an order line comes back, and what becomes of it."""

    position = serializers.IntegerField(source="order_line.position", read_only=True)
    sku = serializers.CharField(source="order_line.product.sku", read_only=True)
    description = serializers.CharField(source="order_line.description", read_only=True)

    class Meta:
        model = ReturnLine
        fields = ["id", "order_line", "position", "sku", "description", "quantity", "disposition"]
        read_only_fields = fields


class ReturnSerializer(BuiltOnce, serializers.ModelSerializer):
    """A return authorisation (RMA) with its lines."""

    order_number = serializers.CharField(source="order.number", read_only=True)
    customer_name = serializers.CharField(source="customer.legal_name", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    lines = ReturnLineSerializer(many=True, read_only=True)

    class Meta:
        model = ReturnAuthorization
        fields = ["id", "number", "status", "order", "order_number", "customer", "customer_name", "warehouse",
                  "warehouse_code", "reason", "note", "received_at", "created_at", "updated_at", "lines"]
        read_only_fields = fields


class ReturnLineInputSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="A shipped order line's id.")
    quantity = InputQuantity(help_text="At most shipped − returned − already authorised.")
    disposition = serializers.ChoiceField(choices=ReturnDisposition.choices, required=False,
                                          help_text="restock (default) or scrap.")

    class Meta:
        list_serializer_class = LineListSerializer


class ReturnCreateSerializer(serializers.Serializer):
    order = OrderField(help_text="The sales order whose shipped goods come back.")
    reason = serializers.ChoiceField(choices=ReturnReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    warehouse = WarehouseCodeField(required=False, help_text="Where the goods come back to; the order's warehouse "
                                                             "when left out.")
    lines = ReturnLineInputSerializer(many=True, min_length=1, max_length=MAX_LINES)


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string", "enum": ReturnDisposition.values}})
class DispositionsField(serializers.DictField):
    """{return line id: "restock" | "scrap"}."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.ChoiceField(choices=ReturnDisposition.choices), **kwargs)

    def to_internal_value(self, data: Any) -> dict[str, str]:
        value = super().to_internal_value(data)
        if len(value) > MAX_LINES:
            raise serializers.ValidationError([f"At most {MAX_LINES} return lines."])
        bad = [key for key in value if not key.isdigit() or not 0 < int(key) <= MAX_ID]
        if bad:
            raise serializers.ValidationError([f"{key!r} is not a return line id." for key in bad[:5]])
        return value


class ReceiveInputSerializer(serializers.Serializer):
    dispositions = DispositionsField(required=False, default=dict,
                                     help_text='Overrides per return line: {"<return line id>": "restock" | '
                                               '"scrap"}; the authorised disposition otherwise.')
