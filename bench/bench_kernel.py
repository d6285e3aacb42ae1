"""Kernel hot paths against hand-written SQL on the same server, one connection, one run.

- document numbers: `next_number()` in its own transaction vs a bare psycopg2 UPDATE … RETURNING
- outbox: publish + dispatch (one subscriber) per transaction vs a bare INSERT + UPDATE
Prints rates and the ratio (lower is better; 1.0 = as fast as the hand-written SQL).
"""

import time
import uuid

from _setup import setup_bench_db

setup_bench_db()

from django.db import connection, transaction  # noqa: E402

from o2c.events import event_dispatch, publish, subscribe  # noqa: E402
from o2c.models import EventReceipt, NumberSequence, OutboxEvent  # noqa: E402
from o2c.numbering import next_number  # noqa: E402

N = 2000


def rate(fn, n: int = N) -> float:
    fn(50)  # warm up
    start = time.perf_counter()
    fn(n)
    return n / (time.perf_counter() - start)


def numbers_django(n: int) -> None:
    for _ in range(n):
        with transaction.atomic():
            next_number("BENCH", 2026)


def numbers_sql(n: int) -> None:
    raw = connection.connection  # the same psycopg2 connection, no ORM
    with raw.cursor() as cur:
        for _ in range(n):
            cur.execute("UPDATE o2c_numbersequence SET last_value = last_value + 1 "
                        "WHERE series = 'BENCHSQL' AND year = 2026 RETURNING last_value")
            cur.fetchone()
            raw.commit()


def events_django(n: int) -> None:
    for _ in range(n):
        with transaction.atomic():
            event = publish("bench.happened", {"n": 1})
        event_dispatch(event_id=str(event.pk))


def events_sql(n: int) -> None:
    raw = connection.connection
    with raw.cursor() as cur:
        for _ in range(n):
            event_id = str(uuid.uuid4())
            cur.execute("INSERT INTO o2c_outboxevent (id, type, payload, created_at, attempts, last_error) "
                        "VALUES (%s, 'bench.sql', '{\"n\": 1}', now(), 0, '')", [event_id])
            raw.commit()
            cur.execute("INSERT INTO o2c_eventreceipt (event_id, subscriber, handled_at) VALUES (%s, 'bench', now())",
                        [event_id])
            cur.execute("UPDATE o2c_outboxevent SET dispatched_at = now(), attempts = 1 WHERE id = %s", [event_id])
            raw.commit()


def main() -> None:
    connection.ensure_connection()
    with transaction.atomic():
        NumberSequence.objects.get_or_create(series="BENCHSQL", year=2026)
    subscribe("bench.happened", lambda event: None, name="bench.noop")
    # celery is not involved here: the after-commit enqueue is replaced by nothing
    transaction.on_commit = lambda func, using=None, robust=False: None  # type: ignore[assignment]

    django_numbers, sql_numbers = rate(numbers_django), rate(numbers_sql)
    django_events, sql_events = rate(events_django, 1000), rate(events_sql, 1000)
    print(f"document numbers: next_number {django_numbers:8.0f}/s   hand-written SQL {sql_numbers:8.0f}/s"
          f"   ratio {sql_numbers / django_numbers:.2f}x")
    print(f"outbox events:    publish+dispatch {django_events:5.0f}/s   hand-written SQL {sql_events:8.0f}/s"
          f"   ratio {sql_events / django_events:.2f}x")
    OutboxEvent.objects.filter(type__in=["bench.happened", "bench.sql"]).delete()
    EventReceipt.objects.filter(subscriber="bench").delete()


if __name__ == "__main__":
    main()
