"""Orders API serializers: the shapes in and out. They validate input; the services do the writes.

Conventions (the same as the inventory API):
- Quantities, prices and amounts are decimals sent and returned as strings, never floats.
- A line names its product by `product` (its id) or by `sku` (case-insensitive); give one (or both, agreeing).
  All the products of a document are looked up in **one** query, whatever the line count.
- A warehouse is named by its code (e.g. "HAM") in request bodies and queries.
- Ranges (quantity > 0, price ≥ 0, discount ≤ 100 %), the customer's currency, prices and taxes are
  the services' rules (orders.pricing): their errors come back per line under `details.lines`.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from inventory.api.serializers import WarehouseCodeField
from inventory.models import normalize_code
from o2c.api.base import Money, Quantity
from o2c.money import currency_validator

from ..models import (
    Contact,
    Customer,
    PaymentTerm,
    Quote,
    QuoteLine,
    SalesOrder,
    SalesOrderLine,
    ShippingAddress,
    country_validator,
)
from ..pricing import MAX_LINES
from ..selectors import credit_position
from ..services.customers import ADDRESS_FIELDS, CONTACT_FIELDS, CUSTOMER_FIELDS, PAYMENT_TERM_FIELDS

MAX_ID = 2**63 - 1  # ids are bigints: a larger number names nothing (and must not reach the database)
def Percent(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=5, decimal_places=2, **kwargs)


class UpperCodeField(serializers.CharField):
    """A country or currency code: trimmed and upper-cased before its validator runs (as the services store it)."""

    def to_internal_value(self, data: Any) -> str:
        return normalize_code(super().to_internal_value(data))


def CountryCodeField(**kwargs: Any) -> UpperCodeField:
    kwargs.setdefault("help_text", "ISO 3166 two-letter country code, e.g. DE.")
    return UpperCodeField(max_length=2, validators=[country_validator], **kwargs)


def CurrencyCodeField(**kwargs: Any) -> UpperCodeField:
    kwargs.setdefault("help_text", "ISO 4217 code, e.g. EUR.")
    return UpperCodeField(max_length=3, validators=[currency_validator], **kwargs)


# --- errors (documentation only: o2c.errors renders them) ----------------------------------------


class ApiErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text='A stable machine code, e.g. "validation_error", "invalid_transition".')
    message = serializers.CharField(help_text="A sentence for people.")
    details = serializers.DictField(
        help_text="Field errors ({field: [messages]}); a document's line errors are under `lines`, one object per "
                  "line in request order ({} for a good line)."
    )


class ApiErrorSerializer(serializers.Serializer):
    """The one shape of every 4xx answer."""

    error = ApiErrorDetailSerializer()


# --- payment terms --------------------------------------------------------------------------------


class PaymentTermSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentTerm
        fields = ["id", *PAYMENT_TERM_FIELDS]
        # Uniqueness and the discount-within-net-days rule are the service's (full_clean, one error shape).
        extra_kwargs = {"code": {"validators": []}}


# --- customers ------------------------------------------------------------------------------------


class ShippingAddressSerializer(serializers.ModelSerializer):
    country = CountryCodeField()

    class Meta:
        model = ShippingAddress
        fields = ["id", *ADDRESS_FIELDS]
        extra_kwargs = {"is_default": {"help_text": "The order's ship-to when none is chosen; the first address "
                                                    "of a customer is the default."}}


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", *CONTACT_FIELDS]
        extra_kwargs = {"role": {"help_text": "Quotes and confirmations go to the sales contacts."}}


class CreditPositionSerializer(serializers.Serializer):
    limit = Money(allow_null=True, help_text="The credit limit; null: no limit.")
    open_balance = Money(help_text="Issued, unpaid invoices (kept by receivables).")
    open_orders = Money(help_text="Confirmed orders not yet invoiced (gross − invoiced).")
    exposure = Money(help_text="open_balance + open_orders.")
    headroom = Money(allow_null=True, help_text="limit − exposure; null without a limit.")


class CustomerSerializer(serializers.ModelSerializer):
    """A customer with its shipping addresses and contacts. The credit limit and the credit hold are
    Finance's: read-only here, changed by `POST /customers/{id}/credit/`."""

    country = CountryCodeField()
    currency = CurrencyCodeField(required=False, help_text="ISO 4217 code, e.g. EUR; fixed once the customer has "
                                                           "quotes or orders.")
    payment_term_code = serializers.CharField(source="payment_term.code", read_only=True)
    shipping_addresses = ShippingAddressSerializer(many=True, required=False, max_length=50,
                                                   help_text="Created with the customer; read-only afterwards.")
    contacts = ContactSerializer(many=True, required=False, max_length=50,
                                 help_text="Created with the customer; read-only afterwards.")

    class Meta:
        model = Customer
        fields = ["id", "number", *CUSTOMER_FIELDS, "payment_term_code", "credit_hold", "credit_hold_reason",
                  "credit_hold_at", "open_balance", "created_at", "updated_at", "shipping_addresses", "contacts"]
        read_only_fields = ["number", "credit_limit", "credit_hold", "credit_hold_reason", "credit_hold_at",
                            "open_balance", "created_at", "updated_at"]
        extra_kwargs = {"vat_id": {"help_text": "Validated for the country (python-stdnum) and stored compact."}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:  # PATCH: the children have their own services
            for name in ("shipping_addresses", "contacts"):
                if name in attrs:
                    raise serializers.ValidationError({name: ["Read-only once the customer exists."]})
        return attrs


class CustomerDetailSerializer(CustomerSerializer):
    credit = serializers.SerializerMethodField(help_text="Limit, open balance, open orders, exposure, headroom.")

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "credit"]

    @extend_schema_field(CreditPositionSerializer)
    def get_credit(self, customer: Customer) -> dict[str, Any]:
        return CreditPositionSerializer(credit_position(customer)).data  # one query (the open orders)


class CustomerCreditInputSerializer(serializers.Serializer):
    credit_limit = Money(required=False, allow_null=True, min_value=Decimal(0),
                         help_text="The new limit; null removes the limit; left out: unchanged.")
    credit_hold = serializers.BooleanField(required=False, allow_null=True, default=None,
                                           help_text="true puts the customer on credit hold (needs `reason`), "
                                                     "false lifts it; left out: unchanged.")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200,
                                   help_text="Why (required to put on hold); recorded in the audit trail.")


# --- lines ----------------------------------------------------------------------------------------


class LineListSerializer(serializers.ListSerializer):
    """The lines of a document, reported per line in the services' shape."""

    def to_internal_value(self, data: Any) -> list[dict[str, Any]]:
        """Field types here; products, prices and the rest are checked (per line) by orders.pricing."""
        try:
            lines = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(self._as_line_errors(exc.detail, data)) from None
        return [{k: v for k, v in line.items() if v is not None} for line in lines]

    @staticmethod
    def _as_line_errors(detail: Any, data: Any) -> Any:
        """DRF reports bad items as {index: errors}; the services as a list with one entry per line
        ({} for a good one). Answer the services' shape, and a list of messages for a bad list."""
        if isinstance(detail, dict) and detail and all(isinstance(k, int) for k in detail):
            return [detail.get(i, {}) for i in range(len(data))]
        if isinstance(detail, dict) and api_settings.NON_FIELD_ERRORS_KEY in detail:
            return detail[api_settings.NON_FIELD_ERRORS_KEY]
        return detail


class LineInputSerializer(serializers.Serializer):
    """One line as typed: a product by `product` (id) or `sku`, a quantity, optionally a price,
    a discount and a description (the product's name when left out)."""

    product = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID,
                                       help_text="The product's id (instead of `sku`).")
    sku = serializers.CharField(required=False, max_length=32, help_text="The product's SKU (instead of `product`).")
    quantity = Quantity(help_text="Greater than zero, at most 3 decimal places.")
    unit_price = Money(required=False, allow_null=True,
                       help_text="Overrides the customer's price-list price and the list price; at least 0.")
    discount_percent = Percent(required=False, allow_null=True,
                               help_text="0 to 100; the customer's default discount when left out.")
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)

    class Meta:
        list_serializer_class = LineListSerializer

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("product") is None and not (attrs.get("sku") or "").strip():
            raise serializers.ValidationError({"product": ["Give the product's id in `product` or its `sku`."]})
        return attrs


def LinesField(**kwargs: Any) -> LineListSerializer:
    kwargs.setdefault("help_text", f"All the document's lines (1 to {MAX_LINES}), in order.")
    return LineInputSerializer(many=True, min_length=1, max_length=MAX_LINES, **kwargs)


class BuiltOnce:
    """For read serializers of models: build the fields from the model once per class, then copy
    them for each use (ModelSerializer otherwise introspects the model on every response)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        template = cls.__dict__.get("_built_fields")
        if template is None:
            template = super().get_fields()  # type: ignore[misc]
            cls._built_fields = template  # type: ignore[attr-defined]
        return copy.deepcopy(template)


class SalesLineSerializer(BuiltOnce, serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        fields = ["position", "product", "sku", "description", "quantity", "unit_price", "discount_percent",
                  "tax_category", "tax_rate", "net_amount", "tax_amount"]
        read_only_fields = fields


class QuoteLineSerializer(SalesLineSerializer):
    class Meta(SalesLineSerializer.Meta):
        model = QuoteLine


class OrderLineSerializer(SalesLineSerializer):
    open_quantity = Quantity(read_only=True, help_text="Still to ship: ordered − cancelled − shipped.")

    class Meta(SalesLineSerializer.Meta):
        model = SalesOrderLine
        fields = ["id", *SalesLineSerializer.Meta.fields, "reserved_quantity", "backordered_quantity",
                  "shipped_quantity", "delivered_quantity", "returned_quantity", "invoiced_quantity",
                  "cancelled_quantity", "open_quantity", "promise_date"]
        read_only_fields = fields
        extra_kwargs = {
            "reserved_quantity": {"help_text": "Reserved in the order's warehouse on confirmation."},
            "backordered_quantity": {"help_text": "Waiting for stock (served first come, first served)."},
            "promise_date": {"help_text": "When the open quantity can leave the warehouse."},
        }


# --- quotes ---------------------------------------------------------------------------------------

DOCUMENT_FIELDS = ["id", "number", "status", "customer", "customer_number", "customer_name", "currency",
                   "tax_treatment", "notes", "net_total", "tax_total", "gross_total", "tax_summary", "created_at",
                   "updated_at"]


class TaxSummaryRowSerializer(serializers.Serializer):
    rate = serializers.CharField(help_text="Tax rate in %.")
    net = serializers.CharField()
    tax = serializers.CharField()


class SalesDocumentSerializer(BuiltOnce, serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.legal_name", read_only=True)
    tax_summary = TaxSummaryRowSerializer(many=True, read_only=True, help_text="Net and tax per rate.")


class QuoteSerializer(SalesDocumentSerializer):
    lines = QuoteLineSerializer(many=True, read_only=True)

    class Meta:
        model = Quote
        fields = [*DOCUMENT_FIELDS, "valid_until", "sent_at", "lines"]
        read_only_fields = fields


class QuoteCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    currency = CurrencyCodeField(required=False, allow_blank=True,
                                 help_text="Optional; if given it must be the customer's currency.")
    valid_until = serializers.DateField(required=False, allow_null=True,
                                        help_text="Today or later; 30 days from today when left out.")
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    lines = LinesField()



class QuoteUpdateSerializer(serializers.Serializer):
    valid_until = serializers.DateField(required=False, help_text="Today or later.")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    lines = LinesField(required=False, help_text="All the lines again (they replace the draft's lines).")



class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class RequiredReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why (required).")


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300,
                                 help_text="Why Finance accepts the risk (audited).")


# --- orders ---------------------------------------------------------------------------------------

ORDER_HEADER_FIELDS = ["warehouse", "warehouse_code", "ship_to", "requested_date", "customer_reference", "quote",
                       "hold_reason", "confirmed_at", "delivery_status", "invoice_status",
                       "payment_status", "invoiced_amount", "paid_amount"]


class OrderListSerializer(SalesDocumentSerializer):
    """An order without its lines (the lists)."""

    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)

    class Meta:
        model = SalesOrder
        fields = [*DOCUMENT_FIELDS, *ORDER_HEADER_FIELDS]
        read_only_fields = fields
        extra_kwargs = {
            "hold_reason": {"help_text": "Why the order waits for Finance (status on_hold)."},
            "delivery_status": {"help_text": "Derived from the lines' shipped quantities."},
            "invoice_status": {"help_text": "Derived from the lines' invoiced quantities."},
            "payment_status": {"help_text": "Derived from the paid and invoiced amounts."},
        }


class OrderSerializer(OrderListSerializer):
    """An order with its lines: ordered, reserved, backordered, shipped, invoiced quantities and promise dates."""

    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta(OrderListSerializer.Meta):
        fields = [*OrderListSerializer.Meta.fields, "lines"]
        read_only_fields = fields


class OrderHeaderInputSerializer(serializers.Serializer):
    warehouse = WarehouseCodeField(required=False, allow_null=True,
                                   help_text="The shipping warehouse's code, e.g. HAM; the first active one when "
                                             "left out.")
    ship_to = serializers.PrimaryKeyRelatedField(queryset=ShippingAddress.objects.all(), required=False,
                                                 allow_null=True, help_text="One of the customer's shipping "
                                                                            "addresses (its id).")
    requested_date = serializers.DateField(required=False, allow_null=True, help_text="Today or later.")
    customer_reference = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=60,
                                               help_text="The customer's PO number.")
    notes = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=5000)


class OrderCreateSerializer(OrderHeaderInputSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    currency = CurrencyCodeField(required=False, allow_blank=True,
                                 help_text="Optional; if given it must be the customer's currency.")
    lines = LinesField()



class OrderUpdateSerializer(OrderHeaderInputSerializer):
    warehouse = WarehouseCodeField(required=False, help_text="The shipping warehouse's code, e.g. HAM.")
    lines = LinesField(required=False, help_text="All the lines again (they replace the draft's lines).")



# --- order entry helpers --------------------------------------------------------------------------


class ProductOfferQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, default="", max_length=100,
                                   help_text="Part of the SKU or the name.")
    warehouse = WarehouseCodeField(required=False, help_text="A warehouse code, e.g. HAM; the first active one "
                                                             "when left out.")
    quantity = Quantity(required=False, default=Decimal(1), min_value=Decimal("0.001"),
                        help_text="The quantity to promise (default 1).")


class ProductOfferSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    list_price = Money()
    currency = serializers.CharField()
    available = Quantity(help_text="On hand − reserved in the warehouse now.")
    promise_date = serializers.DateField(help_text="When `quantity` can leave the warehouse.")

