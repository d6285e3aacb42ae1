from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "receivables"
    # (name, task, schedule) rows for `manage.py setup_periodic_tasks`; see o2c.apps.
    periodic_tasks: list[tuple[str, str, dict]] = []

    def ready(self) -> None:
        """Event subscriptions of this app are registered here (o2c.events.subscribe)."""
