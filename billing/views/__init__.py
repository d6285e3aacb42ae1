"""Browser pages of billing: Finance's workspace, invoices (list, page, documents, actions), credit
notes (create from an invoice, list, page), invoicing an order's shipped goods, and the billing panel
of the order page. Sales reads them; Finance acts.

Reads go through `billing.selectors`, writes through `billing.services` (a refused write is a form
error or an error message, and changes nothing).
"""

from .credit_notes import (
    CreditNoteCreateView,
    CreditNoteDetailView,
    CreditNoteDocumentView,
    CreditNoteListView,
    CreditNoteSendView,
)
from .invoices import (
    HomeView,
    InvoiceActionView,
    InvoiceDetailView,
    InvoiceDocumentView,
    InvoiceListView,
    InvoicePreviewView,
    OrderInvoiceView,
    order_panel,
)

__all__ = [
    "CreditNoteCreateView", "CreditNoteDetailView", "CreditNoteDocumentView", "CreditNoteListView",
    "CreditNoteSendView", "HomeView", "InvoiceActionView", "InvoiceDetailView", "InvoiceDocumentView",
    "InvoiceListView", "InvoicePreviewView", "OrderInvoiceView", "order_panel",
]
