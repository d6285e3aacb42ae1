from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "receivables"
    # (name, task, schedule) rows for `manage.py setup_periodic_tasks`; see o2c.apps.
    periodic_tasks: list[tuple[str, str, dict]] = []

    def ready(self) -> None:
        from o2c.events import subscribe

        from . import subscribers

        subscribe("credit_note.issued", subscribers.credit_on_credit_note, name="receivables.credit_on_credit_note")
