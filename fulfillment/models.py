"""Fulfillment tables (they arrive with the fulfillment issue)."""
