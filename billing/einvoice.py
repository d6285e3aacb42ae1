"""Electronic invoices built from an issued invoice or credit note, with the same content as its PDF:

- `facturx_xml()`: UN/CEFACT CII, Factur-X / ZUGFeRD profile EN 16931 (embedded in the PDF);
- `ubl_xml()`: UBL 2.1 Invoice / CreditNote per Peppol BIS Billing 3.0 (attached to the e-mail);
- `write_facturx_pdf()` / `embed_facturx()`: the PDF as Factur-X PDF/A-3 with the CII XML inside.

Seller = settings.O2C_COMPANY; buyer = the document's customer snapshot. Line discounts are line
allowances (reason 95) on the gross unit price, so qty × price − allowance = the line's net amount.
VAT per line: AE (reverse charge) and G (export) by the document's treatment, else E (exempt),
Z (zero rate) or S; the breakdown sums the rounded line amounts per (category, rate), as the totals do.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import facturx
from django.conf import settings
from lxml import etree
from weasyprint import HTML, Attachment

from o2c.money import quantize_money
from orders.enums import ContactRole, TaxTreatment
from orders.models import Customer
from orders.selectors import sales_recipients

from .models import BillingDocument, CreditNote, DocumentLine, Invoice

ZERO = Decimal(0)
FACTURX_FILENAME = "factur-x.xml"
FACTURX_GUIDELINE = "urn:cen.eu:en16931:2017"
PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
UNIT_CODES = {"pc": "C62", "box": "XBX", "kg": "KGM", "m": "MTR", "l": "LTR", "h": "HUR"}
# VAT category → (exemption reason code, exemption reason text)
EXEMPTIONS = {"AE": ("VATEX-EU-AE", "Reverse charge"), "G": ("VATEX-EU-G", "Export outside the EU"),
              "E": ("", "Exempt from VAT")}
SEPA_CREDIT_TRANSFER = "58"
DISCOUNT_REASON = "95"  # UNTDID 5189: discount

CII = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
       "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
       "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
       "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"}
UBL = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
       "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
POSTCODE_CITY = re.compile(r"^(?:[A-Z]{1,3}-)?(?P<postcode>\d[\dA-Z-]{2,9})\s+(?P<city>[^\d\s].*)$")


# ---------------------------------------------------------------------------------------------
# What both syntaxes say


@dataclass(frozen=True)
class Party:
    name: str
    street: tuple[str, ...]
    postcode: str
    city: str
    country: str
    vat_id: str
    email: str
    identifier: str = ""


@dataclass(frozen=True)
class TaxGroup:
    category: str
    rate: Decimal
    net: Decimal
    tax: Decimal

    @property
    def exemption(self) -> tuple[str, str]:
        return EXEMPTIONS.get(self.category, ("", ""))


def split_address(text: str) -> tuple[tuple[str, ...], str, str]:
    """(street lines, postcode, city) of a multi-line address; a country line after the city is dropped."""
    rows = [row.strip() for row in text.splitlines() if row.strip()]
    for index in range(len(rows) - 1, -1, -1):
        if match := POSTCODE_CITY.match(rows[index]):
            return tuple(rows[:index]), match["postcode"], match["city"]
    return (tuple(rows[:-1]), "", rows[-1]) if rows else ((), "", "")


def billing_recipients(customer: Customer) -> list[str]:
    """Invoices go to the billing contacts; without one, to whom quotes and confirmations go."""
    contacts = list(customer.contacts.all())
    return [c.email for c in contacts if c.role == ContactRole.BILLING] or sales_recipients(customer)


def seller() -> Party:
    company = settings.O2C_COMPANY
    street, postcode, city = split_address(company["address"])
    return Party(company["name"], street, postcode, city, company["country"], company["vat_id"], company["email"])


def buyer(document: BillingDocument) -> Party:
    street, postcode, city = split_address(document.customer_address)
    emails = billing_recipients(document.customer)
    return Party(document.customer_name, street, postcode, city, document.customer_country,
                 document.customer_vat_id, emails[0] if emails else "", document.customer.number)


def category(document: BillingDocument, line: DocumentLine) -> str:
    if document.tax_treatment == TaxTreatment.REVERSE_CHARGE:
        return "AE"
    if document.tax_treatment == TaxTreatment.EXPORT:
        return "G"
    if line.tax_category == "exempt":
        return "E"
    return "S" if line.tax_rate > 0 else "Z"


def lines_of(document: BillingDocument) -> list[DocumentLine]:
    return list(document.lines.select_related("product").order_by("position"))


def tax_groups(document: BillingDocument, lines: list[DocumentLine]) -> list[TaxGroup]:
    sums: dict[tuple[str, Decimal], list[Decimal]] = {}
    for line in lines:
        code = category(document, line)
        bucket = sums.setdefault((code, line.tax_rate if code == "S" else ZERO), [ZERO, ZERO])
        bucket[0] += line.net_amount
        bucket[1] += line.tax_amount
    return [TaxGroup(code, rate, net, tax) for (code, rate), (net, tax) in sorted(sums.items())]


def allowance(line: DocumentLine) -> tuple[Decimal, Decimal] | None:
    """(basis, amount) of the line's discount, or None: basis − amount is the line's net amount."""
    basis = quantize_money(line.quantity * line.unit_price)
    return (basis, basis - line.net_amount) if basis != line.net_amount else None


def payment_terms(invoice: Invoice) -> str:
    text = f"{invoice.payment_term_text}. Due {invoice.due_date:%Y-%m-%d}."
    if invoice.discount_percent and invoice.discount_date:
        days = (invoice.discount_date - invoice.issue_date).days
        text += (f" {num(invoice.discount_percent)} % = {invoice.discount_amount} {invoice.currency} discount "
                 f"if paid by {invoice.discount_date:%Y-%m-%d}.\n#SKONTO#TAGE={days}#PROZENT="
                 f"{invoice.discount_percent:.2f}#\n")  # the same discount, machine-readable (XRechnung)
    return text


def notes(document: BillingDocument) -> list[str]:
    found = [f"Credit note for invoice {document.invoice.number}: {document.get_reason_display()}."]\
        if isinstance(document, CreditNote) else []
    return [*found, document.notes] if document.notes else found


def num(value: Decimal) -> str:
    """A quantity or percent without trailing zeros: 4.000 → 4, 12.500 → 12.5."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


def delivery(document: BillingDocument) -> tuple[str, datetime.date | None]:
    """(despatch advice number, actual delivery date) of an invoice for one shipment."""
    shipment = document.shipment if isinstance(document, Invoice) else None
    if shipment is None:
        return "", None
    day = shipment.delivered_on or (shipment.shipped_at and shipment.shipped_at.astimezone().date())
    return shipment.number, day or None


def _builder(nsmap: dict[str, str]) -> Callable[..., etree._Element]:
    def sub(parent: etree._Element, tag: str, text: object = None, **attrib: str) -> etree._Element:
        prefix, name = tag.split(":")
        element = etree.SubElement(parent, f"{{{nsmap[prefix]}}}{name}", attrib)
        if text is not None:
            element.text = str(text)
        return element
    return sub


# ---------------------------------------------------------------------------------------------
# Factur-X (UN/CEFACT CII D16B), profile EN 16931

_cii = _builder(CII)


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
        if line.discount_percent:
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


# ---------------------------------------------------------------------------------------------
# UBL 2.1, Peppol BIS Billing 3.0

_ubl = _builder(UBL)


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
        if line.discount_percent:
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


# ---------------------------------------------------------------------------------------------
# Factur-X PDF/A-3

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _facturx_xmp(level: str = "en16931") -> list[etree._Element]:
    """The Factur-X XMP descriptions (the fx: properties and their PDF/A extension schema)."""
    xmp = etree.fromstring(facturx.generate_xmp_bytes("factur-x", level, None, {}).split(b"\n", 1)[1]
                           .rsplit(b"\n", 1)[0])
    return [d for d in xmp.iter(f"{{{_RDF}}}Description")
            if any(child.tag.startswith(("{urn:factur-x", "{http://www.aiim.org/pdfa/ns/extension/"))
                   for child in d)]


def _add_facturx_xmp(_document: Any, pdf: Any) -> None:
    """WeasyPrint finisher: merge the Factur-X descriptions into the PDF/A XMP WeasyPrint wrote."""
    metadata = pdf.objects[int(pdf.catalog["Metadata"].split()[0])]
    header, rest = b"".join(metadata.stream).split(b"<rdf:RDF", 1)
    rdf_end = rest.index(b"</rdf:RDF>") + len(b"</rdf:RDF>")
    rdf = etree.fromstring(b"<rdf:RDF" + rest[:rdf_end])
    rdf.extend(_facturx_xmp())
    metadata.stream = [header + etree.tostring(rdf) + rest[rdf_end:]]


def write_facturx_pdf(html: str, xml: bytes, *, base_url: str, title: str = "", lang: str = "en") -> bytes:
    """Render `html` straight to a Factur-X PDF/A-3B with `xml` embedded (one pass, no re-parsing)."""
    attachment = Attachment(file_obj=io.BytesIO(xml), name=FACTURX_FILENAME, relationship="Data",
                            description="Factur-X XML invoice")
    return HTML(string=html, base_url=base_url).write_pdf(
        pdf_variant="pdf/a-3b", attachments=[attachment], finisher=_add_facturx_xmp)


def embed_facturx(pdf: bytes, xml: bytes) -> bytes:
    """Make an existing PDF a Factur-X PDF/A-3 (the factur-x library: parses and rewrites the PDF)."""
    return facturx.generate_from_binary(pdf, xml, flavor="factur-x", level="en16931", check_xsd=False,
                                        afrelationship="data")
