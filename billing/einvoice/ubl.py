"""UBL 2.1 Invoice / CreditNote per Peppol BIS Billing 3.0."""

from __future__ import annotations

from django.conf import settings
from lxml import etree

from ..models import BillingDocument, CreditNote, DocumentLine, Invoice
from .common import (
    DISCOUNT_REASON,
    PEPPOL_CUSTOMIZATION,
    PEPPOL_PROFILE,
    SEPA_CREDIT_TRANSFER,
    UBL,
    UNIT_CODES,
    ZERO,
    Party,
    TaxGroup,
    allowance,
    builder,
    buyer,
    category,
    delivery,
    lines_of,
    notes,
    num,
    payment_terms,
    seller,
    tax_groups,
)

_ubl = builder(UBL)


def _ubl_address(parent: etree._Element, party: Party) -> None:
    address = _ubl(parent, "cac:PostalAddress")
    for tag, row in zip(("cbc:StreetName", "cbc:AdditionalStreetName"), party.street, strict=False):
        _ubl(address, tag, row)
    if party.city:
        _ubl(address, "cbc:CityName", party.city)
    if party.postcode:
        _ubl(address, "cbc:PostalZone", party.postcode)
    if len(party.street) > 2:
        _ubl(_ubl(address, "cac:AddressLine"), "cbc:Line", ", ".join(party.street[2:]))
    _ubl(_ubl(address, "cac:Country"), "cbc:IdentificationCode", party.country)


def _ubl_party(parent: etree._Element, tag: str, party: Party) -> None:
    element = _ubl(_ubl(parent, tag), "cac:Party")
    if party.email:
        _ubl(element, "cbc:EndpointID", party.email, schemeID="EM")
    if party.identifier:
        _ubl(_ubl(element, "cac:PartyIdentification"), "cbc:ID", party.identifier)
    _ubl(_ubl(element, "cac:PartyName"), "cbc:Name", party.name)
    _ubl_address(element, party)
    if party.vat_id:
        scheme = _ubl(element, "cac:PartyTaxScheme")
        _ubl(scheme, "cbc:CompanyID", party.vat_id)
        _ubl(_ubl(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    _ubl(_ubl(element, "cac:PartyLegalEntity"), "cbc:RegistrationName", party.name)
    if party.email:
        _ubl(_ubl(element, "cac:Contact"), "cbc:ElectronicMail", party.email)


def _ubl_category(parent: etree._Element, tag: str, group: TaxGroup, *, reasons: bool) -> None:
    element = _ubl(parent, tag)
    _ubl(element, "cbc:ID", group.category)
    _ubl(element, "cbc:Percent", group.rate)
    code, reason = group.exemption
    if reasons and code:
        _ubl(element, "cbc:TaxExemptionReasonCode", code)
    if reasons and reason:
        _ubl(element, "cbc:TaxExemptionReason", reason)
    _ubl(_ubl(element, "cac:TaxScheme"), "cbc:ID", "VAT")


def _ubl_line(parent: etree._Element, document: BillingDocument, line: DocumentLine, *, is_invoice: bool) -> None:
    currency = {"currencyID": document.currency}
    element = _ubl(parent, "cac:InvoiceLine" if is_invoice else "cac:CreditNoteLine")
    _ubl(element, "cbc:ID", line.position)
    _ubl(element, "cbc:InvoicedQuantity" if is_invoice else "cbc:CreditedQuantity", num(line.quantity),
         unitCode=UNIT_CODES.get(line.unit, "C62"))
    _ubl(element, "cbc:LineExtensionAmount", line.net_amount, **currency)
    if discount := allowance(line):
        charge = _ubl(element, "cac:AllowanceCharge")
        _ubl(charge, "cbc:ChargeIndicator", "false")
        _ubl(charge, "cbc:AllowanceChargeReasonCode", DISCOUNT_REASON)
        _ubl(charge, "cbc:AllowanceChargeReason", "Discount")
        _ubl(charge, "cbc:MultiplierFactorNumeric", line.discount_percent)
        _ubl(charge, "cbc:Amount", discount[1], **currency)
        _ubl(charge, "cbc:BaseAmount", discount[0], **currency)
    item = _ubl(element, "cac:Item")
    _ubl(item, "cbc:Name", line.description)
    if line.product_id:
        _ubl(_ubl(item, "cac:SellersItemIdentification"), "cbc:ID", line.product.sku)
    code = category(document, line)
    _ubl_category(item, "cac:ClassifiedTaxCategory", TaxGroup(code, line.tax_rate if code == "S" else ZERO,
                                                               ZERO, ZERO), reasons=False)
    _ubl(_ubl(element, "cac:Price"), "cbc:PriceAmount", line.unit_price, **currency)


def ubl_xml(document: BillingDocument) -> bytes:
    """The Peppol BIS Billing 3.0 UBL of an issued invoice (Invoice, 380) or credit note (CreditNote, 381)."""
    is_invoice = isinstance(document, Invoice)
    lines = lines_of(document)
    currency = {"currencyID": document.currency}
    kind = "Invoice" if is_invoice else "CreditNote"
    nsmap: dict[str | None, str] = {None: f"urn:oasis:names:specification:ubl:schema:xsd:{kind}-2", **UBL}
    root = etree.Element(f"{{{nsmap[None]}}}{kind}", nsmap=nsmap)
    _ubl(root, "cbc:CustomizationID", PEPPOL_CUSTOMIZATION)
    _ubl(root, "cbc:ProfileID", PEPPOL_PROFILE)
    _ubl(root, "cbc:ID", document.number)
    _ubl(root, "cbc:IssueDate", document.issue_date.isoformat())
    if is_invoice:
        _ubl(root, "cbc:DueDate", document.due_date.isoformat())
    _ubl(root, "cbc:InvoiceTypeCode" if is_invoice else "cbc:CreditNoteTypeCode", "380" if is_invoice else "381")
    for text in notes(document):
        _ubl(root, "cbc:Note", text)
    _ubl(root, "cbc:DocumentCurrencyCode", document.currency)
    reference = document.customer_reference if is_invoice else ""
    _ubl(root, "cbc:BuyerReference", reference or document.customer.number)
    if is_invoice and document.period_start and document.period_end:
        period = _ubl(root, "cac:InvoicePeriod")
        _ubl(period, "cbc:StartDate", document.period_start.isoformat())
        _ubl(period, "cbc:EndDate", document.period_end.isoformat())
    order = document.order if is_invoice else None
    if reference or order is not None:
        order_reference = _ubl(root, "cac:OrderReference")
        _ubl(order_reference, "cbc:ID", reference[:35] or "NA")
        if order is not None:
            _ubl(order_reference, "cbc:SalesOrderID", order.number)
    if isinstance(document, CreditNote):
        invoice = _ubl(_ubl(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _ubl(invoice, "cbc:ID", document.invoice.number)
        _ubl(invoice, "cbc:IssueDate", document.invoice.issue_date.isoformat())
    despatch, delivered = delivery(document)
    if despatch:
        _ubl(_ubl(root, "cac:DespatchDocumentReference"), "cbc:ID", despatch)
    _ubl_party(root, "cac:AccountingSupplierParty", seller())
    _ubl_party(root, "cac:AccountingCustomerParty", buyer(document))
    if delivered:
        _ubl(_ubl(root, "cac:Delivery"), "cbc:ActualDeliveryDate", delivered.isoformat())
    if is_invoice:
        means = _ubl(root, "cac:PaymentMeans")
        _ubl(means, "cbc:PaymentMeansCode", SEPA_CREDIT_TRANSFER, name="Credit transfer")
        if document.payment_reference:
            _ubl(means, "cbc:PaymentID", document.payment_reference)
        account = _ubl(means, "cac:PayeeFinancialAccount")
        _ubl(account, "cbc:ID", settings.O2C_COMPANY["iban"])
        _ubl(account, "cbc:Name", settings.O2C_COMPANY["name"])
        _ubl(_ubl(root, "cac:PaymentTerms"), "cbc:Note", payment_terms(document))
    tax_total = _ubl(root, "cac:TaxTotal")
    _ubl(tax_total, "cbc:TaxAmount", document.tax_total, **currency)
    for group in tax_groups(document, lines):
        subtotal = _ubl(tax_total, "cac:TaxSubtotal")
        _ubl(subtotal, "cbc:TaxableAmount", group.net, **currency)
        _ubl(subtotal, "cbc:TaxAmount", group.tax, **currency)
        _ubl_category(subtotal, "cac:TaxCategory", group, reasons=True)
    totals = _ubl(root, "cac:LegalMonetaryTotal")
    _ubl(totals, "cbc:LineExtensionAmount", document.net_total, **currency)
    _ubl(totals, "cbc:TaxExclusiveAmount", document.net_total, **currency)
    _ubl(totals, "cbc:TaxInclusiveAmount", document.gross_total, **currency)
    _ubl(totals, "cbc:PayableAmount", document.gross_total, **currency)
    for line in lines:
        _ubl_line(root, document, line, is_invoice=is_invoice)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
