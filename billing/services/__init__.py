"""Every write of billing: <entity>_<verb>(*, ..., actor), atomic, locked, audited."""

from .automation import (
    InvoicingWork,
    invoice_create_for_order,
    invoice_create_for_period,
    invoice_create_for_shipment,
    invoices_create_for_shipments,
    invoicing_backlog,
    invoicing_queue_add,
    invoicing_queue_take,
    last_completed_period,
    policy_of,
)
from .credit_notes import credit_note_create, credit_notes_for_return
from .documents import document_pdf, document_render_pdf, document_send, document_xml
from .invoices import invoice_discard, invoice_issue, invoice_update_notes, invoiceable

__all__ = [
    "InvoicingWork",
    "credit_note_create",
    "credit_notes_for_return",
    "document_pdf",
    "document_render_pdf",
    "document_send",
    "document_xml",
    "invoice_create_for_order",
    "invoice_create_for_period",
    "invoice_create_for_shipment",
    "invoice_discard",
    "invoice_issue",
    "invoice_update_notes",
    "invoiceable",
    "invoices_create_for_shipments",
    "invoicing_backlog",
    "invoicing_queue_add",
    "invoicing_queue_take",
    "last_completed_period",
    "policy_of",
]
