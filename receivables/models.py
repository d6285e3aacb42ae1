"""Receivables tables (they arrive with the receivables issue)."""
