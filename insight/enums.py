"""Codes insight uses."""

from django.db import models


class PredictionBasis(models.TextChoices):
    """Whose payment history a prediction rests on (the customer's own, blended with its peers')."""

    CUSTOMER = "customer", "The customer's own history"
    SIMILAR = "similar", "Customers on the same payment terms"
    COMPANY = "company", "All customers"
    TERMS = "terms", "No history: the due date"


class Period(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    CUSTOM = "custom", "Custom"
