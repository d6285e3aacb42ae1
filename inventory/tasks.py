"""Inventory tasks: take ids, call one service, idempotent."""

from celery import shared_task

from .services import replenishment_run


@shared_task(name="inventory.replenishment_run", acks_late=True)
def replenishment_run_task() -> int:
    """Daily: one open replenishment request per product/warehouse below its reorder point."""
    return len(replenishment_run(actor=None))
