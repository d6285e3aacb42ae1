"""Orders through the HTTP API vs a hand-written psycopg2 transaction, in one run (DESIGN.md §8:
order create/confirm through the API within 4× of hand-written SQL doing the same inserts and reservations).

- API: gunicorn (2 sync workers, started here on a free port against the bench database) serves
  CLIENTS concurrent clients (threads, http.client, DRF token auth, an Idempotency-Key on every POST as
  a well-behaved client sends), each creating a 5-line order (POST /api/v1/orders/) and confirming it
  (POST /api/v1/orders/{id}/confirm/): numbering, pricing, tax, totals, credit check, stock locked
  FOR UPDATE and reserved, lines dated, audit, outbox event, confirmation e-mail queued.
- SQL: the same work as one hand-written psycopg2 transaction per order on one connection: draw the
  number, lock the 5 stock rows FOR UPDATE in product order, insert the order and its 5 lines, update
  reserved, upsert the 5 reservations, one audit row, one outbox row.

Prints orders/s and p50/p95 latency per order for both, and the ratio (1.0 = as fast as the SQL).
BENCH_ORDERS (default 400) and BENCH_CLIENTS (default 4) change the size; BENCH_IDEMPOTENCY=0 sends
no Idempotency-Key (to see what the stored responses cost). The Celery messages the API
queues for these orders (confirmation e-mails, event dispatch) are taken off the broker at the end.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

from _setup import bench_database_url, setup_bench_db

setup_bench_db()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from inventory.models import Product, StockLevel, StockReservation, Warehouse  # noqa: E402
from o2c.models import OutboxEvent  # noqa: E402
from o2c.roles import ADMIN, setup_roles  # noqa: E402
from orders.models import Customer, PaymentTerm, SalesOrder, TaxRate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ORDERS = int(os.environ.get("BENCH_ORDERS", "400"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
IDEMPOTENCY = os.environ.get("BENCH_IDEMPOTENCY", "1") != "0"
WORKERS = 2
LINES = 5
PRODUCTS = 20  # each order takes 5 of them: concurrent orders meet on some stock rows, not on all
CUSTOMERS = 20  # confirming locks the customer (credit check): orders of one customer queue behind each other
WAREHOUSE = "BENCHAPI"
PRICE = Decimal("10.00")
RATE = Decimal("19.00")


# ---------------------------------------------------------------------------------------------
# The data


def prepare() -> tuple[str, Warehouse, list[Product], list[Customer]]:
    setup_roles()
    user, _ = User.objects.get_or_create(username="bench-api", defaults={"first_name": "Bench"})
    user.groups.set([Group.objects.get(name=ADMIN)])
    token, _ = Token.objects.get_or_create(user=user)
    warehouse, _ = Warehouse.objects.get_or_create(code=WAREHOUSE, defaults={"name": "Order API bench"})
    TaxRate.objects.get_or_create(category="standard", country=settings.O2C_COMPANY["country"],
                                  valid_from=timezone.localdate().replace(year=2000, month=1, day=1),
                                  defaults={"rate": RATE})
    term, _ = PaymentTerm.objects.get_or_create(code="BENCH30", defaults={"name": "Bench, 30 days", "net_days": 30})
    products = [Product.objects.get_or_create(sku=f"BENCH-API-{i:03d}",
                                              defaults={"name": f"Bench API {i}", "list_price": PRICE})[0]
                for i in range(PRODUCTS)]
    customers = [Customer.objects.get_or_create(
        number=f"BENCH-{i:03d}",
        defaults={"legal_name": f"Bench customer {i}", "country": "DE", "billing_address": "Bench 1\n20095 Hamburg",
                  "currency": "EUR", "payment_term": term},
    )[0] for i in range(CUSTOMERS)]
    with transaction.atomic():  # plenty of stock, nothing reserved: every line is reserved in full
        StockReservation.objects.filter(warehouse=warehouse).delete()
        StockLevel.objects.filter(warehouse=warehouse).delete()
        StockLevel.objects.bulk_create([StockLevel(product=p, warehouse=warehouse, on_hand=Decimal(10**9))
                                        for p in products])
    return token.key, warehouse, products, customers


def order_plan(n: int, products: list[Product], customers: list[Customer], seed: int) -> list[tuple]:
    """n orders as (customer, [(product, quantity)] × 5), the same for the API and the SQL."""
    rng = random.Random(seed)
    return [(customers[i % len(customers)], [(p, rng.randint(1, 3)) for p in rng.sample(products, LINES)])
            for i in range(n)]


# ---------------------------------------------------------------------------------------------
# Through the API


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": bench_database_url(), "DEBUG": "False",
           "DJANGO_SETTINGS_MODULE": "o2c.settings.dev", "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "o2c.wsgi:application", "--workers", str(WORKERS),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )


class Api:
    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json",
                        "Accept": "application/json"}

    def call(self, method: str, path: str, body: object = None) -> tuple[int, dict]:
        headers = dict(self.headers)
        if method == "POST" and IDEMPOTENCY:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        payload = None if body is None else json.dumps(body)
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
        except (ConnectionError, http.client.HTTPException):  # the worker closed a kept-alive connection
            self.conn.close()
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, (json.loads(data) if data else {})


def wait_until_ready(port: int, token: str, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            status, _ = Api(port, token).call("GET", "/api/v1/orders/?page_size=1")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"gunicorn did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def create_and_confirm(api: Api, warehouse: str, customer: Customer, lines: list[tuple[Product, int]]) -> int:
    status, order = api.call("POST", "/api/v1/orders/", {
        "customer": customer.pk, "warehouse": warehouse,
        "lines": [{"product": p.pk, "quantity": str(q)} for p, q in lines],
    })
    if status != 201:
        raise RuntimeError(f"create answered {status}: {order}")
    status, confirmed = api.call("POST", f"/api/v1/orders/{order['id']}/confirm/")
    if status != 200 or confirmed.get("status") != "confirmed":
        raise RuntimeError(f"confirm answered {status}: {confirmed}")
    return order["id"]


def run_api(port: int, token: str, plan: list[tuple]) -> tuple[float, list[float], list[int]]:
    """CLIENTS threads take orders off the plan; returns (elapsed, latency per order, order ids)."""
    latencies: list[float] = []
    ids: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    queue = list(reversed(plan))

    def client() -> None:
        api = Api(port, token)
        while True:
            with lock:
                if not queue or errors:
                    return
                customer, lines = queue.pop()
            start = time.perf_counter()
            try:
                order_id = create_and_confirm(api, WAREHOUSE, customer, lines)
            except Exception as exc:  # stop the run and say why
                with lock:
                    errors.append(str(exc))
                return
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                ids.append(order_id)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        sys.exit(f"API run failed: {errors[0]}")
    return elapsed, latencies, ids


# ---------------------------------------------------------------------------------------------
# Hand-written SQL on one connection


_NUMBER = """
INSERT INTO o2c_numbersequence (series, year, last_value, updated_at) VALUES (%s, %s, 1, now())
ON CONFLICT (series, year) DO UPDATE SET last_value = o2c_numbersequence.last_value + 1, updated_at = now()
RETURNING last_value"""
_LOCK = """
SELECT id, product_id, on_hand - reserved FROM inventory_stocklevel
 WHERE warehouse_id = %s AND product_id = ANY(%s) ORDER BY product_id FOR UPDATE"""
_RESERVE = """
UPDATE inventory_stocklevel AS s SET reserved = s.reserved + v.q, updated_at = now()
  FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, q) WHERE s.id = v.id"""
_ORDER = """
INSERT INTO orders_salesorder (number, currency, tax_treatment, notes, net_total, tax_total, gross_total, tax_summary,
    created_at, updated_at, status, customer_reference, hold_reason, confirmed_at, delivery_status, invoice_status,
    payment_status, invoiced_amount, paid_amount, created_by_id, customer_id, warehouse_id)
VALUES (%s, 'EUR', 'domestic', '', %s, %s, %s, %s, now(), now(), 'confirmed', '', '', now(), 'none', 'none', 'none',
        0, 0, %s, %s, %s)
RETURNING id"""
_LINES = """
INSERT INTO orders_salesorderline (order_id, position, product_id, description, quantity, unit_price, discount_percent,
    tax_category, tax_rate, net_amount, tax_amount, reserved_quantity, backordered_quantity, shipped_quantity,
    delivered_quantity, returned_quantity, invoiced_quantity, cancelled_quantity, promise_date)
SELECT %s, pos, p, d, q, %s, 0, 'standard', %s, n, t, q, 0, 0, 0, 0, 0, 0, current_date + 1
  FROM unnest(%s::smallint[], %s::bigint[], %s::varchar[], %s::numeric[], %s::numeric[], %s::numeric[])
       AS v(pos, p, d, q, n, t)
RETURNING id, product_id, quantity"""
_RESERVATIONS = """
INSERT INTO inventory_stockreservation (product_id, warehouse_id, source_key, reference, quantity_requested,
    quantity_reserved, created_at, updated_at)
SELECT p, %s, k, %s, q, q, now(), now() FROM unnest(%s::bigint[], %s::varchar[], %s::numeric[]) AS v(p, k, q)
ON CONFLICT (source_key, warehouse_id) DO UPDATE
   SET quantity_requested = EXCLUDED.quantity_requested, quantity_reserved = EXCLUDED.quantity_reserved,
       updated_at = now()"""
_AUDIT = """
INSERT INTO o2c_auditevent (created_at, object_id, object_repr, action, from_state, to_state, data, actor_id,
                            content_type_id)
VALUES (now(), %s, %s, 'confirmed', 'draft', 'confirmed', %s, %s, %s)"""
_OUTBOX = """
INSERT INTO o2c_outboxevent (id, type, payload, created_at, attempts, last_error)
VALUES (%s, 'order.confirmed', %s, now(), 0, '')"""


def sql_order(raw, cur, warehouse: Warehouse, customer: Customer, lines: list[tuple[Product, int]], *,
              actor_id: int, content_type_id: int, year: int) -> None:
    lines = sorted(lines, key=lambda pq: pq[0].pk)
    ids = [p.pk for p, _ in lines]
    quantities = [Decimal(q) for _, q in lines]
    cur.execute(_NUMBER, ["SOSQL", year])
    number = f"SOSQL-{year}-{cur.fetchone()[0]:06d}"
    cur.execute(_LOCK, [warehouse.pk, ids])
    levels = {product_id: level_id for level_id, product_id, _available in cur.fetchall()}
    nets = [q * PRICE for q in quantities]
    taxes = [(n * RATE / 100).quantize(Decimal("0.01")) for n in nets]
    net, tax = sum(nets), sum(taxes)
    summary = json.dumps([{"rate": str(RATE), "net": str(net), "tax": str(tax)}])
    cur.execute(_ORDER, [number, net, tax, net + tax, summary, actor_id, customer.pk, warehouse.pk])
    order_id = cur.fetchone()[0]
    cur.execute(_LINES, [order_id, PRICE, RATE, list(range(1, len(lines) + 1)), ids, [p.name for p, _ in lines],
                         quantities, nets, taxes])
    written = cur.fetchall()
    cur.execute(_RESERVE, [[levels[p] for p in ids], quantities])
    cur.execute(_RESERVATIONS, [warehouse.pk, number, [p for _, p, _ in written],
                                [f"orders.salesorderline:{line_id}" for line_id, _, _ in written],
                                [q for _, _, q in written]])
    cur.execute(_AUDIT, [str(order_id), number, json.dumps({"backordered": "0"}), actor_id, content_type_id])
    payload = {"order": order_id, "number": number, "customer": customer.pk, "gross_total": str(net + tax),
               "lines": [{"line": i, "product": p, "quantity": str(q), "reserved": str(q)} for i, p, q in written]}
    cur.execute(_OUTBOX, [str(uuid.uuid4()), json.dumps(payload)])
    raw.commit()


def run_sql(warehouse: Warehouse, plan: list[tuple], actor_id: int) -> tuple[float, list[float]]:
    connection.ensure_connection()
    raw = connection.connection  # psycopg2, no ORM
    content_type_id = ContentType.objects.get_for_model(SalesOrder).pk
    year = timezone.localdate().year
    latencies = []
    with raw.cursor() as cur:
        start = time.perf_counter()
        for customer, lines in plan:
            t0 = time.perf_counter()
            sql_order(raw, cur, warehouse, customer, lines, actor_id=actor_id, content_type_id=content_type_id,
                      year=year)
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
    return elapsed, latencies


# ---------------------------------------------------------------------------------------------
# Queries per request (in this process, through the same views)


def queries_per_request(token: str, customer: Customer, products: list[Product], lines: int) -> tuple[int, int]:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    body = {"customer": customer.pk, "warehouse": WAREHOUSE,
            "lines": [{"product": products[i % len(products)].pk, "quantity": "1"} for i in range(lines)]}
    with CaptureQueriesContext(connection) as created:
        response = client.post("/api/v1/orders/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    with CaptureQueriesContext(connection) as confirmed:
        response = client.post(f"/api/v1/orders/{response.json()['id']}/confirm/")
    assert response.status_code == 200, response.content
    return len(created), len(confirmed)


# ---------------------------------------------------------------------------------------------
# Leave no Celery messages behind for orders of the bench database


def drop_queued_messages(order_ids: set[int], event_ids: set[str]) -> int:
    import redis

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    dropped = 0
    for raw_message in broker.lrange("celery", 0, -1):
        try:
            message = json.loads(raw_message)
            task = message["headers"]["task"]
            args = json.loads(base64.b64decode(message["body"]))[0]
        except (ValueError, KeyError, TypeError, IndexError):
            continue
        ours = ((task == "orders.order_confirmation_send" and args and args[0] in order_ids)
                or (task == "o2c.events_dispatch" and args and args[0] in event_ids))
        if ours:
            dropped += broker.lrem("celery", 1, raw_message)
    return dropped


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    token, warehouse, products, customers = prepare()
    started_at = timezone.now()
    user_id = Token.objects.get(key=token).user_id
    queries_per_request(token, customers[0], products, LINES)  # caches (content types, permissions) filled
    created_queries, confirm_queries = queries_per_request(token, customers[0], products, LINES)
    created_20, confirm_20 = queries_per_request(token, customers[1], products, 4 * LINES)

    port = free_port()
    log = ROOT / "var" / "bench_order_api.log"
    log.parent.mkdir(exist_ok=True)
    server = start_gunicorn(port, log)
    try:
        wait_until_ready(port, token, server, log)
        run_api(port, token, order_plan(4 * CLIENTS, products, customers, seed=1))  # warm both workers up
        api_time, api_latencies, api_ids = run_api(port, token, order_plan(ORDERS, products, customers, seed=2))
    finally:
        server.terminate()
        server.wait(timeout=30)
    connection.close()  # the bench process's connection: fresh for the SQL run
    sql_time, sql_latencies = run_sql(warehouse, order_plan(ORDERS, products, customers, seed=2), user_id)

    api_rate, sql_rate = ORDERS / api_time, ORDERS / sql_time
    ms = 1000
    print(f"create + confirm a {LINES}-line order, {ORDERS} orders:")
    print(f"  API  (gunicorn {WORKERS} workers, {CLIENTS} clients) {api_rate:7.1f} orders/s   "
          f"p50 {percentile(api_latencies, 50) * ms:6.1f} ms   p95 {percentile(api_latencies, 95) * ms:6.1f} ms"
          f"   (2 requests per order{', Idempotency-Key on each' if IDEMPOTENCY else ''})")
    print(f"  SQL  (psycopg2, one connection)          {sql_rate:7.1f} orders/s   "
          f"p50 {percentile(sql_latencies, 50) * ms:6.1f} ms   p95 {percentile(sql_latencies, 95) * ms:6.1f} ms")
    print(f"  ratio {sql_rate / api_rate:.2f}x (budget: within 4x)   queries per request: create {created_queries}, "
          f"confirm {confirm_queries} at {LINES} lines; {created_20}, {confirm_20} at {4 * LINES} lines")

    order_ids = set(api_ids) | set(SalesOrder.objects.filter(created_at__gte=started_at, number__startswith="SO-")
                                   .values_list("pk", flat=True))
    event_ids = {str(pk) for pk in OutboxEvent.objects.filter(created_at__gte=started_at).values_list("pk", flat=True)}
    try:
        dropped = drop_queued_messages(order_ids, event_ids)
    except Exception as exc:  # the broker is not essential to the figures
        print(f"  (could not clean the broker queue: {exc})")
    else:
        print(f"  ({dropped} queued Celery messages of the bench's orders removed from the broker)")


if __name__ == "__main__":
    main()
