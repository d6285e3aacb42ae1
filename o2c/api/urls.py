from rest_framework.routers import DefaultRouter

from . import views


def register(router: DefaultRouter) -> None:
    router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")
    router.register("webhook-deliveries", views.WebhookDeliveryViewSet, basename="webhook-delivery")
    router.register("events", views.OutboxEventViewSet, basename="event")
    router.register("audit", views.AuditEventViewSet, basename="audit")
