"""Kernel API: webhook endpoints and their deliveries, the outbox, the audit trail."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from .. import webhooks
from ..models import AuditEvent, OutboxEvent, WebhookDelivery, WebhookEndpoint
from .base import O2CReadOnlyViewSet
from .serializers import (
    AuditEventSerializer,
    OutboxEventSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointSerializer,
)


class WebhookEndpointViewSet(O2CReadOnlyViewSet):
    """Webhook endpoints (Admin). Create/update go through the same service as the browser."""

    queryset = WebhookEndpoint.objects.all()
    serializer_class = WebhookEndpointSerializer
    filterset_fields = ["is_active"]
    search_fields = ["name", "url"]
    action_permissions = {
        "ping": ["o2c.change_webhookendpoint"],
        "rotate_secret": ["o2c.change_webhookendpoint"],
    }

    def create(self, request: Request) -> Response:
        data = self._validated(request)
        endpoint = webhooks.webhook_endpoint_create(actor=request.user, **data)
        return Response(self.get_serializer(endpoint).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        endpoint = self.get_object()
        data = self._validated(request, partial=partial)
        endpoint = webhooks.webhook_endpoint_update(endpoint_id=endpoint.pk, actor=request.user, **data)
        return Response(self.get_serializer(endpoint).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def _validated(self, request: Request, partial: bool = False) -> dict:
        serializer = self.get_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(request=None, responses=WebhookDeliverySerializer)
    @action(detail=True, methods=["post"])
    def ping(self, request: Request, pk: str) -> Response:
        delivery = webhooks.webhook_endpoint_ping(endpoint_id=self.get_object().pk, actor=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        endpoint = webhooks.webhook_endpoint_rotate_secret(endpoint_id=self.get_object().pk, actor=request.user)
        return Response(self.get_serializer(endpoint).data)


class WebhookDeliveryViewSet(O2CReadOnlyViewSet):
    queryset = WebhookDelivery.objects.select_related("event").prefetch_related("attempt_log")
    serializer_class = WebhookDeliverySerializer
    filterset_fields = ["endpoint", "status"]
    action_permissions = {"redeliver": ["o2c.change_webhookdelivery"]}

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, pk: str) -> Response:
        delivery = webhooks.webhook_delivery_redeliver(delivery_id=self.get_object().pk, actor=request.user)
        return Response(self.get_serializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class OutboxEventViewSet(O2CReadOnlyViewSet):
    queryset = OutboxEvent.objects.all()
    serializer_class = OutboxEventSerializer
    filterset_fields = ["type"]


class AuditEventViewSet(O2CReadOnlyViewSet):
    queryset = AuditEvent.objects.select_related("actor", "content_type")
    serializer_class = AuditEventSerializer
    filterset_fields = ["action", "object_id", "content_type__model"]
    search_fields = ["object_repr", "action"]
