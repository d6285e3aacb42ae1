from rest_framework import serializers

from ..models import AuditEvent, OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "name", "url", "event_types", "is_active", "secret", "created_at", "updated_at"]
        read_only_fields = ["secret", "created_at", "updated_at"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "started_at", "duration_ms", "response_code", "error", "succeeded"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "endpoint", "event", "event_type", "status", "attempts", "next_attempt_at",
            "last_response_code", "created_at", "delivered_at", "attempt_log",
        ]


class OutboxEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutboxEvent
        fields = ["id", "type", "payload", "created_at", "dispatched_at", "attempts", "last_error"]


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)
    model = serializers.CharField(source="content_type.model", read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "actor", "model", "object_id", "object_repr", "action",
                  "from_state", "to_state", "data"]
