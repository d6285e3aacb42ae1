from django.apps import AppConfig


class O2CConfig(AppConfig):
    """The shared kernel: numbering, outbox events and webhooks, audit, errors, idempotency, roles."""

    name = "o2c"
    verbose_name = "o2c kernel"
    # Registered by `manage.py setup_periodic_tasks`: (name, task, every seconds | crontab dict).
    periodic_tasks = [
        ("Outbox and webhook sweep", "o2c.outbox_sweep", {"every_seconds": 60}),
        ("Purge old idempotency keys", "o2c.idempotency_purge", {"crontab": {"minute": "15", "hour": "3"}}),
    ]
