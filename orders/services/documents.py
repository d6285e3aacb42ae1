"""What quotes and orders share when they are written: the customer check, pricing and totals."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import models
from django.utils import timezone

from o2c.errors import ValidationFailed

from ..models import Customer, SalesDocument, SalesLine
from ..pricing import PricedLine, document_totals, price_lines, tax_treatment


def check_customer(customer: Customer, currency: str | None) -> str:
    """The document's currency: the customer's. Another one, or an inactive customer, is refused."""
    if not customer.is_active:
        raise ValidationFailed(f"{customer} is inactive.", details={"customer": ["Inactive customer."]})
    if currency not in (None, "") and str(currency).upper() != customer.currency:
        raise ValidationFailed(
            f"{customer.legal_name} buys in {customer.currency}, not {currency}.",
            code="currency_mismatch", details={"currency": [f"Must be {customer.currency}."]},
        )
    return customer.currency


def priced_document(
    customer: Customer, lines: Sequence[Mapping[str, Any]], on: datetime.date | None = None,
) -> tuple[dict[str, Any], list[PricedLine]]:
    """Header fields (treatment, totals) and priced lines for a document of `customer`."""
    treatment = tax_treatment(customer)
    priced = price_lines(customer=customer, lines=lines, on=on or timezone.localdate(), treatment=treatment)
    return {"tax_treatment": treatment, **document_totals(priced).as_fields()}, priced


def replace_lines(
    document: SalesDocument, line_model: type[SalesLine], fk: str, priced: list[PricedLine], *, new: bool = False,
) -> list[SalesLine]:
    """Write the document's lines (a draft's lines are replaced as a whole; a new document has none)."""
    if not new:
        line_model.objects.filter(**{fk: document}).delete()  # type: ignore[attr-defined]
    return line_model.objects.bulk_create(  # type: ignore[attr-defined]
        [line_model(**{fk: document}, **p.as_fields()) for p in priced]
    )


def line_inputs(lines: models.QuerySet | Sequence[SalesLine]) -> list[dict[str, Any]]:
    """A document's lines as the input of another document (quote → order keeps the quoted prices)."""
    return [{"product": line.product_id, "quantity": line.quantity, "unit_price": line.unit_price,
             "discount_percent": line.discount_percent, "description": line.description} for line in lines]


def with_lines(document: SalesDocument, lines: Sequence[SalesLine]) -> SalesDocument:
    """Hand the document back with the lines the service holds, in position order, so callers
    (API responses, pages) show them without reading them again. Like any prefetch, the lines are a
    snapshot: a caller that keeps the object across later writes reads them again from the database."""
    held = document.lines.all()  # type: ignore[attr-defined]  # lazy: no query
    held._result_cache = sorted(lines, key=lambda line: line.position)  # as prefetch_related leaves it
    held._prefetch_done = True
    document._prefetched_objects_cache = {"lines": held}  # type: ignore[attr-defined]
    return document
