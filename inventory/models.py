"""Inventory tables (they arrive with the inventory issue)."""
