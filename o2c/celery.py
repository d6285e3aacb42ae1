"""The Celery app: Redis broker, late acks, one task at a time per worker process, JSON only."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2c.settings.dev")

app = Celery("o2c")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
