"""Finance opens an invoice made by a shipment in a real browser, downloads its PDF, credits part of it
through the credit-note form (a refused quantity first), and sees the amount due drop."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from billing.models import CreditNote, Invoice
from billing.services import document_render_pdf, invoice_create_for_shipment
from tests.billing.factories import billing_customer, shipped_order
from tests.e2e.conftest import login


def test_finance_downloads_the_pdf_and_credits_part_of_an_invoice(page: Page, live_server, finance_user: User,
                                                                   tmp_path: Path) -> None:
    customer = billing_customer(legal_name="Nordwind Maschinenbau GmbH")
    order, shipment = shipped_order([(4, "100.00", "standard"), (2, "25.00", "reduced")], customer=customer,
                                    customer_reference="PO-2026-118")
    invoice = invoice_create_for_shipment(shipment_id=shipment.pk)
    assert invoice is not None and invoice.gross_total == Decimal("529.50")
    assert document_render_pdf(kind="invoice", document_id=invoice.pk)
    base = live_server.url
    login(page, base, finance_user.username, "pw-" + finance_user.username)

    # from Finance's billing workspace to the invoice list, then the invoice
    page.get_by_test_id("sidebar").get_by_role("link", name="Billing").click()
    expect(page.get_by_test_id("workspace-title")).to_have_text("Billing")
    page.get_by_role("link", name="Invoices").first.click()
    expect(page.get_by_role("heading", name="Invoices")).to_be_visible()
    row = page.locator(f'[data-testid=invoice-row][data-number="{invoice.number}"]')
    expect(row).to_contain_text("Nordwind Maschinenbau GmbH")
    row.get_by_role("link", name=invoice.number).click()

    expect(page.get_by_test_id("invoice-title")).to_have_text(f"Invoice {invoice.number}")
    expect(page.get_by_test_id("invoice-status")).to_have_text("Issued")
    expect(page.get_by_test_id("shipment-link")).to_have_text(shipment.number)
    expect(page.get_by_test_id("order-link")).to_have_text(order.number)
    expect(page.get_by_test_id("payment-reference")).to_have_text(invoice.payment_reference)
    amount_due = page.get_by_test_id("balance").get_by_test_id("amount-due")
    expect(amount_due).to_have_text("529.50 EUR")
    expect(page.get_by_test_id("pdf-object")).to_have_attribute("data", f"/billing/invoices/{invoice.pk}/pdf/?inline=1")
    page.screenshot(path="var/e2e-invoice.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_test_id("download-pdf").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"{invoice.number}.pdf"
    assert saved.read_bytes().startswith(b"%PDF")

    # a partial credit note: line 1, one piece (a price correction); too many is refused first
    page.get_by_test_id("create-credit-note").click()
    expect(page.get_by_role("heading", name=f"Credit invoice {invoice.number}")).to_be_visible()
    form = page.get_by_test_id("credit-note-form")
    form.get_by_label("Quantity of line 1 to credit").fill("5")
    form.get_by_label("Reason").select_option(label="Price correction")
    form.get_by_role("button", name="Issue credit note").click()
    expect(page.locator('[data-testid=line][data-position="1"] .invalid-feedback')).to_have_text(
        "At most 4 can still be credited.")
    assert not CreditNote.objects.exists()
    page.screenshot(path="var/e2e-credit-note-form.png", full_page=True)

    form = page.get_by_test_id("credit-note-form")
    form.get_by_label("Quantity of line 1 to credit").fill("1")
    form.get_by_label("Note").fill("Scratched housing, agreed with the buyer")
    form.get_by_role("button", name="Issue credit note").click()

    expect(page.get_by_test_id("invoice-title")).to_have_text(f"Invoice {invoice.number}")
    note = CreditNote.objects.get()
    expect(page.get_by_role("alert").first).to_contain_text(f"Credit note {note.number} issued for 119.00 EUR")
    expect(amount_due).to_have_text("410.50 EUR")
    expect(page.get_by_test_id("credited-amount")).to_have_text("− 119.00 EUR")
    expect(page.get_by_test_id("credit-notes").locator(f'tr[data-number="{note.number}"]')).to_contain_text(
        "Price correction")
    expect(page.locator('[data-testid=invoice-lines] [data-testid=line]').first.get_by_test_id("credited")
           ).to_have_text("1 credited")
    page.screenshot(path="var/e2e-invoice-credited.png", full_page=True)
    assert Invoice.objects.get(pk=invoice.pk).amount_due == Decimal("410.50")

    # the order page lists the invoice with what is still due, and its credit note
    page.get_by_test_id("order-link").click()
    panel = page.get_by_test_id("order-billing")
    invoice_row = panel.locator(f'tr[data-number="{invoice.number}"]')
    expect(invoice_row.get_by_test_id("invoice-status")).to_have_text("Issued")
    expect(invoice_row.get_by_test_id("amount-due")).to_have_text("410.50 EUR")
    expect(panel.get_by_test_id("order-credit-note")).to_contain_text(note.number)
    page.get_by_test_id("order-billing").scroll_into_view_if_needed()
    page.screenshot(path="var/e2e-order-billing.png", full_page=True)
