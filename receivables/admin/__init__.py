"""Admin registrations of receivables' models.

Payments, allocations, refunds, write-offs, statements and reminders are records of what happened,
written only by the services: read-only here (the append-only tables refuse changes anyway). A payment,
a promise to pay and a dispute are *added* here through their services (`payment_record`,
`promise_to_pay_record`, `dispute_open`), so the admin keeps the app's rules and audit; an open
dispute's note and owner change through `dispute_update`. The dunning policy and its levels, and the
customers' bank accounts, are configuration: edited here, audited. The bulk operations — allocate
payments oldest first, resolve or reject disputes, ignore statement lines, run today's reminders,
e-mail the reminders not sent — are actions that call the services one record at a time and report
what was refused.
"""

from . import cash, collections  # noqa: F401  (registers the ModelAdmins)
