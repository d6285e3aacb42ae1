"""Fulfillment API: carriers, the holiday calendar, shipments (create from an order, pick → pack →
ship → deliver, cancel, reschedule, the pick list and delivery note PDFs) and returns. Thin views:
validate with a serializer, call a service, answer the record as the list and detail read it.

Every write goes through `fulfillment.services`; its domain errors become 4xx bodies of the one error
shape, and a refused write changes nothing (the services are atomic). Every POST honours
`Idempotency-Key`. Who may do what is the role's model permissions: the Warehouse role changes
shipments and returns, Sales and Finance read them.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.views import CodeFilter
from inventory.models import Holiday, normalize_code
from inventory.services import holiday_create, holiday_delete, holiday_update
from o2c.api.base import O2CReadOnlyViewSet, ServiceWriteMixin, validated
from o2c.views import pdf_response
from orders.api.serializers import MAX_ID
from orders.api.views import READ, WRITE, errors
from orders.models import Customer, SalesOrder

from .. import selectors, services
from ..enums import ReturnStatus, ShipmentStatus
from ..models import Carrier, ReturnAuthorization, ReturnLine, Shipment, ShipmentLine
from . import serializers as s

CREATE = errors(400, 403, 404, 409, 422)

# --- carriers -------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: s.CarrierSerializer, **errors(400, 403)}),
    retrieve=extend_schema(responses={200: s.CarrierSerializer, **READ}),
    create=extend_schema(responses={201: s.CarrierSerializer, **errors(400, 403, 422)},
                         description="A carrier (`carrier_create`): code, name, service level, transit days "
                                     "(working days), tracking page with `{tracking}`."),
    update=extend_schema(responses={200: s.CarrierSerializer, **WRITE}),
    partial_update=extend_schema(responses={200: s.CarrierSerializer, **WRITE},
                                 description="Changes a carrier (`carrier_update`); audited field by field."),
)
class CarrierViewSet(ServiceWriteMixin, O2CReadOnlyViewSet):
    """Carriers. Create and update go through `carrier_create` / `carrier_update`; no DELETE
    (shipments point at them: deactivate with `is_active=false`)."""

    queryset = Carrier.objects.all()
    serializer_class = s.CarrierSerializer
    create_service = staticmethod(services.carrier_create)
    update_service = staticmethod(services.carrier_update)
    update_id = "carrier_id"
    filterset_fields = ["is_active", "is_default"]
    search_fields = ["code", "name", "service_level"]
    ordering_fields = ["code", "name", "transit_days"]
    ordering = ["code"]


# --- holidays -------------------------------------------------------------------------------------


class HolidayFilter(django_filters.FilterSet):
    warehouse = django_filters.CharFilter(method="filter_warehouse",
                                          help_text="A warehouse code: the days it does not ship (its own "
                                                    "holidays and the public ones).")
    public = django_filters.BooleanFilter(field_name="warehouse", lookup_expr="isnull",
                                          help_text="true: only public holidays; false: only warehouses' own.")
    year = django_filters.NumberFilter(field_name="date", lookup_expr="year", min_value=1, max_value=9999)

    class Meta:
        model = Holiday
        fields = ["warehouse", "public", "year"]

    def filter_warehouse(self, qs: QuerySet[Holiday], name: str, value: str) -> QuerySet[Holiday]:
        return qs.filter(Q(warehouse__code=normalize_code(value)) | Q(warehouse__isnull=True)) if value else qs


@extend_schema_view(
    list=extend_schema(responses={200: s.HolidaySerializer, **errors(400, 403)},
                       description="Holidays by date. Filters: `warehouse` (code: its own and the public ones), "
                                   "`public`, `year`."),
    retrieve=extend_schema(responses={200: s.HolidaySerializer, **READ}),
    create=extend_schema(responses={201: s.HolidaySerializer, **errors(400, 403, 422)},
                         description="A day nobody ships (`holiday_create`): for one warehouse, or public (no "
                                     "warehouse). One per day and warehouse."),
    update=extend_schema(responses={200: s.HolidaySerializer, **WRITE}),
    partial_update=extend_schema(responses={200: s.HolidaySerializer, **WRITE}),
    destroy=extend_schema(responses={204: None, **errors(403, 404)},
                          description="Removes the holiday (`holiday_delete`, audited). Shipments already planned "
                                      "keep their dates."),
)
class HolidayViewSet(ServiceWriteMixin, O2CReadOnlyViewSet):
    """The warehouse holiday calendar (scheduling skips these days; public ones also count for the
    carriers' transit days)."""

    queryset = Holiday.objects.select_related("warehouse").order_by("date", "id")
    serializer_class = s.HolidaySerializer
    create_service = staticmethod(holiday_create)
    update_service = staticmethod(holiday_update)
    update_id = "holiday_id"
    filterset_class = HolidayFilter
    search_fields = ["name"]
    ordering_fields = ["date", "name"]

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        holiday_delete(holiday_id=self.get_object().pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- shipments ------------------------------------------------------------------------------------


class CarrierRefFilter(django_filters.CharFilter):
    """A carrier by its code (any case) or its id."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if not value:
            return qs
        text = value.strip()
        match = Q(carrier__code=normalize_code(text))
        if text.isdigit() and 0 < int(text) <= MAX_ID:
            match |= Q(carrier_id=int(text))
        return qs.filter(match)


class ShipmentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ShipmentStatus.choices)
    warehouse = CodeFilter(field_name="warehouse__code", help_text="The warehouse's code (any case).")
    carrier = CarrierRefFilter(help_text="The carrier's code (any case) or id.")
    order = django_filters.ModelChoiceFilter(queryset=SalesOrder.objects.all(), help_text="The sales order's id.")
    ship_date_after = django_filters.DateFilter(field_name="planned_ship_date", lookup_expr="gte",
                                                help_text="Planned to ship on or after this day.")
    ship_date_before = django_filters.DateFilter(field_name="planned_ship_date", lookup_expr="lte",
                                                 help_text="Planned to ship on or before this day.")

    class Meta:
        model = Shipment
        fields = ["status", "warehouse", "carrier", "order", "ship_date_after", "ship_date_before"]


def _shipment_queryset() -> QuerySet[Shipment]:
    """Shipments as the list and the detail show them: a fixed number of queries per page."""
    return selectors.shipment_list().prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line__product")
                 .order_by("order_line__position")),
        "packages",
    )


class PDFRenderer(BaseRenderer):
    """application/pdf for the document endpoints; an error answered there is still the JSON error shape."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: dict[str, Any] | None = None) -> bytes:
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return JSONRenderer().render(data)


PDF_RESPONSES = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
    **{(code, "application/json"): answer for code, answer in READ.items()},
}


SHIPMENT_ACTION = "fulfillment.change_shipment"


@extend_schema_view(
    list=extend_schema(responses={200: s.ShipmentSerializer, **errors(400, 403)},
                       description="Shipments with their lines and packages, newest first. Filters: `status`, "
                                   "`warehouse` (code), `carrier` (code or id), `order` (id), `ship_date_after` / "
                                   "`ship_date_before` (planned ship day); `search` matches part of the shipment "
                                   "or order number or the customer's name, or the exact tracking number."),
    retrieve=extend_schema(responses={200: s.ShipmentSerializer, **READ}),
    create=extend_schema(request=s.ShipmentCreateSerializer, responses={201: s.ShipmentSerializer, **CREATE},
                         description="Schedules a shipment for a confirmed order (`shipment_create`): every line's "
                                     "reserved quantity not yet on a shipment, or the chosen `lines`; the planned "
                                     "ship day is the first working day with capacity, the delivery day adds the "
                                     "carrier's transit days. A line never gets more than it still has open (400 "
                                     "`over_shipment`)."),
)
class ShipmentViewSet(ServiceWriteMixin, O2CReadOnlyViewSet):
    """Shipments: scheduled → picking → packed → shipped → delivered, or cancelled before shipping.
    They change only through their actions (no PUT/PATCH)."""

    queryset = Shipment.objects.all()  # for the permission class; see get_queryset
    serializer_class = s.ShipmentSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_class = ShipmentFilter
    search_fields = ["number", "order__number", "customer__legal_name", "=tracking_number"]
    ordering_fields = ["id", "number", "planned_ship_date", "planned_delivery_date", "created_at"]
    action_permissions = {
        name: [SHIPMENT_ACTION] for name in ("pick", "pack", "ship", "deliver", "cancel", "reschedule")
    }

    def get_queryset(self) -> QuerySet[Shipment]:
        return _shipment_queryset()

    def create(self, request: Request) -> Response:
        data = validated(s.ShipmentCreateSerializer, request.data)
        shipment = services.shipment_create(order_id=data["order"].pk, actor=request.user, lines=data.get("lines"),
                                            carrier=data.get("carrier"))
        return self.respond(shipment, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.ShipmentSerializer, **WRITE},
                   description="Starts picking a scheduled shipment; 409 `not_reserved` while goods on it still "
                               "wait for stock.")
    @action(detail=True, methods=["post"])
    def pick(self, request: Request, pk: str) -> Response:
        return self.respond(services.shipment_start_picking(shipment_id=self.get_object().pk, actor=request.user))

    @extend_schema(request=s.PackInputSerializer, responses={200: s.ShipmentSerializer, **WRITE},
                   description="Records the packages of a picking shipment (weight, dimensions); without any, one "
                               "package weighing what the goods weigh.")
    @action(detail=True, methods=["post"])
    def pack(self, request: Request, pk: str) -> Response:
        shipment = self.get_object()
        data = validated(s.PackInputSerializer, request.data)
        return self.respond(services.shipment_pack(shipment_id=shipment.pk, actor=request.user,
                                                   packages=data.get("packages")))

    @extend_schema(request=s.ShipInputSerializer, responses={200: s.ShipmentSerializer, **WRITE},
                   description="The packed shipment leaves: its stock is issued, the order lines count it as "
                               "shipped, `shipment.shipped` is published once and the customer is e-mailed the "
                               "tracking link. Anything but a packed shipment answers 409.")
    @action(detail=True, methods=["post"])
    def ship(self, request: Request, pk: str) -> Response:
        shipment = self.get_object()
        data = validated(s.ShipInputSerializer, request.data)
        return self.respond(services.shipment_ship(shipment_id=shipment.pk, actor=request.user, **data))

    @extend_schema(request=s.DeliverInputSerializer, responses={200: s.ShipmentSerializer, **WRITE},
                   description="Proof of delivery (who signed, which day); records `on_time` and publishes "
                               "`shipment.delivered` once. Anything but a shipped shipment answers 409.")
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, pk: str) -> Response:
        shipment = self.get_object()
        data = validated(s.DeliverInputSerializer, request.data)
        return self.respond(services.shipment_deliver(shipment_id=shipment.pk, actor=request.user, **data))

    @extend_schema(request=s.CancelInputSerializer, responses={200: s.ShipmentSerializer, **WRITE},
                   description="Calls off a shipment that has not left; its goods stay reserved on the order. "
                               "A shipped or delivered shipment answers 409.")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        shipment = self.get_object()
        data = validated(s.CancelInputSerializer, request.data)
        return self.respond(services.shipment_cancel(shipment_id=shipment.pk, actor=request.user, **data))

    @extend_schema(request=s.RescheduleInputSerializer, responses={200: s.ShipmentSerializer, **WRITE},
                   description="Moves a shipment that has not left to another working day (audited); a full day "
                               "answers 409 `day_full` unless `over_capacity` is true.")
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str) -> Response:
        shipment = self.get_object()
        data = validated(s.RescheduleInputSerializer, request.data)
        return self.respond(services.shipment_reschedule(shipment_id=shipment.pk, actor=request.user, **data))

    @extend_schema(responses=PDF_RESPONSES, description="The pick list (PDF, for the warehouse).")
    @action(detail=True, methods=["get"], url_path="pick-list", renderer_classes=[JSONRenderer, PDFRenderer],
            filter_backends=[])
    def pick_list(self, request: Request, pk: str) -> HttpResponse:
        shipment = self.get_object()
        return pdf_response(services.pick_list_pdf(shipment), f"{shipment.number}-pick-list.pdf")

    @extend_schema(responses=PDF_RESPONSES, description="The delivery note (PDF, in the customer's language).")
    @action(detail=True, methods=["get"], url_path="delivery-note", renderer_classes=[JSONRenderer, PDFRenderer],
            filter_backends=[])
    def delivery_note(self, request: Request, pk: str) -> HttpResponse:
        shipment = self.get_object()
        return pdf_response(services.delivery_note_pdf(shipment), f"{shipment.number}-delivery-note.pdf")


# --- returns --------------------------------------------------------------------------------------


class ReturnFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReturnStatus.choices)
    order = django_filters.ModelChoiceFilter(queryset=SalesOrder.objects.all(), help_text="The sales order's id.")
    customer = django_filters.ModelChoiceFilter(queryset=Customer.objects.all(), help_text="The customer's id.")

    class Meta:
        model = ReturnAuthorization
        fields = ["status", "order", "customer"]


def _return_queryset() -> QuerySet[ReturnAuthorization]:
    return selectors.return_list().prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line__product")
                 .order_by("order_line__position")))


RETURN_ACTION = "fulfillment.change_returnauthorization"


@extend_schema_view(
    list=extend_schema(responses={200: s.ReturnSerializer, **errors(400, 403)},
                       description="Returns (RMAs) with their lines, newest first. Filters: `status`, `order`, "
                                   "`customer` (ids); `search` matches part of the return or order number or the "
                                   "customer's name."),
    retrieve=extend_schema(responses={200: s.ReturnSerializer, **READ}),
    create=extend_schema(request=s.ReturnCreateSerializer, responses={201: s.ReturnSerializer, **CREATE},
                         description="Authorises goods of shipped lines to come back (`return_authorize`): each "
                                     "at most shipped − returned − already authorised (400 `over_return`)."),
)
class ReturnViewSet(ServiceWriteMixin, O2CReadOnlyViewSet):
    """Returns: authorised → received (stock back, or scrapped; `return.received` for billing) | cancelled.
    They change only through their actions (no PUT/PATCH)."""

    queryset = ReturnAuthorization.objects.all()  # for the permission class; see get_queryset
    serializer_class = s.ReturnSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_class = ReturnFilter
    search_fields = ["number", "order__number", "customer__legal_name"]
    ordering_fields = ["id", "number", "created_at"]
    action_permissions = {"receive": [RETURN_ACTION], "cancel": [RETURN_ACTION]}

    def get_queryset(self) -> QuerySet[ReturnAuthorization]:
        return _return_queryset()

    def create(self, request: Request) -> Response:
        data = validated(s.ReturnCreateSerializer, request.data)
        order = data.pop("order")
        return self.respond(services.return_authorize(order_id=order.pk, actor=request.user, **data),
                            status.HTTP_201_CREATED)

    @extend_schema(request=s.ReceiveInputSerializer, responses={200: s.ReturnSerializer, **WRITE},
                   description="The goods are back: restocked lines go into stock, scrapped ones are booked in "
                               "and scrapped; `return.received` is published once. `dispositions` overrides "
                               "what was authorised, per return line.")
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: str) -> Response:
        rma = self.get_object()
        data = validated(s.ReceiveInputSerializer, request.data)
        return self.respond(services.return_receive(rma_id=rma.pk, actor=request.user, **data))

    @extend_schema(request=s.CancelInputSerializer, responses={200: s.ReturnSerializer, **WRITE},
                   description="The goods will not come back: the authorisation lapses and frees its quantities.")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        rma = self.get_object()
        data = validated(s.CancelInputSerializer, request.data)
        return self.respond(services.return_cancel(rma_id=rma.pk, actor=request.user, **data))
