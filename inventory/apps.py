from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    # (name, task, schedule) rows for `manage.py setup_periodic_tasks`; see o2c.apps.
    periodic_tasks: list[tuple[str, str, dict]] = [
        ("Replenishment: raise requests below reorder point", "inventory.replenishment_run",
         {"crontab": {"minute": "0", "hour": "6"}}),
    ]

    def ready(self) -> None:
        """Event subscriptions of this app are registered here (o2c.events.subscribe)."""
