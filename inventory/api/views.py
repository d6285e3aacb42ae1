"""Inventory API: products, warehouses, stock levels, stock postings, the ledger, inbound receipts and
replenishment. Thin views: validate with a serializer, call a service or selector, serialize.

Warehouses are named by their code in request bodies and in the availability query; products by
`product` (id) or `sku`. Every write goes through `inventory.services`; its domain errors become
4xx bodies of the one error shape, and a refused write changes nothing (the services are atomic).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from o2c.api.base import O2CGenericViewSet, O2CReadOnlyViewSet, ServiceWriteMixin, validated

from .. import selectors, services
from ..enums import MoveKind, ReceiptStatus, ReplenishmentStatus, TaxCategory
from ..models import (
    ExpectedReceipt,
    Product,
    ReplenishmentRequest,
    StockLevel,
    StockMove,
    Warehouse,
    normalize_code,
)
from . import serializers as s

# --- filters -----------------------------------------------------------------------------------


class CodeFilter(django_filters.CharFilter):
    """An exact SKU or warehouse code, any case: upper-cased as stored, so the unique index serves it."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        return super().filter(qs, normalize_code(value) if value else value)


class ProductFilter(django_filters.FilterSet):
    sku = CodeFilter(help_text="Exact SKU (any case).")
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Part of the name.")
    is_active = django_filters.BooleanFilter()
    tax_category = django_filters.ChoiceFilter(choices=TaxCategory.choices)

    class Meta:
        model = Product
        fields = ["sku", "name", "is_active", "tax_category"]


class _ProductWarehouseFilter(django_filters.FilterSet):
    """`product` and `warehouse` by id, or `sku` and `warehouse_code`."""

    sku = CodeFilter(field_name="product__sku", help_text="The product's exact SKU (any case).")
    warehouse_code = CodeFilter(field_name="warehouse__code", help_text="The warehouse's code (any case).")


class StockLevelFilter(_ProductWarehouseFilter):
    class Meta:
        model = StockLevel
        fields = ["product", "warehouse"]


class StockMoveFilter(_ProductWarehouseFilter):
    kind = django_filters.ChoiceFilter(choices=MoveKind.choices)

    class Meta:
        model = StockMove
        fields = ["product", "warehouse", "kind"]


class ExpectedReceiptFilter(_ProductWarehouseFilter):
    status = django_filters.ChoiceFilter(choices=ReceiptStatus.choices)

    class Meta:
        model = ExpectedReceipt
        fields = ["product", "warehouse", "status"]


class ReplenishmentRequestFilter(_ProductWarehouseFilter):
    status = django_filters.ChoiceFilter(choices=ReplenishmentStatus.choices)

    class Meta:
        model = ReplenishmentRequest
        fields = ["product", "warehouse", "status"]


# --- products and warehouses -------------------------------------------------------------------


@extend_schema_view(
    destroy=extend_schema(
        summary="Deactivate a product",
        description="Products are never deleted (orders, moves and invoices point at them): DELETE sets "
                    "`is_active=false` through the same service as an update and returns the product.",
        responses=s.ProductSerializer,
    ),
)
class ProductViewSet(ServiceWriteMixin, O2CReadOnlyViewSet):
    """Products with their stock per warehouse (on hand, reserved, available).

    Create and update go through `product_create` / `product_update`. DELETE does not delete: it
    **deactivates** the product (`is_active=false`, via `product_update`, audited) and answers 200
    with the product, because stock moves, reservations and documents keep pointing at it.
    The list runs a fixed number of queries whatever its length (stock levels are prefetched once).
    """

    queryset = Product.objects.all()  # for the permission class and the schema; see get_queryset
    serializer_class = s.ProductSerializer
    create_service = staticmethod(services.product_create)
    update_service = staticmethod(services.product_update)
    update_id = "product_id"
    filterset_class = ProductFilter
    search_fields = ["sku", "name"]
    ordering_fields = ["sku", "name", "list_price", "created_at", "updated_at"]
    ordering = ["sku"]
    action_permissions = {"destroy": ["inventory.change_product"], "availability": ["inventory.view_product"]}

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.product_list()

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        product = services.product_update(product_id=self.get_object().pk, actor=request.user, is_active=False)
        return self.respond(product)

    @extend_schema(
        parameters=[s.AvailabilityQuerySerializer],
        responses=s.AvailabilitySerializer,
        description="Available stock per active warehouse and in total. With `warehouse` (a code) the answer "
                    "adds `atp` today; with `warehouse` and `qty` it adds the `promise_date` for `qty` and the "
                    "`atp` as of that date.",
    )
    @action(detail=True, methods=["get"])
    def availability(self, request: Request, pk: str) -> Response:
        product = self.get_object()
        query = validated(s.AvailabilityQuerySerializer, request.query_params)
        rows = selectors.availability(product)
        warehouse, qty = query.get("warehouse"), query.get("qty")
        promise = atp = None
        if warehouse is not None:
            if qty is not None:
                promise = selectors.promise_date(product=product, qty=qty, warehouse=warehouse)
            atp = selectors.atp(product=product, warehouse=warehouse, on=promise or timezone.localdate())
        body = {
            "product": product.pk, "sku": product.sku, "warehouses": rows[:-1], "total": rows[-1],
            "warehouse": warehouse.code if warehouse else None, "qty": qty, "atp": atp, "promise_date": promise,
        }
        return Response(s.AvailabilitySerializer(body).data)


class WarehouseViewSet(ServiceWriteMixin, O2CReadOnlyViewSet):
    """Warehouses. Create and update go through `warehouse_create` / `warehouse_update`; no DELETE
    (close a warehouse with `is_active=false`)."""

    queryset = Warehouse.objects.all()
    serializer_class = s.WarehouseSerializer
    create_service = staticmethod(services.warehouse_create)
    update_service = staticmethod(services.warehouse_update)
    update_id = "warehouse_id"
    filterset_fields = ["code", "is_active"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]



# --- stock levels, postings and the ledger -----------------------------------------------------


class StockLevelViewSet(O2CReadOnlyViewSet):
    """What each warehouse holds of each product (read-only: it changes through stock postings)."""

    queryset = StockLevel.objects.select_related("product", "warehouse")
    serializer_class = s.StockLevelSerializer
    filterset_class = StockLevelFilter
    ordering_fields = ["product", "warehouse", "on_hand", "reserved", "updated_at"]


class StockMoveViewSet(O2CReadOnlyViewSet):
    """The stock ledger, newest first (append-only: moves are written by the stock postings)."""

    queryset = StockMove.objects.select_related("product", "warehouse", "actor").order_by("-id")
    serializer_class = s.StockMoveSerializer
    filterset_class = StockMoveFilter
    search_fields = ["reference", "reason", "product__sku"]
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]


class _StockPostingViewSet(O2CGenericViewSet):
    """POST-only: posting stock needs `inventory.add_stockmove` (the Warehouse role)."""

    queryset = StockMove.objects.none()
    pagination_class = None
    filter_backends: list = []
    service: Any  # staticmethod(stock_…): takes the validated fields and the actor

    def create(self, request: Request) -> Response:
        result = self.service(actor=request.user, **validated(self.serializer_class, request.data))
        return Response(self.present(result), status=status.HTTP_201_CREATED)

    def present(self, move: StockMove) -> dict[str, Any]:
        return s.StockMoveSerializer(move).data


@extend_schema_view(create=extend_schema(
    summary="Receive stock", request=s.StockReceiptInputSerializer, responses={201: s.StockMoveSerializer},
))
class StockReceiptViewSet(_StockPostingViewSet):
    """Goods arrive in a warehouse: one `receipt` move (`stock_receive`)."""

    serializer_class = s.StockReceiptInputSerializer
    service = staticmethod(services.stock_receive)


@extend_schema_view(create=extend_schema(
    summary="Adjust stock", request=s.StockAdjustmentInputSerializer, responses={201: s.StockMoveSerializer},
))
class StockAdjustmentViewSet(_StockPostingViewSet):
    """A count differs from the books: one signed `adjustment` move (`stock_adjust`); never below zero,
    never into stock reserved for orders."""

    serializer_class = s.StockAdjustmentInputSerializer
    service = staticmethod(services.stock_adjust)


@extend_schema_view(create=extend_schema(
    summary="Transfer stock", request=s.StockTransferInputSerializer, responses={201: s.TransferResultSerializer},
))
class StockTransferViewSet(_StockPostingViewSet):
    """Move available stock to another warehouse: a `transfer_out` and a `transfer_in` move (`stock_transfer`)."""

    serializer_class = s.StockTransferInputSerializer
    service = staticmethod(services.stock_transfer)

    def present(self, moves: tuple[StockMove, StockMove]) -> dict[str, Any]:  # type: ignore[override]
        return s.TransferResultSerializer({"moves": moves}).data


# --- expected receipts and replenishment -------------------------------------------------------


@extend_schema_view(create=extend_schema(
    request=s.ExpectedReceiptInputSerializer, responses={201: s.ExpectedReceiptSerializer},
))
class ExpectedReceiptViewSet(O2CReadOnlyViewSet):
    """Inbound stock announced for a date; received (fully or in parts) or cancelled."""

    queryset = ExpectedReceipt.objects.select_related("product", "warehouse")
    serializer_class = s.ExpectedReceiptSerializer
    filterset_class = ExpectedReceiptFilter
    search_fields = ["reference", "product__sku"]
    ordering_fields = ["expected_date", "id", "created_at"]
    action_permissions = {
        "receive": ["inventory.change_expectedreceipt", "inventory.add_stockmove"],
        "cancel": ["inventory.change_expectedreceipt"],
    }

    def create(self, request: Request) -> Response:
        data = validated(s.ExpectedReceiptInputSerializer, request.data)
        receipt = services.expected_receipt_create(actor=request.user, **data)
        return Response(self.get_serializer(receipt).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ExpectedReceiptReceiveInputSerializer, responses=s.ExpectedReceiptReceivedSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: str) -> Response:
        receipt = self.get_object()
        data = validated(s.ExpectedReceiptReceiveInputSerializer, request.data)
        move = services.expected_receipt_receive(receipt_id=receipt.pk, actor=request.user, **data)
        body = {"receipt": self.get_queryset().get(pk=receipt.pk), "move": move}
        return Response(s.ExpectedReceiptReceivedSerializer(body).data)

    @extend_schema(request=None, responses=s.ExpectedReceiptSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        receipt = services.expected_receipt_cancel(receipt_id=self.get_object().pk, actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=receipt.pk)).data)


class ReplenishmentRequestViewSet(O2CReadOnlyViewSet):
    """Requests raised when a product falls below its reorder point; mark them ordered or cancel them."""

    queryset = ReplenishmentRequest.objects.select_related(
        "product", "warehouse", "expected_receipt__product", "expected_receipt__warehouse"
    )
    serializer_class = s.ReplenishmentRequestSerializer
    filterset_class = ReplenishmentRequestFilter
    ordering_fields = ["created_at", "id"]
    action_permissions = {
        "mark_ordered": ["inventory.change_replenishmentrequest", "inventory.add_expectedreceipt"],
        "cancel": ["inventory.change_replenishmentrequest"],
    }

    @extend_schema(request=s.MarkOrderedInputSerializer, responses=s.ReplenishmentRequestSerializer)
    @action(detail=True, methods=["post"], url_path="mark-ordered")
    def mark_ordered(self, request: Request, pk: str) -> Response:
        replenishment = self.get_object()
        data = validated(s.MarkOrderedInputSerializer, request.data)
        services.replenishment_mark_ordered(request_id=replenishment.pk, actor=request.user, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=replenishment.pk)).data)

    @extend_schema(request=None, responses=s.ReplenishmentRequestSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        replenishment = services.replenishment_cancel(request_id=self.get_object().pk, actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=replenishment.pk)).data)
