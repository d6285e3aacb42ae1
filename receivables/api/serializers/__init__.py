"""Receivables API serializers (`common`, `cash`, `collections`): the shapes in and out. They validate
input; the services do the writes.

Conventions (the same as the orders and billing APIs):
- Amounts are decimals sent and returned as strings; a JSON floating-point number is refused (400), an
  integer is accepted. Days are `YYYY-MM-DD`.
- An allocation names an invoice by id (`invoice`) and, optionally, an `amount`; left out, the payment
  pays what the invoice still owes (net of an early-payment discount it earned) as far as it goes. What
  may be allocated is the service's rule (`receivables.services.payments`): its errors come back under
  `details.allocations`.
- Payments, allocations, refunds, write-offs and reminders are records of what happened: read-only.
"""
