"""Pay-date predictions stored from real invoices and payments, refreshed nightly and when money moves."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from insight.models import CashForecastWeek, KpiSnapshot, PaymentHabit, PaymentPrediction
from insight.selectors.kpis import KPIS
from insight.services import payment_predictions_refresh
from insight.tasks import nightly
from o2c.events import event_dispatch
from o2c.models import OutboxEvent
from orders.models import Customer
from tests.billing.factories import billing_customer, issued_on
from tests.conftest import wait_for
from tests.receivables.factories import payment_of

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def paid_late(customer: Customer, *, issued_days_ago: int, late: int) -> None:
    """An invoice issued `issued_days_ago` days ago (NET30) and paid `late` days after its due date."""
    invoice = issued_on(timezone.localdate() - issued_days_ago * DAY, customer=customer)
    payment_of(customer, invoice.amount_due, invoices=[invoice], received=invoice.due_date + late * DAY)


def ten_days_late_customer() -> Customer:
    customer = billing_customer()
    assert customer.payment_term.net_days == 30 and not customer.payment_term.end_of_month
    for ago in (200, 160, 120, 90):
        paid_late(customer, issued_days_ago=ago, late=10)
    return customer


def test_an_open_invoice_of_a_customer_who_pays_ten_days_late_is_expected_ten_days_after_its_due_date() -> None:
    customer = ten_days_late_customer()
    today = timezone.localdate()
    open_one = issued_on(today - 5 * DAY, customer=customer)
    assert payment_predictions_refresh() == 1
    prediction = PaymentPrediction.objects.get()
    assert prediction.invoice_id == open_one.pk
    assert prediction.predicted_date == open_one.due_date + 10 * DAY
    assert (prediction.expected_days_late, prediction.basis, prediction.sample_size) == (Decimal("10.0"), "customer", 4)
    assert prediction.amount_due == open_one.amount_due and prediction.currency == customer.currency
    habit = PaymentHabit.objects.get(customer=customer)
    assert habit.expected_days_late == Decimal("10.0")


def test_a_paid_invoice_loses_its_prediction_when_the_payment_event_is_handled() -> None:
    customer = ten_days_late_customer()
    invoice = issued_on(timezone.localdate() - 5 * DAY, customer=customer)
    payment_predictions_refresh()
    assert PaymentPrediction.objects.filter(invoice=invoice).exists()
    payment_of(customer, invoice.amount_due, invoices=[invoice])
    event = OutboxEvent.objects.filter(type="payment.allocated").latest("created_at")
    assert event_dispatch(event_id=str(event.pk))
    assert not PaymentPrediction.objects.filter(invoice=invoice).exists()
    # a second dispatch of the same event changes nothing (its receipt is there)
    assert event_dispatch(event_id=str(event.pk))
    assert not PaymentPrediction.objects.exists()


def test_a_refresh_for_one_customer_leaves_the_others_alone() -> None:
    mine, other = ten_days_late_customer(), billing_customer()
    a = issued_on(timezone.localdate() - 5 * DAY, customer=mine)
    b = issued_on(timezone.localdate() - 5 * DAY, customer=other)
    payment_predictions_refresh()
    before = PaymentPrediction.objects.get(invoice=b).computed_at
    payment_predictions_refresh(customer_ids=[mine.pk])
    assert PaymentPrediction.objects.get(invoice=b).computed_at == before
    assert PaymentPrediction.objects.get(invoice=a).computed_at > before


def test_a_partly_paid_invoice_is_predicted_for_what_it_still_owes() -> None:
    customer = ten_days_late_customer()
    invoice = issued_on(timezone.localdate() - 5 * DAY, customer=customer)
    payment_of(customer, "50.00", invoices=[(invoice, "50.00")])
    payment_predictions_refresh()
    assert PaymentPrediction.objects.get(invoice=invoice).amount_due == invoice.gross_total - Decimal("50.00")


@pytest.mark.django_db(transaction=True)
def test_the_worker_refreshes_a_new_invoices_prediction_and_the_nightly_task_runs_once_a_day(celery_worker) -> None:
    customer = ten_days_late_customer()
    invoice = issued_on(timezone.localdate() - 5 * DAY, customer=customer)  # invoice.issued → the worker
    assert wait_for(lambda: PaymentPrediction.objects.filter(invoice=invoice).exists())
    assert PaymentPrediction.objects.get(invoice=invoice).predicted_date == invoice.due_date + 10 * DAY
    nightly.delay()  # as the beat sends it
    yesterday = timezone.localdate() - DAY
    assert wait_for(lambda: CashForecastWeek.objects.filter(made_on=timezone.localdate()).count() == 13)
    assert KpiSnapshot.objects.filter(day=yesterday).count() == len(KPIS)
    again = nightly()  # a second run the same day (a retry, a second beat): nothing new
    assert again == {"predictions": 1, "kpi_snapshots": 0, "forecast_weeks": 0}
    assert KpiSnapshot.objects.filter(day=yesterday).count() == len(KPIS)
