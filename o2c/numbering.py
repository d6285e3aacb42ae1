"""Gap-free document numbers (EU VAT art. 226): one counter row per (series, year).

`next_number()` increments the row with a single `INSERT … ON CONFLICT DO UPDATE … RETURNING`,
which takes the row lock until the caller's transaction ends. If that transaction rolls back,
the increment rolls back too: no gap. A PostgreSQL SEQUENCE is not used (it leaves gaps).
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import connection

from .errors import DomainError
from .models import NumberSequence


class DocumentNumber(NamedTuple):
    series: str
    year: int
    value: int

    def __str__(self) -> str:
        return f"{self.series}-{self.year}-{self.value:06d}"


_SQL = f"""
INSERT INTO {NumberSequence._meta.db_table} (series, year, last_value, updated_at)
VALUES (%s, %s, %s, now())
ON CONFLICT (series, year) DO UPDATE
   SET last_value = {NumberSequence._meta.db_table}.last_value + EXCLUDED.last_value, updated_at = now()
RETURNING last_value
"""


def next_number(series: str, year: int) -> DocumentNumber:
    """Draw the next number of a series in the caller's transaction (which must be open)."""
    return next_numbers(series, year, 1)[0]


def next_numbers(series: str, year: int, count: int) -> list[DocumentNumber]:
    """Draw `count` consecutive numbers of a series at once (one statement), in the caller's transaction."""
    if count < 1:
        raise DomainError("Draw at least one number.", code="invalid_count")
    if not connection.in_atomic_block:
        raise DomainError(
            "Document numbers must be drawn inside the transaction that saves the document.",
            code="numbering_outside_transaction",
        )
    if not series or len(series) > 20:
        raise DomainError("A number series is 1 to 20 characters.", code="invalid_series")
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [series, year, count])
        (last,) = cursor.fetchone()
    return [DocumentNumber(series, year, value) for value in range(last - count + 1, last + 1)]


def peek_last_number(series: str, year: int) -> int:
    """The last number drawn (0 when none), for reports and checks; takes no lock."""
    row = NumberSequence.objects.filter(series=series, year=year).values_list("last_value", flat=True).first()
    return row or 0
