"""Every write of insight: predictions and habits, KPI snapshots, cash-forecast snapshots.

All of it is derived data. A refresh replaces the predictions of the customers it covers in one
transaction; a snapshot of a day is written once (`UNIQUE(day, kpi)`, `UNIQUE(made_on, week, currency)`:
a second nightly run, or two racing workers, add nothing), unless a person asks to recompute it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, models, transaction
from django.utils import timezone
from psycopg2.extras import execute_values

from billing.enums import OPEN_STATUSES
from o2c.audit import audit_record
from o2c.money import default_currency
from orders.models import Customer
from receivables.selectors.kpis import month_ends

from .models import CashForecastWeek, KpiSnapshot, PaymentHabit, PaymentPrediction
from .selectors.forecast import ExpectedReceipt, cash_forecast, monday, weekly
from .selectors.kpis import kpi_values, trailing
from .selectors.predictions import open_invoices, payment_habits


@transaction.atomic
def payment_predictions_refresh(*, as_of: datetime.date | None = None,
                                customer_ids: Iterable[int] | None = None) -> int:
    """Predict the pay date of every open invoice (of `customer_ids`, or of everybody) and store each
    customer's usual delay; predictions of invoices no longer open go. Returns the predictions stored."""
    as_of = as_of or timezone.localdate()
    ids = sorted(set(customer_ids)) if customer_ids is not None else None
    habits = payment_habits(as_of, customer_ids=ids)
    items = open_invoices(as_of, customer_ids=ids)
    now = timezone.now()
    stale = PaymentPrediction.objects.exclude(invoice__status__in=OPEN_STATUSES, invoice__amount_due__gt=0)
    (stale.filter(customer_id__in=ids) if ids is not None else stale).delete()
    rows = []
    for item, p in ((item, habits.predict(item)) for item in items):
        rows.append(PaymentPrediction(
            invoice_id=item.invoice_id, customer_id=item.customer_id, currency=item.currency,
            amount_due=item.amount, due_date=item.due_date, predicted_date=p.predicted_date,
            expected_days_late=p.expected_days_late, spread_days=p.spread_days, confidence=p.confidence,
            basis=p.basis, sample_size=p.sample_size, computed_at=now))
    fields = ["customer", "currency", "amount_due", "due_date", "predicted_date", "expected_days_late",
              "spread_days", "confidence", "basis", "sample_size", "computed_at"]
    PaymentPrediction.objects.bulk_create(rows, batch_size=5000, update_conflicts=True,
                                          unique_fields=["invoice"], update_fields=fields)
    customers = Customer.objects.filter(pk__in=ids) if ids is not None else Customer.objects.all()
    habit_rows = []
    for customer_id, segment in customers.values_list("pk", "payment_term__code"):
        h = habits.usual_delay(customer_id, segment)
        habit_rows.append(PaymentHabit(customer_id=customer_id, expected_days_late=h.expected_days_late,
                                       spread_days=h.spread_days, basis=h.basis, sample_size=h.sample_size,
                                       computed_at=now))
    PaymentHabit.objects.bulk_create(
        habit_rows, batch_size=5000, update_conflicts=True, unique_fields=["customer"],
        update_fields=["expected_days_late", "spread_days", "basis", "sample_size", "computed_at"])
    return len(rows)


def _insert_new(rows: list[models.Model], fields: list[str]) -> int:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: how many rows this call really added (a racing worker's
    rows are not counted twice, as a count before and after would)."""
    if not rows:
        return 0
    meta = rows[0]._meta
    columns = [meta.get_field(name).column for name in fields]
    sql = (f"INSERT INTO {meta.db_table} ({', '.join(columns)}) VALUES %s ON CONFLICT DO NOTHING RETURNING 1")
    with connection.cursor() as cursor:
        added = execute_values(cursor.cursor, sql, [tuple(getattr(r, n) for n in fields) for r in rows], fetch=True)
    return len(added)


@transaction.atomic
def kpi_snapshot_take(*, day: datetime.date, actor: AbstractBaseUser | None = None, recompute: bool = False) -> int:
    """Store every KPI over the 30 days up to `day` (balances at its end). Once per day: an existing
    snapshot stays unless `recompute` (a person asked; audited on the first KPI row). Returns rows written."""
    values = kpi_values(trailing(day))
    now = timezone.now()
    rows = [KpiSnapshot(day=day, kpi=key, value=v.value, sample=v.sample, computed_at=now) for key, v in values.items()]
    if recompute:
        written = KpiSnapshot.objects.bulk_create(rows, update_conflicts=True, unique_fields=["day", "kpi"],
                                                  update_fields=["value", "sample", "computed_at"])
        first = KpiSnapshot.objects.get(day=day, kpi=rows[0].kpi)
        audit_record(obj=first, action="recomputed", actor=actor, data={"day": day, "kpis": len(rows)})
        return len(written)
    return _insert_new(rows, ["day", "kpi", "value", "sample", "computed_at"])


def _store_forecast(made_on: datetime.date, weeks: list) -> int:
    rows = [CashForecastWeek(made_on=made_on, week_start=w.start, currency=currency, from_invoices=w.from_invoices,
                             from_orders=w.from_orders) for currency, w in weeks]
    return _insert_new(rows, ["made_on", "week_start", "currency", "from_invoices", "from_orders"])


@transaction.atomic
def cash_forecast_snapshot_take(*, made_on: datetime.date | None = None, currency: str | None = None) -> int:
    """Store today's 13-week forecast, so the weeks, once past, show what was expected of them. Once a day."""
    made_on, currency = made_on or timezone.localdate(), currency or default_currency()
    forecast = cash_forecast(made_on, currency=currency, past=0)
    return _store_forecast(made_on, [(currency, w) for w in forecast.weeks])


@transaction.atomic
def cash_forecast_backfill(*, made_on: datetime.date, currency: str | None = None) -> int:
    """The forecast as it would have been made on a past day, from the invoices open then and the habits
    learnt by then (the orders of that day are not known any more: invoices only). For a new installation
    with history, and the demo."""
    currency = currency or default_currency()
    habits = payment_habits(made_on)
    receipts = [ExpectedReceipt(habits.predict(item).predicted_date, item.amount, "invoice")
                for item in open_invoices(made_on) if item.currency == currency]
    return _store_forecast(made_on, [(currency, w) for w in weekly(made_on, currency, receipts).weeks])


def insight_refresh(*, as_of: datetime.date | None = None, actor: AbstractBaseUser | None = None) -> dict[str, int]:
    """The nightly job: predictions and habits as of today, yesterday's KPI snapshot (the last whole day),
    today's forecast. Each step is its own transaction and idempotent."""
    as_of = as_of or timezone.localdate()
    return {
        "predictions": payment_predictions_refresh(as_of=as_of),
        "kpi_snapshots": kpi_snapshot_take(day=as_of - datetime.timedelta(days=1), actor=actor),
        "forecast_weeks": cash_forecast_snapshot_take(made_on=as_of),
    }


def insight_backfill(*, as_of: datetime.date, months: int) -> dict[str, int]:
    """KPI snapshots at the last `months` month ends and forecasts made on the Mondays of the last
    `months` months, for trends and forecast-vs-actual from day one (the demo; a new installation)."""
    days = month_ends(as_of - datetime.timedelta(days=1), months)
    snapshots = sum(kpi_snapshot_take(day=day) for day in days)
    first, mondays = monday(as_of) - datetime.timedelta(weeks=4 * months), []
    while first < as_of:
        mondays.append(first)
        first += datetime.timedelta(weeks=1)
    weeks = sum(cash_forecast_backfill(made_on=day) for day in mondays
                if not CashForecastWeek.objects.filter(made_on=day).exists())
    return {"kpi_snapshots": snapshots, "forecast_weeks": weeks}
