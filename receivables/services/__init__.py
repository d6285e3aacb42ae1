"""Every write of receivables: <entity>_<verb>(*, ..., actor), atomic, locked, audited.

Import from the modules: payments, disputes, credit_control, statements, dunning, customer_statements.
"""
