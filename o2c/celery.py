"""The Celery app: Redis broker, late acks, one task at a time per worker process, JSON only."""

import os

from celery import Celery

# Whether the settings module is only this default: `o2c.embedded` then keeps it out of the commands
# it starts, so each picks its own (pytest: o2c.settings.test from pyproject.toml).
SETTINGS_DEFAULTED = "DJANGO_SETTINGS_MODULE" not in os.environ
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2c.settings.dev")

app = Celery("o2c")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
