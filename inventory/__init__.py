"""Products, warehouses, the stock ledger, reservations, availability (ATP) and replenishment."""
