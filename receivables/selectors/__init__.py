"""Every non-trivial read of receivables: aging, ledger, KPIs, statements, reminders.

Import from the modules: aging, ledger, kpis, statements, dunning.
"""
