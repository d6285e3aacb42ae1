"""Invoices, credit notes, taxes, PDFs and e-invoices, automated invoicing."""
