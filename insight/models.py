"""What insight stores: a predicted pay date per open invoice, a KPI snapshot per day, and the cash
forecast as it was made each day (so past weeks can show forecast against actual).

All three are derived data, recomputed by `insight.services` (nightly, and predictions also when a
payment arrives); unique keys make a second run of the same day a no-op or an in-place refresh.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from billing.models import Invoice
from o2c.money import CurrencyField, MoneyField
from orders.models import Customer

from .enums import PredictionBasis

CONFIDENT, UNSURE = Decimal("0.6"), Decimal("0.3")


class PaymentHabit(models.Model):
    """How many days after the due date a customer usually pays (blended with its peers when its own
    history is thin): what the cash forecast expects of invoices not yet made."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True,
                                    related_name="payment_habit")
    expected_days_late = models.DecimalField(max_digits=7, decimal_places=1)
    spread_days = models.DecimalField(max_digits=7, decimal_places=1)
    basis = models.CharField(max_length=10, choices=PredictionBasis.choices)
    sample_size = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.expected_days_late:+} days"


class PaymentPrediction(models.Model):
    """When an open invoice is expected to be paid, learnt from its customer's payment history."""

    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, primary_key=True,
                                   related_name="payment_prediction")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    currency = CurrencyField()
    amount_due = MoneyField(help_text="What the invoice owed when the prediction was made.")
    due_date = models.DateField()
    predicted_date = models.DateField()
    expected_days_late = models.DecimalField(max_digits=7, decimal_places=1,
                                             help_text="Predicted days after the due date (negative: early).")
    spread_days = models.DecimalField(max_digits=7, decimal_places=1,
                                      help_text="How far the payments it rests on scatter (weighted std. dev.).")
    confidence = models.DecimalField(max_digits=4, decimal_places=3, help_text="0 (a guess) to 1 (a habit).")
    basis = models.CharField(max_length=10, choices=PredictionBasis.choices)
    sample_size = models.PositiveIntegerField(help_text="Settled invoices of the customer it rests on.")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["predicted_date", "invoice_id"]
        indexes = [
            models.Index(fields=["currency", "predicted_date"], include=["amount_due"],
                         name="prediction_by_date"),
            # one customer's predictions (the refresh on a payment), and the collector worklist's per-customer
            # sums read from the index alone
            models.Index(fields=["customer", "currency"],
                         include=["amount_due", "expected_days_late", "due_date", "predicted_date"],
                         name="prediction_by_customer"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(confidence__gte=0, confidence__lte=1),
                                   name="prediction_confidence_0_1"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} → {self.predicted_date}"

    @property
    def confidence_label(self) -> str:
        return "high" if self.confidence >= CONFIDENT else "medium" if self.confidence >= UNSURE else "low"


class KpiSnapshot(models.Model):
    """One KPI as it stood on a day (flow KPIs over the 30 days up to it, balances at its end)."""

    day = models.DateField()
    kpi = models.CharField(max_length=40)
    value = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True,
                                help_text="Empty: nothing to measure in the window.")
    sample = models.PositiveIntegerField(default=0, help_text="How many documents it counts.")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "kpi"]
        constraints = [models.UniqueConstraint(fields=["day", "kpi"], name="kpisnapshot_once_per_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.kpi}={self.value}"


class CashForecastWeek(models.Model):
    """The receipts forecast for a week, as the forecast made on `made_on` expected them."""

    made_on = models.DateField()
    week_start = models.DateField(help_text="A Monday.")
    currency = CurrencyField()
    from_invoices = MoneyField(default=0)
    from_orders = MoneyField(default=0)

    class Meta:
        ordering = ["made_on", "week_start"]
        constraints = [models.UniqueConstraint(fields=["made_on", "week_start", "currency"],
                                               name="cashforecastweek_once")]
        indexes = [models.Index(fields=["currency", "week_start", "made_on"], name="cashforecast_by_week")]

    def __str__(self) -> str:
        return f"{self.made_on}: week {self.week_start} {self.from_invoices + self.from_orders} {self.currency}"
