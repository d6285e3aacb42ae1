from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    # (name, task, schedule) rows for `manage.py setup_periodic_tasks`; see o2c.apps.
    periodic_tasks: list[tuple[str, str, dict]] = [
        ("Billing: invoice what is due (sweep, consolidated periods)", "billing.invoicing_sweep",
         {"crontab": {"minute": "30", "hour": "1"}}),
        ("Billing: invoice queued shipments (backstop)", "billing.invoice_queued", {"every_seconds": 60}),
    ]

    def ready(self) -> None:
        from o2c.events import subscribe

        from . import subscribers

        subscribe("shipment.shipped", subscribers.invoice_on_shipped, name="billing.invoice_on_shipped")
        subscribe("shipment.delivered", subscribers.invoice_on_delivered, name="billing.invoice_on_delivered")
        subscribe("order.confirmed", subscribers.invoice_on_confirmed, name="billing.invoice_on_confirmed")
        subscribe("return.received", subscribers.credit_on_return, name="billing.credit_on_return")
        subscribe("invoice.issued", subscribers.send_on_issued, name="billing.send_invoice")
        subscribe("credit_note.issued", subscribers.send_on_issued, name="billing.send_credit_note")

        from o2c.panels import register_panel
        from orders.models import SalesOrder

        from .views import order_panel

        register_panel(SalesOrder, template="billing/partials/order_billing.html", permission="billing.view_invoice",
                       context=order_panel, position=200)
