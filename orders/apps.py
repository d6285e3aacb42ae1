from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Sales desk"
    # (name, task, schedule) rows for `manage.py setup_periodic_tasks`; see o2c.apps.
    periodic_tasks: list[tuple[str, str, dict]] = [
        ("Quotes: expire past their validity", "orders.quotes_expire", {"crontab": {"minute": "5", "hour": "0"}}),
    ]

    def ready(self) -> None:
        from o2c.events import subscribe

        from .subscribers import fill_backorders_on_receipt, send_confirmation_on_confirmed

        subscribe("stock.received", fill_backorders_on_receipt, name="orders.fill_backorders")
        subscribe("order.confirmed", send_confirmation_on_confirmed, name="orders.send_confirmation")
