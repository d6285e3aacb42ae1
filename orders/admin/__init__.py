"""Admin registrations of the sales models.

Master data (customers with their addresses, contacts and prices, payment terms, tax rates) is
edited here but saved through the services, so admin edits are validated and audited like any
other: a customer is created by `customer_create` (which assigns its number), changed by
`customer_update`, and its credit limit and hold change only through `customer_set_credit` (for
users with `orders.manage_credit`). Quotes and orders are read-only documents here; the bulk
operations on them are admin actions that call the services one document at a time and report
what was done and what was refused. Customers import and export as CSV (see `orders.resources`):
a file with a bad row imports nothing.
"""

from . import customers, documents  # noqa: F401  (registers the ModelAdmins)
