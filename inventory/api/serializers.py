"""Inventory API serializers: the shapes in and out. They validate input; services do the writes.

Conventions of this API:
- Quantities are decimals (up to 3 places) sent and returned as strings, never floats.
- A product is named by `product` (its id) or by `sku` (case-insensitive); give one of them.
- A warehouse is named by its **code** (e.g. "HAM", case-insensitive) in request bodies and in
  the availability query; responses carry both its id (`warehouse`) and its `warehouse_code`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from o2c.api.base import Quantity

from ..models import (
    ExpectedReceipt,
    Product,
    ReplenishmentRequest,
    StockLevel,
    StockMove,
    Warehouse,
    normalize_code,
)
from ..services.products import PRODUCT_FIELDS, WAREHOUSE_FIELDS


class UpperSlugRelatedField(serializers.SlugRelatedField):
    """A slug (SKU, warehouse code) matched after trimming and upper-casing, as the services store them."""

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(normalize_code(data))


def SkuField(**kwargs: Any) -> UpperSlugRelatedField:
    kwargs.setdefault("help_text", "The product's SKU (instead of `product`).")
    return UpperSlugRelatedField(slug_field="sku", queryset=Product.objects.all(), **kwargs)


def WarehouseCodeField(**kwargs: Any) -> UpperSlugRelatedField:
    kwargs.setdefault("help_text", "The warehouse's code, e.g. HAM.")
    return UpperSlugRelatedField(slug_field="code", queryset=Warehouse.objects.all(), **kwargs)


# --- products and warehouses ------------------------------------------------------------------


class ProductStockSerializer(serializers.Serializer):
    """One warehouse's stock of a product (from the product's prefetched stock levels)."""

    warehouse = serializers.IntegerField(source="warehouse_id")
    warehouse_code = serializers.CharField(source="warehouse.code")  # joined by selectors.product_list
    on_hand = Quantity()
    reserved = Quantity()
    available = Quantity()


class ProductSerializer(serializers.ModelSerializer):
    """A product with its stock per warehouse (read-only: stock changes through the stock endpoints)."""

    stock = ProductStockSerializer(source="stock_levels", many=True, read_only=True)

    class Meta:
        model = Product
        fields = ["id", *PRODUCT_FIELDS, "created_at", "updated_at", "stock"]
        read_only_fields = ["created_at", "updated_at"]
        # The SKU's uniqueness is the service's (it normalises the SKU first, then full_clean()s).
        extra_kwargs = {"sku": {"validators": []}}


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", *WAREHOUSE_FIELDS]
        extra_kwargs = {"code": {"validators": []}}


# --- stock levels and moves --------------------------------------------------------------------


class StockLevelSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    available = Quantity(read_only=True)

    class Meta:
        model = StockLevel
        fields = ["id", "product", "sku", "warehouse", "warehouse_code", "on_hand", "reserved", "available",
                  "updated_at"]


class StockMoveSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True)

    class Meta:
        model = StockMove
        fields = ["id", "product", "sku", "warehouse", "warehouse_code", "kind", "quantity", "balance_after",
                  "reason", "reference", "source_key", "actor", "created_at"]


class TransferResultSerializer(serializers.Serializer):
    moves = StockMoveSerializer(many=True, help_text="The transfer_out move, then the transfer_in move.")


# --- stock postings (input) --------------------------------------------------------------------


class ProductRefSerializer(serializers.Serializer):
    """Names a product by `product` (id) or `sku`; `validated_data["product"]` is the instance."""

    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), required=False, help_text="The product's id (instead of `sku`)."
    )
    sku = SkuField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        by_id, by_sku = attrs.get("product"), attrs.pop("sku", None)
        if by_id is None and by_sku is None:
            raise serializers.ValidationError({"sku": ["Give the product's sku or its id in `product`."]})
        if by_id is not None and by_sku is not None and by_id.pk != by_sku.pk:
            raise serializers.ValidationError({"sku": [f"SKU {by_sku.sku} is not product {by_id.pk}."]})
        attrs["product"] = by_id or by_sku
        return attrs


class StockReceiptInputSerializer(ProductRefSerializer):
    warehouse = WarehouseCodeField()
    quantity = Quantity(help_text="Greater than zero.")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                      help_text="The source document, e.g. a delivery note.")


class StockAdjustmentInputSerializer(ProductRefSerializer):
    warehouse = WarehouseCodeField()
    quantity = Quantity(help_text="Signed: positive adds to on hand, negative removes (never below zero).")
    reason = serializers.CharField(max_length=200, allow_blank=True, help_text="Why the stock changes (required).")


class StockTransferInputSerializer(ProductRefSerializer):
    from_warehouse = WarehouseCodeField()
    to_warehouse = WarehouseCodeField()
    quantity = Quantity(help_text="Greater than zero; at most what is available in `from_warehouse`.")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


# --- availability ------------------------------------------------------------------------------


class AvailabilityQuerySerializer(serializers.Serializer):
    qty = Quantity(required=False, min_value=Decimal("0.001"),
                   help_text="The quantity to promise (with `warehouse`): adds `atp` and `promise_date`.")
    warehouse = WarehouseCodeField(required=False, help_text="A warehouse code, e.g. HAM (with `qty`).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "qty" in attrs and "warehouse" not in attrs:
            raise serializers.ValidationError({"warehouse": ["Give the warehouse code to promise `qty` from."]})
        return attrs


class AvailabilityRowSerializer(serializers.Serializer):
    warehouse = serializers.CharField(help_text='A warehouse code, or "total".')
    on_hand = Quantity()
    reserved = Quantity()
    available = Quantity()
    incoming = Quantity(help_text="Open expected receipts.")
    backordered = Quantity(help_text="Requested by orders but not reserved yet.")


class AvailabilitySerializer(serializers.Serializer):
    product = serializers.IntegerField()
    sku = serializers.CharField()
    warehouses = AvailabilityRowSerializer(many=True, help_text="One row per active warehouse.")
    total = AvailabilityRowSerializer()
    warehouse = serializers.CharField(allow_null=True, help_text="The warehouse asked about, if any.")
    qty = Quantity(allow_null=True)
    atp = Quantity(allow_null=True, help_text="Available to promise in `warehouse` on `promise_date` "
                                              "(today when no qty is given).")
    promise_date = serializers.DateField(allow_null=True, help_text="When `qty` can leave `warehouse`.")


# --- expected receipts and replenishment -------------------------------------------------------


class ExpectedReceiptSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    open_quantity = Quantity(read_only=True)

    class Meta:
        model = ExpectedReceipt
        fields = ["id", "product", "sku", "warehouse", "warehouse_code", "quantity", "received_quantity",
                  "open_quantity", "expected_date", "reference", "status", "created_at", "updated_at"]
        read_only_fields = fields


class ExpectedReceiptInputSerializer(ProductRefSerializer):
    warehouse = WarehouseCodeField()
    quantity = Quantity(help_text="Greater than zero.")
    expected_date = serializers.DateField()
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ExpectedReceiptReceiveInputSerializer(serializers.Serializer):
    quantity = Quantity(required=False, allow_null=True, default=None,
                        help_text="Part of the open quantity; all of it when left out.")


class ExpectedReceiptReceivedSerializer(serializers.Serializer):
    receipt = ExpectedReceiptSerializer()
    move = StockMoveSerializer()


class ReplenishmentRequestSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    expected_receipt = ExpectedReceiptSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ReplenishmentRequest
        fields = ["id", "product", "sku", "warehouse", "warehouse_code", "quantity", "projected_quantity",
                  "status", "expected_receipt", "created_at", "updated_at"]
        read_only_fields = fields


class MarkOrderedInputSerializer(serializers.Serializer):
    expected_date = serializers.DateField(help_text="When the purchase should arrive (today or later).")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                      help_text="The purchase order number.")
