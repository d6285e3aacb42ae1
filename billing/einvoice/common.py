"""What the Factur-X and the UBL say alike: the parties, VAT categories and their breakdown, line discounts,
payment terms, references. Both syntaxes are built from these, so they cannot disagree."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from lxml import etree

from o2c.money import quantize_money
from orders.enums import TaxTreatment

from ..models import BillingDocument, CreditNote, DocumentLine, Invoice
from ..selectors import billing_recipients

ZERO = Decimal(0)
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


def seller() -> Party:
    company = settings.O2C_COMPANY
    street, postcode, city = split_address(company["address"])
    return Party(company["name"], street, postcode, city, company["country"], company["vat_id"], company["email"])


def buyer(document: BillingDocument) -> Party:
    street, postcode, city = split_address(document.customer_address)
    emails = billing_recipients(document.customer)  # the buyer's electronic address
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
    """(basis, amount) of the line's discount, or None: basis − amount is the line's net amount.
    (Without a discount, qty × price may differ from the net by the cent a rest-of-line credit keeps.)"""
    basis = quantize_money(line.quantity * line.unit_price)
    return (basis, basis - line.net_amount) if line.discount_percent and basis > line.net_amount else None


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
    """(despatch advice number, actual delivery date) of an invoice for one shipment (or of the invoice that
    a credit note corrects)."""
    invoice = document if isinstance(document, Invoice) else document.invoice
    shipment = invoice.shipment
    if shipment is None:
        return "", None
    day = shipment.delivered_on or (shipment.shipped_at and timezone.localtime(shipment.shipped_at).date())
    return shipment.number, day or None


def builder(nsmap: dict[str, str]) -> Callable[..., etree._Element]:
    def sub(parent: etree._Element, tag: str, text: object = None, **attrib: str) -> etree._Element:
        prefix, name = tag.split(":")
        element = etree.SubElement(parent, f"{{{nsmap[prefix]}}}{name}", attrib)
        if text is not None:
            element.text = str(text)
        return element
    return sub
