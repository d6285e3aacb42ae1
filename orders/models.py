"""Sales desk tables (they arrive with the sales desk issue)."""
