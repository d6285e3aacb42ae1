"""Factur-X / ZUGFeRD: UN/CEFACT Cross Industry Invoice (D16B), profile EN 16931."""

from __future__ import annotations

import datetime

from django.conf import settings
from lxml import etree

from ..models import BillingDocument, CreditNote, DocumentLine, Invoice
from .common import (
    CII,
    DISCOUNT_REASON,
    FACTURX_GUIDELINE,
    SEPA_CREDIT_TRANSFER,
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

_cii = builder(CII)


def _cii_date(parent: etree._Element, tag: str, day: datetime.date, kind: str = "udt") -> None:
    _cii(_cii(parent, tag), f"{kind}:DateTimeString", f"{day:%Y%m%d}", format="102")


def _cii_party(parent: etree._Element, tag: str, party: Party) -> None:
    element = _cii(parent, tag)
    if party.identifier:
        _cii(element, "ram:ID", party.identifier)
    _cii(element, "ram:Name", party.name)
    address = _cii(element, "ram:PostalTradeAddress")
    if party.postcode:
        _cii(address, "ram:PostcodeCode", party.postcode)
    for tag_name, row in zip(("ram:LineOne", "ram:LineTwo", "ram:LineThree"), party.street, strict=False):
        _cii(address, tag_name, row)
    if party.city:
        _cii(address, "ram:CityName", party.city)
    _cii(address, "ram:CountryID", party.country)
    if party.email:
        _cii(_cii(element, "ram:URIUniversalCommunication"), "ram:URIID", party.email, schemeID="EM")
    if party.vat_id:
        _cii(_cii(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")


def _cii_tax(parent: etree._Element, group: TaxGroup, *, header: bool) -> None:
    tax = _cii(parent, "ram:ApplicableTradeTax")
    code, reason = group.exemption
    if header:
        _cii(tax, "ram:CalculatedAmount", group.tax)
    _cii(tax, "ram:TypeCode", "VAT")
    if header and reason:
        _cii(tax, "ram:ExemptionReason", reason)
    if header:
        _cii(tax, "ram:BasisAmount", group.net)
    _cii(tax, "ram:CategoryCode", group.category)
    if header and code:
        _cii(tax, "ram:ExemptionReasonCode", code)
    _cii(tax, "ram:RateApplicablePercent", group.rate)


def _cii_line(parent: etree._Element, document: BillingDocument, line: DocumentLine) -> None:
    item = _cii(parent, "ram:IncludedSupplyChainTradeLineItem")
    _cii(_cii(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.position)
    product = _cii(item, "ram:SpecifiedTradeProduct")
    if line.product_id:
        _cii(product, "ram:SellerAssignedID", line.product.sku)
    _cii(product, "ram:Name", line.description)
    agreement = _cii(item, "ram:SpecifiedLineTradeAgreement")
    _cii(_cii(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", line.unit_price)
    _cii(_cii(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", num(line.quantity),
         unitCode=UNIT_CODES.get(line.unit, "C62"))
    settlement = _cii(item, "ram:SpecifiedLineTradeSettlement")
    code = category(document, line)
    _cii_tax(settlement, TaxGroup(code, line.tax_rate if code == "S" else ZERO, ZERO, ZERO), header=False)
    if discount := allowance(line):
        charge = _cii(settlement, "ram:SpecifiedTradeAllowanceCharge")
        _cii(_cii(charge, "ram:ChargeIndicator"), "udt:Indicator", "false")
        _cii(charge, "ram:CalculationPercent", line.discount_percent)
        _cii(charge, "ram:BasisAmount", discount[0])
        _cii(charge, "ram:ActualAmount", discount[1])
        _cii(charge, "ram:ReasonCode", DISCOUNT_REASON)
        _cii(charge, "ram:Reason", "Discount")
    _cii(_cii(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount",
         line.net_amount)


def facturx_xml(document: BillingDocument) -> bytes:
    """The Factur-X (EN 16931) XML of an issued invoice (380) or credit note (381)."""
    is_invoice = isinstance(document, Invoice)
    lines = lines_of(document)
    root = etree.Element(f"{{{CII['rsm']}}}CrossIndustryInvoice", nsmap=CII)
    context = _cii(root, "rsm:ExchangedDocumentContext")
    _cii(_cii(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", FACTURX_GUIDELINE)
    header = _cii(root, "rsm:ExchangedDocument")
    _cii(header, "ram:ID", document.number)
    _cii(header, "ram:TypeCode", "380" if is_invoice else "381")
    _cii_date(header, "ram:IssueDateTime", document.issue_date)
    for text in notes(document):
        _cii(_cii(header, "ram:IncludedNote"), "ram:Content", text)
    transaction = _cii(root, "rsm:SupplyChainTradeTransaction")
    for line in lines:
        _cii_line(transaction, document, line)
    agreement = _cii(transaction, "ram:ApplicableHeaderTradeAgreement")
    reference = document.customer_reference if is_invoice else ""
    _cii(agreement, "ram:BuyerReference", reference or document.customer.number)
    _cii_party(agreement, "ram:SellerTradeParty", seller())
    _cii_party(agreement, "ram:BuyerTradeParty", buyer(document))
    order = document.order if is_invoice else None
    if order is not None:
        _cii(_cii(agreement, "ram:SellerOrderReferencedDocument"), "ram:IssuerAssignedID", order.number)
    if reference:
        _cii(_cii(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", reference[:35])
    despatch, delivered = delivery(document)
    delivery_element = _cii(transaction, "ram:ApplicableHeaderTradeDelivery")
    if delivered:
        _cii_date(_cii(delivery_element, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime", delivered)
    if despatch:
        _cii(_cii(delivery_element, "ram:DespatchAdviceReferencedDocument"), "ram:IssuerAssignedID", despatch)
    settlement = _cii(transaction, "ram:ApplicableHeaderTradeSettlement")
    if is_invoice and document.payment_reference:
        _cii(settlement, "ram:PaymentReference", document.payment_reference)
    _cii(settlement, "ram:InvoiceCurrencyCode", document.currency)
    if is_invoice:
        means = _cii(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _cii(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER)
        _cii(_cii(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", settings.O2C_COMPANY["iban"])
    for group in tax_groups(document, lines):
        _cii_tax(settlement, group, header=True)
    if is_invoice and document.period_start and document.period_end:
        period = _cii(settlement, "ram:BillingSpecifiedPeriod")
        _cii_date(period, "ram:StartDateTime", document.period_start)
        _cii_date(period, "ram:EndDateTime", document.period_end)
    if is_invoice:
        terms = _cii(settlement, "ram:SpecifiedTradePaymentTerms")
        _cii(terms, "ram:Description", payment_terms(document))
        _cii_date(terms, "ram:DueDateDateTime", document.due_date)
    totals = _cii(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _cii(totals, "ram:LineTotalAmount", document.net_total)
    _cii(totals, "ram:TaxBasisTotalAmount", document.net_total)
    _cii(totals, "ram:TaxTotalAmount", document.tax_total, currencyID=document.currency)
    _cii(totals, "ram:GrandTotalAmount", document.gross_total)
    _cii(totals, "ram:DuePayableAmount", document.gross_total)
    if isinstance(document, CreditNote):
        invoice = _cii(settlement, "ram:InvoiceReferencedDocument")
        _cii(invoice, "ram:IssuerAssignedID", document.invoice.number)
        _cii_date(invoice, "ram:FormattedIssueDateTime", document.invoice.issue_date, kind="qdt")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
