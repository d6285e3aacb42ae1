from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "fulfillment"
    # (name, task, schedule) rows for `manage.py setup_periodic_tasks`; see o2c.apps.
    periodic_tasks: list[tuple[str, str, dict]] = []

    def ready(self) -> None:
        from o2c.events import subscribe

        from .subscribers import cancel_shipments_on_order_cancelled, notify_customer_on_shipped

        subscribe("shipment.shipped", notify_customer_on_shipped, name="fulfillment.notify_customer")
        subscribe("order.cancelled", cancel_shipments_on_order_cancelled, name="fulfillment.cancel_shipments")

        from o2c.panels import register_panel
        from orders.models import SalesOrder

        from .views import order_panel

        register_panel(SalesOrder, template="fulfillment/partials/order_shipments.html",
                       permission="fulfillment.view_shipment", context=order_panel)
