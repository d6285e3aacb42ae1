"""Orders API: customers (with addresses, contacts and credit), payment terms, quotes, sales orders,
Finance's credit queue and the order-entry product lookup. Thin views: validate with a serializer,
call a service or selector, serialize.

Every write goes through `orders.services`; its domain errors become 4xx bodies of the one error
shape, and a refused write changes nothing (the services are atomic). Every POST honours
`Idempotency-Key`. Who may do what is the role's model permissions, plus `orders.manage_credit`
(Finance) for credit limits, holds and the credit queue.
"""

from __future__ import annotations

from collections.abc import Callable

import django_filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.viewsets import GenericViewSet

from inventory.models import Product
from inventory.selectors import default_warehouse
from o2c.api.base import O2CGenericViewSet, O2CReadOnlyViewSet, ServiceWriteMixin, validated
from o2c.errors import ValidationFailed

from .. import selectors, services
from ..enums import OrderStatus, QuoteStatus
from ..models import Customer, PaymentTerm, Quote, QuoteLine, SalesOrder, SalesOrderLine
from ..services.customers import CREDIT_PERMISSION
from . import serializers as s

ERROR_TEXT = {
    400: "Invalid input: field errors in `details` (a document's line errors per line under `details.lines`).",
    403: "Not logged in, or the role may not do this.",
    404: "No such object.",
    409: "The object's status does not allow this (e.g. confirming twice, editing a confirmed order).",
    422: "The Idempotency-Key was already used with another request.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented 4xx answers of an operation, all in the one error shape."""
    return {code: OpenApiResponse(s.ApiErrorSerializer, description=ERROR_TEXT[code]) for code in codes}


READ = errors(403, 404)
WRITE = errors(400, 403, 404, 409, 422)


# --- payment terms --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: s.PaymentTermSerializer, **errors(400, 403)}),
    retrieve=extend_schema(responses={200: s.PaymentTermSerializer, **READ}),
    create=extend_schema(responses={201: s.PaymentTermSerializer, **errors(400, 403, 422)}),
    update=extend_schema(responses={200: s.PaymentTermSerializer, **WRITE}),
    partial_update=extend_schema(responses={200: s.PaymentTermSerializer, **WRITE}),
)
class PaymentTermViewSet(ServiceWriteMixin, O2CReadOnlyViewSet):
    """Payment terms (net days, end of month, early-payment discount). Create and update go through
    `payment_term_create` / `payment_term_update`; no DELETE (deactivate with `is_active=false`)."""

    queryset = PaymentTerm.objects.all()
    serializer_class = s.PaymentTermSerializer
    create_service = staticmethod(services.payment_term_create)
    update_service = staticmethod(services.payment_term_update)
    update_id = "payment_term_id"
    filterset_fields = ["is_active"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "net_days"]


# --- customers ------------------------------------------------------------------------------------


class CustomerFilter(django_filters.FilterSet):
    class Meta:
        model = Customer
        fields = ["is_active", "country", "currency", "credit_hold", "payment_term", "invoicing_policy"]


@extend_schema_view(
    list=extend_schema(responses={200: s.CustomerSerializer, **errors(400, 403)},
                       description="Customers with their addresses and contacts; `search` matches the exact "
                                   "number, part of the legal name or of the VAT id."),
    retrieve=extend_schema(responses={200: s.CustomerDetailSerializer, **READ},
                           description="A customer with its addresses, contacts and credit position."),
    create=extend_schema(request=s.CustomerSerializer, responses={201: s.CustomerDetailSerializer,
                                                                  **errors(400, 403, 422)},
                         description="Creates the customer with its shipping addresses and contacts in one "
                                     "transaction (`customer_create`): all of it or nothing."),
    update=extend_schema(request=s.CustomerSerializer, responses={200: s.CustomerDetailSerializer, **WRITE}),
    partial_update=extend_schema(request=s.CustomerSerializer, responses={200: s.CustomerDetailSerializer, **WRITE},
                                 description="Changes the customer's fields (`customer_update`); the currency "
                                             "cannot change once it has quotes or orders (409)."),
)
class CustomerViewSet(ServiceWriteMixin, O2CReadOnlyViewSet):
    """Customers. The credit limit and credit hold are Finance's: `POST /customers/{id}/credit/`."""

    queryset = Customer.objects.all()  # for the permission class; see get_queryset
    serializer_class = s.CustomerSerializer
    create_service = staticmethod(services.customer_create)
    update_service = staticmethod(services.customer_update)
    update_id = "customer_id"
    filterset_class = CustomerFilter
    search_fields = ["=number", "legal_name", "vat_id"]
    ordering_fields = ["number", "legal_name", "created_at", "open_balance"]
    ordering = ["number"]
    action_permissions = {"credit": [CREDIT_PERMISSION]}

    def get_queryset(self) -> QuerySet[Customer]:
        customers = selectors.customer_list()
        return customers.prefetch_related("shipping_addresses", "contacts") if self.action == "list" else customers

    def get_serializer_class(self) -> type[Serializer]:
        """The list leaves out the credit position (a query per customer); a single customer has it.
        Input is the same shape either way (the position is read-only)."""
        return s.CustomerSerializer if self.action == "list" else s.CustomerDetailSerializer

    @extend_schema(request=s.CustomerCreditInputSerializer, responses={200: s.CustomerDetailSerializer, **WRITE},
                   summary="Set a customer's credit limit or credit hold (Finance)",
                   description="Needs `orders.manage_credit`. Sends only what changes: `credit_limit` (null: no "
                               "limit), `credit_hold` true/false with a `reason`. Audited.")
    @action(detail=True, methods=["post"])
    def credit(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        data = validated(s.CustomerCreditInputSerializer, request.data)
        return self.respond(services.customer_set_credit(customer_id=customer.pk, actor=request.user, **data))


# --- quotes ---------------------------------------------------------------------------------------


class QuoteFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=QuoteStatus.choices)

    class Meta:
        model = Quote
        fields = ["status", "customer"]


def _document_response(
    view: GenericViewSet, serializer_class: type[Serializer], document: Quote | SalesOrder,
    reread: Callable[[], QuerySet], code: int,
) -> Response:
    """A quote or order as the service left it when it handed back its lines (create, confirm,
    accept), else read again with its lines."""
    if "lines" not in getattr(document, "_prefetched_objects_cache", {}):
        document = reread().get(pk=document.pk)
    return Response(serializer_class(document, context=view.get_serializer_context()).data, status=code)


def _quote_queryset() -> QuerySet[Quote]:
    return selectors.quote_list().prefetch_related(
        Prefetch("lines", queryset=QuoteLine.objects.select_related("product").order_by("position")))


@extend_schema_view(
    list=extend_schema(responses={200: s.QuoteSerializer, **errors(400, 403)},
                       description="Quotes with their lines, newest first; `search` matches part of the number."),
    retrieve=extend_schema(responses={200: s.QuoteSerializer, **READ}),
    create=extend_schema(request=s.QuoteCreateSerializer, responses={201: s.QuoteSerializer, **errors(400, 403, 422)},
                         description="A draft quote with all its lines, priced (`quote_create`)."),
    partial_update=extend_schema(request=s.QuoteUpdateSerializer, responses={200: s.QuoteSerializer, **WRITE},
                                 description="Changes a draft (`quote_update`): validity, notes, or all its lines."),
)
class QuoteViewSet(O2CReadOnlyViewSet):
    """Quotes: draft → sent → accepted (creates a draft order) | rejected | expired."""

    queryset = Quote.objects.all()
    serializer_class = s.QuoteSerializer
    filterset_class = QuoteFilter
    search_fields = ["number"]
    ordering_fields = ["number", "created_at", "valid_until", "gross_total"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {
        "send": ["orders.change_quote"],
        "accept": ["orders.change_quote", "orders.add_salesorder"],
        "reject": ["orders.change_quote"],
    }

    def get_queryset(self) -> QuerySet[Quote]:
        return _quote_queryset() if self.action in ("list", "retrieve") else selectors.quote_list()

    def _respond(self, quote: Quote, code: int = status.HTTP_200_OK) -> Response:
        return _document_response(self, s.QuoteSerializer, quote, _quote_queryset, code)

    def create(self, request: Request) -> Response:
        quote = services.quote_create(actor=request.user, **validated(s.QuoteCreateSerializer, request.data))
        return self._respond(quote, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        quote = self.get_object()
        data = validated(s.QuoteUpdateSerializer, request.data)
        return self._respond(services.quote_update(quote_id=quote.pk, actor=request.user, **data))

    @extend_schema(request=None, responses={200: s.QuoteSerializer, **WRITE},
                   description="Marks the quote sent; its PDF is e-mailed to the customer's sales contact.")
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str) -> Response:
        return self._respond(services.quote_send(quote_id=self.get_object().pk, actor=request.user))

    @extend_schema(request=None, responses={201: s.OrderSerializer, **WRITE},
                   description="The customer accepts a sent quote: answers the draft order created with the quoted "
                               "lines and prices.")
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        order = services.quote_accept(quote_id=self.get_object().pk, actor=request.user)
        return _document_response(self, s.OrderSerializer, order, _order_queryset, status.HTTP_201_CREATED)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.QuoteSerializer, **WRITE})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        quote = self.get_object()
        data = validated(s.ReasonSerializer, request.data)
        return self._respond(services.quote_reject(quote_id=quote.pk, actor=request.user, **data))


# --- orders ---------------------------------------------------------------------------------------


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    created_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte",
                                             help_text="Created on or after this day.")
    created_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte",
                                           help_text="Created on or before this day.")

    class Meta:
        model = SalesOrder
        fields = ["status", "customer", "created_from", "created_to"]


def _order_queryset() -> QuerySet[SalesOrder]:
    return selectors.order_list().prefetch_related(
        Prefetch("lines", queryset=SalesOrderLine.objects.select_related("product").order_by("position")))


@extend_schema_view(
    list=extend_schema(responses={200: s.OrderListSerializer, **errors(400, 403)},
                       description="Orders without their lines, newest first. Filters: `status`, `customer` (id), "
                                   "`created_from` / `created_to` (days); `search` matches part of the order number "
                                   "or of the customer's PO reference."),
    retrieve=extend_schema(responses={200: s.OrderSerializer, **READ}),
    create=extend_schema(request=s.OrderCreateSerializer, responses={201: s.OrderSerializer, **errors(400, 403, 422)},
                         description="A draft order with all its lines in one request (`order_create`): priced, "
                                     "taxed and totalled. A fixed number of queries whatever the line count."),
    partial_update=extend_schema(request=s.OrderUpdateSerializer, responses={200: s.OrderSerializer, **WRITE},
                                 description="Changes a draft (`order_update`): header fields and/or all its lines "
                                             "(re-priced). Anything but a draft answers 409."),
)
class OrderViewSet(O2CReadOnlyViewSet):
    """Sales orders: draft → confirmed (credit check, reservation, promise dates) | on_hold (Finance
    releases or rejects) | cancelled; done when shipped and invoiced."""

    queryset = SalesOrder.objects.all()
    serializer_class = s.OrderSerializer
    filterset_class = OrderFilter
    search_fields = ["number", "customer_reference"]
    ordering_fields = ["number", "created_at", "requested_date", "gross_total"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {
        "confirm": ["orders.change_salesorder"],
        "cancel": ["orders.change_salesorder"],
        "release_hold": [CREDIT_PERMISSION],
        "reject_hold": [CREDIT_PERMISSION],
        "credit_queue": ["orders.view_salesorder", CREDIT_PERMISSION],
    }

    def get_queryset(self) -> QuerySet[SalesOrder]:
        # only a read shows the lines; a write answers with the order read again after the service
        return _order_queryset() if self.action == "retrieve" else selectors.order_list()

    def get_serializer_class(self) -> type[Serializer]:
        return s.OrderListSerializer if self.action in ("list", "credit_queue") else s.OrderSerializer

    def _respond(self, order: SalesOrder, code: int = status.HTTP_200_OK) -> Response:
        return _document_response(self, s.OrderSerializer, order, _order_queryset, code)

    def create(self, request: Request) -> Response:
        order = services.order_create(actor=request.user, **validated(s.OrderCreateSerializer, request.data))
        return self._respond(order, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        data = validated(s.OrderUpdateSerializer, request.data)
        return self._respond(services.order_update(order_id=order.pk, actor=request.user, **data))

    @extend_schema(request=None, responses={200: s.OrderSerializer, **WRITE},
                   description="Credit check, then reserve stock line by line (the rest is backordered) and date "
                               "the lines. Over the credit limit or with the customer on credit hold the order goes "
                               "`on_hold` instead (200, see `hold_reason`). Anything but a draft answers 409.")
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        return self._respond(services.order_confirm(order_id=self.get_object().pk, actor=request.user))

    @extend_schema(request=s.ReasonSerializer, responses={200: s.OrderSerializer, **WRITE},
                   description="Cancels what has not shipped (reservations and backorders are released); an order "
                               "that shipped part of its goods is closed short (`done`).")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        data = validated(s.ReasonSerializer, request.data)
        return self._respond(services.order_cancel(order_id=order.pk, actor=request.user, **data))

    @extend_schema(request=s.NoteSerializer, responses={200: s.OrderSerializer, **WRITE},
                   summary="Release a credit hold (Finance)",
                   description="Needs `orders.manage_credit`: Finance accepts the risk and the held order confirms "
                               "(reserves, dates the lines).")
    @action(detail=True, methods=["post"], url_path="release-hold")
    def release_hold(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        data = validated(s.NoteSerializer, request.data)
        return self._respond(services.order_release_hold(order_id=order.pk, actor=request.user, **data))

    @extend_schema(request=s.RequiredReasonSerializer, responses={200: s.OrderSerializer, **WRITE},
                   summary="Reject a credit hold (Finance)",
                   description="Needs `orders.manage_credit`: the held order is cancelled, with the reason.")
    @action(detail=True, methods=["post"], url_path="reject-hold")
    def reject_hold(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        data = validated(s.RequiredReasonSerializer, request.data)
        return self._respond(services.order_reject_hold(order_id=order.pk, actor=request.user, **data))

    @extend_schema(responses={200: s.OrderListSerializer(many=True), **errors(403)},
                   summary="Finance's credit-approval queue",
                   description="Orders on credit hold, oldest first (needs `orders.manage_credit`).")
    @action(detail=False, methods=["get"], url_path="credit-queue", filter_backends=[])
    def credit_queue(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.credit_queue())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


# --- order entry: product lookup --------------------------------------------------------------------


@extend_schema_view(list=extend_schema(
    parameters=[s.ProductOfferQuerySerializer],
    responses={200: s.ProductOfferSerializer(many=True), **errors(400, 403)},
    description="Up to 20 active products whose SKU or name matches `search`, with what is available in the "
                "warehouse now and the date `quantity` can leave it (a fixed number of queries).",
))
class ProductOfferViewSet(O2CGenericViewSet):
    """What order entry shows while a line is typed: availability and a promise date."""

    queryset = Product.objects.none()
    pagination_class = None
    filter_backends: list = []
    action_permissions = {"list": ["inventory.view_product", "orders.view_salesorder"]}

    def list(self, request: Request) -> Response:
        query = validated(s.ProductOfferQuerySerializer, request.query_params)
        warehouse = query.get("warehouse") or default_warehouse()
        if warehouse is None:
            raise ValidationFailed("Set up a warehouse first.", details={"warehouse": ["No active warehouse."]})
        offers = selectors.product_offers(search=query["search"], warehouse=warehouse, quantity=query["quantity"])
        return Response(s.ProductOfferSerializer(offers, many=True).data)

