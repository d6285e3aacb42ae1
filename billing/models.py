"""Billing tables (they arrive with the billing issue)."""
