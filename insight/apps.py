from django.apps import AppConfig

MONEY_EVENTS = ("invoice.issued", "payment.allocated", "credit_note.issued", "invoice.written_off")


class InsightConfig(AppConfig):
    name = "insight"
    verbose_name = "insight"
    # (name, task, schedule) rows for `manage.py setup_periodic_tasks`; see o2c.apps.
    periodic_tasks: list[tuple[str, str, dict]] = [
        ("Insight: predictions, KPI snapshot, cash forecast", "insight.nightly",
         {"crontab": {"minute": "30", "hour": "2"}}),
    ]

    def ready(self) -> None:
        from o2c.events import subscribe

        from . import subscribers
        from .views import register_panels

        for event_type in MONEY_EVENTS:
            subscribe(event_type, subscribers.predictions_refresh, name="insight.predictions_refresh")
        register_panels()
