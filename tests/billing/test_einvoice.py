"""E-invoices: Factur-X (CII, EN 16931) in the PDF and UBL (Peppol BIS Billing 3.0), valid against the official
schemas and saying what the document says: parties, VAT per category, sums, payment, references."""

from __future__ import annotations

import io
from decimal import Decimal

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from billing.einvoice import UNIT_CODES, facturx_xml, split_address, ubl_xml
from billing.models import BillingDocument, Invoice
from billing.services import credit_note_create, invoice_create_for_shipment
from billing.services.documents import credit_note_pdf_bytes, invoice_pdf_bytes
from tests.billing.factories import billing_customer, issued_invoice
from tests.fulfillment.factories import confirmed_order, shipped_shipment
from tests.inventory.factories import ProductFactory, WarehouseFactory, stocked
from tests.orders.factories import PaymentTermFactory

pytestmark = pytest.mark.django_db

NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
      "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
      "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
      "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
MIXED = [(4, "12.50", "standard"), (3, "9.99", "reduced"), (1, "100.00", "exempt"), (2, "5.00", "zero")]


def _texts(root: etree._Element, path: str) -> list[str]:
    return [e.text for e in root.xpath(path, namespaces=NS)]


def _sum(root: etree._Element, path: str) -> Decimal:
    return sum((Decimal(t) for t in _texts(root, path)), Decimal(0))


def _cii(document: BillingDocument) -> etree._Element:
    xml = facturx_xml(document)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    return etree.fromstring(xml)


def _ubl(document: BillingDocument, flavor: str = "ubl-2.1-invoice") -> etree._Element:
    xml = ubl_xml(document)
    assert facturx.xml_check_xsd(xml, flavor=flavor)
    return etree.fromstring(xml)


def _sums_agree_cii(root: etree._Element, document: BillingDocument) -> None:
    totals = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert [Decimal(_texts(root, f"{totals}/ram:{name}")[0]) for name in
            ("LineTotalAmount", "TaxBasisTotalAmount", "TaxTotalAmount", "GrandTotalAmount", "DuePayableAmount")] \
        == [document.net_total, document.net_total, document.tax_total, document.gross_total, document.gross_total]
    assert _sum(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:BasisAmount") == document.net_total
    assert _sum(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CalculatedAmount") == document.tax_total
    assert _sum(root, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount") == document.net_total


def _sums_agree_ubl(root: etree._Element, document: BillingDocument) -> None:
    assert [Decimal(_texts(root, f"cac:LegalMonetaryTotal/cbc:{name}")[0]) for name in
            ("LineExtensionAmount", "TaxExclusiveAmount", "TaxInclusiveAmount", "PayableAmount")] \
        == [document.net_total, document.net_total, document.gross_total, document.gross_total]
    assert Decimal(_texts(root, "cac:TaxTotal/cbc:TaxAmount")[0]) == document.tax_total
    assert _sum(root, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount") == document.net_total
    assert _sum(root, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount") == document.tax_total
    assert _sum(root, "cac:InvoiceLine/cbc:LineExtensionAmount | cac:CreditNoteLine/cbc:LineExtensionAmount") \
        == document.net_total


def _categories(root: etree._Element) -> list[tuple[str, str]]:
    """(category, rate) of the CII tax breakdown."""
    taxes = root.xpath(f"{SETTLEMENT}/ram:ApplicableTradeTax", namespaces=NS)
    return [(t.findtext("ram:CategoryCode", namespaces=NS), t.findtext("ram:RateApplicablePercent", namespaces=NS))
            for t in taxes]


def _skonto_invoice(lines: list, **customer: object) -> Invoice:
    term = PaymentTermFactory(code="2-14-30", name="2 % within 14 days, 30 days net", net_days=30,
                              discount_percent=Decimal(2), discount_days=14)
    return issued_invoice(lines, customer=billing_customer(payment_term=term, **customer), customer_reference="PO-4711")


def test_factur_x_of_a_domestic_invoice_with_mixed_rates_and_discounts_is_valid_and_adds_up() -> None:
    invoice = _skonto_invoice(MIXED, discount_percent=Decimal("5"), vat_id="DE811569869")
    root = _cii(invoice)
    assert _texts(root, "//rsm:ExchangedDocumentContext//ram:ID") == ["urn:cen.eu:en16931:2017"]
    assert _texts(root, "rsm:ExchangedDocument/ram:ID | rsm:ExchangedDocument/ram:TypeCode") == [invoice.number, "380"]
    assert _texts(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == [
        f"{invoice.issue_date:%Y%m%d}"]
    _sums_agree_cii(root, invoice)
    assert _categories(root) == [("E", "0"), ("S", "7.00"), ("S", "19.00"), ("Z", "0")]
    assert _texts(root, f"{SETTLEMENT}/ram:ApplicableTradeTax[ram:CategoryCode='E']/ram:ExemptionReason") == [
        "Exempt from VAT"]
    # the 5 % line discount is a line allowance: quantity × price − allowance = the line's net amount
    for line, item in zip(invoice.lines.order_by("position"),
                          root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS), strict=True):
        basis, cut = (Decimal(item.findtext(f".//ram:SpecifiedTradeAllowanceCharge/ram:{n}", namespaces=NS))
                      for n in ("BasisAmount", "ActualAmount"))
        assert basis == line.quantity * line.unit_price and basis - cut == line.net_amount > 0
        assert item.findtext(".//ram:BilledQuantity", namespaces=NS) == str(line.quantity.normalize())
    agreement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
    assert _texts(root, f"{agreement}/*/ram:SpecifiedTaxRegistration/ram:ID") == ["DE123456788", "DE811569869"]
    assert _texts(root, f"{agreement}/ram:BuyerTradeParty/ram:Name") == [invoice.customer_name]
    assert _texts(root, f"{agreement}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == ["PO-4711"]
    assert _texts(root, f"{agreement}/ram:SellerOrderReferencedDocument/ram:IssuerAssignedID") == [
        invoice.order.number]
    assert _texts(root, "//ram:DespatchAdviceReferencedDocument/ram:IssuerAssignedID") == [invoice.shipment.number]
    assert _texts(root, f"{SETTLEMENT}/ram:PaymentReference") == [invoice.payment_reference]
    assert _texts(root, f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == ["58"]
    assert _texts(root, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == ["DE89370400440532013000"]
    [terms] = _texts(root, f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:Description")
    assert f"2 % = {invoice.discount_amount} EUR" in terms and f"{invoice.discount_date:%Y-%m-%d}" in terms
    assert "#SKONTO#TAGE=14#PROZENT=2.00#" in terms
    assert _texts(root, f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString") == [
        f"{invoice.due_date:%Y%m%d}"]


def test_reverse_charge_and_export_invoices_carry_their_vat_category_and_exemption() -> None:
    france = issued_invoice([(2, "250.00", "standard"), (1, "40.00", "reduced")], customer=billing_customer(
        country="FR", vat_id="FR40303265045", billing_address="12 rue de la Paix\n75002 Paris"))
    swiss = issued_invoice([(2, "250.00", "standard")], customer=billing_customer(
        country="CH", billing_address="Bahnhofstrasse 1\n8001 Zürich"))
    for invoice, code, reason in ((france, "AE", "VATEX-EU-AE"), (swiss, "G", "VATEX-EU-G")):
        assert invoice.tax_total == 0
        cii, ubl = _cii(invoice), _ubl(invoice)
        _sums_agree_cii(cii, invoice)
        _sums_agree_ubl(ubl, invoice)
        assert _categories(cii) == [(code, "0")]
        assert set(_texts(cii, "//ram:CategoryCode")) == {code}  # the lines too
        assert _texts(cii, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:ExemptionReasonCode") == [reason]
        assert _texts(ubl, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode") == [reason]
        assert set(_texts(ubl, "cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:ID")) == {code}
    # reverse charge names both VAT ids; the buyer's address is split into street, postcode and city
    buyer = "//cac:AccountingCustomerParty/cac:Party"
    assert _texts(_ubl(france), f"{buyer}/cac:PartyTaxScheme/cbc:CompanyID") == ["FR40303265045"]
    assert _texts(_ubl(france), f"{buyer}/cac:PostalAddress/*[self::cbc:StreetName or self::cbc:PostalZone or "
                                "self::cbc:CityName]") == ["12 rue de la Paix", "Paris", "75002"]
    assert _texts(_cii(france), "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == ["DE123456788"]


def test_ubl_invoice_is_peppol_bis_3_with_the_required_elements() -> None:
    invoice = _skonto_invoice(MIXED)
    root = _ubl(invoice)
    assert etree.QName(root).localname == "Invoice"
    assert _texts(root, "cbc:CustomizationID") == [
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"]
    assert _texts(root, "cbc:ProfileID") == ["urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"]
    assert _texts(root, "cbc:ID | cbc:IssueDate | cbc:DueDate | cbc:InvoiceTypeCode | cbc:DocumentCurrencyCode") == [
        invoice.number, invoice.issue_date.isoformat(), invoice.due_date.isoformat(), "380", "EUR"]
    assert _texts(root, "cbc:BuyerReference | cac:OrderReference/cbc:ID") == ["PO-4711", "PO-4711"]
    for party in ("AccountingSupplierParty", "AccountingCustomerParty"):
        assert len(_texts(root, f"cac:{party}/cac:Party/cbc:EndpointID[@schemeID='EM']")) == 1
        assert _texts(root, f"cac:{party}/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode") == ["DE"]
    assert _texts(root, "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName") == [
        invoice.customer_name]
    assert _texts(root, "cac:PaymentMeans/cbc:PaymentMeansCode | cac:PaymentMeans/cbc:PaymentID") == [
        "58", invoice.payment_reference]
    assert _texts(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == ["DE89370400440532013000"]
    _sums_agree_ubl(root, invoice)
    assert len(root.xpath("cac:InvoiceLine", namespaces=NS)) == len(MIXED)
    assert _texts(root, "cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:ID") == ["S", "S", "E", "Z"]


def test_units_of_measure_are_un_ece_codes() -> None:
    warehouse = WarehouseFactory()
    products = []
    for unit in ("kg", "box", "m", "l", "pc"):
        product = ProductFactory(unit=unit, list_price=Decimal("3.00"), weight_kg=Decimal("1.000"))
        stocked(product, warehouse, 10)
        products.append((product, 2))
    order = confirmed_order(products, warehouse=warehouse, customer=billing_customer())
    invoice = invoice_create_for_shipment(shipment_id=shipped_shipment(order).pk)
    assert invoice is not None
    expected = ["KGM", "XBX", "MTR", "LTR", "C62"]
    assert [UNIT_CODES[u] for u in ("kg", "box", "m", "l", "pc")] == expected and UNIT_CODES["h"] == "HUR"
    assert [e.get("unitCode") for e in _cii(invoice).xpath("//ram:BilledQuantity", namespaces=NS)] == expected
    assert [e.get("unitCode") for e in _ubl(invoice).xpath("//cbc:InvoicedQuantity", namespaces=NS)] == expected


def test_credit_notes_are_381_and_reference_their_invoice() -> None:
    invoice = issued_invoice([(4, "12.50", "standard"), (3, "9.99", "reduced")])
    first = invoice.lines.order_by("position")[0]
    by_lines = credit_note_create(invoice_id=invoice.pk, actor=None, reason="return",
                                  lines=[{"invoice_line": first.pk, "quantity": "1"}])
    by_amount = credit_note_create(invoice_id=invoice.pk, actor=None, reason="goodwill", amount="10.00")
    for credit_note in (by_lines, by_amount):
        cii, ubl = _cii(credit_note), _ubl(credit_note, "ubl-2.1-creditnote")
        assert _texts(cii, "rsm:ExchangedDocument/ram:ID | rsm:ExchangedDocument/ram:TypeCode") == [
            credit_note.number, "381"]
        assert _texts(cii, f"{SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [invoice.number]
        _sums_agree_cii(cii, credit_note)
        assert etree.QName(ubl).localname == "CreditNote"
        assert _texts(ubl, "cbc:CreditNoteTypeCode") == ["381"]
        assert _texts(ubl, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == [invoice.number]
        _sums_agree_ubl(ubl, credit_note)
    assert _texts(_ubl(by_lines, "ubl-2.1-creditnote"), "cac:CreditNoteLine/cbc:CreditedQuantity") == ["1"]


def test_the_pdf_is_factur_x_pdf_a_3_carrying_exactly_our_xml() -> None:
    invoice = issued_invoice([(3, "100.00", "standard")])
    credit_note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="price", amount="11.90")
    for document, pdf in ((invoice, invoice_pdf_bytes(invoice)), (credit_note, credit_note_pdf_bytes(credit_note))):
        filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
        assert (filename, xml) == ("factur-x.xml", facturx_xml(document))
        reader = PdfReader(io.BytesIO(pdf))
        catalog = reader.trailer["/Root"]
        assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
        [spec] = [ref.get_object() for ref in catalog["/AF"]]
        assert (spec["/F"], spec["/AFRelationship"]) == ("factur-x.xml", "/Data")
        xmp = etree.fromstring(reader.xmp_metadata.stream.get_data().split(b"?>", 1)[1].rsplit(b"<?xpacket", 1)[0])
        [rdf] = xmp  # one rdf:RDF holding PDF/A-3B and the Factur-X properties with their extension schema
        fx = "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}"
        described = {k: v for d in rdf for k, v in d.attrib.items()} | {c.tag: c.text for d in rdf for c in d}
        assert described["{http://www.aiim.org/pdfa/ns/id/}part"] == "3"
        assert described["{http://www.aiim.org/pdfa/ns/id/}conformance"] == "B"
        assert (described[f"{fx}DocumentType"], described[f"{fx}DocumentFileName"],
                described[f"{fx}ConformanceLevel"]) == ("INVOICE", "factur-x.xml", "EN 16931")
        assert rdf.xpath("//pdfaSchema:prefix/text()", namespaces={
            "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#"}) == ["fx"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Marktplatz 1\n20095 Hamburg", (("Marktplatz 1",), "20095", "Hamburg")),
    ("Hafenstrasse 1\n20457 Hamburg\nGermany", (("Hafenstrasse 1",), "20457", "Hamburg")),
    ("c/o Lager\nul. Prosta 5\n00-950 Warszawa", (("c/o Lager", "ul. Prosta 5"), "00-950", "Warszawa")),
    ("10 Downing Street\nLondon SW1A 2AA", (("10 Downing Street",), "", "London SW1A 2AA")),
])
def test_addresses_are_split_into_street_postcode_and_city(text: str, expected: tuple) -> None:
    assert split_address(text) == expected
