"""Register every periodic job of the project with django-celery-beat (idempotent)."""

import json

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


def periodic_jobs() -> list[tuple[str, str, dict]]:
    """(name, task, schedule) from each installed app's `periodic_tasks`."""
    jobs = []
    for config in apps.get_app_configs():
        jobs.extend(getattr(config, "periodic_tasks", []))
    return jobs


@transaction.atomic
def register_periodic_tasks() -> list[str]:
    registered = []
    for name, task, schedule in periodic_jobs():
        fields: dict = {"task": task, "enabled": True, "kwargs": json.dumps(schedule.get("kwargs", {}))}
        if "every_seconds" in schedule:
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=schedule["every_seconds"], period=IntervalSchedule.SECONDS
            )
            fields.update(interval=interval, crontab=None)
        else:
            crontab, _ = CrontabSchedule.objects.get_or_create(**{
                "minute": "0", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*",
                **schedule["crontab"],
            })
            fields.update(crontab=crontab, interval=None)
        PeriodicTask.objects.update_or_create(name=name, defaults=fields)
        registered.append(name)
    return registered


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: object, **options: object) -> None:
        for name in register_periodic_tasks():
            self.stdout.write(f"registered: {name}")
