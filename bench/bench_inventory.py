"""Reserving a 5-line order: `stock_reserve_many()` vs a hand-written psycopg2 transaction doing the
same locking, stock updates and reservation inserts, on one connection, in one run.
Prints transactions per second, the ratio (1.0 = as fast as hand-written SQL) and the query count.
"""

import time
from decimal import Decimal

from _setup import setup_bench_db

setup_bench_db()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from inventory.models import Product, StockLevel, StockReservation, Warehouse  # noqa: E402
from inventory.services import DemandLine, ReservationRequest, stock_reserve_many  # noqa: E402

ORDERS = 400
LINES = 5


def prepare() -> tuple[Warehouse, list[Product]]:
    warehouse, _ = Warehouse.objects.get_or_create(code="BENCH", defaults={"name": "Bench"})
    products = [
        Product.objects.get_or_create(sku=f"BENCH-{i:03d}", defaults={"name": f"Bench {i}", "list_price": 1})[0]
        for i in range(LINES)
    ]
    StockReservation.objects.filter(warehouse=warehouse).delete()
    StockLevel.objects.filter(warehouse=warehouse).delete()
    StockLevel.objects.bulk_create(
        [StockLevel(product=p, warehouse=warehouse, on_hand=Decimal(10**9)) for p in products]
    )
    return warehouse, products


def with_services(warehouse: Warehouse, products: list[Product], order: int) -> None:
    stock_reserve_many(requests=[
        ReservationRequest(DemandLine(f"bench.line:{order}-{i}", p.pk), warehouse, Decimal(1))
        for i, p in enumerate(products)
    ])


def with_sql(warehouse: Warehouse, products: list[Product], order: int) -> None:
    raw = connection.connection
    ids = sorted(p.pk for p in products)
    with raw.cursor() as cur:
        cur.execute("SELECT product_id, on_hand - reserved FROM inventory_stocklevel "
                    "WHERE warehouse_id = %s AND product_id = ANY(%s) ORDER BY product_id FOR UPDATE",
                    [warehouse.pk, ids])
        cur.fetchall()
        cur.execute("UPDATE inventory_stocklevel SET reserved = reserved + 1, updated_at = now() "
                    "WHERE warehouse_id = %s AND product_id = ANY(%s)", [warehouse.pk, ids])
        values = ",".join(cur.mogrify("(%s, %s, %s, '', 1, 1, now(), now())",
                                      [pid, warehouse.pk, f"sql.line:{order}-{pid}"]).decode() for pid in ids)
        cur.execute("INSERT INTO inventory_stockreservation (product_id, warehouse_id, source_key, reference, "
                    "quantity_requested, quantity_reserved, created_at, updated_at) VALUES " + values)
    raw.commit()


def rate(fn, warehouse: Warehouse, products: list[Product]) -> float:
    start = time.perf_counter()
    for order in range(ORDERS):
        fn(warehouse, products, order)
    return ORDERS / (time.perf_counter() - start)


def main() -> None:
    warehouse, products = prepare()
    with CaptureQueriesContext(connection) as queries:
        with_services(warehouse, products, -1)
    ours = rate(with_services, warehouse, products)
    connection.ensure_connection()
    theirs = rate(with_sql, warehouse, products)
    print(f"reserve a {LINES}-line order: stock_reserve_many {ours:6.0f}/s   hand-written SQL {theirs:6.0f}/s"
          f"   ratio {theirs / ours:.2f}x   ({len(queries.captured_queries)} queries incl. BEGIN/COMMIT)")
    with transaction.atomic():
        StockReservation.objects.filter(warehouse=warehouse).delete()
        StockLevel.objects.filter(warehouse=warehouse).delete()


if __name__ == "__main__":
    main()
