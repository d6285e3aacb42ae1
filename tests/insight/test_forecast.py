"""The 13-week cash forecast: open invoices at their predicted dates, orders not yet invoiced at ship date +
terms + the customer's usual delay, past weeks as forecast against actual; snapshots taken once a day."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from insight.models import CashForecastWeek, KpiSnapshot
from insight.selectors.forecast import ExpectedReceipt, cash_forecast, monday, weekly
from insight.selectors.kpis import KPIS
from insight.services import cash_forecast_snapshot_take, kpi_snapshot_take, payment_predictions_refresh
from o2c.audit import timeline
from tests.billing.factories import issued_on, priced_order
from tests.conftest import race
from tests.insight.test_predictions import ten_days_late_customer
from tests.receivables.factories import payment_of

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def test_receipts_fall_in_the_monday_to_sunday_week_of_their_day() -> None:
    wednesday = datetime.date(2026, 12, 9)
    receipts = [ExpectedReceipt(datetime.date(2026, 12, 13), Decimal("10.00"), "invoice"),  # Sunday: week 0
                ExpectedReceipt(datetime.date(2026, 12, 14), Decimal("20.00"), "order"),  # Monday: week 1
                ExpectedReceipt(datetime.date(2027, 3, 7), Decimal("30.00"), "invoice"),  # Sunday of week 12
                ExpectedReceipt(datetime.date(2027, 3, 8), Decimal("40.00"), "invoice")]  # week 13: later
    forecast = weekly(wednesday, "EUR", receipts)
    assert [w.start for w in forecast.weeks][:2] == [datetime.date(2026, 12, 7), datetime.date(2026, 12, 14)]
    assert len(forecast.weeks) == 13
    assert (forecast.weeks[0].from_invoices, forecast.weeks[1].from_orders) == (Decimal("10.00"), Decimal("20.00"))
    assert forecast.weeks[12].from_invoices == Decimal("30.00") and forecast.later == Decimal("40.00")
    assert forecast.total == Decimal("60.00")


def test_open_invoices_and_uninvoiced_orders_land_in_the_weeks_they_are_expected_to_be_paid() -> None:
    customer = ten_days_late_customer()
    today = timezone.localdate()
    invoice = issued_on(today - 5 * DAY, customer=customer)  # due in 25 days, paid 10 after
    order = priced_order([(2, "100.00", "standard")], customer=customer)  # confirmed, in stock, not invoiced
    ships_on = min(line.promise_date for line in order.lines.all())
    payment_predictions_refresh()
    forecast = cash_forecast(today)
    weeks = {w.start: w for w in forecast.weeks}
    assert weeks[monday(invoice.due_date + 10 * DAY)].from_invoices == invoice.amount_due
    # the order: shipped (and invoiced) on its promise date, due 30 days later, paid the customer's 10 days late
    assert weeks[monday(ships_on + 40 * DAY)].from_orders == order.gross_total
    assert forecast.total == invoice.amount_due + order.gross_total


def test_past_weeks_show_what_was_forecast_before_them_and_what_came_in() -> None:
    customer = ten_days_late_customer()
    today = timezone.localdate()
    last_week = monday(today) - 7 * DAY
    CashForecastWeek.objects.create(made_on=last_week - 3 * DAY, week_start=last_week, currency="EUR",
                                    from_invoices=Decimal("300.00"), from_orders=Decimal("25.00"))
    CashForecastWeek.objects.create(made_on=last_week + DAY, week_start=last_week, currency="EUR",  # made too late
                                    from_invoices=Decimal("999.00"))
    invoice = issued_on(today - 40 * DAY, customer=customer)
    payment_of(customer, invoice.amount_due, invoices=[invoice], received=last_week + 2 * DAY)
    past = {w.start: w for w in cash_forecast(today).past}
    assert past[last_week].forecast_then == Decimal("325.00")
    assert past[last_week].actual == invoice.gross_total
    assert past[last_week - 7 * DAY].forecast_then is None


@pytest.mark.django_db(transaction=True)
def test_snapshots_are_taken_once_a_day_even_by_racing_workers() -> None:
    day = timezone.localdate() - DAY
    assert cash_forecast_snapshot_take() == 13 and cash_forecast_snapshot_take() == 0
    results, refusals = race([lambda: kpi_snapshot_take(day=day), lambda: kpi_snapshot_take(day=day)])
    assert refusals == [] and sorted(results) == [0, len(KPIS)]
    assert KpiSnapshot.objects.filter(day=day).count() == len(KPIS)


def test_a_recompute_replaces_the_days_snapshot_and_is_audited(finance_user) -> None:
    day = timezone.localdate() - DAY
    kpi_snapshot_take(day=day)
    KpiSnapshot.objects.filter(day=day, kpi="dso").update(value=Decimal("999.00"))
    assert kpi_snapshot_take(day=day) == 0
    assert KpiSnapshot.objects.get(day=day, kpi="dso").value == Decimal("999.00")
    kpi_snapshot_take(day=day, actor=finance_user, recompute=True)
    assert KpiSnapshot.objects.get(day=day, kpi="dso").value is None  # nothing invoiced: no DSO
    assert [e.action for e in timeline(KpiSnapshot.objects.get(day=day, kpi=next(iter(KPIS))))] == ["recomputed"]
