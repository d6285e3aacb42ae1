import threading

import pytest
from django.db import connection, transaction

from o2c.errors import DomainError
from o2c.numbering import DocumentNumber, next_number, peek_last_number


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_get_twenty_consecutive_numbers() -> None:
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(20)
    lock = threading.Lock()

    def draw() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                number = next_number("INV", 2026)
            with lock:
                results.append(number.value)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=draw) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert errors == []
    assert sorted(results) == list(range(1, 21))  # no gap, no duplicate
    assert peek_last_number("INV", 2026) == 20


@pytest.mark.django_db(transaction=True)
def test_rolled_back_draw_leaves_no_gap() -> None:
    with transaction.atomic():
        assert next_number("CN", 2026).value == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_number("CN", 2026).value == 2
        raise RuntimeError("the document failed to save")
    with transaction.atomic():
        assert next_number("CN", 2026).value == 2


@pytest.mark.django_db
def test_series_and_years_count_separately() -> None:
    with transaction.atomic():
        assert next_number("SO", 2026) == DocumentNumber("SO", 2026, 1)
        assert next_number("SO", 2027).value == 1
        assert next_number("SO", 2026).value == 2
        assert str(next_number("SO", 2026)) == "SO-2026-000003"


@pytest.mark.django_db(transaction=True)
def test_drawing_outside_a_transaction_is_refused() -> None:
    with pytest.raises(DomainError) as err:
        next_number("INV", 2026)
    assert err.value.code == "numbering_outside_transaction"
    assert peek_last_number("INV", 2026) == 0
