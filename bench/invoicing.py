"""Automated invoicing by real Celery workers (DESIGN.md §8: ≥ 200 invoices/s across 2 cores for a
10,000-shipment run, PDF excluded).

The shipments are written in bulk as the warehouse would have left them: confirmed orders of 2 lines,
shipped in full, customers invoiced per shipment. A worker (prefork, BENCH_CONCURRENCY processes,
default 2) is started against the bench database and two runs are timed:

1. **The sweep** — 10,000 shipped shipments (BENCH_SHIPMENTS) not yet invoiced and without events:
   the beat's `billing.invoicing_sweep` finds them (`invoicing_backlog`), puts them on billing's
   invoicing queue and starts `billing.invoice_queued`, which takes 100 at a time (`FOR UPDATE SKIP
   LOCKED`: each worker its own rows; a full batch calls in another worker); each batch is one
   transaction that locks the orders and lines, prices at today's rates, writes the invoices and
   their lines, issues them with consecutive gap-free numbers, moves the orders' and customers'
   figures, audits and publishes `invoice.issued` — in a fixed number of statements per batch.
2. **Event by event** — 10,000 (BENCH_EVENT_SHIPMENTS) shipments, each with its `shipment.shipped`
   outbox event handed to the worker as its after-commit hook would: each dispatch runs the
   subscribers (billing queues the shipment and kicks `billing.invoice_queued` at most once a
   second; fulfillment's shipping e-mail finds no contact and sends nothing) — the path a burst of
   shipping takes.

The clock runs from the first message handed over until the last invoice is committed. Rendering and
e-mailing the PDFs (`billing.document_send`, queued behind) is left out, as DESIGN.md says: the
worker is stopped and those messages are removed from the broker when the invoices are counted.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from _setup import bench_database_url, setup_bench_db

setup_bench_db()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from billing.models import Invoice  # noqa: E402
from fulfillment.models import Carrier, Shipment, ShipmentLine  # noqa: E402
from inventory.models import Product, Warehouse  # noqa: E402
from o2c.celery import app  # noqa: E402
from o2c.models import OutboxEvent  # noqa: E402
from o2c.roles import setup_roles  # noqa: E402
from o2c.tasks import events_dispatch  # noqa: E402
from orders.models import Customer, PaymentTerm, SalesOrder, SalesOrderLine, TaxRate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHIPMENTS = int(os.environ.get("BENCH_SHIPMENTS", "10000"))
EVENT_SHIPMENTS = int(os.environ.get("BENCH_EVENT_SHIPMENTS", "10000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "2"))
CUSTOMERS = 200
PRODUCTS = 20
PRICE = Decimal("10.00")
RATE = Decimal("19.00")


def prepare() -> tuple[Warehouse, Carrier, list[Product], list[Customer]]:
    setup_roles()
    warehouse, _ = Warehouse.objects.get_or_create(code="BENCHINV", defaults={"name": "Invoicing bench"})
    carrier, _ = Carrier.objects.get_or_create(code="BENCH", defaults={"name": "Bench parcels"})
    TaxRate.objects.get_or_create(category="standard", country=settings.O2C_COMPANY["country"],
                                  valid_from=datetime.date(2000, 1, 1), defaults={"rate": RATE})
    term, _ = PaymentTerm.objects.get_or_create(code="BENCH30", defaults={"name": "Bench, 30 days", "net_days": 30})
    products = [Product.objects.get_or_create(sku=f"BENCH-INV-{i:03d}",
                                              defaults={"name": f"Bench invoicing {i}", "list_price": PRICE})[0]
                for i in range(PRODUCTS)]
    customers = [Customer.objects.get_or_create(
        number=f"BENCH-INV-{i:03d}",
        defaults={"legal_name": f"Bench invoicing customer {i}", "country": "DE", "currency": "EUR",
                  "billing_address": "Bench 1\n20095 Hamburg", "payment_term": term},
    )[0] for i in range(CUSTOMERS)]
    return warehouse, carrier, products, customers


@transaction.atomic
def shipped_shipments(n: int, warehouse: Warehouse, carrier: Carrier, products: list[Product],
                      customers: list[Customer]) -> list[str]:
    """n confirmed 2-line orders, each shipped in full by one shipment with its `shipment.shipped` event."""
    run = (SalesOrder.objects.filter(number__startswith="BI-").aggregate(m=Max("id"))["m"] or 0) + 1
    today, now = timezone.localdate(), timezone.now()
    net, tax = PRICE * 2, PRICE * 2 * RATE / 100
    orders = SalesOrder.objects.bulk_create([SalesOrder(
        number=f"BI-{run}-{i:06d}", customer=customers[i % CUSTOMERS], currency="EUR", tax_treatment="domestic",
        warehouse=warehouse, status="confirmed", confirmed_at=now, delivery_status="full", net_total=net * 2,
        tax_total=tax * 2, gross_total=(net + tax) * 2,
    ) for i in range(n)], batch_size=2000)
    lines = SalesOrderLine.objects.bulk_create([SalesOrderLine(
        order=order, position=p + 1, product=products[(i + p) % PRODUCTS], description="Bench goods", quantity=2,
        unit_price=PRICE, tax_category="standard", tax_rate=RATE, net_amount=net, tax_amount=tax, shipped_quantity=2,
    ) for i, order in enumerate(orders) for p in range(2)], batch_size=4000)
    shipments = Shipment.objects.bulk_create([Shipment(
        number=f"BS-{run}-{i:06d}", order=order, customer_id=order.customer_id, warehouse=warehouse,
        ship_to_text="Bench 1", carrier=carrier, status="shipped", planned_ship_date=today,
        planned_delivery_date=today, promised_date=today, shipped_at=now, picked_at=now, packed_at=now,
    ) for i, order in enumerate(orders)], batch_size=2000)
    ShipmentLine.objects.bulk_create([ShipmentLine(shipment=shipments[i // 2], order_line=line, quantity=2)
                                      for i, line in enumerate(lines)], batch_size=4000)
    events = OutboxEvent.objects.bulk_create([OutboxEvent(type="shipment.shipped", payload={
        "shipment": s.pk, "number": s.number, "order": s.order_id, "customer": s.customer_id,
        "lines": [{"order_line": line.pk, "quantity": "2"} for line in lines[2 * i:2 * i + 2]],
    }) for i, s in enumerate(shipments)], batch_size=2000)
    return [str(e.pk) for e in events]


def start_worker(log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": bench_database_url(), "DEBUG": "False", "LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "o2c.settings.dev"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "o2c", "worker", "--pool=prefork", f"--concurrency={CONCURRENCY}",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )


def wait_for_worker(worker: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit("the worker died; see var/bench_invoicing.log")
        if app.control.ping(timeout=0.5):
            return
    raise SystemExit("the worker did not answer")


def until_invoiced(shipment_ids: list[int], worker: subprocess.Popen, start: float) -> float:
    done, last_report = 0, start
    while done < len(shipment_ids):
        time.sleep(0.25)
        done = Invoice.objects.filter(shipment_id__in=shipment_ids).count()
        if time.perf_counter() - last_report > 10:
            last_report = time.perf_counter()
            print(f"  {done} invoices after {last_report - start:.0f} s")
        if worker.poll() is not None:
            raise SystemExit("the worker died; see var/bench_invoicing.log")
    return time.perf_counter() - start


def gap_free(shipment_ids: list[int]) -> str:
    numbers = sorted(int(n.rsplit("-", 1)[1]) for n in Invoice.objects.filter(shipment_id__in=shipment_ids)
                     .values_list("number", flat=True))
    consecutive = numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    return f"numbers {numbers[0]}..{numbers[-1]}: {'consecutive, no gap, no duplicate' if consecutive else 'GAPS'}"


def new_shipments(n: int, *data: object) -> tuple[list[str], list[int]]:
    started = time.perf_counter()
    event_ids = shipped_shipments(n, *data)  # type: ignore[arg-type]
    shipment_ids = list(Shipment.objects.filter(number__startswith="BS-").order_by("-id")
                        .values_list("id", flat=True)[:n])
    with connection.cursor() as cursor:  # a bulk load is followed by ANALYZE, as autovacuum would do
        cursor.execute("ANALYZE")
    print(f"{n} shipped shipments written (and analysed) in {time.perf_counter() - started:.1f} s")
    return event_ids, shipment_ids


def main() -> None:
    from billing.tasks import invoicing_sweep

    data = prepare()
    app.control.purge()
    Invoice.objects.filter(number__isnull=True).delete()  # drafts of an interrupted run
    log = ROOT / "var" / "bench_invoicing.log"
    worker = start_worker(log)
    try:
        wait_for_worker(worker)
        _, run_ids = new_shipments(SHIPMENTS, *data)
        OutboxEvent.objects.filter(type="shipment.shipped", dispatched_at__isnull=True).delete()  # the sweep's run
        start = time.perf_counter()
        invoicing_sweep.delay()
        run = until_invoiced(run_ids, worker, start)
        print(f"the sweep (queue, batches of 100): {SHIPMENTS} invoices in {run:.1f} s = {SHIPMENTS / run:.0f} "
              f"invoices/s with {CONCURRENCY} worker processes (DESIGN.md §8: ≥ 200/s), PDF excluded; "
              f"{gap_free(run_ids)}")
        app.control.purge()  # the PDFs and e-mails queued behind

        event_ids, event_shipments = new_shipments(EVENT_SHIPMENTS, *data)
        start = time.perf_counter()
        with app.producer_or_acquire() as producer:
            for event_id in event_ids:
                events_dispatch.apply_async((event_id,), producer=producer)
        by_event = until_invoiced(event_shipments, worker, start)
        print(f"event by event: {EVENT_SHIPMENTS} invoices in {by_event:.1f} s = {EVENT_SHIPMENTS / by_event:.0f} "
              f"invoices/s (dispatch of each event, the queue in batches); {gap_free(event_shipments)}")
    finally:
        worker.terminate()
        worker.wait(60)
        app.control.purge()
    connection.close()


if __name__ == "__main__":
    main()
