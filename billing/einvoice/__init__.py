"""Electronic invoices built from an issued invoice or credit note, with the same content as its PDF:

- `facturx_xml()`: UN/CEFACT CII, Factur-X / ZUGFeRD profile EN 16931 (embedded in the PDF);
- `ubl_xml()`: UBL 2.1 Invoice / CreditNote per Peppol BIS Billing 3.0 (attached to the e-mail);
- `write_facturx_pdf()` / `embed_facturx()`: the PDF as Factur-X PDF/A-3 with the CII XML inside.

Seller = settings.O2C_COMPANY; buyer = the document's customer snapshot. Line discounts are line
allowances (reason 95) on the gross unit price, so qty × price − allowance = the line's net amount.
VAT per line: AE (reverse charge) and G (export) by the document's treatment, else E (exempt),
Z (zero rate) or S; the breakdown sums the rounded line amounts per (category, rate), as the totals do.
"""

from .cii import facturx_xml
from .common import UNIT_CODES, delivery, split_address
from .pdf import FACTURX_FILENAME, embed_facturx, write_facturx_pdf
from .ubl import ubl_xml

__all__ = ["FACTURX_FILENAME", "UNIT_CODES", "delivery", "embed_facturx", "facturx_xml",
           "split_address", "ubl_xml", "write_facturx_pdf"]
