"""Kernel API: webhook endpoints and their deliveries, the outbox, the audit trail."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from .. import webhooks
from ..models import AuditEvent, OutboxEvent, WebhookDelivery, WebhookEndpoint
from .base import O2CReadOnlyViewSet, ServiceWriteMixin
from .serializers import (
    AuditEventSerializer,
    OutboxEventSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointSerializer,
)


class WebhookEndpointViewSet(ServiceWriteMixin, O2CReadOnlyViewSet):
    """Webhook endpoints (Admin). Create/update go through the same service as the browser."""

    queryset = WebhookEndpoint.objects.all()
    serializer_class = WebhookEndpointSerializer
    filterset_fields = ["is_active"]
    search_fields = ["name", "url"]
    create_service = staticmethod(webhooks.webhook_endpoint_create)
    update_service = staticmethod(webhooks.webhook_endpoint_update)
    update_id = "endpoint_id"
    action_permissions = {
        "ping": ["o2c.change_webhookendpoint"],
        "rotate_secret": ["o2c.change_webhookendpoint"],
    }

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
