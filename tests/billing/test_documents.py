"""Invoice and credit-note PDFs (real WeasyPrint output, read back with pdftotext), rendered once and stored
with their SHA-256, and e-mailed to the customer's billing contacts once (again only when asked)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from django.core import mail
from pytest_django.fixtures import Settings

from billing.models import CreditNote, Invoice
from billing.services import credit_note_create
from billing.services.documents import (
    credit_note_pdf_bytes,
    document_pdf,
    document_render_pdf,
    document_send,
    invoice_pdf_bytes,
)
from o2c.audit import timeline
from o2c.errors import Conflict
from orders.models import Customer
from tests.billing.factories import billing_customer, issued_invoice
from tests.conftest import pdf_text, race
from tests.orders.factories import ContactFactory, CustomerFactory, PaymentTermFactory

pytestmark = pytest.mark.django_db
LINES = [(3, "100.00", "standard"), (2, "10.00", "reduced")]  # 300 + 57 VAT, 20 + 1.40 VAT = 378.40


@pytest.fixture(autouse=True)
def media(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _customer(**fields: object) -> Customer:
    term = PaymentTermFactory(code="2-14-30", name="2 % within 14 days, 30 days net", net_days=30,
                              discount_percent=Decimal(2), discount_days=14)
    fields = {"legal_name": "Nordlicht Möbel GmbH", "vat_id": "DE811569869", **fields}
    return billing_customer(payment_term=term, **fields)


def _text(pdf: bytes) -> str:
    """The PDF's words, one space apart (the layout wraps and aligns them)."""
    return " ".join(pdf_text(pdf).split())


def _invoice(**fields: object) -> Invoice:
    return issued_invoice(LINES, customer=_customer(**fields), customer_reference="PO-4711")


def test_the_invoice_pdf_has_everything_to_pay_it_from_the_documents_own_snapshot() -> None:
    invoice = _invoice()
    Customer.objects.filter(pk=invoice.customer_id).update(legal_name="Renamed Later AG",
                                                           billing_address="Elsewhere 9\n10115 Berlin")
    invoice = Invoice.objects.get(pk=invoice.pk)
    text = _text(invoice_pdf_bytes(invoice))
    assert "Invoice" in text and invoice.number in text
    assert "Nordlicht Möbel GmbH" in text and "Marktplatz 1" in text  # as issued, not as the customer is now
    assert "Renamed Later" not in text and "Elsewhere" not in text
    assert "VAT id DE811569869" in text and "VAT id DE123456788" in text  # buyer's and seller's
    for day in (invoice.issue_date, invoice.due_date):
        assert f"{day:%Y-%m-%d}" in text
    assert invoice.customer.number in text and invoice.order.number in text and invoice.shipment.number in text
    assert "PO-4711" in text
    assert "320.00 EUR" in text and "378.40 EUR" in text  # net and gross
    assert "VAT 19.00 % on 300.00" in text and "57.00 EUR" in text and "VAT 7.00 % on 20.00" in text
    assert "DE89 3704 0044 0532 0130 00" in text and invoice.payment_reference in text
    assert f"2 % = 7.57 EUR if paid by {invoice.discount_date:%Y-%m-%d}" in text  # 2 % of 378.40
    assert "then pay 370.83 EUR" in text and "Amount due" in text
    assert "Reverse charge" not in text


def test_reverse_charge_for_an_eu_customer_with_a_vat_id_and_the_note_on_the_pdf() -> None:
    invoice = _invoice(country="FR", vat_id="FR40303265045", billing_address="12 rue de la Paix\n75002 Paris")
    assert invoice.tax_treatment == "reverse_charge" and invoice.tax_total == 0
    text = _text(invoice_pdf_bytes(invoice))
    assert "Reverse charge: VAT to be accounted for by the recipient" in text
    assert "VAT id FR40303265045" in text and "75002 Paris" in text and "320.00 EUR" in text


def test_a_german_customer_gets_a_german_invoice() -> None:
    invoice = _invoice(language="de")
    text = _text(invoice_pdf_bytes(invoice))
    for label in ("Rechnung", "Rechnungsnr.", "Rechnungsdatum", "Fällig am", "Kundennr.", "Auftrag", "Lieferschein",
                  "Ihre Bestellung", "Einzelpreis", "Summe netto", "Gesamtbetrag", "Zahlbetrag", "Zahlungsreferenz",
                  "USt-IdNr. DE811569869", "Skonto: 2 % = 7,57 EUR"):
        assert label in text, label
    assert "378,40 EUR" in text and "USt. 19,00 % auf 300,00" in text  # German number format
    assert "Invoice" not in text and "Due date" not in text and "Reihenfolge" not in text


def test_the_pdf_is_rendered_once_and_stored_with_its_sha256(media: Path) -> None:
    invoice = _invoice()
    with pytest.raises(Conflict, match="being prepared"):
        document_pdf(invoice)
    assert document_render_pdf(kind="invoice", document_id=invoice.pk) is True
    assert document_render_pdf(kind="invoice", document_id=invoice.pk) is False  # a repeated task does nothing
    invoice.refresh_from_db()
    stored = (media / invoice.pdf.name).read_bytes()
    assert stored.startswith(b"%PDF") and invoice.pdf_rendered_at is not None
    assert invoice.pdf_sha256 == hashlib.sha256(stored).hexdigest()
    assert document_pdf(invoice) == stored
    assert [e.action for e in timeline(invoice)].count("pdf_rendered") == 1
    assert len(list(media.rglob("*.pdf"))) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_store_one_pdf_and_send_one_email(media: Path) -> None:
    invoice = _invoice()
    rendered, refused = race([lambda: document_render_pdf(kind="invoice", document_id=invoice.pk)] * 2)
    assert sorted(rendered) == [False, True] and refused == []
    [stored] = media.rglob("*.pdf")  # the loser rendered too, but stored nothing
    invoice.refresh_from_db()
    assert invoice.pdf_sha256 == hashlib.sha256(stored.read_bytes()).hexdigest()
    sent, refused = race([lambda: document_send(kind="invoice", document_id=invoice.pk)] * 2)
    assert sorted(sent) == [False, True] and refused == [] and len(mail.outbox) == 1


def test_the_invoice_is_emailed_once_with_pdf_and_ubl_and_again_only_on_resend(finance_user) -> None:
    invoice = _invoice()
    assert document_send(kind="invoice", document_id=invoice.pk) is True
    assert document_send(kind="invoice", document_id=invoice.pk) is False
    [message] = mail.outbox
    assert message.to == [f"billing-{invoice.customer.number.lower()}@customer.example"]
    assert invoice.number in message.subject and invoice.payment_reference in message.body
    (pdf_name, pdf, _), (xml_name, xml, xml_type) = message.attachments
    invoice.refresh_from_db()
    assert pdf_name == f"{invoice.number}.pdf" and hashlib.sha256(pdf).hexdigest() == invoice.pdf_sha256
    assert (xml_name, xml_type) == (f"{invoice.number}.xml", "application/xml")
    assert facturx.xml_check_xsd(xml, flavor="ubl-2.1-invoice") and invoice.number.encode() in xml
    assert invoice.emailed_at is not None and invoice.emailed_to == message.to[0]
    first = invoice.emailed_at
    assert document_send(kind="invoice", document_id=invoice.pk, actor=finance_user, resend=True) is True
    assert len(mail.outbox) == 2 and mail.outbox[1].attachments[0][1] == pdf  # the stored PDF, not a new one
    invoice.refresh_from_db()
    assert invoice.emailed_at > first
    events = [(e.action, e.actor) for e in timeline(invoice)]
    assert ("emailed", None) in events and ("resent", finance_user) in events


def test_without_a_billing_contact_the_sales_contact_gets_it_in_german() -> None:
    customer = CustomerFactory(language="de", credit_limit=Decimal("1000000"))
    ContactFactory(customer=customer, role="sales", email="einkauf@kunde.example")
    invoice = issued_invoice(LINES, customer=customer)
    assert document_send(kind="invoice", document_id=invoice.pk) is True
    [message] = mail.outbox
    assert message.to == ["einkauf@kunde.example"]
    assert message.subject.startswith(f"Rechnung {invoice.number}") and "378,40 EUR" in message.body
    assert "Sehr geehrte Damen und Herren" in message.body and "Mit freundlichen Grüßen" in message.body


def test_a_credit_note_pdf_names_the_invoice_and_the_reason_and_is_sent_with_its_pdf() -> None:
    invoice = _invoice()
    line = invoice.lines.order_by("position").first()
    credit_note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="damaged", note="Two boxes dented.",
                                     lines=[{"invoice_line": line.pk, "quantity": "1"}])
    pdf = credit_note_pdf_bytes(CreditNote.objects.get(pk=credit_note.pk))
    text = _text(pdf)
    assert "Credit note" in text and credit_note.number in text and invoice.number in text
    assert "Damaged goods kept" in text and "Two boxes dented." in text
    assert "100.00 EUR" in text and "119.00 EUR" in text  # net and gross of one unit at 19 %
    assert "119.00 EUR is deducted from what invoice" in text
    assert facturx.get_xml_from_pdf(pdf)[1].count(b"<ram:TypeCode>381</ram:TypeCode>") == 1
    assert document_send(kind="credit_note", document_id=credit_note.pk) is True
    [message] = mail.outbox
    assert credit_note.number in message.subject and invoice.number in message.body
    assert [name for name, _, _ in message.attachments] == [f"{credit_note.number}.pdf"]
    credit_note.refresh_from_db()
    assert credit_note.pdf_sha256 and credit_note.emailed_at is not None


def test_a_german_credit_note() -> None:
    invoice = _invoice(language="de")
    credit_note = credit_note_create(invoice_id=invoice.pk, actor=None, reason="goodwill", amount="50.00")
    text = _text(credit_note_pdf_bytes(credit_note))
    assert "Rechnungskorrektur" in text and "Grund" in text and "Kulanz" in text and "50,00 EUR" in text
