"""o2c: the project package and the shared kernel."""

from .celery import app as celery_app

__all__ = ["celery_app"]
