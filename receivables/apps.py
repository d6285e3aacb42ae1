from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "receivables"
    # (name, task, schedule) rows for `manage.py setup_periodic_tasks`; see o2c.apps.
    periodic_tasks: list[tuple[str, str, dict]] = [
        ("Receivables: credit holds by the policy", "receivables.credit_holds",
         {"crontab": {"minute": "30", "hour": "5"}}),
        ("Receivables: late-payment reminders", "receivables.reminder_run", {"crontab": {"minute": "0", "hour": "6"}}),
        ("Receivables: monthly customer statements", "receivables.statements_monthly",
         {"crontab": {"minute": "0", "hour": "7", "day_of_month": "1"}}),
    ]

    def ready(self) -> None:
        from o2c.events import subscribe

        from . import subscribers

        subscribe("credit_note.issued", subscribers.credit_on_credit_note, name="receivables.credit_on_credit_note")

        from .views.collections import register_panels

        register_panels()
