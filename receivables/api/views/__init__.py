"""Receivables API: payments (record, allocate, allocate oldest first, refund), bank statements (upload)
and their lines (the reconciliation queue: match, ignore), the AR aging with its drill-down, a customer's
ledger, the KPIs, reminders (history, tomorrow's preview, the run) and disputes (open, change the note or
owner, resolve by a credit note, reject), plus the receivables actions on an invoice (write-off, promise
to pay, a reminder by hand). Thin views: validate with a serializer, call a service or selector, answer.

Every write goes through `receivables.services`; its domain errors become 4xx bodies of the one error
shape, and a refused write changes nothing (the services are atomic). Every POST honours
`Idempotency-Key`. Payments, allocations, refunds and write-offs are never changed or deleted (no PUT,
PATCH or DELETE). Who may do what is the role's model permissions, plus `receivables.apply_cash` for
cash work (payments and bank statements): Finance does it all; Sales reads payments, reminders and
disputes; the warehouse nothing.
"""

from .cash import BankStatementLineViewSet, BankStatementViewSet, PaymentViewSet
from .collections import (
    AgingViewSet,
    DisputeViewSet,
    KpisViewSet,
    ReceivablesCustomerViewSet,
    ReceivablesInvoiceViewSet,
    ReminderViewSet,
)

__all__ = ["AgingViewSet", "BankStatementLineViewSet", "BankStatementViewSet", "DisputeViewSet", "KpisViewSet",
           "PaymentViewSet", "ReceivablesCustomerViewSet", "ReceivablesInvoiceViewSet", "ReminderViewSet"]
