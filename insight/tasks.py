"""Insight tasks: take ids or days, call one service, safe to run twice (snapshots are unique per day,
predictions are replaced in place)."""

from __future__ import annotations

from celery import shared_task

from . import services

RETRY = {"acks_late": True, "autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 6}


@shared_task(name="insight.nightly", **RETRY)
def nightly() -> dict[str, int]:
    """Predictions and habits, yesterday's KPI snapshot, today's cash forecast (beat, 02:30)."""
    return services.insight_refresh()
