"""A worker killed in the middle of invoicing a queued shipment: the task (acks_late) is handed out
again and the shipment still ends up on exactly one invoice. Real worker processes, Redis and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection, connections, transaction

from billing.models import Invoice
from billing.services import invoicing_queue_add
from billing.tasks import invoice_queued
from o2c.celery import app
from orders.models import SalesOrder
from tests.billing.factories import shipped_order
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _database_url() -> str:
    """DATABASE_URL with the test database in place of the configured one (host or socket, user kept)."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return url._replace(path="/" + connection.settings_dict["NAME"]).geturl()


def _start_worker() -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "o2c.settings.test", "DATABASE_URL": _database_url(),
           "REDIS_URL": settings.CELERY_BROKER_URL, "CELERY_VISIBILITY_TIMEOUT": "2"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "o2c", "worker", "--pool=solo", "--concurrency=1", "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=env, cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    app.control.purge()
    yield started
    for worker in started:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
    app.control.purge()


def _waiting_on_a_lock() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_task_still_leaves_exactly_one_invoice(workers) -> None:
    order, shipment = shipped_order([(2, "10.00", "standard")])
    app.control.purge()  # the shipment's own events: this test hands the task out itself
    holder = connections.create_connection("default")  # a second session holds the order, so the task stops mid-way
    holder.set_autocommit(False)
    try:
        with holder.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {SalesOrder._meta.db_table} WHERE id = %s FOR UPDATE", [order.pk])
        invoicing_queue_add(shipment_ids=[shipment.pk])
        invoice_queued.delay()
        first = _start_worker()
        workers.append(first)
        assert wait_for(_waiting_on_a_lock, timeout=60), "the worker never reached the order lock"

        first.send_signal(signal.SIGKILL)  # dies holding the unacknowledged task
        first.wait(10)
    finally:
        holder.rollback()  # whatever happened, the order is let go (the database is flushed after the test)
        holder.close()
    time.sleep(0.5)
    assert not Invoice.objects.exists()

    workers.append(_start_worker())  # the task comes back after the visibility timeout
    assert wait_for(lambda: Invoice.objects.filter(shipment=shipment).exists(), timeout=90)
    time.sleep(3)  # a second hand-out, if there were one, would have run by now
    assert Invoice.objects.filter(shipment=shipment).count() == 1
    assert Invoice.objects.get(shipment=shipment).lines.count() == 1
    with transaction.atomic():
        assert SalesOrder.objects.get(pk=order.pk).invoiced_amount == Invoice.objects.get().gross_total
