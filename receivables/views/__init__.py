"""Finance's receivables pages: collections (home, aging, worklist, customer account, reminders,
disputes) and cash (payments, bank statements, reconciliation)."""
