"""Customers, quotes and sales orders, pricing and the credit check."""
